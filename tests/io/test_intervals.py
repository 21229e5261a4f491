"""BED reading: narrowPeak and gzip, chromosome aliases, errors that name the file and line."""

import gzip

import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import read_bed
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
