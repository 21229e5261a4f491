import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
import pytest

from brainresnet_tf.synthetic import (DEFAULT_CELL_TYPES, SHARED_MOTIFS, generate_synthetic_dataset,
                                      jaspar_motif, sample_motif)

SMALL = dict(n_chroms=3, chrom_length=100_000, elements_per_mb=300)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return generate_synthetic_dataset(tmp_path_factory.mktemp("syn"), seed=1, **SMALL)


def _rc(s):
    return s[::-1].translate(str.maketrans("ACGT", "TGCA"))


def test_jaspar_offline_and_sampling():
    matrix_id, probs = jaspar_motif("CTCF")
    assert matrix_id.startswith("MA0139") and probs.shape[1] == 4 and len(probs) >= 15
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    rng = np.random.default_rng(0)
    consensus = "".join("ACGT"[i] for i in probs.argmax(axis=1))
    draws = [sample_motif(rng, probs) for _ in range(200)]
    match = np.mean([[a == b for a, b in zip(d, consensus)] for d in draws])
    assert 0.6 < match < 1.0  # drawn from the matrix: mostly, not always, the consensus
    with pytest.raises(ValueError, match="no motif named 'NOT_A_TF'"):
        jaspar_motif("NOT_A_TF")


def test_files_parse_with_real_readers(dataset):
    fa = pyfaidx.Fasta(str(dataset.fasta))
    assert {k: len(fa[k]) for k in fa.keys()} == dataset.chrom_sizes == {f"chr{i}": 100_000 for i in (1, 2, 3)}
    seq = str(fa["chr1"][:])
    assert seq[:10000] == "N" * 10000
    assert any(c.islower() for c in seq) and 0.3 < sum(c in "GCgc" for c in seq) / len(seq.replace("N", "")) < 0.55
    assert [p.name for p in dataset.profiles] == [f"{c.name}_ATAC" for c in DEFAULT_CELL_TYPES]
    for p in dataset.profiles:
        rows = [line.rstrip("\n").split("\t") for line in open(p.peaks)]
        assert rows and all(len(r) == 10 for r in rows)
        assert all(0 <= int(r[1]) < int(r[2]) <= dataset.chrom_sizes[r[0]] for r in rows)
        bw = pyBigWig.open(str(p.bigwig))
        assert bw.chroms() == dataset.chrom_sizes
        values = bw.values("chr2", 0, 100_000, numpy=True)
        assert not np.isnan(values).any() and values.max() > 5 * np.median(values)
        bw.close()


def test_planted_sites_are_in_the_genome(dataset):
    fa = pyfaidx.Fasta(str(dataset.fasta))
    sites = pd.read_csv(dataset.motif_sites, sep="\t")
    assert set(sites["motif_name"]) >= set(SHARED_MOTIFS)
    for row in sites.itertuples():
        found = str(fa[row.chrom][row.start:row.end]).upper()
        assert found == (row.sequence if row.strand == "+" else _rc(row.sequence)), row


def test_openness_follows_the_motif_grammar(dataset):
    elements = pd.read_csv(dataset.elements, sep="\t")
    assert len(elements) == pytest.approx(0.3 * 300, rel=0.1)
    for ct in DEFAULT_CELL_TYPES:
        carried = elements["motifs"].fillna("").str.split(",")
        expected = carried.apply(lambda ms: sum(m in ct.motifs for m in ms) >= ct.min_motifs
                                 or any(m in SHARED_MOTIFS for m in ms))
        agreement = (expected.astype(int) == elements[ct.name]).mean()
        assert agreement > 0.9  # only the ~3% noise flips disagree


def test_peaks_mark_open_elements(dataset):
    elements = pd.read_csv(dataset.elements, sep="\t")
    for ct, profile in zip(DEFAULT_CELL_TYPES, dataset.profiles):
        peaks = pd.read_csv(profile.peaks, sep="\t", header=None)
        centre = (peaks[1] + peaks[2]) // 2
        open_el = elements[elements[ct.name] == 1]
        hits = sum(((open_el["chrom"] == c) & (open_el["start"] - 60 <= m) & (m <= open_el["end"] + 60)).any()
                   for c, m in zip(peaks[0], centre))
        assert hits / len(peaks) > 0.95


def test_deterministic_with_seed(tmp_path, dataset):
    again = generate_synthetic_dataset(tmp_path / "a", seed=1, **SMALL)
    other = generate_synthetic_dataset(tmp_path / "b", seed=2, **SMALL)
    assert again.fasta.read_bytes() == dataset.fasta.read_bytes()
    assert again.profiles[0].peaks.read_text() == dataset.profiles[0].peaks.read_text()
    assert other.fasta.read_bytes() != dataset.fasta.read_bytes()
