"""Signed variant-effect predictions vs measured effects (QTL beta, allelic log2 ratio).

Sign convention: the measured effect and every prediction are ALT relative to REF, positive when
ALT is higher (more accessible): a QTL's ``beta`` for the ALT allele, ``log2(alt / ref)`` reads,
and ``score-variants``' ``<profile>_logit_diff`` (logit(alt) - logit(ref)) or ``<profile>_log2fc``.

Per score source: Spearman and Pearson correlation (scipy point estimates) and sign agreement
(variants where either value is 0 left out), over all variants and over the top half by
|prediction| (the ``n // 2`` largest, ties in input order), each with a percentile bootstrap 95%
interval over variants. A comparator is measured on the variants where it and the main prediction
both exist; the difference (main minus comparator) gets its interval from the same resamples
(paired bootstrap) with the fraction of resamples where the main prediction is better.

The bootstrap is vectorised: a resample is a row of counts (how often each variant was drawn), so
every metric is a weighted one; Spearman uses mid-ranks computed from cumulative counts over the
values sorted once, exactly the ranks scipy would give the resampled variants.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import save_figure

METRICS = ("spearman", "pearson", "sign_agreement")
SUBSETS = ("all", "top_half")
SIGN_CONVENTION = "ALT relative to REF; positive = ALT higher (more accessible)"
_BLOCK_CELLS = 100_000  # resamples x variants per block: arrays stay in cache (2M cells: 3x slower)


@dataclass(frozen=True)
class _Ranker:
    """A vector's sort order and, per sorted position, the first and last position of its ties."""

    order: np.ndarray
    inverse: np.ndarray
    first: np.ndarray
    last: np.ndarray
    ties: bool

    @classmethod
    def of(cls, values: np.ndarray) -> _Ranker:
        order = np.argsort(values, kind="stable")
        v = values[order]
        new = np.r_[True, v[1:] != v[:-1]]
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], len(v)] - 1
        group = np.cumsum(new) - 1
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return cls(order, inverse, starts[group], ends[group], bool(len(starts) < len(v)))

    def ranks(self, weights: np.ndarray) -> np.ndarray:
        """(b, n) mid-ranks of each variant among the weighted variants of each resample row."""
        ordered = np.take(weights, self.order, axis=1)  # np.take: 4x faster than [:, order]
        cum = np.cumsum(ordered, axis=1)
        if self.ties:
            cum = np.concatenate([np.zeros((len(cum), 1)), cum], axis=1)
            upto = np.take(cum, self.last + 1, axis=1)
            mid = (np.take(cum, self.first, axis=1) + upto + 1.0) / 2.0
        else:  # no ties: below = cum - own count, mid = below + (own + 1) / 2
            mid = cum - (ordered - 1.0) / 2.0
        return np.take(mid, self.inverse, axis=1)


def _correlation(cov: np.ndarray, var_x: np.ndarray, var_y: np.ndarray) -> np.ndarray:
    """cov / sqrt(var_x var_y), NaN where a variance is not positive, clipped to [-1, 1]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(np.where((var_x > 0) & (var_y > 0), var_x * var_y, np.nan))
    return np.clip(r, -1.0, 1.0)


@dataclass(frozen=True)
class _Values:
    """A prediction or the effect on fixed variants: standardized values (Pearson is invariant to
    it; float32 sums stay accurate), signs and a ranker."""

    z: np.ndarray
    sign: np.ndarray
    ranker: _Ranker

    @classmethod
    def of(cls, values: np.ndarray) -> _Values:
        centred = values - values.mean()
        scale = centred.std()
        z = (centred / scale if scale > 0 else centred).astype(np.float32)
        return cls(z, np.sign(values), _Ranker.of(values))


@dataclass(frozen=True)
class _Effect:
    """The effect's moments and centred ranks under one block of (masked) resample weights."""

    w: np.ndarray
    sw: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    ranks: np.ndarray
    mean_rank: np.ndarray
    var_rank: np.ndarray

    @classmethod
    def of(cls, w: np.ndarray, y: _Values) -> _Effect:
        sw = w.sum(axis=1, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (w @ y.z) / sw
            var = (w @ (y.z * y.z)) / sw - mean**2
            mean_rank = (sw + 1.0) / 2.0  # mid-ranks of W weighted items sum to W (W + 1) / 2
            ranks = y.ranker.ranks(w) - mean_rank[:, None].astype(np.float32)
            var_rank = np.einsum("ij,ij,ij->i", w, ranks, ranks) / sw
        return cls(w, sw, mean, var, ranks, mean_rank, var_rank)


def _metrics(x: _Values, y: _Values, e: _Effect) -> dict[str, np.ndarray]:
    """Spearman, Pearson and sign agreement of x vs the effect per resample row of ``e.w``."""
    w, sw = e.w, e.sw
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w @ x.z) / sw
        pearson = _correlation((w @ (x.z * y.z)) / sw - mx * e.mean, (w @ (x.z * x.z)) / sw - mx**2, e.var)
        rx = x.ranker.ranks(w) - e.mean_rank[:, None].astype(np.float32)
        wrx = w * rx
        spearman = _correlation(
            np.einsum("ij,ij->i", wrx, e.ranks) / sw, np.einsum("ij,ij->i", wrx, rx) / sw, e.var_rank
        )
        valid = (x.sign != 0) & (y.sign != 0)
        agree = (x.sign == y.sign) & valid
        sign = (w @ agree.astype(np.float32)) / (w @ valid.astype(np.float32))
    return {"spearman": spearman, "pearson": pearson, "sign_agreement": sign}


