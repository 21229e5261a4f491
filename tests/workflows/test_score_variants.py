"""``brainresnet score-variants``: scores written; --strict turns a REF mismatch into an error;
--pairs, --orient, and every model kind (ResNet, CNN baseline, k-mer baseline)."""

import json

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.cli import main as cli_main
from tests.toy_data import other_base, some_variants, write_vcf


def test_cli_score_variants(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    _, _, model_path = tiny_model
    rows = some_variants(seqs, 5) + [f"chr1\t100\tbad\t{other_base(seqs['chr1'][99])}\tA"]
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


def test_cli_scores_tables_and_indels(genome_seqs, tmp_path, tiny_model, capsys):
    """A BED-like table with an SNV, a deletion and a long insertion: --format bed, --max-indel."""
    genome, seqs = genome_seqs
    _, _, model_path = tiny_model
    s = seqs["chr1"]
    bed = tmp_path / "variants.txt"
    bed.write_text(
        f"chr1\t99\t100\t{s[99]}\t{other_base(s[99])}\tsnv\n"
        f"chr1\t200\t203\t{s[200:203]}\t-\tdel3\n"
        f"chr1\t300\t300\t-\t{'ACGT' * 8}\tins32\n"
    )
    out = tmp_path / "t.tsv"
    base = ["score-variants", "--model", str(model_path), "--genome", str(genome.path), "--no-progress"]
    args = base + ["--variants", str(bed), "--format", "bed", "--out", str(out)]
    assert cli_main(args) == 0
    table = pd.read_csv(out, sep="\t")
    assert table["ID"].tolist() == ["snv", "del3", "ins32"]
    assert table["TYPE"].tolist() == ["snv", "del", "ins"]
    assert cli_main(args + ["--max-indel", "10"]) == 0
    assert pd.read_csv(out, sep="\t")["ID"].tolist() == ["snv", "del3"]
    assert "too_long 1" in capsys.readouterr().out
    assert cli_main(base + ["--variants", str(bed), "--format", "tsv", "--out", str(out)]) == 2
    assert "variants.txt:1: no header line" in capsys.readouterr().err


# -- --pairs, --orient, every model kind -------------------------------------------------------------
def _cli(*args: str) -> int:
    return cli_main(["score-variants", *map(str, args), "--no-progress"])


def _nothing_written(folder, stem: str) -> bool:
    """No output, summary or temporary file named after ``stem`` in ``folder``."""
    return not [p for p in folder.iterdir() if p.name.startswith((stem, f".{stem}"))]


def test_cli_pairs_real_dsqtl_table_with_its_column_names(real_data, tmp_path, tiny_model, capsys):
    """The real dsQTL table's first 25 pairs (100 bp, SNP at index 49) scored by a 64 bp model: cut
    to their middle, IDs kept, REF/ALT the table's alleles."""
    source = real_data / "gm12878_dsqtl" / "dsqtl_lcl_offchr20.tsv"
    if not source.exists():
        pytest.skip(f"{source} not found")
    _, _, model_path = tiny_model
    head = pd.read_csv(source, sep="\t", nrows=25)
    table = tmp_path / "dsqtl.tsv.gz"
    head.to_csv(table, sep="\t", index=False)
    out = tmp_path / "dsqtl_scores.tsv"
    assert _cli("--model", model_path, "--pairs", table, "--out", out) == 2
    err = capsys.readouterr().err.strip()
    assert "dsqtl.tsv.gz:1: no column 'ref_seq' (columns found: id, chrom," in err and "\n" not in err
    assert _nothing_written(tmp_path, "dsqtl_scores")
    columns = ["--id-column", "id", "--ref-column", "ref_seq_100bp", "--alt-column", "alt_seq_100bp"]
    assert _cli("--model", model_path, "--pairs", table, *columns, "--out", out) == 0
    scores = pd.read_csv(out, sep="\t")
    assert scores["ID"].tolist() == head["id"].tolist()
    assert scores["REF"].tolist() == head["ref"].tolist() and scores["ALT"].tolist() == head["alt"].tolist()
    assert (scores["SEQ_POS"] == 50).all() and (scores["TYPE"] == "snv").all()
    assert np.isfinite(scores["p_a_logit_diff"]).all() and (scores["max_abs_diff"] > 0).all()
    summary = json.loads(out.with_name("dsqtl_scores.summary.json").read_text())
    assert summary["cut_to_window"] == 25 and summary["columns"]["ref"] == "ref_seq_100bp"
    assert "25 longer than the window" in capsys.readouterr().out


BAD_PAIRS = {
    "unequal": ("a\tACGTACGT\tACGTACG\n", "bad.tsv:2: ref_seq (8 bp) and alt_seq (7 bp) of 'a' differ"),
    "letters": ("a\tACGTACGT\tACGTACGA\nb\tACGTRCGT\tACGTACGT\n", "bad.tsv:3: ref_seq of 'b' has letters"),
    "duplicate": ("a\tACGT\tACGA\na\tACGT\tACGC\n", "bad.tsv:3: id 'a' is used again (first on line 2)"),
    "identical": ("a\tACGT\tacgt\n", "bad.tsv:2: ref_seq and alt_seq of 'a' are identical"),
    "empty": ("", "bad.tsv:1: only a header line, no pairs"),
}


@pytest.mark.parametrize("case", BAD_PAIRS)
def test_cli_bad_pairs_one_line_and_nothing_written(case, tmp_path, tiny_model, capsys):
    rows, message = BAD_PAIRS[case]
    table = tmp_path / "bad.tsv"
    table.write_text("id\tref_seq\talt_seq\n" + rows)
    assert _cli("--model", tiny_model[2], "--pairs", table, "--out", tmp_path / "s.tsv") == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "(expected " in err and "\n" not in err
    assert _nothing_written(tmp_path, "s.")


def test_cli_needs_exactly_one_input_mode(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    table = tmp_path / "p.tsv"
    table.write_text("id\tref_seq\talt_seq\na\tACGT\tACGA\n")
    vcf = write_vcf(tmp_path / "v.vcf", some_variants(seqs, 2))
    model, g, out = tiny_model[2], genome.path, tmp_path / "o.tsv"
    cases = [
        (
            ["--pairs", table, "--genome", g, "--vcf", vcf],
            "--pairs scores sequence pairs without a genome: drop --genome, --vcf",
        ),
        (["--pairs", table, "--orient"], "drop --orient"),
        ([], "needs --genome FASTA with --vcf VARIANTS, or --pairs TABLE: give --genome and --vcf"),
        (["--vcf", vcf], "give --genome"),
        (["--genome", g, "--vcf", vcf, "--ref-column", "r"], "--ref-column go with --pairs TABLE"),
    ]
    for args, message in cases:
        assert _cli("--model", model, *args, "--out", out) == 2, args
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, (args, err)
    assert _nothing_written(tmp_path, "o.")


def test_cli_orient(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    rows = [
        f"chr1\t500\tright\t{s[499]}\t{other_base(s[499])}",
        f"chr1\t700\tflip\t{other_base(s[699])}\t{s[699]}",
    ]
    vcf = write_vcf(tmp_path / "o.vcf", rows)
    base = ["--model", tiny_model[2], "--genome", genome.path, "--vcf", vcf]
    assert _cli(*base, "--out", tmp_path / "plain.tsv") == 0
    plain = pd.read_csv(tmp_path / "plain.tsv", sep="\t")
    assert plain["ID"].tolist() == ["right"] and "SWAPPED" not in plain.columns
    assert _cli(*base, "--orient", "--out", tmp_path / "or.tsv") == 0
    printed = capsys.readouterr().out
    assert "1 oriented" in printed and "or.swapped.tsv" in printed
    oriented = pd.read_csv(tmp_path / "or.tsv", sep="\t")
    assert oriented["ID"].tolist() == ["right", "flip"] and oriented["SWAPPED"].tolist() == [False, True]
    assert oriented.loc[1, "REF"] == other_base(s[699]) and oriented.loc[1, "ALT"] == s[699]
    assert pd.read_csv(tmp_path / "or.swapped.tsv", sep="\t")["ID"].tolist() == ["flip"]


# every model kind: the Brain-ResNet (.keras), the CNN baseline (.keras), the k-mer baseline (.joblib)
@pytest.fixture(scope="module")
def model_kinds(tmp_path_factory, tiny_model):
    """{kind: (model path, predict(codes) -> per-window probabilities)}."""
    import keras

    from brainresnet_tf.models import BaselineSpec, build_model
    from brainresnet_tf.models.saving import ModelMeta, save_model
    from tests.toy_models import VARIANT_LENGTH, VARIANT_PROFILES, kmer_model, save_kmer_model

    run = tmp_path_factory.mktemp("run")
    keras.utils.set_random_seed(3)
    spec = BaselineSpec(filters=(4, 4, 4), kernel_size=5, pool_size=2, head_units=4)
    cnn = build_model("baseline", VARIANT_LENGTH, len(VARIANT_PROFILES), spec)
    cnn_path = run / "baseline" / "model.keras"
    save_model(cnn, cnn_path, ModelMeta(VARIANT_PROFILES, VARIANT_LENGTH, arch="baseline"))
    kmer = kmer_model(VARIANT_LENGTH)
    kmer_path = save_kmer_model(kmer, run, VARIANT_PROFILES, VARIANT_LENGTH)

    def keras_predict(model):
        return lambda codes: model.predict(
            np.eye(4, dtype="float32")[np.minimum(codes, 3)] * (codes < 4)[..., None], verbose=0
        )

    return {
        "resnet": (tiny_model[2], keras_predict(tiny_model[0])),
        "cnn_baseline": (cnn_path, keras_predict(cnn)),
        "kmer": (kmer_path, kmer.predict),
    }


@pytest.mark.parametrize("kind", ["resnet", "cnn_baseline", "kmer"])
def test_cli_every_model_kind_scores_genome_and_pairs(kind, model_kinds, genome_seqs, tmp_path):
    """Same columns for every kind; each diff is the model's alt minus ref prediction averaged over
    both strands (computed here by hand from the windows)."""
    from brainresnet_tf.data.sequence_sets import centred_codes
    from brainresnet_tf.io.genome import reverse_complement_codes

    genome, seqs = genome_seqs
    model_path, predict = model_kinds[kind]
    s = seqs["chr1"]
    vcf = write_vcf(tmp_path / "v.vcf", some_variants(seqs, 4))
    assert (
        _cli("--model", model_path, "--genome", genome.path, "--vcf", vcf, "--out", tmp_path / "g.tsv") == 0
    )
    genome_scores = pd.read_csv(tmp_path / "g.tsv", sep="\t")
    assert len(genome_scores) == 4 and np.isfinite(genome_scores["p_b_logit_diff"]).all()
    refs = [s[100:140], s[1000:1100], s[2000:2064]]
    alts = [r[: len(r) // 2] + other_base(r[len(r) // 2]) + r[len(r) // 2 + 1 :] for r in refs]
    table = tmp_path / "pairs.tsv"
    pd.DataFrame({"id": ["a", "b", "c"], "ref_seq": refs, "alt_seq": alts}).to_csv(
        table, sep="\t", index=False
    )
    assert _cli("--model", model_path, "--pairs", table, "--out", tmp_path / "p.tsv") == 0
    pair_scores = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert pair_scores.columns.tolist()[5:] == genome_scores.columns.tolist()[6:]
    ref_w, alt_w = centred_codes(refs, 64), centred_codes(alts, 64)
    both = [predict(w) + predict(reverse_complement_codes(w)) for w in (ref_w, alt_w)]
    np.testing.assert_allclose(
        pair_scores[["p_a_diff", "p_b_diff"]], (both[1] - both[0]) / 2, rtol=1e-4, atol=1e-6
    )
    assert (pair_scores["max_abs_diff"] > 0).any()
