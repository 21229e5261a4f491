"""Validate variant scores against measured allelic imbalance (allele-specific open chromatin).

Joins a scores table (``score-variants`` output) with an observed table and computes
(a) enrichment of significant variants among the top-k scored vs the rest (Fisher's exact test,
scipy), for the model's score column and any comparator columns, (b) Spearman correlation of
predicted and observed log(ref/alt), and (c) sign agreement of the two on significant variants.

Observed table (TSV/CSV/Parquet; column names case-insensitive):
  * key: ``chrom, pos, ref, alt`` (``chr1`` and ``1`` join), or ``variant_id``/``id``/``rsid``
    matching the scores' ``ID``;
  * ``ref_reads`` and ``alt_reads`` (observed log ratio = log((ref + 0.5) / (alt + 0.5))), or
    ``log_ratio`` (natural log of ref/alt);
  * ``significant``: 0/1 or true/false (anything else, NaN included, is an error naming the row).
Indels and MNVs join like SNVs, on the normalised POS/REF/ALT that ``score-variants`` writes.
A key seen twice (in the scores or in the observed table) is kept once; the repeats are counted
in ``validation.json`` and listed in ``skipped.tsv``. Enrichment is also reported per variant
type (SNVs, indels, MNVs) when the scores hold more than one.
Predicted log(ref/alt) is ``log(p_ref) - log(p_alt)`` of one profile (``profile``), or, without
one, of each variant's ``max_abs_profile``. Score columns are ranked by absolute value.

Quantitative effects (``effect_column``: e.g. a QTL beta or log2 allelic ratio, ALT relative to
REF, positive = ALT higher): then ``significant`` and the reads are optional (the analyses above
run only when their columns exist), the signed prediction (``<profile>_logit_diff``, ALT minus
REF, the same convention) is compared with it by Spearman, Pearson and sign agreement with
bootstrap intervals, beside comparator columns (scores or observed table) and other scores files
(``compare``), see ``brainresnet_tf.variant.quantitative``.

Calibrated scores (``score-variants --null``): ``quantile`` as the score column or a comparator
stands for ``<profile>_quantile`` (with ``profile``) or ``max_quantile``; a quantile column ranks
its ties (every variant beyond the whole null has quantile 1) by the effect it calibrates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import save_figure, write_json
from brainresnet_tf.io.tables import read_table, write_table
from brainresnet_tf.variant.quantitative import (
    format_quantitative,
    plot_effect_scatter,
    plot_sign_by_decile,
    quantitative_table,
    quantitative_validation,
)

_ALIASES = {
    "chrom": ("chrom", "#chrom", "chr", "chromosome"),
    "pos": ("pos", "position", "pos1"),
    "ref": ("ref",),
    "alt": ("alt",),
    "id": ("variant_id", "id", "rsid", "snp", "snp_id"),
    "ref_reads": ("ref_reads", "ref_count", "refcount", "ref_counts"),
    "alt_reads": ("alt_reads", "alt_count", "altcount", "alt_counts"),
    "log_ratio": ("log_ratio", "log_ref_alt", "obs_log_ratio"),
    "significant": ("significant", "is_significant", "asoc", "sig"),
}
_EPS = 1e-6


def _find(df: pd.DataFrame, key: str) -> str | None:
    lower = {c.lower(): c for c in df.columns}
    return next((lower[a] for a in _ALIASES[key] if a in lower), None)


def _chrom_key(values: pd.Series) -> pd.Series:
    s = values.astype(str)
    return s.where(~s.str.lower().str.startswith("chr"), s.str[3:])


def _where_row(where: str, i: int) -> str:
    """``file:line: row n`` of 0-based data row ``i`` (the header is line 1; Parquet: no line)."""
    if where.endswith((".tsv", ".csv", ".txt", ".tsv.gz", ".csv.gz")):
        return f"{where}:{i + 2}: row {i + 1}"
    return f"{where}: row {i + 1}"


def _first_bad(values: pd.Series, bad: np.ndarray, where: str, col: str, expected: str) -> None:
    """Raise an InputError naming the first row where ``bad`` is true, if any."""
    rows = np.flatnonzero(bad)
    if len(rows):
        i = int(rows[0])
        value = values.iloc[i]
        value = value.item() if isinstance(value, np.generic) else value
        raise InputError(
            f"{_where_row(where, i)}: column {col!r} has {value!r} (expected {expected}"
            f"{f'; {len(rows)} such rows' if len(rows) > 1 else ''})"
        )


def _significance(values: pd.Series, where: str, col: str) -> pd.Series:
    """A boolean Series from booleans, 0/1 numbers or true/false/0/1 text; anything else (NaN,
    2, -1, yes) is an InputError naming the row and value."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool)
    if pd.api.types.is_numeric_dtype(values):
        _first_bad(values, ~values.isin([0, 1]).to_numpy(), where, col, "0/1 or true/false")
        return values.astype(bool)
    mapped = values.map(_flag)
    _first_bad(values, mapped.isna().to_numpy(), where, col, "0/1 or true/false")
    return mapped.astype(bool)


