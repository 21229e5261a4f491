import gzip

import numpy as np
import pyBigWig
import pytest

from brainresnet_tf.data.targets import Profile, bin_labels, peak_tracks, signal_tracks
from brainresnet_tf.data.windows import WindowSpec, WindowTable, build_window_table
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import read_bed


@pytest.fixture
def genome(tiny_genome, tmp_path):
    return Genome(tiny_genome[0], cache_dir=tmp_path / "cache")


def write(path, text):
    path.write_text(text)
    return path


def test_read_bed_narrowpeak_gzip_and_alias(genome, tmp_path):
    lines = "track name=x\n1\t200\t400\tp1\t0\t.\t5\t-1\t-1\t100\nchr2\t10\t50\n"
    path = tmp_path / "p.narrowPeak.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(lines)
    df = read_bed(path, genome)
    assert df["chrom"].tolist() == ["chr1", "chr2"]
    assert df["start"].tolist() == [200, 10] and df["name"].tolist()[0] == "p1"


@pytest.mark.parametrize(
    "text, message",
    [
        ("chr1\t10\n", r"bad.bed:1: malformed BED line"),
        ("chr1\t10\t20\nchr1\tx\t20\n", r"bad.bed:2: non-integer coordinates"),
        ("chr1\t10\t20\nchrZ\t10\t20\n", r"bad.bed:2: chromosome 'chrZ' is not in genome"),
        ("chr2\t2900\t3100\n", r"bad.bed:1: interval chr2:2900-3100 runs past the end of chr2"),
        ("chr1\t50\t40\n", r"bad.bed:1: bad interval chr1:50-40"),
        ("# only a comment\n", r"bad.bed: no intervals \(empty"),
    ],
)
def test_bad_bed_lines_name_file_and_line(genome, tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_bed(write(tmp_path / "bad.bed", text), genome)


def test_missing_peak_file(genome, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_bed(tmp_path / "missing.bed", genome)


def test_wrong_chromosome_style_suggests_genome_names(tmp_path):
    from tests.conftest import write_fasta

    g = Genome(write_fasta(tmp_path / "ens.fa", {"1": "ACGT" * 100}), cache_dir=tmp_path)
    df = read_bed(write(tmp_path / "ucsc.bed", "chr1\t0\t10\n"), g)  # alias resolves
    assert df["chrom"][0] == "1"
    with pytest.raises(InputError, match=r"'chr1_random' is not in genome ens.fa \(.*"):
        read_bed(write(tmp_path / "x.bed", "chr1_random\t0\t10\n"), g)


def test_bin_labels_half_overlap_rule():
    import pandas as pd

    peaks = pd.DataFrame(
        {"chrom": ["c"] * 3, "start": [0, 250, 260], "end": [99, 350, 420], "name": ["a", "b", "c"]}
    )
    track = peak_tracks(peaks)["c"]  # merges 250-350 and 260-420 into 250-420
    assert track.starts.tolist() == [0, 250] and track.ends.tolist() == [99, 420]
    labels = bin_labels(track, np.array([0, 200, 400]), 200, signal=False)
    # bin 0: 99/200 covered (< half); bin 200: 150/200; bin 400: 20/200
    assert labels.tolist() == [0.0, 1.0, 0.0]


def test_signal_track_means_and_nan_rejected(genome, tmp_path):
    path = tmp_path / "s.bw"
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([("chr1", 5000), ("chr2", 3000)])
    bw.addEntries(["chr1", "chr1"], [0, 100], ends=[100, 300], values=[1.0, 3.0])
    bw.addEntries(["chr2"], [0], ends=[10], values=[2.0])
    bw.close()
    tracks = signal_tracks(path, genome, ["chr1", "chr2"])
    mean = tracks["chr1"].mean(np.array([0, 50, 300]), np.array([200, 150, 400]))
    np.testing.assert_allclose(mean, [(100 + 300) / 200, (50 + 150) / 100, 0.0])
    assert bin_labels(tracks["chr1"], np.array([100]), 200, signal=True)[0] == pytest.approx(np.log1p(3.0))
    bad = tmp_path / "nan.bw"
    bw = pyBigWig.open(str(bad), "w")
    bw.addHeader([("chr1", 5000)])
    bw.addEntries(["chr1"], [0], ends=[100], values=[float("nan")])
    bw.close()
    with pytest.raises(InputError, match="NaN signal at chr1:0-100"):
        signal_tracks(bad, genome, ["chr1"])
    with pytest.raises(InputError, match="bigWig has no chromosome 'chr2'"):
        signal_tracks(bad, genome, ["chr2"])


def _peaks(tmp_path, name, rows):
    return write(tmp_path / f"{name}.bed", "".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))


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
    from tests.conftest import write_fasta

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
