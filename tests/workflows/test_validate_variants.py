"""``brainresnet validate-variants --effect-column``: the real dsQTL tables end to end (measured
beta_alt vs a signed prediction, comparators from the observed table and other scores files)."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from brainresnet_tf.cli import main as cli_main


def _scores(dsqtl: pd.DataFrame, noise: float, seed: int, column: str = "gm_logit_diff") -> pd.DataFrame:
    """A one-profile score-variants table for the dsQTL ids: beta_alt plus noise."""
    rng = np.random.default_rng(seed)
    n = len(dsqtl)
    pred = dsqtl["beta_alt"].to_numpy() + noise * rng.normal(size=n)
    return pd.DataFrame(
        {
            "CHROM": dsqtl["chrom_hg19"],
            "POS": dsqtl["pos_hg19_1based"],
            "ID": dsqtl["id"],
            "REF": dsqtl["ref"],
            "ALT": dsqtl["alt"],
            "TYPE": "snv",
            "gm_ref": 0.5,
            "gm_alt": 0.5,
            "gm_diff": 0.0,
            column: pred,
            "max_abs_diff": np.abs(pred),
            "max_abs_profile": "gm",
        }
    )


def test_cli_real_dsqtl_tables_with_comparators(real_data, tmp_path, capsys):
    folder = real_data / "gm12878_dsqtl"
    dsqtl = pd.read_csv(folder / "dsqtl_lcl_offchr20.tsv", sep="\t")
    _scores(dsqtl, 1.0, 0).to_csv(tmp_path / "scores.tsv", sep="\t", index=False)
    _scores(dsqtl, 4.0, 1).to_csv(tmp_path / "cnn.tsv", sep="\t", index=False)
    _scores(dsqtl, 1.0, 2, "kmer_delta").iloc[:5000].to_csv(tmp_path / "kmer.tsv", sep="\t", index=False)
    out = tmp_path / "v"
    argv = ["validate-variants", "--scores", str(tmp_path / "scores.tsv"), "--out", str(out)]
    rc = cli_main(
        argv
        + ["--observed", str(folder / "dsqtl_lcl_offchr20.tsv"), "--effect-column", "beta_alt"]
        + [
            "--compare",
            f"cnn={tmp_path / 'cnn.tsv'}",
            "--compare",
            f"kmer={tmp_path / 'kmer.tsv'}:kmer_delta",
        ]
        + ["--bootstrap", "200", "--seed", "3"]
    )
    printed = capsys.readouterr().out
    assert rc == 0 and "main - cnn (all) Spearman +" in printed and "quantitative.tsv" in printed
    for name in (
        "validation.json",
        "joined.tsv",
        "quantitative.tsv",
        "quantitative_scatter.png",
        "sign_by_decile.png",
    ):
        assert (out / name).stat().st_size > 0
    assert not (out / "enrichment.tsv").exists()  # no significance column in the dsQTL table
    q = json.loads((out / "validation.json").read_text())["quantitative"]
    assert (q["n"], q["bootstrap"], q["seed"], q["effect_column"]) == (len(dsqtl), 200, 3, "beta_alt")
    assert q["main"] == q["effect_score"] == "gm_logit_diff"  # the one profile's logit_diff
    assert q["sources"]["kmer"]["n"] == 5000
    assert q["sources"]["cnn"]["vs_main"]["all"]["spearman"]["lo"] > 0
    table = pd.read_csv(out / "quantitative.tsv", sep="\t")
    assert table[["source", "subset"]].values.tolist() == [
        [s, subset] for s in ("gm_logit_diff", "cnn", "kmer") for subset in ("all", "top_half")
    ]
    assert table["n"].tolist() == [len(dsqtl), len(dsqtl) // 2, len(dsqtl), len(dsqtl) // 2, 5000, 2500]

    # the published deltaSVM table: its score column is a comparator from the observed table
    strong = pd.read_csv(folder / "deltasvm_published_strong_offchr20.tsv", sep="\t")
    rc = cli_main(
        argv[:-1]
        + [str(tmp_path / "w"), "--observed", str(folder / "deltasvm_published_strong_offchr20.tsv")]
        + ["--effect-column", "beta_alt", "--comparators", "deltasvm_published", "--bootstrap", "100"]
    )
    assert rc == 0
    q = json.loads((tmp_path / "w" / "validation.json").read_text())["quantitative"]
    published = q["sources"]["deltasvm_published"]["subsets"]["all"]
    assert published["n"] == len(strong) == 550
    expected = stats.spearmanr(strong["deltasvm_published"], strong["beta_alt"]).statistic
    assert published["spearman"]["value"] == pytest.approx(expected)
    assert published["spearman"]["value"] == pytest.approx(0.717, abs=0.001)  # the README anchor


def test_cli_effect_errors_are_one_line(tmp_path, capsys):
    scores = tmp_path / "scores.tsv"
    pd.DataFrame({"CHROM": ["chr1"], "POS": [5], "ID": ["a"], "REF": ["A"], "ALT": ["G"]}).to_csv(
        scores, sep="\t", index=False
    )
    obs = tmp_path / "obs.tsv"
    pd.DataFrame({"id": ["a"], "beta": [0.3]}).to_csv(obs, sep="\t", index=False)
    base = [
        "validate-variants",
        "--scores",
        str(scores),
        "--observed",
        str(obs),
        "--out",
        str(tmp_path / "v"),
    ]
    assert cli_main(base + ["--effect-column", "beta_alt"]) == 2
    err = capsys.readouterr().err
    assert f"{obs}: no effect column 'beta_alt' (found columns: id, beta)" in err
    assert cli_main(base + ["--compare", f"cnn={scores}"]) == 2
    assert "--compare needs --effect-column" in capsys.readouterr().err
    assert cli_main(base + ["--effect-column", "beta"]) == 2  # no per-profile effect column to default to
    assert "choose one with --profile or --effect-score" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_cli_sequence_pair_scores_join_on_id(tmp_path, capsys):
    """score-variants --pairs output (ID, SEQ_POS, no coordinates) validates against the pair
    table's measured effect, joined on the id, with a --compare file of the same kind."""
    rng = np.random.default_rng(0)
    n = 80
    ids = [f"qtl{i}" for i in range(n)]
    beta = rng.normal(size=n)
    pd.DataFrame({"id": ids, "ref_seq": "ACGTACGT", "alt_seq": "ACGAACGT", "beta": beta}).to_csv(
        tmp_path / "pairs.tsv", sep="\t", index=False
    )

    def pair_scores(pred: np.ndarray, path: str) -> None:
        order = rng.permutation(n)  # row order differs from the pair table: the join is by id
        pd.DataFrame(
            {"ID": np.array(ids)[order], "SEQ_POS": 4, "REF": "T", "ALT": "A", "TYPE": "snv"}
            | {"gm_logit_diff": pred[order], "max_abs_diff": np.abs(pred[order])}
        ).to_csv(tmp_path / path, sep="\t", index=False)

    main_pred = beta + 0.5 * rng.normal(size=n)
    pair_scores(main_pred, "scores.tsv")
    pair_scores(-beta, "kmer.tsv")
    rc = cli_main(
        [
            "validate-variants",
            "--scores",
            str(tmp_path / "scores.tsv"),
            "--observed",
            str(tmp_path / "pairs.tsv"),
        ]
        + ["--effect-column", "beta", "--compare", f"kmer={tmp_path / 'kmer.tsv'}", "--bootstrap", "50"]
        + ["--out", str(tmp_path / "v")]
    )
    assert rc == 0, capsys.readouterr().err
    q = json.loads((tmp_path / "v" / "validation.json").read_text())["quantitative"]
    main = q["sources"]["gm_logit_diff"]["subsets"]["all"]
    assert main["n"] == n
    assert main["spearman"]["value"] == pytest.approx(stats.spearmanr(main_pred, beta).statistic)
    assert q["sources"]["kmer"]["subsets"]["all"]["spearman"]["value"] == pytest.approx(-1.0)
