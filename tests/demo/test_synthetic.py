"""The synthetic demo data: real, parseable files whose ground truth matches the genome."""

import json
import time

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
import pytest

from brainresnet_tf.demo.synthetic import (
    BACKGROUND,
    DEFAULT_CELL_TYPES,
    SHARED_MOTIFS,
    CellType,
    generate_synthetic_dataset,
    jaspar_motif,
    sample_motif,
)

SMALL = dict(n_chroms=3, chrom_length=100_000, elements_per_mb=300)
SITE_COLUMNS = ["element_id", "chrom", "start", "end", "strand", "motif_name", "matrix_id", "sequence"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return generate_synthetic_dataset(tmp_path_factory.mktemp("syn"), seed=1, **SMALL)


@pytest.fixture(scope="module")
def genome(dataset):
    fa = pyfaidx.Fasta(str(dataset.fasta))
    return {k: str(fa[k][:]) for k in fa.keys()}


@pytest.fixture(scope="module")
def elements(dataset):
    return pd.read_csv(dataset.elements, sep="\t", keep_default_na=False)


def _rc(s):
    return s[::-1].translate(str.maketrans("ACGT", "TGCA"))


def _carried(elements):
    return elements["motifs"].str.split(",")


def _rule(elements, ct, shared=SHARED_MOTIFS):
    return _carried(elements).apply(
        lambda ms: int(sum(m in ct.motifs for m in ms) >= ct.min_motifs or any(m in shared for m in ms))
    )


def _assert_sites_match(genome, sites):
    for row in sites.itertuples():
        found = genome[row.chrom][row.start : row.end].upper()
        assert found == (row.sequence if row.strand == "+" else _rc(row.sequence)), row


def test_jaspar_offline_and_sampling():
    matrix_id, probs = jaspar_motif("CTCF")
    assert matrix_id.startswith("MA0139") and probs.shape[1] == 4 and len(probs) >= 15
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert jaspar_motif("CTCF")[1] is probs  # cached per process
    rng = np.random.default_rng(0)
    consensus = "".join("ACGT"[i] for i in probs.argmax(axis=1))
    draws = [sample_motif(rng, probs) for _ in range(200)]
    match = np.mean([[a == b for a, b in zip(d, consensus)] for d in draws])
    assert 0.6 < match < 1.0  # drawn from the matrix: mostly, not always, the consensus
    with pytest.raises(ValueError, match="no motif named 'NOT_A_TF'"):
        jaspar_motif("NOT_A_TF")


def test_files_parse_with_real_readers(dataset, genome):
    assert dataset.fasta.with_name("genome.fa.fai").exists()
    assert (
        {k: len(v) for k, v in genome.items()}
        == dataset.chrom_sizes
        == {f"chr{i}": 100_000 for i in (1, 2, 3)}
    )
    assert list(genome) == list(dataset.chrom_sizes)
    assert [p.name for p in dataset.profiles] == [f"{c.name}_ATAC" for c in DEFAULT_CELL_TYPES]
    assert all(p.assay == "ATAC" and p.name == f"{p.cell_type}_ATAC" for p in dataset.profiles)
    order = {c: i for i, c in enumerate(dataset.chrom_sizes)}
    for p in dataset.profiles:
        rows = [line.rstrip("\n").split("\t") for line in open(p.peaks)]
        assert rows and all(len(r) == 10 for r in rows)
        assert all(0 <= int(r[1]) < int(r[2]) <= dataset.chrom_sizes[r[0]] for r in rows)
        assert all(0 <= int(r[4]) <= 1000 and r[5] == "." and float(r[6]) > 0 for r in rows)
        assert all(0 <= int(r[9]) < int(r[2]) - int(r[1]) for r in rows)  # summit inside the peak
        keys = [(order[r[0]], int(r[1])) for r in rows]
        assert keys == sorted(keys)
        bw = pyBigWig.open(str(p.bigwig))
        assert bw.chroms() == dataset.chrom_sizes
        for chrom, size in dataset.chrom_sizes.items():
            values = bw.values(chrom, 0, size, numpy=True)
            assert not np.isnan(values).any() and values.min() >= 0
            assert values.max() > 5 * np.median(values)
        assert bw.values("chr1", 0, 10_000, numpy=True).max() == 0  # no signal over the N gap
        bw.close()


def test_genome_background(dataset, genome, elements):
    chr1 = genome["chr1"]
    assert chr1[:10_000] == "N" * 10_000 and chr1[10_000] != "N"
    for _chrom, seq in genome.items():  # short N runs on every chromosome
        assert "N" * 500 in seq[10_001:]
        assert set(seq) <= set("ACGTNacgt")
    text = "".join(genome.values())
    lower = sum(text.count(c) for c in "acgt") / len(text)
    assert 0.04 < lower < 0.2
    bg = {c: np.frombuffer(s.upper().encode(), np.uint8).copy() for c, s in genome.items()}
    for row in elements.itertuples():
        bg[row.chrom][row.start : row.end] = ord("N")
    bg = np.concatenate(list(bg.values()))
    bg = bg[bg != ord("N")]
    gc = np.isin(bg, np.frombuffer(b"GC", np.uint8)).mean()
    assert 0.3 < gc < 0.55
    # GC varies between regions (50 kb blocks)
    block_gc = [
        np.isin(
            np.frombuffer(genome["chr2"][i : i + 50_000].upper().encode(), np.uint8),
            np.frombuffer(b"GC", np.uint8),
        ).mean()
        for i in (0, 50_000)
    ]
    block_gc += [
        np.isin(
            np.frombuffer(genome["chr3"][i : i + 50_000].upper().encode(), np.uint8),
            np.frombuffer(b"GC", np.uint8),
        ).mean()
        for i in (0, 50_000)
    ]
    assert max(block_gc) - min(block_gc) > 0.01


def test_elements_are_well_placed(dataset, genome, elements):
    assert list(elements.columns[:6]) == ["element_id", "chrom", "start", "end", "program", "motifs"]
    assert list(elements.columns[6:]) == [c.name for c in DEFAULT_CELL_TYPES]
    assert len(elements) == pytest.approx(0.3 * 300, rel=0.1)
    assert elements["element_id"].is_unique
    width = elements["end"] - elements["start"]
    assert width.between(200, 300).all()
    for chrom, sub in elements.groupby("chrom"):
        sub = sub.sort_values("start")
        assert (sub["start"].to_numpy()[1:] >= sub["end"].to_numpy()[:-1]).all()  # no overlaps
        assert (sub["end"] <= dataset.chrom_sizes[chrom]).all()
        assert all("N" not in genome[chrom][s:e].upper() for s, e in zip(sub["start"], sub["end"]))
    assert set(elements["program"]) == {c.name for c in DEFAULT_CELL_TYPES} | {"shared", "decoy"}


def test_planted_sites_are_in_the_genome(dataset, genome, elements):
    sites = pd.read_csv(dataset.motif_sites, sep="\t")
    assert list(sites.columns) == SITE_COLUMNS
    assert set(sites["motif_name"]) >= set(SHARED_MOTIFS)
    assert set(sites["motif_name"]) <= set(dataset.motifs)
    assert (sites["matrix_id"] == sites["motif_name"].map(dataset.motifs)).all()
    assert (sites["end"] - sites["start"] == sites["sequence"].str.len()).all()
    assert set(sites["strand"]) == {"+", "-"}
    _assert_sites_match(genome, sites)
    # element sites lie inside their element and agree with the element's motif list
    in_el = sites[sites["element_id"] != BACKGROUND].merge(elements, on="element_id", suffixes=("", "_el"))
    assert ((in_el["start"] >= in_el["start_el"]) & (in_el["end"] <= in_el["end_el"])).all()
    listed = elements.set_index("element_id")["motifs"].str.split(",").map(sorted)
    planted = sites[sites["element_id"] != BACKGROUND].groupby("element_id")["motif_name"].agg(sorted)
    assert planted.to_dict() == listed[listed.map(lambda m: m != [""])].to_dict()
    # no two planted instances overlap
    for _, sub in sites.groupby("chrom"):
        assert (sub["start"].to_numpy()[1:] >= sub["end"].to_numpy()[:-1]).all()


def test_background_decoys_are_lone_and_outside_elements(dataset, elements):
    sites = pd.read_csv(dataset.motif_sites, sep="\t")
    decoys = sites[sites["element_id"] == BACKGROUND]
    assert len(decoys) >= 10
    assert not set(decoys["motif_name"]) & set(SHARED_MOTIFS)  # a shared motif alone would open
    for row in decoys.itertuples():
        el = elements[elements["chrom"] == row.chrom]
        assert not ((el["start"] < row.end) & (row.start < el["end"])).any()


def test_openness_follows_the_motif_grammar(elements):
    flips = []
    for ct in DEFAULT_CELL_TYPES:
        expected = _rule(elements, ct)
        flips.append((expected != elements[ct.name]).to_numpy())
        # open elements mostly carry >= min_motifs of the cell type's motifs (or a shared motif)
        open_el = elements[elements[ct.name] == 1]
        assert _rule(open_el, ct).mean() > 0.8  # ~40 open elements here: a few flips are noise
        no_shared = open_el[~_carried(open_el).apply(lambda ms: any(m in SHARED_MOTIFS for m in ms))]
        own = _carried(no_shared).apply(lambda ms, ct=ct: sum(m in ct.motifs for m in ms))
        assert (own >= ct.min_motifs).mean() > 0.75
        # one motif alone (decoys) mostly does not open
        decoy = elements[elements["program"] == "decoy"]
        assert decoy[ct.name].mean() < 0.2
    flip_rate = np.concatenate(flips).mean()
    assert 0.003 < flip_rate < 0.1  # the ~3% noise is there, and small


def test_shared_program_and_shared_motifs_share_elements(elements):
    shared = elements[elements["program"] == "shared"]
    assert len(shared) >= 5
    assert shared[[c.name for c in DEFAULT_CELL_TYPES]].to_numpy().mean() > 0.8
    # fetal_brain shares motifs with both neuron and NPC, so it shares their elements
    for program in ("iPSC_neuron", "NPC"):
        drawn = elements[elements["program"] == program]
        both = ((drawn[program] == 1) & (drawn["fetal_brain"] == 1)).sum()
        assert both >= 3, program
    only_npc = elements[(elements["program"] == "NPC")]
    assert only_npc["iPSC_neuron"].mean() < 0.2  # NPC and neuron motifs are disjoint


def test_peaks_mark_open_elements(dataset, elements):
    for ct, profile in zip(DEFAULT_CELL_TYPES, dataset.profiles):
        peaks = pd.read_csv(profile.peaks, sep="\t", header=None)
        summit = peaks[1] + peaks[9]
        open_el = elements[elements[ct.name] == 1]
        hit = np.array(
            [
                ((open_el["chrom"] == c) & (open_el["start"] - 60 <= m) & (m <= open_el["end"] + 60)).any()
                for c, m in zip(peaks[0], summit)
            ]
        )
        assert hit.mean() > 0.95
        assert 1 <= (~hit).sum() <= max(3, 0.04 * len(peaks))  # a few spurious background peaks
        assert hit.sum() == len(open_el)  # every open element has its peak
        closed = elements[elements[ct.name] == 0]
        assert not any(
            ((closed["chrom"] == c) & (closed["start"] <= m) & (m < closed["end"])).any()
            for c, m in zip(peaks[0], summit)
        )


def test_signal_is_high_at_peaks(dataset):
    profile = dataset.profiles[0]
    peaks = pd.read_csv(profile.peaks, sep="\t", header=None)
    bw = pyBigWig.open(str(profile.bigwig))
    at_summit = np.array([bw.values(c, s + p, s + p + 1)[0] for c, s, p in zip(peaks[0], peaks[1], peaks[9])])
    far = bw.values("chr2", 0, 100_000, numpy=True)
    bw.close()
    assert np.median(at_summit) > 20 * np.median(far)
    assert np.corrcoef(at_summit, peaks[6])[0, 1] > 0.8  # bump height follows signalValue


def test_deterministic_with_seed(tmp_path, dataset):
    again = generate_synthetic_dataset(tmp_path / "a", seed=1, **SMALL)
    other = generate_synthetic_dataset(tmp_path / "b", seed=2, **SMALL)
    assert again.fasta.read_bytes() == dataset.fasta.read_bytes()
    for a, b in ((again.elements, dataset.elements), (again.motif_sites, dataset.motif_sites)):
        assert a.read_bytes() == b.read_bytes()
    for pa, pb in zip(again.profiles, dataset.profiles):
        assert pa.peaks.read_bytes() == pb.peaks.read_bytes()
        assert pa.bigwig.read_bytes() == pb.bigwig.read_bytes()
    assert again.motifs == dataset.motifs
    assert other.fasta.read_bytes() != dataset.fasta.read_bytes()
    assert other.profiles[0].peaks.read_bytes() != dataset.profiles[0].peaks.read_bytes()
    meta = json.loads((tmp_path / "b" / "dataset.json").read_text())
    assert meta["seed"] == 2 and meta["motifs"] == other.motifs


def test_custom_grammar_and_odd_length(tmp_path):
    cts = (CellType("A", ("GATA1",), min_motifs=1), CellType("B", ("SOX2", "PAX6"), min_motifs=2))
    data = generate_synthetic_dataset(
        tmp_path,
        cell_types=cts,
        shared_motifs=(),
        n_chroms=2,
        chrom_length=60_005,
        elements_per_mb=400,
        seed=5,
        assay="DNase",
    )
    assert [p.name for p in data.profiles] == ["A_DNase", "B_DNase"]
    assert set(data.motifs) == {"GATA1", "SOX2", "PAX6"}
    elements = pd.read_csv(data.elements, sep="\t", keep_default_na=False)
    assert "shared" not in set(elements["program"])
    for ct in cts:
        assert (_rule(elements, ct, shared=()) == elements[ct.name]).mean() > 0.9
    sites = pd.read_csv(data.motif_sites, sep="\t")
    # background decoys only use motifs that one instance cannot open (not GATA1 here)
    assert set(sites.loc[sites["element_id"] == BACKGROUND, "motif_name"]) <= {"SOX2", "PAX6"}
    bw = pyBigWig.open(str(data.profiles[0].bigwig))
    assert bw.chroms() == {"chr1": 60_005, "chr2": 60_005}
    assert not np.isnan(bw.values("chr2", 0, 60_005, numpy=True)).any()  # the partial last bin too
    bw.close()
    fa = pyfaidx.Fasta(str(data.fasta))
    assert len(fa["chr2"]) == 60_005


def test_bad_arguments_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="NOT_A_TF"):
        generate_synthetic_dataset(tmp_path, cell_types=(CellType("X", ("NOT_A_TF",)),), **SMALL)
    with pytest.raises(ValueError, match="unique"):
        generate_synthetic_dataset(tmp_path, cell_types=DEFAULT_CELL_TYPES[:1] * 2, **SMALL)
    with pytest.raises(ValueError, match="chrom_length"):
        generate_synthetic_dataset(tmp_path, n_chroms=1, chrom_length=5000)
    with pytest.raises(ValueError, match="clashes"):
        generate_synthetic_dataset(tmp_path, cell_types=(CellType("chrom", ("SOX2",)),), **SMALL)


