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


# -- calibrated scores: --null, --null-vcf ---------------------------------------------------------
@pytest.fixture(scope="module")
def demo_null(tmp_path_factory):
    """A small demo genome with its planted variants (SNVs: motif breaks and neutral ones), the
    demo's grammar as a saved model (its training peaks in its config, as ``train`` saves them),
    300 random SNVs of the genome, and the planted variants scored with ``--null 1000``."""
    import contextlib
    import io

    from brainresnet_tf.demo.synthetic import generate_synthetic_dataset
    from brainresnet_tf.demo.synthetic_variants import make_demo_variants
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.models.saving import ModelMeta, save_model
    from brainresnet_tf.variant.null import draw_null_snvs
    from tests.toy_models import demo_grammar_model

    root = tmp_path_factory.mktemp("null_demo")
    data = generate_synthetic_dataset(
        root / "data", seed=3, n_chroms=2, chrom_length=120_000, elements_per_mb=700
    )
    indels = {"n_break_del": 0, "n_create_ins": 0, "n_buffered_del": 0, "n_neutral_indel": 0}
    make_demo_variants(
        data, root / "demo.vcf", root / "observed.tsv", seed=1, n_buffered=0, n_neutral=300, **indels
    )
    profiles = [{"name": p.name, "peaks": str(p.peaks)} for p in data.profiles]
    meta = ModelMeta([p.name for p in data.profiles], 200, extra={"config": {"profiles": profiles}})
    save_model(demo_grammar_model(200), root / "model" / "model.keras", meta)
    drawn = draw_null_snvs(Genome(data.fasta), 300, seed=99)
    rows = [f"{c}\t{p}\tr{i}\t{r}\t{a}" for i, (c, p, r, a) in enumerate(drawn.itertuples(index=False))]
    write_vcf(root / "random.vcf", rows)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert _demo_cli(root, "demo.vcf", "scores.tsv", "--null", "1000") == 0
    return root, err.getvalue()


def _demo_cli(root, vcf: str, out: str, *args: str) -> int:
    model, genome = root / "model" / "model.keras", root / "data" / "genome.fa"
    return _cli("--model", model, "--genome", genome, "--vcf", root / vcf, "--out", root / out, *args)


def test_cli_null_quantiles_on_the_demo(demo_null, capsys):
    """The issue's target: planted causal variants (motif breaks) have a median quantile of at
    least 0.95 in the profile of their cell type, random variants about 0.5; the second run
    reuses the cached null."""
    root, log = demo_null
    assert "null: scoring 1,000 background SNVs (seed 0), matched on GC and distance to 3 peak" in log
    scores = pd.read_csv(root / "scores.tsv", sep="\t")
    truth = pd.read_csv(root / "observed.tsv", sep="\t")
    assert scores["ID"].tolist() == truth["variant_id"].tolist()
    profile = "iPSC_neuron_ATAC"
    block = [f"{profile}_{k}" for k in ("ref", "alt", "diff", "logit_diff", "quantile", "pvalue")]
    start = scores.columns.get_loc(block[0])
    assert scores.columns[start : start + 6].tolist() == block and scores.columns[-1] == "max_quantile"
    q = scores[f"{profile}_quantile"].to_numpy()
    breaks, neutral = (truth["class"] == "break").to_numpy(), (truth["class"] == "neutral").to_numpy()
    assert breaks.sum() > 50 and np.median(q[breaks]) >= 0.95
    assert np.median(scores[f"{profile}_pvalue"][breaks]) <= 0.05
    assert 0.35 < np.median(q[neutral]) < 0.65
    null = json.loads((root / "scores.summary.json").read_text())["null"]
    assert null["n"] == 1000 and null["source"] == "drawn" and not null["reused"]
    assert sum(s["n"] for s in null["strata"]) == 1000 and min(s["n"] for s in null["strata"]) >= 50

    assert _demo_cli(root, "random.vcf", "random.tsv", "--null", "1000") == 0
    assert "null: reused the effects of 1,000 background SNVs" in capsys.readouterr().err
    random = pd.read_csv(root / "random.tsv", sep="\t")
    for p in ("iPSC_neuron_ATAC", "NPC_ATAC", "fetal_brain_ATAC"):
        assert 0.4 < random[f"{p}_quantile"].median() < 0.6, p

    # the random SNVs as a given null (--null-vcf): the breaks stay at the top
    assert _demo_cli(root, "demo.vcf", "vs_vcf.tsv", "--null-vcf", str(root / "random.vcf")) == 0
    assert "null: scoring the variants of" in capsys.readouterr().err
    assert np.median(pd.read_csv(root / "vs_vcf.tsv", sep="\t")[f"{profile}_quantile"][breaks]) >= 0.95


