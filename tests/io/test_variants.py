"""The shared variant reader: left-normalisation, variant types, --max-indel, symbolic alleles,
duplicates, format detection."""

import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.variant_files import detect_format, open_variants
from brainresnet_tf.io.variants import (
    left_normalize,
    trim_alleles,
    variant_kind,
)
from brainresnet_tf.io.vcf import VcfReader, read_vcf
from tests.toy_data import write_fasta, write_vcf

# 1-based:  1234567890123456789012
SEQ = "GATTACACACAGGGTTTCCA" + "ACGT" * 20


@pytest.fixture(scope="module")
def hand_genome(tmp_path_factory):
    d = tmp_path_factory.mktemp("hand")
    return Genome(write_fasta(d / "g.fa", {"chr1": SEQ, "chr2": "ACGT" * 30}), cache_dir=d)


def _norm(pos: int, ref: str, alt: str, seq: str = SEQ) -> tuple[int, str, str]:
    p0, r, a = left_normalize(pos - 1, ref, alt, lambda i: seq[i])
    return p0 + 1, r, a


def test_left_normalize_hand_examples():
    assert _norm(10, "C", "CAC") == (4, "T", "TAC")  # AC inserted in ACACACA slides to its start
    assert _norm(3, "T", "TT") == (2, "A", "AT")  # a T added to TT: anchored on the A before
    assert _norm(9, "ACA", "A") == (4, "TAC", "T")  # CA deleted from the repeat
    assert _norm(6, "CA", "C") == (6, "CA", "C")  # already normalised
    assert _norm(12, "GGG", "GTT") == (13, "GG", "TT")  # an MNV loses its shared first base
    assert _norm(12, "GGGT", "GTTT") == (13, "GG", "TT")
    assert _norm(1, "GA", "A") == (1, "GA", "A")  # at the chromosome start: right anchor kept
    assert _norm(2, "AT", "A") == (2, "AT", "A")
    assert trim_alleles(1, "ATT", "AT") == (1, "AT", "A")
    assert variant_kind("A", "G") == ("snv", 1)
    assert variant_kind("GG", "TT") == ("mnv", 2)
    assert variant_kind("TAC", "T") == ("del", 2)
    assert variant_kind("T", "TAC") == ("ins", 2)
    assert variant_kind("ACG", "TT") == ("delins", 3)


def test_indels_and_mnvs_read_normalised_and_counted(hand_genome, tmp_path):
    vcf = write_vcf(
        tmp_path / "n.vcf",
        [
            "chr1\t6\ta\tCA\tC",
            "chr1\t10\tb\tC\tCAC",  # not normalised
            "chr1\t1\td\tGA\tA",
            "chr1\t2\te\tATT\tA,AT",  # the second allele's trimming is the record's padding
            "chr1\t12\tf\tGGG\tGTT",  # not parsimonious
            "chr1\t18\tg\tCCA\tG",
        ],
    )
    table, stats = read_vcf(vcf, hand_genome)
    got = list(zip(table["id"], table["pos"], table["ref"], table["alt"], table["kind"]))
    assert got == [
        ("a", 6, "CA", "C", "del"),
        ("b", 4, "T", "TAC", "ins"),
        ("d", 1, "GA", "A", "del"),
        ("e", 2, "ATT", "A", "del"),
        ("e", 2, "AT", "A", "del"),
        ("f", 13, "GG", "TT", "mnv"),
        ("g", 18, "CCA", "G", "delins"),
    ]
    assert stats.normalised == 2 and stats.scored == 7
    assert stats.scored_types == {"snv": 0, "mnv": 1, "ins": 1, "del": 4, "delins": 1}
    assert "2 left-normalised" in stats.summary()
    with pytest.raises(InputError, match=r"n\.vcf:4: chr1:10 C>CAC is not left-normalised .*chr1:4 T>TAC"):
        read_vcf(vcf, hand_genome, strict=True)