def test_default_size_is_fast_and_consistent(tmp_path):
    t0 = time.perf_counter()
    data = generate_synthetic_dataset(tmp_path, seed=2)
    elapsed = time.perf_counter() - t0
    assert elapsed < 15, elapsed
    assert data.chrom_sizes == {f"chr{i}": 500_000 for i in range(1, 7)}
    elements = pd.read_csv(data.elements, sep="\t")
    assert len(elements) == pytest.approx(400 * 3, rel=0.05)
    sites = pd.read_csv(data.motif_sites, sep="\t")
    for _, sub in sites.groupby("chrom"):  # ~180 background decoys: none lands on another site
        assert (sub["start"].to_numpy()[1:] >= sub["end"].to_numpy()[:-1]).all()
    fa = pyfaidx.Fasta(str(data.fasta))
    _assert_sites_match({k: str(fa[k][:]) for k in fa.keys()}, sites)


def test_demo_motifs_keep_their_names_near_the_consensus():
    """Each demo motif stays distinguishable from its JASPAR relatives when its instances lean
    towards the consensus (matrix ** 3), as planted instances and modisco seqlets do; a relative
    winning there (NEUROD1 -> Neurod2, SOX2 -> Sox7) would make naming it a coin flip."""
    from brainresnet_tf.interpret.motifs import match_ppms
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

    db = jaspar_core_vertebrates()
    names = sorted({m for c in DEFAULT_CELL_TYPES for m in c.motifs} | set(SHARED_MOTIFS))
    for sharpness in (1.0, 2.0, 3.0):
        queries = []
        for name in names:
            sharp = jaspar_motif(name)[1] ** sharpness
            queries.append(sharp / sharp.sum(axis=1, keepdims=True))
        tops = [m[0] for m in match_ppms(queries, db, top_n=1)]
        named = {
            n: t["name"]
            for n, t in zip(names, tops)
            if t["id"].split(".")[0] == jaspar_motif(n)[0].split(".")[0] and t["q"] < 0.05
        }
        assert set(named) == set(names), (sharpness, [(n, t["name"]) for n, t in zip(names, tops)])
    # the check can fail: NEUROD1 loses to a relative once sharpened
    sharp = jaspar_motif("NEUROD1")[1] ** 3.0
    top = match_ppms([sharp / sharp.sum(axis=1, keepdims=True)], db, top_n=1)[0][0]
    assert top["id"].split(".")[0] != jaspar_motif("NEUROD1")[0].split(".")[0]
