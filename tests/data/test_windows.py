"""The window table: labels, splits, (GC-matched) negatives, saving, config errors, real peaks."""

import numpy as np
import pytest

from brainresnet_tf.data.targets import Profile
from brainresnet_tf.data.windows import WindowSpec, WindowTable, build_window_table
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from tests.toy_data import write_fasta, write_text


def _peaks(tmp_path, name, rows):
    return write_text(tmp_path / f"{name}.bed", "".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))


def test_window_table_labels_splits_and_negatives(genome, tmp_path):
    a = _peaks(tmp_path, "a", [("chr1", 2000, 2200), ("chr2", 400, 600)])
    b = _peaks(tmp_path, "b", [("chr1", 2100, 2400), ("chr1", 4000, 4200)])
    spec = WindowSpec(
        bin_size=200, context=400, negative_ratio=1.0, chroms=("chr1", "chr2"), test_chroms=("chr2",), seed=3
    )
    table = build_window_table(genome, [Profile("a", peaks=a), Profile("b", peaks=b)], spec, progress=False)
    df = table.to_frame()
    pos = df[(df["a"] > 0) | (df["b"] > 0)]
    assert set(zip(pos["chrom"], pos["start"])) == {
        ("chr1", 2000),
        ("chr1", 2200),
        ("chr1", 4000),
        ("chr2", 400),
    }
    row = df[(df["chrom"] == "chr1") & (df["start"] == 2000)].iloc[0]
    assert row["a"] == 1 and row["b"] == 1  # b covers 100/200 of it: exactly half counts
    assert (df.loc[df["chrom"] == "chr2", "split"] == "test").all()
    assert (df.loc[df["chrom"] == "chr1", "split"] == "train").all()
    n_neg = ((df["a"] == 0) & (df["b"] == 0)).groupby(df["split"]).sum()
    assert n_neg["train"] == 3 and n_neg["test"] == 1  # one negative per positive, per split
    # negatives never come from the N run (chr1:100-150 lies in bin 0-200 at 25% N)
    assert not ((df["chrom"] == "chr1") & (df["start"] == 0) & (df["a"] == 0)).any()
    # deterministic with the seed, and saved/loaded intact
    again = build_window_table(genome, [Profile("a", peaks=a), Profile("b", peaks=b)], spec, progress=False)
    np.testing.assert_array_equal(again.start, table.start)
    table.save(tmp_path / "w.npz")
    loaded = WindowTable.load(tmp_path / "w.npz")
    np.testing.assert_array_equal(loaded.labels, table.labels)
    assert loaded.profiles == ["a", "b"] and (loaded.window_start == table.start - 100).all()


def test_gc_matched_negatives_follow_positive_gc(tmp_path):
    rng = np.random.default_rng(0)
    # first half AT-rich, second half GC-rich; positives all in the GC-rich half
    at = "".join(rng.choice(list("ACGT"), p=[0.4, 0.1, 0.1, 0.4], size=20000))
    gc = "".join(rng.choice(list("ACGT"), p=[0.1, 0.4, 0.4, 0.1], size=20000))
    g = Genome(write_fasta(tmp_path / "g.fa", {"chr1": at + gc}), cache_dir=tmp_path)
    peaks = _peaks(tmp_path, "p", [("chr1", s, s + 200) for s in range(21000, 39000, 1000)])
    spec = WindowSpec(negative_ratio=1.0, gc_matched=True, context=200)
    table = build_window_table(g, [Profile("p", peaks=peaks)], spec, progress=False)
    neg = table.start[table.labels[:, 0] == 0]
    assert (neg >= 20000).mean() > 0.9


def test_window_config_errors(genome, tmp_path):
    a = _peaks(tmp_path, "a", [("chr1", 2000, 2200)])
    with pytest.raises(InputError, match="no profiles"):
        build_window_table(genome, [], WindowSpec())
    with pytest.raises(InputError, match="windows.test_chroms: chromosome 'chr9'"):
        build_window_table(genome, [Profile("a", peaks=a)], WindowSpec(test_chroms=("chr9",)))
    with pytest.raises(InputError, match="needs a peaks file"):
        build_window_table(genome, [Profile("a")], WindowSpec())


def test_real_brain_peaks_on_hg38_segment(real_data, tmp_path):
    g = Genome(real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz", cache_dir=tmp_path)
    folder = real_data / "brain_peaks_hg38_chr2_0-2.33Mb"
    profiles = [
        Profile("NeuN", "neuron", "ATAC", peaks=folder / "NeuN_ATAC_Nott2019.hg38.chr2_0-2333275.bed"),
        Profile(
            "GM12878",
            "lymphoblastoid",
            "ATAC",
            peaks=folder / "GM12878_ATAC_SRR891278_ataqv.hg38.chr2_0-2333275.bed",
        ),
    ]
    table = build_window_table(g, profiles, WindowSpec(negative_ratio=2.0), progress=False)
    n_pos = (table.labels > 0).any(axis=1).sum()
    assert 30 < n_pos < 400
    assert len(table) == pytest.approx(3 * n_pos, abs=2)
    # no window is mostly N, and peaks are GC-richer than the region (as the data's README says)
    gc, nf = g.composition("chr2", table.start, table.bin_size)
    assert (nf[(table.labels == 0).all(axis=1)] <= 0.1).all()
    assert np.nanmean(gc[(table.labels > 0).any(axis=1)]) > 0.5
