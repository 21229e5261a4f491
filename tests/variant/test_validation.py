"""Validation of variant scores against a hand-made allelic-imbalance table."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from brainresnet_tf.cli import main as cli_main
from brainresnet_tf.errors import InputError
from brainresnet_tf.variant.validation import (
    enrichment,
    join_scores,
    predicted_log_ratio,
    sign_agreement,
    spearman,
    standardize_observed,
    validate_variants,
)


def _scores() -> pd.DataFrame:
    """Ten variants; profile p: ref/alt probabilities; max_abs_diff is |alt - ref|."""
    ref = np.array([0.9, 0.8, 0.2, 0.7, 0.5, 0.5, 0.4, 0.6, 0.3, 0.5])
    alt = np.array([0.1, 0.3, 0.6, 0.5, 0.44, 0.54, 0.42, 0.58, 0.31, 0.5])
    df = pd.DataFrame(
        {
            "CHROM": ["chr1"] * 10,
            "POS": np.arange(10) * 100 + 1,
            "ID": [f"v{i}" for i in range(10)],
            "REF": list("ACGTACGTAC"),
            "ALT": list("CGTACGTACG"),
            "p_ref": ref,
            "p_alt": alt,
            "p_diff": alt - ref,
        }
    )
    df["max_abs_diff"] = np.abs(df["p_diff"])
    df["max_abs_profile"] = "p"
    df["comparator"] = np.arange(10)[::-1] % 4  # an unrelated score
    return df


def _observed() -> pd.DataFrame:
    sig = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    ref_reads = [30, 25, 8, 20, 30, 21, 19, 22, 20, 20]
    alt_reads = [6, 10, 28, 18, 12, 19, 21, 18, 20, 20]
    return pd.DataFrame(
        {
            "Chrom": ["1"] * 10,
            "Pos": np.arange(10) * 100 + 1,
            "Ref": list("ACGTACGTAC"),
            "Alt": list("CGTACGTACG"),
            "ref_reads": ref_reads,
            "alt_reads": alt_reads,
            "Significant": sig,
            "truth": ["x"] * 10,
        }
    )


def test_enrichment_matches_scipy_on_hand_built_table():
    scores = _scores()["max_abs_diff"].to_numpy()
    sig = _observed()["Significant"].to_numpy().astype(bool)
    table = enrichment(scores, sig, [3, 5, 10, 0])
    assert table["k"].tolist() == [3, 5]  # k >= n and k < 1 are skipped
    # top 3 by |diff|: v0 (0.8), v1 (0.5), v2 (0.4) -> all significant; rest: 1 of 7.
    row = table.iloc[0]
    assert (row["sig_top"], row["nonsig_top"], row["sig_rest"], row["nonsig_rest"]) == (3, 0, 1, 6)
    odds, p = stats.fisher_exact([[3, 0], [1, 6]])
    assert row["odds_ratio"] == odds and row["p_value"] == pytest.approx(p)
    assert row["fold_enrichment"] == pytest.approx((3 / 3) / (4 / 10))
    # top 5 adds v3 (|diff| 0.2, not significant) and v4 (0.06, significant)
    row = table.iloc[1]
    assert (row["sig_top"], row["nonsig_top"], row["sig_rest"], row["nonsig_rest"]) == (4, 1, 0, 5)
    odds, p = stats.fisher_exact([[4, 1], [0, 5]])
    assert row["odds_ratio"] == odds and row["p_value"] == pytest.approx(p)


def test_quantile_ties_ranked_by_their_effect(tmp_path):
    """Quantiles tie at 1 beyond the whole null: the larger effect ranks first (not file order);
    'quantile' stands for max_quantile, or <profile>_quantile with a profile."""
    sig = np.array([0, 0, 1, 1, 0, 0], bool)
    quantile = np.array([1.0, 1.0, 1.0, 1.0, 0.5, 0.2])
    effect = np.array([0.5, -0.6, 3.0, -2.0, 0.1, 0.0])
    assert enrichment(quantile, sig, [2])["sig_top"].tolist() == [0]  # file order: v0, v1
    assert enrichment(quantile, sig, [2], tiebreak=effect)["sig_top"].tolist() == [2]
    df = _scores().assign(p_logit_diff=lambda d: d["p_diff"] * 4)
    df["p_quantile"] = df["max_quantile"] = np.where(df["max_abs_diff"] > 0.3, 1.0, 0.5)
    df.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    _observed().to_csv(tmp_path / "o.tsv", sep="\t", index=False)
    summary = validate_variants(tmp_path / "s.tsv", tmp_path / "o.tsv", tmp_path / "v", "quantile", [], [2])
    assert summary["score_column"] == "max_quantile" and summary["enrichment"][0]["sig_top"] == 2
    summary = validate_variants(
        tmp_path / "s.tsv", tmp_path / "o.tsv", tmp_path / "v", "max_abs_diff", ["quantile"], [2], "p"
    )
    assert summary["comparators"] == ["p_quantile"]
    with pytest.raises(InputError, match="no column 'q_quantile' for 'quantile'"):
        validate_variants(tmp_path / "s.tsv", tmp_path / "o.tsv", tmp_path / "v", "quantile", [], [2], "q")


def test_spearman_and_sign_agreement():
    joined = join_scores(_scores(), standardize_observed(_observed()))
    assert len(joined) == 10 and joined["truth"].eq("x").all()  # extra columns carried along
    pred = predicted_log_ratio(joined, "p")
    np.testing.assert_allclose(pred, np.log(_scores()["p_ref"] / _scores()["p_alt"]))
    obs = joined["obs_log_ratio"].to_numpy()
    np.testing.assert_allclose(
        obs, np.log((np.array(_observed()["ref_reads"]) + 0.5) / (np.array(_observed()["alt_reads"]) + 0.5))
    )
    res = spearman(pred, obs)
    expected = stats.spearmanr(pred, obs)
    assert res["rho"] == pytest.approx(expected.statistic) and res["n"] == 10
    # hand count on significant v0, v1, v2, v4: pred signs +, +, -, + ; observed +, +, -, +
    sig = joined["significant"].to_numpy(bool)
    agree = sign_agreement(pred[sig], obs[sig])
    assert agree == {
        "n": 4,
        "agree": 4,
        "fraction": 1.0,
        "p_value": pytest.approx(stats.binomtest(4, 4).pvalue),
    }
    # zeros are left out: v8 (observed 20/20) and v9 (pred 0.5/0.5, observed 20/20)
    full = sign_agreement(pred, obs)
    assert full["n"] == 8
    # per-variant max_abs_profile gives the same as naming the only profile
    np.testing.assert_allclose(predicted_log_ratio(joined), pred)


def test_join_by_id_and_log_ratio_column():
    obs = pd.DataFrame(
        {
            "variant_id": ["v1", "v3", "nope"],
            "log_ratio": [0.5, -0.2, 1.0],
            "significant": ["true", "false", "true"],
        }
    )
    joined = join_scores(_scores(), standardize_observed(obs))
    assert joined["ID"].tolist() == ["v1", "v3"]
    assert joined["significant"].tolist() == [True, False]
    with pytest.raises(InputError, match="significant"):
        standardize_observed(obs.drop(columns="significant"), "obs.tsv")
    with pytest.raises(InputError, match="ref_reads and alt_reads, or log_ratio"):
        standardize_observed(obs.drop(columns="log_ratio"), "obs.tsv")


def test_validate_variants_writes_outputs_and_cli(tmp_path, capsys):
    _scores().to_csv(tmp_path / "scores.tsv", sep="\t", index=False)
    _observed().to_csv(tmp_path / "observed.tsv", sep="\t", index=False)
    summary = validate_variants(
        tmp_path / "scores.tsv",
        tmp_path / "observed.tsv",
        tmp_path / "v",
        comparators=["comparator"],
        top_k=[3, 5],
        profile="p",
    )
    for name in ("enrichment.tsv", "validation.json", "joined.tsv", "enrichment.png", "scatter.png"):
        assert (tmp_path / "v" / name).stat().st_size > 0
    table = pd.read_csv(tmp_path / "v" / "enrichment.tsv", sep="\t")
    assert set(table["method"]) == {"max_abs_diff", "comparator"} and len(table) == 4
    saved = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert saved["n_joined"] == 10 and saved["n_significant"] == 4
    assert saved["sign_agreement_significant"]["fraction"] == 1.0
    assert summary["enrichment"][0]["sig_top"] == 3
    rc = cli_main(
        [
            "validate-variants",
            "--scores",
            str(tmp_path / "scores.tsv"),
            "--observed",
            str(tmp_path / "observed.tsv"),
            "--out",
            str(tmp_path / "cli"),
            "--top-k",
            "3,5",
            "--comparators",
            "comparator",
            "--profile",
            "p",
        ]
    )
    assert rc == 0 and "sign agreement" in capsys.readouterr().out
    assert (
        cli_main(
            [
                "validate-variants",
                "--scores",
                str(tmp_path / "scores.tsv"),
                "--observed",
                str(tmp_path / "observed.tsv"),
                "--out",
                str(tmp_path / "x"),
                "--score-column",
                "nope",
            ]
        )
        == 2
    )


@pytest.mark.parametrize("bad", [float("nan"), 2, -1, "yes", "maybe"])
def test_significance_must_be_boolean_or_01(tmp_path, bad):
    """NaN, 2 and -1 used to count as significant (bool(nan) is True); now one line naming the
    file, the row and the value."""
    obs = _observed().astype({"Significant": object})
    obs.loc[6, "Significant"] = bad
    path = tmp_path / "obs.tsv"
    obs.to_csv(path, sep="\t", index=False)
    _scores().to_csv(tmp_path / "scores.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"obs\.tsv:8: row 7: column 'Significant' has .* \(expected 0/1"):
        validate_variants(tmp_path / "scores.tsv", path, tmp_path / "v", top_k=[3])
    assert not (tmp_path / "v").exists()
    for good in (True, "TRUE", "false", 1.0, "0"):
        obs.loc[6, "Significant"] = good
        assert standardize_observed(obs)["significant"].dtype == bool


def test_bad_reads_and_positions_name_the_row():
    obs = _observed().astype({"ref_reads": object, "Pos": object})
    obs.loc[2, "ref_reads"] = "many"
    with pytest.raises(
        InputError, match=r"o\.tsv:4: row 3: column 'ref_reads' has 'many' \(expected a finite number >= 0"
    ):
        standardize_observed(obs, "o.tsv")
    obs.loc[2, "ref_reads"] = 3
    obs.loc[4, "Pos"] = 2.5
    with pytest.raises(InputError, match=r"row 5: column 'Pos' has 2.5 \(expected a 1-based integer"):
        standardize_observed(obs, "o.tsv")


def test_duplicates_dropped_counted_and_listed(tmp_path):
    """A variant twice in the scores (an old VCF scored twice) or in the observed table is joined
    once; the repeats are counted in validation.json and listed in skipped.tsv."""
    scores = pd.concat([_scores(), _scores().iloc[[0]]], ignore_index=True)
    obs = _observed()
    changed = obs.iloc[[2]].assign(ref_reads=99)
    obs = pd.concat([obs, obs.iloc[[1]], changed], ignore_index=True)
    scores.to_csv(tmp_path / "scores.tsv", sep="\t", index=False)
    obs.to_csv(tmp_path / "obs.tsv", sep="\t", index=False)
    summary = validate_variants(tmp_path / "scores.tsv", tmp_path / "obs.tsv", tmp_path / "v", top_k=[3])
    assert summary["n_joined"] == 10 and summary["n_significant"] == 4
    assert summary["n_scores_duplicates"] == 1 and summary["n_observed_duplicates"] == 2
    skipped = pd.read_csv(tmp_path / "v" / "skipped.tsv", sep="\t")
    assert skipped["row"].tolist() == [11, 11, 12] and set(skipped["reason"]) == {"duplicate"}
    assert skipped["key"].iloc[1] == "1:101 C>G"
    assert "same values, dropped" in skipped["message"].iloc[1]
    assert "different values, row 3 kept" in skipped["message"].iloc[2]
    joined = pd.read_csv(tmp_path / "v" / "joined.tsv", sep="\t")
    assert joined.loc[joined["ID"] == "v2", "ref_reads"].tolist() == [8]  # the first row kept


def test_indel_rows_join_and_are_reported_by_type(tmp_path):
    scores, obs = _scores(), _observed()
    scores.loc[[1, 5], "ALT"] = ["CTT", "C"]  # an insertion and a deletion
    scores.loc[5, "REF"] = "CGA"
    obs.loc[[1, 5], "Alt"] = ["ctt", "C"]
    obs.loc[5, "Ref"] = "CGA"
    scores.to_csv(tmp_path / "scores.tsv", sep="\t", index=False)
    obs.to_csv(tmp_path / "obs.tsv", sep="\t", index=False)
    summary = validate_variants(tmp_path / "scores.tsv", tmp_path / "obs.tsv", tmp_path / "v", top_k=[1])
    assert summary["n_joined"] == 10
    assert summary["by_type"]["indel"]["n"] == 2 and summary["by_type"]["indel"]["n_significant"] == 1
    assert summary["by_type"]["snv"]["n"] == 8
    assert summary["by_type"]["indel"]["enrichment"][0]["sig_top"] == 1  # v1: |diff| 0.5 > v5's 0.04