def resample_counts(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Blocks of bootstrap resamples of ``n`` variants as counts (rows: resamples, float32 (b, n),
    exact below 2**24 variants); the same ``n``, ``n_boot`` and ``seed`` give the same resamples."""
    rng = np.random.default_rng(seed)
    block = max(1, min(n_boot, _BLOCK_CELLS // max(n, 1)))
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float32)


def top_half(prediction: np.ndarray) -> np.ndarray:
    """Mask of the ``n // 2`` variants with the largest |prediction| (ties: earlier rows first)."""
    prediction = np.asarray(prediction, float)
    mask = np.zeros(len(prediction), bool)
    mask[np.argsort(-np.abs(prediction), kind="stable")[: len(prediction) // 2]] = True
    return mask


def point_metrics(prediction: np.ndarray, effect: np.ndarray) -> dict:
    """n, Spearman, Pearson (scipy), sign agreement (zeros left out) and the majority-sign rate."""
    x, y = np.asarray(prediction, float), np.asarray(effect, float)
    n = len(x)
    ok = (x != 0) & (y != 0)
    n_sign, agree = int(ok.sum()), int((np.sign(x[ok]) == np.sign(y[ok])).sum())
    nonzero = y[y != 0]
    positive = int((nonzero > 0).sum())
    varied = n >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0
    return {
        "n": n,
        "spearman": float(stats.spearmanr(x, y).statistic) if varied else float("nan"),
        "pearson": float(stats.pearsonr(x, y).statistic) if varied else float("nan"),
        "sign_agreement": agree / n_sign if n_sign else float("nan"),
        "n_sign": n_sign,
        "agree": agree,
        "majority_sign_rate": max(positive, len(nonzero) - positive) / len(nonzero)
        if len(nonzero)
        else float("nan"),
    }


def _interval(values: np.ndarray) -> tuple[float, float]:
    """Percentile 95% interval of the finite values (NaN, NaN without any)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return float(lo), float(hi)


def _bootstrap(
    jobs: dict, masks: dict[str, np.ndarray], y: np.ndarray, n_boot: int, seed: int
) -> dict[object, dict[str, np.ndarray]]:
    """{key: {metric: (n_boot,) values}} for each job ``key: (prediction, mask name)`` on the
    variants of ``y``; every job sees the same resamples (so differences are paired)."""
    if n_boot < 1 or len(y) < 2:
        return {k: {m: np.full(max(n_boot, 0), np.nan) for m in METRICS} for k in jobs}
    effect = _Values.of(y)
    values = {id(x): _Values.of(x) for x, _ in jobs.values()}
    out: dict = {k: {m: [] for m in METRICS} for k in jobs}
    for w in resample_counts(len(y), n_boot, seed):
        per_mask: dict[str, _Effect] = {}
        for key, (x, mask) in jobs.items():
            if mask not in per_mask:
                per_mask[mask] = _Effect.of(w * masks[mask].astype(np.float32), effect)
            for metric, draws in _metrics(values[id(x)], effect, per_mask[mask]).items():
                out[key][metric].append(draws)
    return {k: {m: np.concatenate(v) for m, v in d.items()} for k, d in out.items()}


def _subset_result(x: np.ndarray, y: np.ndarray, mask: np.ndarray, boot: dict) -> dict:
    """Point metrics of the masked variants with each metric's bootstrap interval."""
    point = point_metrics(x[mask], y[mask])
    for metric in METRICS:
        lo, hi = _interval(boot[metric])
        point[metric] = {"value": point[metric], "lo": lo, "hi": hi}
    return point


def _difference(main: dict, other: dict, boot_main: dict, boot_other: dict) -> dict:
    """Per metric: main and comparator values, main minus comparator with its paired interval and
    the fraction of resamples where main is higher."""
    out = {}
    for metric in METRICS:
        diff = boot_main[metric] - boot_other[metric]
        finite = diff[np.isfinite(diff)]
        lo, hi = _interval(diff)
        out[metric] = {
            "main": main[metric]["value"],
            "comparator": other[metric]["value"],
            "diff": main[metric]["value"] - other[metric]["value"],
            "lo": lo,
            "hi": hi,
            "p_main_better": float((finite > 0).mean()) if len(finite) else float("nan"),
        }
    return out


def _score(x: np.ndarray, y: np.ndarray, n_boot: int, seed: int) -> tuple[dict, dict]:
    """(subset results, bootstrap draws) of one prediction on all its variants."""
    masks = {"all": np.ones(len(x), bool), "top_half": top_half(x)}
    boot = _bootstrap({s: (x, s) for s in SUBSETS}, masks, y, n_boot, seed)
    return {s: _subset_result(x, y, masks[s], boot[s]) for s in SUBSETS}, boot


def _compare(
    main: np.ndarray, other: np.ndarray, y: np.ndarray, n_boot: int, seed: int, main_boot: dict | None
) -> dict:
    """A comparator and the main prediction on the same variants, with paired differences; each
    source's top half is its own (the n // 2 largest by its |prediction|). ``main_boot``: the main
    prediction's draws when these are all its variants (the same resamples, not recomputed)."""
    masks = {"all": np.ones(len(y), bool), "main": top_half(main), "other": top_half(other)}
    jobs = {("other", "all"): (other, "all"), ("other", "top_half"): (other, "other")}
    if main_boot is None:
        jobs.update({("main", "all"): (main, "all"), ("main", "top_half"): (main, "main")})
    boot = _bootstrap(jobs, masks, y, n_boot, seed)
    for subset in SUBSETS if main_boot is not None else ():
        boot["main", subset] = main_boot[subset]
    part = {
        (who, s): _subset_result(x, y, masks["all" if s == "all" else who], boot[who, s])
        for who, x in (("main", main), ("other", other))
        for s in SUBSETS
    }
    return {
        "n": int(len(y)),
        "subsets": {s: part["other", s] for s in SUBSETS},
        "vs_main": {
            s: _difference(part["main", s], part["other", s], boot["main", s], boot["other", s])
            for s in SUBSETS
        },
    }


def sign_by_decile(prediction: np.ndarray, effect: np.ndarray, bins: int = 10) -> list[dict]:
    """Sign agreement per decile of |prediction| (1 = smallest), zeros left out."""
    x, y = np.asarray(prediction, float), np.asarray(effect, float)
    order = np.argsort(np.abs(x), kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, min(bins, len(x)))):
        ok = (x[idx] != 0) & (y[idx] != 0)
        agree = int((np.sign(x[idx][ok]) == np.sign(y[idx][ok])).sum())
        rows.append(
            {
                "decile": i + 1,
                "n": int(len(idx)),
                "mean_abs_prediction": float(np.abs(x[idx]).mean()),
                "sign_agreement": agree / int(ok.sum()) if ok.any() else float("nan"),
            }
        )
    return rows


def quantitative_validation(
    effect: np.ndarray,
    predictions: dict[str, np.ndarray],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """Measured effects vs signed predictions; the first entry of ``predictions`` is the main one.

    Rows where the effect or the main prediction is not finite are left out (counted); each
    comparator is measured on the remaining rows where it is finite, paired with the main one.
    Returns n counts, the majority-sign reference, and per source its subsets (``all``,
    ``top_half``: n, spearman / pearson / sign_agreement with lo and hi, majority_sign_rate),
    deciles and, for comparators, ``vs_main`` (paired differences).
    """
    if not predictions:
        raise InputError("quantitative validation needs at least one prediction")
    started = time.perf_counter()
    y_all = np.asarray(effect, float)
    for name, values in predictions.items():
        if len(values) != len(y_all):
            raise InputError(f"prediction {name!r} has {len(values)} values for {len(y_all)} effects")
    names = list(predictions)
    main_all = np.asarray(predictions[names[0]], float)
    has_effect = np.isfinite(y_all)
    keep = has_effect & np.isfinite(main_all)
    y, main = y_all[keep], main_all[keep]
    reference = point_metrics(np.ones(len(y)), y)
    result: dict = {
        "sign_convention": SIGN_CONVENTION,
        "main": names[0],
        "n_input": int(len(y_all)),
        "n_effect_missing": int((~has_effect).sum()),
        "n_prediction_missing": int((has_effect & ~np.isfinite(main_all)).sum()),
        "n": int(keep.sum()),
        "bootstrap": int(n_boot),
        "seed": int(seed),
        "interval": "percentile bootstrap 95% over variants",
        "majority_sign": {
            "sign": "positive" if (y > 0).sum() >= (y < 0).sum() else "negative",
            "rate": reference["majority_sign_rate"],
            "n": int((y != 0).sum()),
        },
        "sources": {},
    }
    subsets, main_boot = _score(main, y, n_boot, seed)
    result["sources"][names[0]] = {
        "role": "main",
        "n": int(len(y)),
        "subsets": subsets,
        "sign_by_decile": sign_by_decile(main, y),
    }
    for name in names[1:]:
        other = np.asarray(predictions[name], float)[keep]
        both = np.isfinite(other)
        reuse = main_boot if both.all() else None
        entry = _compare(main[both], other[both], y[both], n_boot, seed, reuse)
        entry.update(role="comparator", sign_by_decile=sign_by_decile(other[both], y[both]))
        result["sources"][name] = entry
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def quantitative_table(result: dict) -> pd.DataFrame:
    """One row per score source and subset: n, metrics with lo/hi, majority-sign rate and, for
    comparators, the main prediction's value on the same variants and the paired difference."""
    rows = []
    for name, source in result["sources"].items():
        for subset in SUBSETS:
            part = source["subsets"][subset]
            row: dict = {"source": name, "role": source["role"], "subset": subset, "n": part["n"]}
            for metric in METRICS:
                row[metric] = part[metric]["value"]
                row[f"{metric}_lo"], row[f"{metric}_hi"] = part[metric]["lo"], part[metric]["hi"]
            row["n_sign"] = part["n_sign"]
            row["majority_sign_rate"] = part["majority_sign_rate"]
            diff = source.get("vs_main", {}).get(subset, {})
            for metric in METRICS:
                d = diff.get(metric, {})
                row[f"main_{metric}"] = d.get("main", np.nan)
                row[f"diff_{metric}"] = d.get("diff", np.nan)
                row[f"diff_{metric}_lo"], row[f"diff_{metric}_hi"] = d.get("lo", np.nan), d.get("hi", np.nan)
                row[f"p_main_better_{metric}"] = d.get("p_main_better", np.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def format_quantitative(result: dict) -> list[str]:
    """Printable lines: per source and subset, n, Spearman, Pearson, sign agreement with
    intervals; for comparators the paired difference of Spearman."""
    maj = result["majority_sign"]
    lines = [
        f"  measured effect vs {result['main']}: {result['n']:,} variants ({result['n_effect_missing']} "
        f"without an effect, {result['n_prediction_missing']} without a prediction); bootstrap "
        f"{result['bootstrap']}; always-{maj['sign']} sign rate {maj['rate']:.3f}"
    ]

    def ci(m: dict) -> str:
        return f"{m['value']:.3f} [{m['lo']:.3f}, {m['hi']:.3f}]"

    for name, source in result["sources"].items():
        for subset in SUBSETS:
            p = source["subsets"][subset]
            lines.append(
                f"    {name} {subset}: n={p['n']:,} Spearman {ci(p['spearman'])} Pearson "
                f"{ci(p['pearson'])} sign {ci(p['sign_agreement'])}"
            )
        for subset in SUBSETS if source["role"] == "comparator" else ():
            d = source["vs_main"][subset]["spearman"]
            lines.append(
                f"      main - {name} ({subset}) Spearman {d['diff']:+.3f} [{d['lo']:+.3f}, "
                f"{d['hi']:+.3f}], main better in {d['p_main_better']:.1%} of resamples"
            )
    return lines


def plot_effect_scatter(
    prediction: np.ndarray, effect: np.ndarray, path: Path, title: str, xlabel: str, ylabel: str
) -> None:
    """Measured effect vs prediction: small translucent points, or a hexbin above 2,000 variants."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.4, 4.0))
    if len(prediction) > 2000:
        art = ax.hexbin(prediction, effect, gridsize=50, bins="log", cmap="viridis", mincnt=1)
        fig.colorbar(art, ax=ax, label="variants (log)")
    else:
        ax.scatter(prediction, effect, s=6, alpha=0.35, c="tab:blue", linewidths=0)
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def plot_sign_by_decile(result: dict, path: Path) -> None:
    """Sign agreement per decile of |prediction|, every source on the same axes, chance at 0.5."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for name, source in result["sources"].items():
        rows = source["sign_by_decile"]
        ax.plot(
            [r["decile"] for r in rows],
            [r["sign_agreement"] for r in rows],
            marker="o",
            lw=2 if source["role"] == "main" else 1.2,
            label=f"{name} (n={source['n']:,})",
        )
    ax.axhline(0.5, color="grey", lw=0.8, ls="--", label="chance")
    rate = result["majority_sign"]["rate"]
    if np.isfinite(rate):
        ax.axhline(rate, color="grey", lw=0.8, ls=":", label=f"always {result['majority_sign']['sign']}")
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("decile of |prediction| (10 = largest)")
    ax.set_ylabel("sign agreement with measured effect")
    ax.set_ylim(0, 1)
    ax.set_title("sign agreement by decile of |prediction|", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)
