"""validate-variants with a measured effect column (QTL beta, log2 allelic ratio): reading, joining,
comparators from either table and from other scores files, outputs."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from brainresnet_tf.errors import InputError
from brainresnet_tf.variant.validation import (
    effect_score_column,
    format_summary,
    parse_compare,
    standardize_observed,
    validate_variants,
)

N = 60


def _scores(noise: float = 0.3, seed: int = 0, profiles=("gm",)) -> pd.DataFrame:
    """A score-variants table whose ``gm_logit_diff`` is the effect of _observed() plus noise."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "CHROM": ["chr1"] * N,
            "POS": np.arange(N) * 10 + 1,
            "ID": [f"rs{i}" for i in range(N)],
            "REF": ["A"] * N,
            "ALT": ["G"] * N,
            "TYPE": ["snv"] * N,
        }
    )
    for p in profiles:
        df[f"{p}_logit_diff"] = _effect() + noise * rng.normal(size=N)
        df[f"{p}_ref"], df[f"{p}_alt"] = 0.5, 0.5 + 0.1 * np.tanh(df[f"{p}_logit_diff"])
        df[f"{p}_diff"] = df[f"{p}_alt"] - df[f"{p}_ref"]
    df["max_abs_diff"] = 0.1
    df["max_abs_profile"] = profiles[0]
    return df


def _effect() -> np.ndarray:
    return np.random.default_rng(42).normal(size=N)


def _observed() -> pd.DataFrame:
    """The dsQTL table's shape: id, beta_alt, se, p_value and a published comparator score."""
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "id": [f"rs{i}" for i in range(N)],
            "beta_alt": _effect(),
            "se": 0.1,
            "p_value": 0.01,
            "deltasvm_published": _effect() + 2.0 * rng.normal(size=N),
        }
    )


def _write(tmp_path, scores: pd.DataFrame, obs: pd.DataFrame) -> tuple:
    scores.to_csv(tmp_path / "scores.tsv", sep="\t", index=False)
    obs.to_csv(tmp_path / "obs.tsv", sep="\t", index=False)
    return tmp_path / "scores.tsv", tmp_path / "obs.tsv"


def test_observed_table_without_significant_or_reads_works_with_an_effect_column():
    obs = standardize_observed(_observed(), "obs.tsv", effect_column="BETA_ALT")  # any case
    assert "significant" not in obs and "obs_log_ratio" not in obs
    np.testing.assert_array_equal(obs["obs_effect"], _observed()["beta_alt"])
    assert "beta_alt" not in obs and "deltasvm_published" in obs  # carried, effect not twice
    with pytest.raises(InputError, match="significant"):
        standardize_observed(_observed().assign(log_ratio=0.1), "obs.tsv")  # unchanged without it


def test_missing_effect_column_names_file_and_columns():
    with pytest.raises(InputError) as err:
        standardize_observed(_observed(), "data/dsqtl.tsv", effect_column="beta")
    message = str(err.value)
    assert "\n" not in message and message.startswith("data/dsqtl.tsv: no effect column 'beta'")
    assert "found columns: id, beta_alt, se, p_value, deltasvm_published" in message


@pytest.mark.parametrize("bad", ["large", float("inf"), "-inf"])
def test_non_numeric_or_infinite_effect_names_the_row(bad):
    obs = _observed().astype({"beta_alt": object})
    obs.loc[3, "beta_alt"] = bad
    with pytest.raises(
        InputError, match=r"^obs\.tsv:5: row 4: column 'beta_alt' has .*expected a finite number"
    ):
        standardize_observed(obs, "obs.tsv", effect_column="beta_alt")


def test_nan_effects_are_dropped_and_counted(tmp_path):
    obs = _observed()
    obs.loc[[2, 7, 11], "beta_alt"] = np.nan
    scores, observed = _write(tmp_path, _scores(), obs)
    summary = validate_variants(scores, observed, tmp_path / "v", effect_column="beta_alt", n_boot=50)
    q = summary["quantitative"]
    assert (q["n_input"], q["n_effect_missing"], q["n"]) == (N, 3, N - 3)
    keep = np.isfinite(obs["beta_alt"].to_numpy())
    expected = stats.spearmanr(_scores()["gm_logit_diff"][keep], obs["beta_alt"][keep]).statistic
    assert q["sources"]["gm_logit_diff"]["subsets"]["all"]["spearman"]["value"] == pytest.approx(expected)


def test_effect_score_column_defaults():
    one = list(_scores().columns)
    assert effect_score_column(one, one) == "gm_logit_diff"
    two = list(_scores(profiles=("gm", "k562")).columns)
    assert effect_score_column(two, two, profile="k562") == "k562_logit_diff"
    signal = ["CHROM", "a_ref", "a_alt", "a_log2fc"]
    assert effect_score_column(signal, signal) == "a_log2fc"
    with pytest.raises(InputError, match="2 per-profile effect columns .*--profile or --effect-score"):
        effect_score_column(two, two)
    with pytest.raises(InputError, match="no column nope_logit_diff or nope_log2fc"):
        effect_score_column(two, two, profile="nope")
    assert effect_score_column(two, [*two, "deltasvm_published"], explicit="deltasvm_published")
    with pytest.raises(InputError, match="--effect-score 'x': no such column"):
        effect_score_column(two, two, explicit="x")


