"""BED reading: narrowPeak and gzip, chromosome aliases, errors that name the file and line."""

import gzip
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import PeakStats, iter_bed, read_bed, skipped_notes
from tests.toy_data import write_fasta, write_text


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
        read_bed(write_text(tmp_path / "bad.bed", text), genome)


def test_missing_peak_file(genome, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_bed(tmp_path / "missing.bed", genome)


def test_wrong_chromosome_style_suggests_genome_names(tmp_path):
    g = Genome(write_fasta(tmp_path / "ens.fa", {"1": "ACGT" * 100}), cache_dir=tmp_path)
    df = read_bed(write_text(tmp_path / "ucsc.bed", "chr1\t0\t10\n"), g)  # alias resolves
    assert df["chrom"][0] == "1"
    with pytest.raises(InputError, match=r"'chr1_random' is not in genome ens.fa \(.*"):
        read_bed(write_text(tmp_path / "x.bed", "chr1_random\t0\t10\n"), g)


GENOME_WIDE = "chr1\t10\t20\nchr2\t1\t5\nchrEBV\t1\t9\nchr2\t7\t9\n1\t30\t40\nchrUn_x\t0\t3\n"


def test_peaks_off_a_partial_genome_are_skipped_and_counted(tmp_path):
    g = Genome(write_fasta(tmp_path / "one.fa", {"chr1": "ACGT" * 500}), cache_dir=tmp_path)
    bed = write_text(tmp_path / "p.bed", "chrom\tstart\tend\n" + GENOME_WIDE)
    stats = PeakStats(bed)
    df = read_bed(bed, g, skipped=stats)
    assert df["chrom"].tolist() == ["chr1", "chr1"] and df["start"].tolist() == [10, 30]  # "1" -> chr1
    assert stats.intervals == 6 and stats.skipped == 4  # the header line is not a peak
    assert stats.off_genome == {"chr2": 2, "chrEBV": 1, "chrUn_x": 1}
    assert stats.summary() == (
        "skipped 4 of 6 peaks on 3 chromosomes not in the genome (chr2 2, chrEBV 1, chrUn_x 1)"
    )
    assert stats.summary(shown=1).endswith("on 3 chromosomes not in the genome (chr2 2, +2 more)")
    assert PeakStats.from_dict(stats.to_dict()) == stats
    # the line a command prints: label, file name, summary; files without skips print nothing
    assert stats.note("[predict]") == f"[predict] p.bed: {stats.summary()}"
    assert stats.note() == f"p.bed: {stats.summary()}"
    assert skipped_notes([PeakStats(tmp_path / "clean.bed"), None, stats], "[hits]") == [
        f"[hits] p.bed: {stats.summary()}"
    ]
    # in chunks: the same rows and counts
    chunked = PeakStats(bed)
    rows = sum((len(c) for c in iter_bed(bed, g, chunk_rows=1, skipped=chunked)), 0)
    assert rows == 2 and chunked == stats
    # without stats: the error at the first such line, as before
    with pytest.raises(InputError, match=r"p.bed:3: chromosome 'chr2' is not in genome one.fa"):
        read_bed(bed, g)
    # a chromosome the genome has stays checked: past its end is an error naming the line
    past = write_text(tmp_path / "past.bed", "chrEBV\t1\t9\nchr1\t1990\t2010\n")
    with pytest.raises(InputError, match=r"past.bed:2: interval chr1:1990-2010 runs past the end of chr1"):
        read_bed(past, g, skipped=PeakStats(past))
    # and a skipped line is still validated
    bad = write_text(tmp_path / "bad.bed", "chr1\t1\t9\nchrEBV\t9\t1\n")
    with pytest.raises(InputError, match=r"bad.bed:2: bad interval chrEBV:9-1"):
        read_bed(bad, g, skipped=PeakStats(bad))


def test_no_peak_on_the_genome_names_the_file_and_both_sets_of_names(tmp_path):
    g = Genome(write_fasta(tmp_path / "hg19.chr20.fa", {"chr20": "ACGT" * 500}), cache_dir=tmp_path)
    bed = write_text(tmp_path / "p.bed", GENOME_WIDE.replace("1\t30\t40\n", ""))
    with pytest.raises(InputError) as err:
        read_bed(bed, g, skipped=PeakStats(bed))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{bed}: none of its 5 peaks lies on genome hg19.chr20.fa (the peaks are on ")
    assert "chr2, chr1, chrEBV, chrUn_x; the genome has chr20)" in message
    assert "genome build or chromosome naming" in message
    # an empty file stays "empty", not "no peak on the genome"
    with pytest.raises(InputError, match="no intervals"):
        read_bed(write_text(tmp_path / "e.bed", "# nothing\n"), g, skipped=PeakStats(tmp_path / "e.bed"))


def test_aliases_are_not_skipped(tmp_path):
    g = Genome(write_fasta(tmp_path / "ens.fa", {"1": "ACGT" * 100, "MT": "ACGT" * 10}), cache_dir=tmp_path)
    bed = write_text(tmp_path / "ucsc.bed", "chr1\t0\t10\nchrM\t1\t5\nchr1_random\t0\t10\n")
    stats = PeakStats(bed)
    assert read_bed(bed, g, skipped=stats)["chrom"].tolist() == ["1", "MT"]
    assert stats.off_genome == {"chr1_random": 1}


@pytest.mark.parametrize(
    "text, message",
    [
        # a typo in the first line used to be taken as a header and dropped silently
        ("chr1\t1O0\t300\nchr1\t400\t500\n", r"bad.bed:1: non-integer coordinates '1O0', '300'"),
        ("chr1\t1_000\t2000\n", r"bad.bed:1: non-integer coordinates '1_000'"),
        ("chr1\t+5\t20\n", r"bad.bed:1: non-integer coordinates '\+5'"),
        ("chr1\t 7\t20\n", r"bad.bed:1: non-integer coordinates ' 7'"),
        ("chr1\t-5\t20\n", r"bad.bed:1: non-integer coordinates '-5'"),
        ("chr1\t\u0663\t20\n", r"bad.bed:1: non-integer coordinates"),  # an Arabic-Indic digit
        ("chrom\tstart\tend\nchrom\tstart\tend\n", r"bad.bed:2: non-integer coordinates 'start'"),
        ("chr1\t10\t20\nchr1\tstart\tend\n", r"bad.bed:2: non-integer coordinates"),
    ],
)
def test_numbers_are_plain_digits_and_only_a_first_line_of_words_is_a_header(genome, tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_bed(write_text(tmp_path / "bad.bed", text), genome)


def test_headers_that_are_skipped(genome, tmp_path):
    for header in (
        "chrom\tchromStart\tchromEnd\tname\n",
        "#chrom\tstart\tend\n",
        "track name=x\nbrowser pos\n",
    ):
        df = read_bed(write_text(tmp_path / "h.bed", header + "chr1\t10\t20\n"), genome)
        assert df[["chrom", "start", "end"]].values.tolist() == [["chr1", 10, 20]]
    df = read_bed(write_text(tmp_path / "h.bed", "track x\nchrom start end\nchr1 10 20\n"), genome)
    assert len(df) == 1  # space-separated, header after a track line


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfec\x00h\x00r\x00", r"not UTF-8 text"),
        (b"chr1\t10\t20\n\x00\x01\x02\n", r"bin.bed:2: binary data"),
        (gzip.compress(b"chr1\t10\t20\n", mtime=0)[:-6], r"corrupt or truncated gzip"),
    ],
    ids=["utf16", "nul-bytes", "truncated-gzip"],  # stable names: xdist workers must collect alike
)
def test_binary_and_broken_files_are_one_line_errors(genome, tmp_path, content, message):
    path = tmp_path / "bin.bed"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_bed(path, genome)
    with pytest.raises(InputError, match="is a folder"):
        read_bed(tmp_path, genome)


def test_iter_bed_streams_chunks(genome, tmp_path):
    from brainresnet_tf.io.intervals import iter_bed

    path = write_text(tmp_path / "many.bed", "".join(f"chr1\t{i}\t{i + 5}\n" for i in range(0, 1000, 10)))
    chunks = list(iter_bed(path, genome, chunk_rows=30))
    assert [len(c) for c in chunks] == [30, 30, 30, 10]
    assert chunks[-1]["start"].tolist()[-1] == 990


# -- property tests: any input gives a valid table or our one-line error, never anything else --------
_FIELDS = st.one_of(
    st.sampled_from(["chr1", "chr2", "1", "2", "chrZ", "", " ", "chrom", "start", "end", "name"]),
    st.integers(-10, 6000).map(str),
    st.sampled_from(["1_000", "+5", " 7", "1e3", "0x10", "\u0663", "10.0", "99999999999999999999"]),
    st.text(max_size=8),
)
_LINES = st.lists(st.lists(_FIELDS, min_size=0, max_size=6), max_size=6).map(
    lambda rows: "".join("\t".join(r) + "\n" for r in rows)
)
_BED_TEXT = st.one_of(
    _LINES,
    st.sampled_from(["track name=x\n", "# c\n", "browser x\n", "chrom\tstart\tend\n", ""]).flatmap(
        lambda head: _LINES.map(lambda body: head + body)
    ),
    st.text(max_size=80),
)


@lru_cache(maxsize=1)
def _fuzz_genome():
    folder = Path(tempfile.mkdtemp(prefix="bedfuzz"))
    return Genome(
        write_fasta(folder / "g.fa", {"chr1": "ACGT" * 1250, "chr2": "ACGT" * 750}), cache_dir=folder
    )


def _check_bed(path, genome):
    try:
        df = read_bed(path, genome)
    except InputError:
        return
    assert list(df.columns[:4]) == ["chrom", "start", "end", "name"] and len(df)
    assert (df["start"] >= 0).all() and (df["start"] < df["end"]).all()
    if genome is not None:
        sizes = df["chrom"].map(genome.chrom_sizes)
        assert sizes.notna().all() and (df["end"] <= sizes).all()


@settings(max_examples=2000, deadline=None)
@given(text=_BED_TEXT, gz=st.booleans(), with_genome=st.booleans())
def test_read_bed_any_text(text, gz, with_genome):
    genome = _fuzz_genome()
    path = genome.path.parent / ("x.bed.gz" if gz else "x.bed")
    data = text.encode("utf-8", errors="surrogatepass")
    path.write_bytes(gzip.compress(data) if gz else data)
    _check_bed(path, genome if with_genome else None)


@settings(max_examples=1000, deadline=None)
@given(data=st.binary(max_size=200), cut=st.integers(0, 40))
def test_read_bed_any_bytes(data, cut):
    genome = _fuzz_genome()
    path = genome.path.parent / "y.bed"
    packed = gzip.compress(data)
    path.write_bytes(data if cut == 0 else packed[: max(len(packed) - cut, 0)])
    _check_bed(path, genome)