def test_long_symbolic_and_breakends_skipped(hand_genome, tmp_path):
    long_del = SEQ[19:80]  # 61 bases from POS 20: a 60 bp deletion
    vcf = write_vcf(
        tmp_path / "s.vcf",
        [
            f"chr1\t20\tlong\t{long_del}\t{long_del[0]}",
            f"chr1\t20\tins\tA\tA{'C' * 51}",
            "chr1\t20\tsym\tA\t<DEL>,<INS:ME>,*",
            "chr1\t20\tbnd\tA\tA[chr2:10[,]chr2:5]A,A.,.A",
            f"chr1\t20\tok\t{SEQ[19:30]}\t{SEQ[19]}",
        ],
    )
    table, stats = read_vcf(vcf, hand_genome)
    assert table["id"].tolist() == ["ok"]
    assert stats.skipped["too_long"] == 2 and stats.skipped["symbolic"] == 7
    assert read_vcf(vcf, hand_genome, max_indel=55)[1].skipped["too_long"] == 1  # the 60 bp one
    assert len(read_vcf(vcf, hand_genome, max_indel=0)[0]) == 0  # SNVs only
    with pytest.raises(InputError, match="--max-indel -1"):
        read_vcf(vcf, hand_genome, max_indel=-1)


def test_ref_checked_over_its_whole_length_and_chromosome_end(hand_genome, tmp_path):
    n = len(SEQ)
    vcf = write_vcf(
        tmp_path / "r.vcf",
        [
            "chr1\t6\tbad\tCC\tC",  # the genome has CA
            f"chr1\t{n - 1}\tpast\t{SEQ[-2:]}A\t{SEQ[-2]}",  # REF runs past the end
            f"chr1\t{n}\tend\t{SEQ[-1]}\t{SEQ[-1]}G",  # an insertion after the last base
        ],
    )
    seen = []
    reader = VcfReader(vcf, hand_genome, on_skip=lambda *a: seen.append(a))
    assert [v.id for v in reader] == ["end"]
    assert reader.stats.skipped["ref_mismatch"] == 1 and reader.stats.skipped["past_chrom_end"] == 1
    assert "REF 'CC' does not match the genome 'CA' at chr1:6" in seen[0][4]
    assert "runs past the end of chr1" in seen[1][4]
    with pytest.raises(InputError, match=r"r\.vcf:3: REF 'CC' does not match"):
        read_vcf(vcf, hand_genome, strict=True)


def test_duplicates_dropped_counted_and_listed(hand_genome, tmp_path):
    vcf = write_vcf(
        tmp_path / "d.vcf",
        [
            "chr1\t6\tx\tC\tG",
            "chr1\t6\tx\tC\tG",  # the same record twice
            "1\t6\ty\tC\tG,T",  # an alias of chr1, one new allele
            "chr1\t10\ti1\tC\tCAC",
            "chr1\t4\ti2\tT\tTAC",  # the same insertion, already normalised
        ],
    )
    seen = []
    reader = VcfReader(vcf, hand_genome, on_skip=lambda *a: seen.append(a))
    kept = [(v.id, v.pos, v.alt) for v in reader]
    assert kept == [("x", 6, "G"), ("y", 6, "T"), ("i1", 4, "TAC")]
    assert reader.stats.skipped["duplicate"] == 3
    assert [s[0] for s in seen] == [4, 5, 7] and all(s[3] == "duplicate" for s in seen)
    assert "duplicate of an earlier allele chr1:4 T>TAC" in seen[-1][4]


def test_format_detection(tmp_path, hand_genome):
    assert detect_format(tmp_path / "x.vcf.gz") == "vcf"
    assert detect_format(tmp_path / "x.bed") == "bed"
    assert detect_format(tmp_path / "x.tsv") == "tsv"
    plain = tmp_path / "variants"
    plain.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n")
    assert detect_format(plain) == "vcf"
    plain.write_text("chrom\tpos\tref\talt\nchr1\t6\tC\tG\n")
    assert detect_format(plain) == "tsv"
    assert len(list(open_variants(plain, hand_genome))) == 1
    plain.write_text("chr1\t5\t6\tC\tG\n")
    assert detect_format(plain) == "bed"
    assert len(list(open_variants(plain, hand_genome))) == 1
    with pytest.raises(InputError, match="--format 'vfc'"):
        open_variants(plain, hand_genome, format="vfc")
    with pytest.raises(InputError, match="is a directory"):
        open_variants(tmp_path, hand_genome, format="vcf")
