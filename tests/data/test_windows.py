"""The window table: labels, splits, (GC-matched) negatives, saving, config errors, real peaks."""

import numpy as np
import pytest

from brainresnet_tf.data.targets import Profile
from brainresnet_tf.data.windows import WindowSpec, WindowTable, build_window_table, skipped_peak_notes
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from tests.toy_data import OFF_GENOME_PEAKS, write_fasta, write_text


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


def test_peaks_off_a_partial_genome_are_skipped_counted_and_saved(tmp_path):
    rng = np.random.default_rng(2)
    g = Genome(write_fasta(tmp_path / "chr1.fa", {"chr1": "".join(rng.choice(list("ACGT"), 8000))}), tmp_path)
    on = [("chr1", 1000, 1200), ("1", 3000, 3200), ("chr1", 6000, 6200)]  # "1" is chr1's alias
    a = _peaks(tmp_path, "a", on[:1] + OFF_GENOME_PEAKS + on[1:])
    b = _peaks(tmp_path, "b", [("chr1", 4000, 4200)])
    profiles = [Profile("a", peaks=a), Profile("b", peaks=b)]
    spec = WindowSpec(context=200, negative_ratio=1.0)
    table = build_window_table(g, profiles, spec, progress=False)
    assert table.chrom_names == ["chr1"]
    assert sorted(table.start[table.labels[:, 0] > 0].tolist()) == [1000, 3000, 6000]
    assert table.start[table.labels[:, 1] > 0].tolist() == [4000]
    assert list(table.meta["skipped_peaks"]) == ["a"]  # b lost nothing: no entry, no note
    stats = table.meta["skipped_peaks"]["a"]
    assert (stats.intervals, stats.off_genome) == (9, {"chr2": 3, "chrEBV": 2, "chrUn_x": 1})
    assert skipped_peak_notes(table) == [
        "windows: a a.bed: skipped 6 of 9 peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)"
    ]
    # the same table as from the chr1 peaks alone
    alone = build_window_table(g, [Profile("a", peaks=_peaks(tmp_path, "on", on)), profiles[1]], spec, False)
    np.testing.assert_array_equal(alone.start, table.start)
    np.testing.assert_array_equal(alone.labels, table.labels)
    assert alone.meta["skipped_peaks"] == {}
    # saved with the table (for the note when it is reused), and kept by subsets
    table.save(tmp_path / "w.npz")
    loaded = WindowTable.load(tmp_path / "w.npz")
    assert skipped_peak_notes(loaded) == skipped_peak_notes(table)
    assert skipped_peak_notes(loaded.of_split("train")) == skipped_peak_notes(table)
    # strict: the error at the first such line, as before
    with pytest.raises(InputError, match=r"a.bed:2: chromosome 'chr2' is not in genome chr1.fa"):
        build_window_table(g, profiles, spec, progress=False, strict=True)
    # a file with no peak on the genome: one error naming it, whatever the other profiles hold
    off = _peaks(tmp_path, "off", OFF_GENOME_PEAKS)
    with pytest.raises(InputError, match=rf"^{off}: none of its 6 peaks lies on genome chr1.fa"):
        build_window_table(g, [profiles[1], Profile("off", peaks=off)], spec, progress=False)


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