def _flag(value) -> bool | None:
    """True/False for a boolean, 0/1 number or true/false/0/1 text; None for anything else."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(value) if value in (0, 1) else None
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    try:
        number = float(text)
    except ValueError:
        return None
    return bool(number) if number in (0.0, 1.0) else None


def _numbers(values: pd.Series, where: str, col: str, minimum: float | None, allow_nan: bool) -> pd.Series:
    """``values`` as float64; text, infinities, values beyond 2**53 and (unless allowed) NaN or
    values below ``minimum`` are errors."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = numbers.isna().to_numpy() & (values.notna().to_numpy() | (not allow_nan))
    bad |= np.isinf(numbers.to_numpy()) | (numbers.abs() > 2.0**53).to_numpy()
    if minimum is not None:
        bad |= (numbers < minimum).to_numpy()
    expected = "a finite number" + (f" >= {minimum:g}" if minimum is not None else "")
    _first_bad(values, bad, where, col, expected)
    return numbers


def _effect_name(obs: pd.DataFrame, name: str, where: str) -> str:
    """The observed column called ``name`` (exact, else case-insensitive), or a one-line error."""
    if name in obs.columns:
        return name
    matches = [c for c in obs.columns if str(c).lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise InputError(
        f"{where}: no effect column {name!r} (found columns: {', '.join(map(str, obs.columns))})"
    )


def standardize_observed(
    obs: pd.DataFrame, where: str = "observed table", effect_column: str | None = None
) -> pd.DataFrame:
    """Observed table with columns ``obs_log_ratio``, ``significant`` and the join keys found,
    and ``obs_effect`` (the measured effect, ALT relative to REF) when ``effect_column`` is given.

    Every value is checked: ``pos`` a 1-based integer, reads non-negative numbers, a log ratio or
    effect a number (or empty), ``significant`` 0/1 or true/false; the first bad one is an
    InputError naming the file, row and value. With ``effect_column``, ``significant`` and the
    reads (or log ratio) are optional.
    """
    obs = obs.reset_index(drop=True)
    out = pd.DataFrame(index=obs.index)
    for key in ("chrom", "pos", "ref", "alt", "id"):
        col = _find(obs, key)
        if col is None:
            continue
        if key == "pos":
            pos = _numbers(obs[col], where, col, 1, allow_nan=False)
            _first_bad(obs[col], (pos % 1 != 0).to_numpy(), where, col, "a 1-based integer")
            out[key] = pos.astype(np.int64)
        else:
            out[key] = obs[col].astype(str)
    effect = None if effect_column is None else _effect_name(obs, effect_column, where)
    if effect is not None:
        out["obs_effect"] = _numbers(obs[effect], where, effect, None, allow_nan=True)
    lr, rr, ar = _find(obs, "log_ratio"), _find(obs, "ref_reads"), _find(obs, "alt_reads")
    if lr is not None:
        out["obs_log_ratio"] = _numbers(obs[lr], where, lr, None, allow_nan=True)
    elif rr is not None and ar is not None:
        ref = _numbers(obs[rr], where, rr, 0, allow_nan=False)
        alt = _numbers(obs[ar], where, ar, 0, allow_nan=False)
        out["ref_reads"], out["alt_reads"] = ref, alt
        out["obs_log_ratio"] = np.log((ref + 0.5) / (alt + 0.5))
    elif effect is None:
        raise InputError(
            f"{where}: needs ref_reads and alt_reads, or log_ratio "
            f"(found columns: {', '.join(map(str, obs.columns))})"
        )
    sig = _find(obs, "significant")
    if sig is None and effect is None:
        raise InputError(f"{where}: needs a 'significant' column (0/1 or true/false)")
    if sig is not None:
        out["significant"] = _significance(obs[sig], where, sig)
    used = {c for c in (_find(obs, k) for k in _ALIASES) if c is not None} | {effect}
    for col in obs.columns:  # carry the rest (e.g. truth labels) through to the joined table
        if col not in used and col not in out.columns:
            out[col] = obs[col]
    if not ({"chrom", "pos", "ref", "alt"} <= set(out.columns) or "id" in out.columns):
        raise InputError(f"{where}: needs chrom, pos, ref, alt columns or a variant_id column")
    return out


def join_keys(df: pd.DataFrame, coordinates: bool, scores: bool) -> pd.DataFrame:
    """The join key columns of a scores table (CHROM POS REF ALT, or ID) or of a standardized
    observed table (chrom pos ref alt, or id): ``chr1`` and ``1`` alike, alleles upper case."""
    names = {c: c.upper() if scores else c for c in ("chrom", "pos", "ref", "alt", "id")}
    if not coordinates:
        return pd.DataFrame({"_k1": df[names["id"]].astype(str)}, index=df.index)
    return pd.DataFrame(
        {
            "_k1": _chrom_key(df[names["chrom"]]),
            "_k2": pd.to_numeric(df[names["pos"]], errors="coerce").fillna(-1).astype(np.int64),
            "_k3": df[names["ref"]].astype(str).str.upper(),
            "_k4": df[names["alt"]].astype(str).str.upper(),
        },
        index=df.index,
    )


def drop_duplicate_keys(df: pd.DataFrame, keys: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[dict]]:
    """(``df`` without rows whose key was seen in an earlier row, a record per dropped row:
    file, row, key, reason ``duplicate`` and whether its values differ from the kept row's)."""
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return df, []
    tuples = list(keys.itertuples(index=False, name=None))
    first: dict = {}
    for i, key in enumerate(tuples):
        first.setdefault(key, i)
    dropped = []
    for i in np.flatnonzero(dup):
        j = first[tuples[i]]
        same = df.iloc[i].equals(df.iloc[j])
        key = tuples[i]
        dropped.append(
            {
                "file": source,
                "row": int(i) + 1,
                "key": f"{key[0]}:{key[1]} {key[2]}>{key[3]}" if len(key) == 4 else str(key[0]),
                "reason": "duplicate",
                "message": f"{_where_row(source, int(i))}: same variant as row {j + 1}; "
                + ("same values, dropped" if same else f"different values, row {j + 1} kept"),
            }
        )
    return df[~dup], dropped


def join_scores(scores: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """Inner join of scores (CHROM POS ID REF ALT ...) with a standardized observed table.

    Joins on chrom/pos/ref/alt when the observed table has them, else on the variant id; a key
    repeated on either side is joined once (its first row).
    """
    coordinates = {"chrom", "pos", "ref", "alt"} <= set(observed.columns)
    left = pd.concat([scores, join_keys(scores, coordinates, scores=True)], axis=1)
    right = pd.concat([observed, join_keys(observed, coordinates, scores=False)], axis=1)
    keys = [c for c in left.columns if c.startswith("_k")]
    right = right.drop(columns=["chrom", "pos", "ref", "alt", "id"], errors="ignore").drop_duplicates(keys)
    left = left.drop_duplicates(keys)
    right = right.drop(columns=[c for c in right.columns if c in left.columns and c not in keys])
    return left.merge(right, on=keys, how="inner").drop(columns=keys)


def predicted_log_ratio(df: pd.DataFrame, profile: str | None = None) -> np.ndarray:
    """Predicted log(ref/alt) = log(p_ref) - log(p_alt) of ``profile`` (or each max_abs_profile)."""
    if profile is not None:
        for col in (f"{profile}_ref", f"{profile}_alt"):
            if col not in df.columns:
                raise InputError(f"scores have no column {col!r} (is {profile!r} a profile of the model?)")
        ref, alt = df[f"{profile}_ref"].to_numpy(float), df[f"{profile}_alt"].to_numpy(float)
    else:
        if "max_abs_profile" not in df.columns:
            raise InputError("scores have no max_abs_profile column: pass a profile")
        names = df["max_abs_profile"].astype(str).to_numpy()
        ref, alt = np.full(len(df), np.nan), np.full(len(df), np.nan)
        for name in np.unique(names):
            rows = names == name
            ref[rows] = df.loc[rows, f"{name}_ref"].to_numpy(float)
            alt[rows] = df.loc[rows, f"{name}_alt"].to_numpy(float)
    return np.log(np.maximum(ref, _EPS)) - np.log(np.maximum(alt, _EPS))


def enrichment(
    score: np.ndarray,
    significant: np.ndarray,
    ks: Sequence[int],
    alternative: str = "two-sided",
    tiebreak: np.ndarray | None = None,
) -> pd.DataFrame:
    """Significant variants among the top-k by |score| vs the rest: Fisher's exact test per k.

    Ties of |score| are ranked by |``tiebreak``| when given, else kept in input order.
    Columns: k, n, n_significant, sig_top, nonsig_top, sig_rest, nonsig_rest, odds_ratio,
    p_value, fold_enrichment ((sig_top / k) / (n_significant / n)). k values >= n are skipped.
    """
    score = np.abs(np.asarray(score, dtype=float))
    sig = np.asarray(significant, dtype=bool)
    first = -np.nan_to_num(score, nan=-np.inf)
    if tiebreak is None:
        order = np.argsort(first, kind="stable")
    else:
        order = np.lexsort((-np.nan_to_num(np.abs(np.asarray(tiebreak, float)), nan=-np.inf), first))
    n, n_sig = len(sig), int(sig.sum())
    rows = []
    for k in ks:
        if k >= n or k < 1:
            continue
        top = np.zeros(n, bool)
        top[order[:k]] = True
        a, b = int((sig & top).sum()), int((~sig & top).sum())
        c, d = int((sig & ~top).sum()), int((~sig & ~top).sum())
        odds, p = stats.fisher_exact([[a, b], [c, d]], alternative=alternative)
        fold = (a / k) / (n_sig / n) if n_sig else float("nan")
        rows.append(
            {
                "k": int(k),
                "n": n,
                "n_significant": n_sig,
                "sig_top": a,
                "nonsig_top": b,
                "sig_rest": c,
                "nonsig_rest": d,
                "odds_ratio": float(odds),
                "p_value": float(p),
                "fold_enrichment": float(fold),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "k",
            "n",
            "n_significant",
            "sig_top",
            "nonsig_top",
            "sig_rest",
            "nonsig_rest",
            "odds_ratio",
            "p_value",
            "fold_enrichment",
        ],
    )


def spearman(predicted: np.ndarray, observed: np.ndarray) -> dict:
    """Spearman rho and p (scipy) over the finite pairs."""
    x, y = np.asarray(predicted, float), np.asarray(observed, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return {"rho": float("nan"), "p_value": float("nan"), "n": int(ok.sum())}
    res = stats.spearmanr(x[ok], y[ok])
    return {"rho": float(res.statistic), "p_value": float(res.pvalue), "n": int(ok.sum())}


def sign_agreement(predicted: np.ndarray, observed: np.ndarray) -> dict:
    """Fraction of variants whose predicted and observed log(ref/alt) share a sign (zeros left out),
    with a two-sided binomial test against 0.5 (scipy)."""
    x, y = np.asarray(predicted, float), np.asarray(observed, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x != 0) & (y != 0)
    n = int(ok.sum())
    agree = int((np.sign(x[ok]) == np.sign(y[ok])).sum())
    p = float(stats.binomtest(agree, n, 0.5).pvalue) if n else float("nan")
    return {"n": n, "agree": agree, "fraction": agree / n if n else float("nan"), "p_value": p}


def plot_enrichment(table: pd.DataFrame, path: Path, title: str = "") -> None:
    """Bar plot: fold enrichment of significant variants in the top k, one bar per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(table["method"]))
    ks = sorted(table["k"].unique())
    width = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(ks) * max(1, len(methods) / 2), 3.6))
    for i, m in enumerate(methods):
        sub = table[table["method"] == m].set_index("k").reindex(ks)
        xs = np.arange(len(ks)) + (i - (len(methods) - 1) / 2) * width
        bars = ax.bar(xs, sub["fold_enrichment"], width, label=m)
        for bar, p in zip(bars, sub["p_value"]):
            if np.isfinite(p) and np.isfinite(bar.get_height()):
                ax.annotate(
                    f"p={p:.1g}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    rotation=90,
                )
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    top = np.nanmax(table["fold_enrichment"].to_numpy(float)) if len(table) else 1.0
    ax.set_ylim(0, 1.25 * max(top, 1.0) if np.isfinite(top) else None)
    ax.set_xticks(np.arange(len(ks)), [f"top {k}" for k in ks])
    ax.set_ylabel("fold enrichment of significant variants")
    ax.set_title(title or "enrichment among top-scored variants", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)


def plot_scatter(
    predicted: np.ndarray, observed: np.ndarray, significant: np.ndarray, path: Path, title: str = ""
) -> None:
    """Observed vs predicted log(ref/alt), significant variants highlighted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sig = np.asarray(significant, bool)
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    ax.scatter(predicted[~sig], observed[~sig], s=5, c="lightgrey", label="not significant")
    ax.scatter(predicted[sig], observed[sig], s=8, c="tab:red", label="significant")
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("predicted log(ref / alt)")
    ax.set_ylabel("observed log(ref / alt)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)


def variant_types(ref: pd.Series, alt: pd.Series) -> np.ndarray:
    """``snv``, ``mnv`` or ``indel`` per row, from the lengths of REF and ALT."""
    r = ref.astype(str).str.len().to_numpy()
    a = alt.astype(str).str.len().to_numpy()
    return np.where(r != a, "indel", np.where(r == 1, "snv", "mnv"))


def _check_columns(joined: pd.DataFrame, columns: Sequence[str]) -> None:
    """A one-line error for the first of ``columns`` the joined table lacks, listing its columns."""
    for col in columns:
        if col not in joined.columns:
            raise InputError(
                f"scores have no column {col!r} (have: "
                f"{', '.join(c for c in joined.columns if c not in ('CHROM', 'ID'))})"
            )


QUANTILE = "quantile"  # --score-column / --comparators shorthand for the calibrated quantile


def quantile_column(columns: Sequence[str], profile: str | None, scores: str | os.PathLike) -> str:
    """The column ``quantile`` stands for: ``<profile>_quantile``, else ``max_quantile``."""
    name = f"{profile}_quantile" if profile else "max_quantile"
    if name in columns:
        return name
    if not any(str(c).endswith("_quantile") for c in columns):
        raise InputError(
            f"{scores}: no quantile columns ('{QUANTILE}' asks for them): score the variants with "
            "score-variants --null N (or --null-vcf FILE) first"
        )
    raise InputError(f"{scores}: no column {name!r} for '{QUANTILE}' (check --profile)")


def validate(
    joined: pd.DataFrame,
    score_column: str = "max_abs_diff",
    comparators: Sequence[str] = (),
    top_k: Sequence[int] = (50, 100, 200),
    profile: str | None = None,
) -> tuple[dict, pd.DataFrame]:
    """(summary dict, long enrichment table) for a joined scores + observed table.

    Enrichment needs a ``significant`` column, Spearman an ``obs_log_ratio`` column and sign
    agreement both; each part is left out (and the table empty) when its columns are absent.
    """
    has_sig, has_ratio = "significant" in joined.columns, "obs_log_ratio" in joined.columns
    _check_columns(joined, [score_column, *comparators] if has_sig else comparators)
    summary: dict = {"n_joined": int(len(joined))}
    table = enrichment(np.zeros(0), np.zeros(0, bool), []).assign(method=[])
    sig = joined["significant"].to_numpy(bool) if has_sig else np.zeros(len(joined), bool)
    if has_sig:
        frames = [
            enrichment(joined[c].to_numpy(float), sig, top_k, tiebreak=_tiebreak(joined, c)).assign(method=c)
            for c in (score_column, *comparators)
        ]
        table = pd.concat(frames, ignore_index=True)
        summary["n_significant"] = int(sig.sum())
    table = table[["method", *[c for c in table.columns if c != "method"]]]
    summary.update(
        score_column=score_column,
        comparators=list(comparators),
        profile=profile or "per-variant max_abs_profile",
    )
    if has_sig:
        summary["enrichment"] = (
            table[table["method"] == score_column].drop(columns="method").to_dict("records")
        )
        summary["comparator_enrichment"] = table[table["method"] != score_column].to_dict("records")
    if has_ratio:
        pred, obs = predicted_log_ratio(joined, profile), joined["obs_log_ratio"].to_numpy(float)
        if has_sig:
            summary["spearman_significant"] = spearman(pred[sig], obs[sig])
        summary["spearman_all"] = spearman(pred, obs)
        if has_sig:
            summary["sign_agreement_significant"] = sign_agreement(pred[sig], obs[sig])
    if has_sig and {"REF", "ALT"} <= set(joined.columns):
        types = variant_types(joined["REF"], joined["ALT"])
        score = joined[score_column].to_numpy(float)
        ties = _tiebreak(joined, score_column)
        summary["by_type"] = {}
        for t in ("snv", "indel", "mnv"):
            rows = types == t
            if not rows.any():
                continue
            part = {
                "n": int(rows.sum()),
                "n_significant": int(sig[rows].sum()),
                "enrichment": enrichment(
                    score[rows], sig[rows], top_k, tiebreak=None if ties is None else ties[rows]
                ).to_dict("records"),
            }
            if has_ratio:
                part["sign_agreement_significant"] = sign_agreement(pred[rows & sig], obs[rows & sig])
            summary["by_type"][t] = part
    return summary, table


def _tiebreak(joined: pd.DataFrame, column: str) -> np.ndarray | None:
    """The effect ranking the ties of a quantile column (``<profile>_logit_diff`` or ``_log2fc``
    for ``<profile>_quantile``, ``max_abs_diff`` for ``max_quantile``); None for other columns."""
    names: list[str] = []
    if column == "max_quantile":
        names = ["max_abs_diff"]
    elif column.endswith("_quantile"):
        names = [column[: -len("quantile")] + k for k in ("logit_diff", "log2fc")]
    name = next((n for n in names if n in joined.columns), None)
    return None if name is None else joined[name].to_numpy(float)


def effect_score_column(
    score_columns: Sequence[str],
    available: Sequence[str],
    profile: str | None = None,
    explicit: str | None = None,
) -> str:
    """The signed prediction compared with a measured effect: ``explicit`` (any column of the
    scores or the observed table), else ``<profile>_logit_diff`` (or ``_log2fc`` for signal
    models), else the scores' only such column; a one-line error otherwise."""
    effects = [c for c in score_columns if str(c).endswith(("_logit_diff", "_log2fc"))]
    if explicit is not None:
        if explicit not in available:
            raise InputError(
                f"--effect-score {explicit!r}: no such column in the scores or the observed table "
                f"(effect columns of the scores: {', '.join(effects) or 'none'})"
            )
        return explicit
    if profile is not None:
        for col in (f"{profile}_logit_diff", f"{profile}_log2fc"):
            if col in score_columns:
                return col
        raise InputError(
            f"scores have no column {profile}_logit_diff or {profile}_log2fc "
            f"(effect columns: {', '.join(effects) or 'none'})"
        )
    if len(effects) == 1:
        return effects[0]
    raise InputError(
        f"scores have {len(effects)} per-profile effect columns ({', '.join(effects) or 'none'}): "
        "choose one with --profile or --effect-score"
    )


def parse_compare(spec: str) -> tuple[str, Path, str | None]:
    """``NAME=PATH[:COLUMN]`` -> (name, path, column or None); a path that exists as written is
    taken whole (it may hold a colon)."""
    name, sep, rest = spec.partition("=")
    if not sep or not name.strip() or not rest:
        raise InputError(f"--compare {spec!r}: expected NAME=PATH[:COLUMN], e.g. cnn=cnn_scores.tsv")
    if Path(rest).exists() or ":" not in rest:
        return name.strip(), Path(rest), None
    path, _, column = rest.rpartition(":")
    return name.strip(), Path(path), column or None


def join_compare(
    joined: pd.DataFrame, path: Path, column: str, coordinates: bool, name: str
) -> tuple[np.ndarray, dict]:
    """(``column`` of the scores file ``path`` aligned to ``joined``'s rows (NaN where absent),
    a record of the file), joined on the same key as the main scores; repeats: first row kept."""
    df = read_table(path)
    needed = ["CHROM", "POS", "REF", "ALT"] if coordinates else ["ID"]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: --compare {name} needs {', '.join(needed)} to join like the scores (missing "
            f"{', '.join(missing)}; found columns: {', '.join(map(str, df.columns))})"
        )
    if column not in df.columns:
        raise InputError(
            f"{path}: no column {column!r} for --compare {name} "
            f"(found columns: {', '.join(map(str, df.columns))})"
        )
    keys = join_keys(df, coordinates, scores=True)
    values = keys.assign(_value=_numbers(df[column], str(path), column, None, allow_nan=True))
    unique = values.drop_duplicates(list(keys.columns))
    aligned = join_keys(joined, coordinates, scores=True).merge(unique, on=list(keys.columns), how="left")
    result = aligned["_value"].to_numpy(float)
    record = {
        "file": str(path),
        "column": column,
        "n_rows": int(len(df)),
        "n_duplicates": int(len(values) - len(unique)),
        "n_matched": int(np.isfinite(result).sum()),
    }
    return result, record


def _numeric_columns(columns: Sequence[str], tables: Sequence[tuple[pd.DataFrame, str]]) -> None:
    """Each column in the first table holding it must be numbers (empty allowed): an InputError
    naming the file and row of the first text or infinite value."""
    for col in columns:
        for df, where in tables:
            if col in df.columns:
                _numbers(df[col], where, col, None, allow_nan=True)
                break


def quantitative(
    joined: pd.DataFrame,
    main: str,
    comparators: Sequence[str],
    compare: dict[str, np.ndarray],
    n_boot: int,
    seed: int,
) -> dict:
    """:func:`quantitative_validation` of ``obs_effect`` vs the ``main`` column, the comparator
    columns and the compare files' values (in that order; a repeated name is used once)."""
    _check_columns(joined, [main, *comparators])
    predictions = {main: pd.to_numeric(joined[main], errors="coerce").to_numpy(float)}
    for col in comparators:
        predictions.setdefault(col, pd.to_numeric(joined[col], errors="coerce").to_numpy(float))
    for name, values in compare.items():
        if name in predictions:
            raise InputError(f"--compare {name}: the name is already a score column; choose another NAME")
        predictions[name] = values
    return quantitative_validation(joined["obs_effect"].to_numpy(float), predictions, n_boot, seed)


def _read_scores(scores: str | os.PathLike) -> pd.DataFrame:
    """The scores table, with its key columns checked: CHROM, POS, ID, REF, ALT from genome input,
    or ID, SEQ_POS, REF, ALT from ``score-variants --pairs`` (joined on ID)."""
    score_df = read_table(scores)
    pairs = "SEQ_POS" in score_df.columns and "CHROM" not in score_df.columns
    keys = ("ID", "SEQ_POS", "REF", "ALT") if pairs else ("CHROM", "POS", "ID", "REF", "ALT")
    missing = [c for c in keys if c not in score_df.columns]
    if missing:
        raise InputError(f"{scores}: not a scores table (missing {', '.join(missing)})")
    return score_df


def _quantitative_outputs(out: Path, joined: pd.DataFrame, result: dict, effect_column: str) -> list[str]:
    """Write quantitative.tsv, quantitative_scatter.png and sign_by_decile.png; their names."""
    write_table(quantitative_table(result), out / "quantitative.tsv")
    main = result["main"]
    pred = pd.to_numeric(joined[main], errors="coerce").to_numpy(float)
    effect = joined["obs_effect"].to_numpy(float)
    ok = np.isfinite(pred) & np.isfinite(effect)
    rho = result["sources"][main]["subsets"]["all"]["spearman"]
    plot_effect_scatter(
        pred[ok],
        effect[ok],
        out / "quantitative_scatter.png",
        f"{main} vs {effect_column}\nSpearman {rho['value']:.3f} [{rho['lo']:.3f}, {rho['hi']:.3f}] "
        f"(n={int(ok.sum()):,})",
        f"predicted {main} (ALT vs REF)",
        f"measured {effect_column} (ALT vs REF)",
    )
    plot_sign_by_decile(result, out / "sign_by_decile.png")
    return ["quantitative.tsv", "quantitative_scatter.png", "sign_by_decile.png"]


def validate_variants(
    scores: str | os.PathLike,
    observed: str | os.PathLike,
    out_dir: str | os.PathLike,
    score_column: str = "max_abs_diff",
    comparators: Sequence[str] = (),
    top_k: Sequence[int] = (50, 100, 200),
    profile: str | None = None,
    effect_column: str | None = None,
    effect_score: str | None = None,
    compare: Sequence[tuple[str, str | os.PathLike, str | None]] = (),
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """The ``validate-variants`` command: writes enrichment.tsv, validation.json, joined.tsv,
    skipped.tsv (repeated variants), enrichment.png and scatter.png to ``out_dir``; returns the
    summary. With ``effect_column`` (measured effect, ALT relative to REF) also quantitative.tsv,
    quantitative_scatter.png and sign_by_decile.png, and ``summary["quantitative"]``; then the
    enrichment (and scatter) outputs are written only when the observed table has their columns.
    ``compare``: (name, scores file, column or None for the effect-score column) per other model.
    """
    out = Path(out_dir)
    score_df = _read_scores(scores)
    if QUANTILE in (score_column, *comparators):
        name = quantile_column(list(score_df.columns), profile, scores)
        score_column = name if score_column == QUANTILE else score_column
        comparators = [name if c == QUANTILE else c for c in comparators]
    comparators = [c for c in dict.fromkeys(comparators) if c != score_column]  # each method once
    obs = standardize_observed(read_table(observed), str(observed), effect_column)
    main = None
    if effect_column is not None:
        available = [*score_df.columns, *obs.columns]
        main = effect_score_column(list(score_df.columns), available, profile, effect_score)
        _numeric_columns([main, *comparators], [(score_df, str(scores)), (obs, str(observed))])
    # sequence-pair scores carry no coordinates: they join on the id, as observed tables without them
    coordinates = {"chrom", "pos", "ref", "alt"} <= set(obs.columns) and "CHROM" in score_df.columns
    score_df, dropped_scores = drop_duplicate_keys(
        score_df, join_keys(score_df, coordinates, scores=True), str(scores)
    )
    obs, dropped_obs = drop_duplicate_keys(obs, join_keys(obs, coordinates, scores=False), str(observed))
    joined = join_scores(score_df, obs)
    if joined.empty:
        raise InputError(
            f"no variant of {observed} is in {scores} (join on "
            f"{'chrom/pos/ref/alt' if coordinates else 'variant id'})"
        )
    summary, table = validate(joined, score_column, comparators, top_k, profile)
    compared: dict[str, np.ndarray] = {}
    files: dict[str, dict] = {}
    for name, path, column in compare if main is not None else ():
        if name in joined.columns:
            raise InputError(f"--compare {name}: the joined table already has a column {name!r}; rename it")
        compared[name], files[name] = join_compare(joined, Path(path), column or main, coordinates, name)
        joined[name] = compared[name]
    quant = None
    if main is not None:
        quant = quantitative(joined, main, comparators, compared, n_boot, seed)
        quant.update(effect_column=effect_column, effect_score=main, compare_files=files)
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "scores": str(scores),
        "observed": str(observed),
        "n_scores": int(len(score_df)),
        "n_observed": int(len(obs)),
        "n_scores_duplicates": len(dropped_scores),
        "n_observed_duplicates": len(dropped_obs),
        "skipped_list": str(out / "skipped.tsv"),
        **summary,
        **({"quantitative": quant} if quant is not None else {}),
    }
    outputs = ["validation.json", "joined.tsv", "skipped.tsv"]
    has_sig, has_ratio = "significant" in joined.columns, "obs_log_ratio" in joined.columns
    pred = predicted_log_ratio(joined, profile) if has_ratio else None
    if pred is not None:
        joined = joined.assign(pred_log_ratio=pred)
    write_table(
        pd.DataFrame(dropped_scores + dropped_obs, columns=["file", "row", "key", "reason", "message"]),
        out / "skipped.tsv",
    )
    write_table(joined, out / "joined.tsv")
    if has_sig:
        write_table(table, out / "enrichment.tsv")
        plot_enrichment(
            table,
            out / "enrichment.png",
            f"significant variants among the top k (n={len(joined)}, {summary['n_significant']} significant)",
        )
        outputs += ["enrichment.tsv", "enrichment.png"]
    if has_sig and pred is not None:
        sp = summary["spearman_significant"]
        plot_scatter(
            pred,
            joined["obs_log_ratio"].to_numpy(float),
            joined["significant"].to_numpy(bool),
            out / "scatter.png",
            f"predicted by {profile or 'each variant' + chr(39) + 's max_abs_profile'}; "
            f"significant: Spearman {sp['rho']:.2f} (n={sp['n']})",
        )
        outputs.append("scatter.png")
    if quant is not None:
        outputs += _quantitative_outputs(out, joined, quant, effect_column)
    summary["outputs"] = outputs
    write_json(out / "validation.json", summary)
    return summary


def format_summary(summary: dict) -> str:
    """A few printable lines: enrichment per k, Spearman, sign agreement, and the quantitative
    comparison when there is one."""
    n_sig = summary.get("n_significant")
    lines = [
        f"{summary['n_joined']:,} variants joined" + (f", {n_sig:,} significant" if n_sig is not None else "")
    ]
    for r in summary.get("enrichment", []):
        lines.append(
            f"  top {r['k']}: {r['sig_top']}/{r['k']} significant, odds ratio "
            f"{r['odds_ratio']:.2f}, Fisher p {r['p_value']:.2g}, fold "
            f"{r['fold_enrichment']:.2f}"
        )
    if "spearman_significant" in summary:
        s, a = summary["spearman_significant"], summary["sign_agreement_significant"]
        lines.append(
            f"  Spearman (significant) {s['rho']:.3f} (p {s['p_value']:.2g}, n={s['n']}); "
            f"all {summary['spearman_all']['rho']:.3f}"
        )
        lines.append(f"  sign agreement (significant) {a['fraction']:.1%} ({a['agree']}/{a['n']})")
    elif "spearman_all" in summary:
        s = summary["spearman_all"]
        lines.append(f"  Spearman of predicted vs observed log(ref/alt) {s['rho']:.3f} (n={s['n']})")
    by_type = summary.get("by_type", {})
    if len(by_type) > 1:
        for name, part in by_type.items():
            best = ", ".join(
                f"top {r['k']}: odds ratio {r['odds_ratio']:.2f} (p {r['p_value']:.2g})"
                for r in part["enrichment"]
            )
            lines.append(
                f"  {name}s: {part['n']:,} ({part['n_significant']:,} significant)"
                + (f"; {best}" if best else "")
            )
    if "quantitative" in summary:
        lines.extend(format_quantitative(summary["quantitative"]))
    duplicates = summary.get("n_scores_duplicates", 0) + summary.get("n_observed_duplicates", 0)
    if duplicates:
        lines.append(
            f"  repeated variants dropped: {summary.get('n_scores_duplicates', 0)} in the scores, "
            f"{summary.get('n_observed_duplicates', 0)} in the observed table (listed in "
            f"{summary.get('skipped_list', 'skipped.tsv')})"
        )
    return "\n".join(lines)