def test_parse_compare(tmp_path):
    assert parse_compare("cnn=runs/cnn.tsv") == ("cnn", tmp_path.__class__("runs/cnn.tsv"), None)
    name, path, column = parse_compare("kmer=k.tsv:gm_logit_diff")
    assert (name, str(path), column) == ("kmer", "k.tsv", "gm_logit_diff")
    odd = tmp_path / "a:b.tsv"
    odd.write_text("x\n")
    assert parse_compare(f"z={odd}") == ("z", odd, None)  # an existing path is taken whole
    for bad in ("cnn", "=x.tsv", "cnn="):
        with pytest.raises(InputError, match="expected NAME=PATH"):
            parse_compare(bad)


def test_comparators_from_observed_table_and_compare_files(tmp_path):
    scores, observed = _write(tmp_path, _scores(noise=0.3), _observed())
    worse = _scores(noise=3.0, seed=5).rename(columns={"gm_logit_diff": "kmer_delta"})
    worse = worse.iloc[::-1].iloc[: N - 10]  # another row order, 10 variants missing
    worse.to_csv(tmp_path / "kmer.tsv", sep="\t", index=False)
    _scores(noise=0.3, seed=9).to_csv(tmp_path / "cnn.tsv", sep="\t", index=False)
    summary = validate_variants(
        scores,
        observed,
        tmp_path / "v",
        comparators=["deltasvm_published"],
        effect_column="beta_alt",
        compare=[("kmer", tmp_path / "kmer.tsv", "kmer_delta"), ("cnn", tmp_path / "cnn.tsv", None)],
        n_boot=300,
    )
    q = summary["quantitative"]
    assert list(q["sources"]) == ["gm_logit_diff", "deltasvm_published", "kmer", "cnn"]
    assert q["compare_files"]["kmer"]["n_matched"] == N - 10
    assert q["compare_files"]["cnn"]["column"] == "gm_logit_diff"  # defaults to the effect score
    kmer = q["sources"]["kmer"]
    assert kmer["n"] == N - 10
    by_id = worse.set_index("ID")["kmer_delta"]
    joined = pd.read_csv(tmp_path / "v" / "joined.tsv", sep="\t")
    np.testing.assert_allclose(joined["kmer"], by_id.reindex(joined["ID"]).to_numpy(), rtol=1e-5)
    assert kmer["vs_main"]["all"]["spearman"]["lo"] > 0  # the main model is clearly better
    cnn = q["sources"]["cnn"]["vs_main"]["all"]["spearman"]
    assert cnn["lo"] < 0 < cnn["hi"]  # as good as the main model
    published = q["sources"]["deltasvm_published"]["subsets"]["all"]
    rho = stats.spearmanr(_observed()["deltasvm_published"], _observed()["beta_alt"]).statistic
    assert published["spearman"]["value"] == pytest.approx(rho)
    table = pd.read_csv(tmp_path / "v" / "quantitative.tsv", sep="\t")
    assert len(table) == 8 and set(table["subset"]) == {"all", "top_half"}
    saved = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert saved["quantitative"]["sources"]["kmer"]["n"] == N - 10
    assert "significant" not in summary and not (tmp_path / "v" / "enrichment.tsv").exists()
    for name in ("quantitative_scatter.png", "sign_by_decile.png", "joined.tsv", "skipped.tsv"):
        assert (tmp_path / "v" / name).stat().st_size > 0
    text = format_summary(summary)
    assert "main - kmer (all) Spearman +" in text and "always-" in text


def test_coordinate_join_with_significance_runs_both_analyses(tmp_path):
    scores = _scores()
    obs = pd.DataFrame(
        {
            "chrom": ["1"] * N,  # chr1 and 1 join
            "pos": scores["POS"],
            "ref": ["a"] * N,
            "alt": ["G"] * N,
            "log2_ratio": _effect(),
            "ref_reads": 10 + np.arange(N) % 7,
            "alt_reads": 10,
            "significant": np.arange(N) % 3 == 0,
        }
    )
    scores_path, obs_path = _write(tmp_path, scores, obs)
    summary = validate_variants(
        scores_path, obs_path, tmp_path / "v", top_k=[10], effect_column="log2_ratio", n_boot=50
    )
    assert summary["n_joined"] == N and summary["n_significant"] == N // 3
    assert summary["enrichment"][0]["k"] == 10 and summary["quantitative"]["n"] == N
    for name in ("enrichment.tsv", "enrichment.png", "scatter.png", "quantitative.tsv"):
        assert name in summary["outputs"] and (tmp_path / "v" / name).exists()


def test_non_numeric_prediction_or_compare_file_names_the_row(tmp_path):
    obs = _observed().astype({"deltasvm_published": object})
    obs.loc[4, "deltasvm_published"] = "n/a?"
    scores, observed = _write(tmp_path, _scores(), obs)
    with pytest.raises(InputError, match=r"obs\.tsv:6: row 5: column 'deltasvm_published' has 'n/a\?'"):
        validate_variants(
            scores, observed, tmp_path / "v", comparators=["deltasvm_published"], effect_column="beta_alt"
        )
    _scores().drop(columns="gm_logit_diff").to_csv(tmp_path / "cnn.tsv", sep="\t", index=False)
    scores, observed = _write(tmp_path, _scores(), _observed())
    with pytest.raises(InputError, match=r"cnn\.tsv: no column 'gm_logit_diff' for --compare cnn \(found"):
        validate_variants(
            scores,
            observed,
            tmp_path / "v",
            effect_column="beta_alt",
            compare=[("cnn", tmp_path / "cnn.tsv", None)],
        )
    assert not (tmp_path / "v").exists()  # nothing written before the inputs are checked