def test_cli_validate_and_heatmap_use_the_quantiles(demo_null, capsys):
    root, _ = demo_null
    scores, observed = root / "scores.tsv", root / "observed.tsv"
    args = ["validate-variants", "--scores", scores, "--observed", observed, "--top-k", "50,100"]
    assert cli_main([*map(str, args), "--out", str(root / "val"), "--score-column", "quantile"]) == 0
    summary = json.loads((root / "val" / "validation.json").read_text())
    assert summary["score_column"] == "max_quantile"
    assert all(r["odds_ratio"] > 3 for r in summary["enrichment"])
    profile = ["--profile", "iPSC_neuron_ATAC", "--comparators", "quantile,max_abs_diff"]
    assert cli_main([*map(str, args), "--out", str(root / "val2"), *profile]) == 0
    summary = json.loads((root / "val2" / "validation.json").read_text())
    assert summary["comparators"] == ["iPSC_neuron_ATAC_quantile"]  # max_abs_diff is the score column

    heat = ["variant-heatmap", "--scores", str(scores), "--out", str(root / "heat"), "--value", "quantile"]
    assert cli_main([*heat, "--top", "20", "--score-column", "max_quantile"]) == 0
    meta = json.loads((root / "heat" / "heatmap.json").read_text())
    assert meta["colour_limit"] == 1.0 and meta["n_variants"] == 20
    drawn = pd.read_csv(root / "heat" / "heatmap.tsv", sep="\t")
    assert drawn["iPSC_neuron_ATAC_quantile"].between(0, 1).all()
    capsys.readouterr()


def test_cli_null_bad_input_one_line(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    vcf = write_vcf(tmp_path / "v.vcf", some_variants(seqs, 5))
    model, out = tiny_model[2], tmp_path / "o.tsv"
    scores = ["--model", model, "--genome", genome.path, "--vcf", vcf]
    cases = [
        ([*scores, "--null", "50"], "--null 50: a null of fewer than 100 variants gives quantiles coarser "),
        ([*scores, "--null", "99"], "give --null 100 or more"),
        ([*scores, "--null", "200", "--null-vcf", vcf], "--null and --null-vcf: give one"),
        ([*scores, "--null-seed", "3"], "--null-seed go with --null N or --null-vcf FILE"),
        (
            [*scores, "--null-vcf", tmp_path / "no.vcf"],
            "--null-vcf " + str(tmp_path / "no.vcf") + ": file not",
        ),
        ([*scores, "--null-vcf", vcf], "v.vcf: 5 alleles scored, at least 100 are needed"),
        ([*scores, "--null", "200", "--null-peaks", tmp_path / "no.bed"], "no.bed: file not found"),
        (["--model", model, "--pairs", vcf, "--null", "200"], "drop --null"),
    ]
    for args, message in cases:
        assert _cli(*args, "--out", out) == 2, args
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, (args, err)
    assert _nothing_written(tmp_path, "o.")
    cache = ["--null-cache", tmp_path / "cache"]
    assert _cli(*scores, "--null", "100", "--null-peaks", "none", *cache, "--out", tmp_path / "gc.tsv") == 0
    null = json.loads((tmp_path / "gc.summary.json").read_text())["null"]
    assert null["peaks"] is None and null["matched_on"] == ["GC of the model window"]
    assert len(list((tmp_path / "cache").glob("model.keras.null-*.npz"))) == 1
    assert _cli(*scores, "--out", out) == 0  # no null: no quantile for validate or the heatmap
    capsys.readouterr()
    obs = tmp_path / "obs.tsv"
    pd.read_csv(out, sep="\t").rename(columns=str.lower).assign(significant=1).to_csv(obs, sep="\t")
    validate = ["validate-variants", "--scores", out, "--observed", obs, "--out", tmp_path / "v"]
    heat = ["variant-heatmap", "--scores", out, "--out", tmp_path / "h", "--value", "quantile"]
    for args in ([*validate, "--score-column", "quantile"], heat):
        assert cli_main(list(map(str, args))) == 2
        err = capsys.readouterr().err.strip()
        assert "no quantile columns" in err or "quantiles come from score-variants --null" in err, err
        assert "score-variants --null N" in err and "\n" not in err
