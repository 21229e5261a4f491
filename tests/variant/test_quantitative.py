"""Quantitative validation: bootstrap metrics of signed predictions vs measured effects."""

import time

import numpy as np
import pytest
from scipy import stats

from brainresnet_tf.variant.quantitative import (
    _Effect,
    _metrics,
    _Values,
    point_metrics,
    quantitative_table,
    quantitative_validation,
    resample_counts,
    sign_by_decile,
    top_half,
)


def _noisy(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(effect ~ N(0, 1), prediction = effect + N(0, noise^2))."""
    rng = np.random.default_rng(seed)
    effect = rng.normal(size=n)
    return effect, effect + noise * rng.normal(size=n)


def _true_spearman(noise: float) -> float:
    """Spearman of a bivariate normal with Pearson r = 1 / sqrt(1 + noise^2)."""
    return 6 / np.pi * np.arcsin(1 / np.sqrt(1 + noise**2) / 2)


@pytest.mark.parametrize("decimals", [None, 1])
def test_weighted_metrics_equal_scipy_on_the_resampled_variants(decimals):
    """Each row of counts is a resample: the vectorised Spearman (mid-ranks from cumulative
    counts), Pearson and sign agreement equal scipy / numpy on the expanded resample, also with
    ties and zeros (rounded values)."""
    effect, pred = _noisy(300, 1.0, seed=1)
    pred = pred + 2.0  # a shifted prediction: centring must not matter
    if decimals is not None:
        effect, pred = np.round(effect, decimals), np.round(pred, decimals)
        assert len(np.unique(pred)) < len(pred) and (effect == 0).any()
    w = next(resample_counts(len(effect), 8, seed=3))
    x, y = _Values.of(pred), _Values.of(effect)
    got = _metrics(x, y, _Effect.of(w, y))
    for b in range(len(w)):
        idx = np.repeat(np.arange(len(effect)), w[b].astype(int))
        px, py = pred[idx], effect[idx]
        ok = (px != 0) & (py != 0)
        assert got["spearman"][b] == pytest.approx(stats.spearmanr(px, py).statistic, abs=1e-5)
        assert got["pearson"][b] == pytest.approx(stats.pearsonr(px, py).statistic, abs=1e-5)
        assert got["sign_agreement"][b] == pytest.approx(np.mean(np.sign(px[ok]) == np.sign(py[ok])))


def test_resamples_are_counts_of_n_draws_and_reproducible():
    blocks = list(resample_counts(7, 50, seed=5))
    counts = np.concatenate(blocks)
    assert counts.shape == (50, 7) and (counts.sum(axis=1) == 7).all()
    np.testing.assert_array_equal(counts, np.concatenate(list(resample_counts(7, 50, seed=5))))
    assert not np.array_equal(counts, np.concatenate(list(resample_counts(7, 50, seed=6))))


def test_known_correlation_inside_interval_and_interval_covers_truth():
    noise = 1.0
    effect, pred = _noisy(2000, noise, seed=0)
    res = quantitative_validation(effect, {"model": pred}, n_boot=500, seed=0)
    sp = res["sources"]["model"]["subsets"]["all"]["spearman"]
    pe = res["sources"]["model"]["subsets"]["all"]["pearson"]
    assert sp["value"] == pytest.approx(stats.spearmanr(pred, effect).statistic)
    assert sp["lo"] < sp["value"] < sp["hi"] and 0.01 < sp["hi"] - sp["lo"] < 0.1
    assert sp["lo"] < _true_spearman(noise) < sp["hi"]
    assert pe["lo"] < 1 / np.sqrt(1 + noise**2) < pe["hi"]


def test_interval_coverage_near_95_percent():
    """Over 40 independent data sets the 95% interval covers the true Spearman ~95% of the time
    (a too narrow interval, e.g. from unpaired or degenerate resamples, would fail)."""
    noise, covered = 1.5, 0
    for seed in range(40):
        effect, pred = _noisy(300, noise, seed=100 + seed)
        sp = quantitative_validation(effect, {"m": pred}, n_boot=300, seed=seed)["sources"]["m"]
        sp = sp["subsets"]["all"]["spearman"]
        covered += sp["lo"] <= _true_spearman(noise) <= sp["hi"]
    assert covered >= 34  # 95% of 40 = 38; binomial 1st percentile ~ 34


def test_perfect_and_anticorrelated_predictors():
    effect, _ = _noisy(500, 0.0, seed=2)
    res = quantitative_validation(effect, {"perfect": 3 * effect, "anti": -effect + 0.01}, n_boot=200)
    perfect = res["sources"]["perfect"]["subsets"]
    for subset in ("all", "top_half"):
        assert perfect[subset]["sign_agreement"] == {"value": 1.0, "lo": 1.0, "hi": 1.0}
        assert perfect[subset]["spearman"]["value"] == pytest.approx(1.0)
        assert perfect[subset]["spearman"]["lo"] == pytest.approx(1.0)
    anti = res["sources"]["anti"]["subsets"]["all"]
    assert anti["sign_agreement"]["value"] < 0.5 and anti["sign_agreement"]["hi"] < 0.5
    assert anti["spearman"]["value"] < -0.99
    # paired difference: the perfect main predictor beats the anti-correlated one in every resample
    diff = res["sources"]["anti"]["vs_main"]["all"]["spearman"]
    assert diff["lo"] > 1.9 and diff["p_main_better"] == 1.0


def test_paired_difference_excludes_zero_for_a_better_predictor_and_covers_zero_for_equals():
    rng = np.random.default_rng(7)
    effect = rng.normal(size=3000)
    good = effect + 0.8 * rng.normal(size=3000)
    bad = effect + 2.0 * rng.normal(size=3000)
    equal = effect + 0.8 * rng.normal(size=3000)
    res = quantitative_validation(effect, {"good": good, "bad": bad, "equal": equal}, n_boot=500, seed=1)
    vs_bad = res["sources"]["bad"]["vs_main"]
    vs_equal = res["sources"]["equal"]["vs_main"]
    for metric in ("spearman", "pearson", "sign_agreement"):
        d = vs_bad["all"][metric]
        assert d["lo"] > 0 and d["diff"] == pytest.approx(d["main"] - d["comparator"])
        assert d["p_main_better"] > 0.99
        e = vs_equal["all"][metric]
        assert e["lo"] < 0 < e["hi"] and 0.02 < e["p_main_better"] < 0.98
    # the main prediction's values beside a comparator on all variants are its own
    main_all = res["sources"]["good"]["subsets"]["all"]["spearman"]["value"]
    assert vs_bad["all"]["spearman"]["main"] == main_all
    # paired: the difference's interval is narrower than the sum of the two half-widths
    sb = res["sources"]["bad"]["subsets"]["all"]["spearman"]
    sg = res["sources"]["good"]["subsets"]["all"]["spearman"]
    width = vs_bad["all"]["spearman"]["hi"] - vs_bad["all"]["spearman"]["lo"]
    assert width < (sb["hi"] - sb["lo"]) + (sg["hi"] - sg["lo"])


def test_identical_comparator_has_zero_difference():
    effect, pred = _noisy(400, 1.0, seed=4)
    d = quantitative_validation(effect, {"a": pred, "b": pred.copy()}, n_boot=100)
    d = d["sources"]["b"]["vs_main"]
    for subset in ("all", "top_half"):
        assert d[subset]["spearman"]["lo"] == d[subset]["spearman"]["hi"] == 0.0
        assert d[subset]["spearman"]["p_main_better"] == 0.0


def test_top_half_by_absolute_prediction_on_a_hand_made_example():
    pred = np.array([0.1, -3.0, 2.0, 0.0, -0.5, 5.0, 1.0])
    effect = np.array([1.0, -1.0, -2.0, 3.0, -1.0, 4.0, -0.5])
    # n // 2 = 3 largest |pred|: 5.0 (row 5), -3.0 (row 1), 2.0 (row 2)
    np.testing.assert_array_equal(np.flatnonzero(top_half(pred)), [1, 2, 5])
    np.testing.assert_array_equal(np.flatnonzero(top_half(np.array([1.0, -1.0, 1.0, -1.0]))), [0, 1])
    res = quantitative_validation(effect, {"m": pred}, n_boot=50)
    top = res["sources"]["m"]["subsets"]["top_half"]
    # signs on rows 1, 2, 5: (-,-) agree, (+,-) disagree, (+,+) agree
    assert top["n"] == 3 and top["n_sign"] == 3 and top["sign_agreement"]["value"] == pytest.approx(2 / 3)
    assert top["spearman"]["value"] == pytest.approx(stats.spearmanr([-3, 2, 5], [-1, -2, 4]).statistic)
    everything = res["sources"]["m"]["subsets"]["all"]
    # all rows: row 3 has prediction 0 (left out of signs); agree on 0, 1, 4, 5; disagree on 2, 6
    assert everything["n"] == 7 and everything["n_sign"] == 6
    assert everything["sign_agreement"]["value"] == pytest.approx(4 / 6)


def test_missing_values_counted_and_comparators_paired_on_shared_variants():
    effect, pred = _noisy(200, 1.0, seed=8)
    effect[:5] = np.nan
    pred[5:8] = np.nan
    other = pred + 0.1
    other[10:60] = np.nan
    res = quantitative_validation(effect, {"m": pred, "o": other}, n_boot=100)
    assert (res["n_input"], res["n_effect_missing"], res["n_prediction_missing"], res["n"]) == (
        200,
        5,
        3,
        192,
    )
    o = res["sources"]["o"]
    assert o["n"] == 142 and o["subsets"]["all"]["n"] == 142
    keep = np.isfinite(effect) & np.isfinite(pred) & np.isfinite(other)
    main_on_shared = stats.spearmanr(pred[keep], effect[keep]).statistic
    assert o["vs_main"]["all"]["spearman"]["main"] == pytest.approx(main_on_shared)
    assert res["sources"]["m"]["subsets"]["all"]["spearman"]["value"] != pytest.approx(main_on_shared)


def test_majority_sign_reference_and_deciles():
    effect = np.array([1.0] * 7 + [-1.0] * 3 + [0.0])
    res = quantitative_validation(effect, {"m": np.linspace(-1, 1, 11)}, n_boot=10)
    assert res["majority_sign"] == {"sign": "positive", "rate": 0.7, "n": 10}
    assert point_metrics(np.ones(3), np.array([-1.0, -2.0, 3.0]))["majority_sign_rate"] == pytest.approx(
        2 / 3
    )
    pred = np.arange(1, 101, dtype=float) * np.where(np.arange(100) % 2, 1, -1)
    rows = sign_by_decile(pred, np.abs(pred))  # every negative prediction disagrees
    assert [r["decile"] for r in rows] == list(range(1, 11)) and all(r["n"] == 10 for r in rows)
    assert rows[0]["mean_abs_prediction"] == pytest.approx(5.5) and rows[0]["sign_agreement"] == 0.5


def test_table_has_a_row_per_source_and_subset():
    effect, pred = _noisy(300, 1.0, seed=9)
    res = quantitative_validation(effect, {"m": pred, "c": pred + 1.0}, n_boot=50)
    table = quantitative_table(res)
    assert table[["source", "subset"]].values.tolist() == [
        ["m", "all"],
        ["m", "top_half"],
        ["c", "all"],
        ["c", "top_half"],
    ]
    assert table["diff_spearman"].isna().tolist() == [True, True, False, False]
    for metric in ("spearman", "pearson", "sign_agreement"):
        assert (table[f"{metric}_lo"] <= table[metric]).all() and (
            table[metric] <= table[f"{metric}_hi"]
        ).all()


def test_bootstrap_of_5000_variants_and_1000_resamples_is_fast():
    effect, pred = _noisy(5000, 1.0, seed=10)
    started = time.perf_counter()
    res = quantitative_validation(effect, {"m": pred}, n_boot=1000, seed=0)
    assert time.perf_counter() - started < 10 and res["bootstrap"] == 1000
