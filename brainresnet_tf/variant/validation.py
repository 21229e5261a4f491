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


def standardize_observed(obs: pd.DataFrame, where: str = "observed table") -> pd.DataFrame:
    """Observed table with columns ``obs_log_ratio``, ``significant`` and the join keys found.

    Every value is checked: ``pos`` a 1-based integer, reads non-negative numbers, a log ratio a
    number (or empty), ``significant`` 0/1 or true/false; the first bad one is an InputError
    naming the file, row and value.
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
    lr, rr, ar = _find(obs, "log_ratio"), _find(obs, "ref_reads"), _find(obs, "alt_reads")
    if lr is not None:
        out["obs_log_ratio"] = _numbers(obs[lr], where, lr, None, allow_nan=True)
    elif rr is not None and ar is not None:
        ref = _numbers(obs[rr], where, rr, 0, allow_nan=False)
        alt = _numbers(obs[ar], where, ar, 0, allow_nan=False)
        out["ref_reads"], out["alt_reads"] = ref, alt
        out["obs_log_ratio"] = np.log((ref + 0.5) / (alt + 0.5))
    else:
        raise InputError(
            f"{where}: needs ref_reads and alt_reads, or log_ratio "
            f"(found columns: {', '.join(map(str, obs.columns))})"
        )
    sig = _find(obs, "significant")
    if sig is None:
        raise InputError(f"{where}: needs a 'significant' column (0/1 or true/false)")
    out["significant"] = _significance(obs[sig], where, sig)
    used = {c for c in (_find(obs, k) for k in _ALIASES) if c is not None}
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
    score: np.ndarray, significant: np.ndarray, ks: Sequence[int], alternative: str = "two-sided"
) -> pd.DataFrame:
    """Significant variants among the top-k by |score| vs the rest: Fisher's exact test per k.

    Columns: k, n, n_significant, sig_top, nonsig_top, sig_rest, nonsig_rest, odds_ratio,
    p_value, fold_enrichment ((sig_top / k) / (n_significant / n)). k values >= n are skipped.
    """
    score = np.abs(np.asarray(score, dtype=float))
    sig = np.asarray(significant, dtype=bool)
    order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")
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


def validate(
    joined: pd.DataFrame,
    score_column: str = "max_abs_diff",
    comparators: Sequence[str] = (),
    top_k: Sequence[int] = (50, 100, 200),
    profile: str | None = None,
) -> tuple[dict, pd.DataFrame]:
    """(summary dict, long enrichment table) for a joined scores + observed table."""
    for col in [score_column, *comparators]:
        if col not in joined.columns:
            raise InputError(
                f"scores have no column {col!r} (have: "
                f"{', '.join(c for c in joined.columns if c not in ('CHROM', 'ID'))})"
            )
    sig = joined["significant"].to_numpy(bool)
    frames = []
    for col in [score_column, *comparators]:
        t = enrichment(joined[col].to_numpy(float), sig, top_k)
        frames.append(t.assign(method=col))
    table = pd.concat(frames, ignore_index=True)
    table = table[["method", *[c for c in table.columns if c != "method"]]]
    pred = predicted_log_ratio(joined, profile)
    obs = joined["obs_log_ratio"].to_numpy(float)
    summary = {
        "n_joined": int(len(joined)),
        "n_significant": int(sig.sum()),
        "score_column": score_column,
        "comparators": list(comparators),
        "profile": profile or "per-variant max_abs_profile",
        "enrichment": table[table["method"] == score_column].drop(columns="method").to_dict("records"),
        "comparator_enrichment": table[table["method"] != score_column].to_dict("records"),
        "spearman_significant": spearman(pred[sig], obs[sig]),
        "spearman_all": spearman(pred, obs),
        "sign_agreement_significant": sign_agreement(pred[sig], obs[sig]),
    }
    if {"REF", "ALT"} <= set(joined.columns):
        types = variant_types(joined["REF"], joined["ALT"])
        score = joined[score_column].to_numpy(float)
        summary["by_type"] = {
            t: {
                "n": int((types == t).sum()),
                "n_significant": int(sig[types == t].sum()),
                "enrichment": enrichment(score[types == t], sig[types == t], top_k).to_dict("records"),
                "sign_agreement_significant": sign_agreement(
                    pred[(types == t) & sig], obs[(types == t) & sig]
                ),
            }
            for t in ("snv", "indel", "mnv")
            if (types == t).any()
        }
    return summary, table


def validate_variants(
    scores: str | os.PathLike,
    observed: str | os.PathLike,
    out_dir: str | os.PathLike,
    score_column: str = "max_abs_diff",
    comparators: Sequence[str] = (),
    top_k: Sequence[int] = (50, 100, 200),
    profile: str | None = None,
) -> dict:
    """The ``validate-variants`` command: writes enrichment.tsv, validation.json, joined.tsv,
    skipped.tsv (repeated variants), enrichment.png and scatter.png to ``out_dir``; returns the
    summary."""
    out = Path(out_dir)
    score_df = read_table(scores)
    missing = [c for c in ("CHROM", "POS", "ID", "REF", "ALT") if c not in score_df.columns]
    if missing:
        raise InputError(f"{scores}: not a scores table (missing {', '.join(missing)})")
    obs = standardize_observed(read_table(observed), str(observed))
    coordinates = {"chrom", "pos", "ref", "alt"} <= set(obs.columns)
    score_df, dropped_scores = drop_duplicate_keys(
        score_df, join_keys(score_df, coordinates, scores=True), str(scores)
    )
    obs, dropped_obs = drop_duplicate_keys(obs, join_keys(obs, coordinates, scores=False), str(observed))
    out.mkdir(parents=True, exist_ok=True)
    joined = join_scores(score_df, obs)
    if joined.empty:
        raise InputError(
            f"no variant of {observed} is in {scores} (join on "
            f"{'chrom/pos/ref/alt' if 'chrom' in obs.columns else 'variant id'})"
        )
    summary, table = validate(joined, score_column, comparators, top_k, profile)
    summary = {
        "scores": str(scores),
        "observed": str(observed),
        "n_scores": int(len(score_df)),
        "n_observed": int(len(obs)),
        "n_scores_duplicates": len(dropped_scores),
        "n_observed_duplicates": len(dropped_obs),
        "skipped_list": str(out / "skipped.tsv"),
        **summary,
    }
    pred = predicted_log_ratio(joined, profile)
    joined = joined.assign(pred_log_ratio=pred)
    write_table(
        pd.DataFrame(dropped_scores + dropped_obs, columns=["file", "row", "key", "reason", "message"]),
        out / "skipped.tsv",
    )
    write_table(table, out / "enrichment.tsv")
    write_table(joined, out / "joined.tsv")
    write_json(out / "validation.json", summary)
    plot_enrichment(
        table,
        out / "enrichment.png",
        f"significant variants among the top k (n={len(joined)}, {summary['n_significant']} significant)",
    )
    sp = summary["spearman_significant"]
    plot_scatter(
        pred,
        joined["obs_log_ratio"].to_numpy(float),
        joined["significant"].to_numpy(bool),
        out / "scatter.png",
        f"predicted by {profile or 'each variant' + chr(39) + 's max_abs_profile'}; "
        f"significant: Spearman {sp['rho']:.2f} (n={sp['n']})",
    )
    return summary


def format_summary(summary: dict) -> str:
    """A few printable lines: enrichment per k, Spearman, sign agreement."""
    lines = [f"{summary['n_joined']:,} variants joined, {summary['n_significant']:,} significant"]
    for r in summary["enrichment"]:
        lines.append(
            f"  top {r['k']}: {r['sig_top']}/{r['k']} significant, odds ratio "
            f"{r['odds_ratio']:.2f}, Fisher p {r['p_value']:.2g}, fold "
            f"{r['fold_enrichment']:.2f}"
        )
    s, a = summary["spearman_significant"], summary["sign_agreement_significant"]
    lines.append(
        f"  Spearman (significant) {s['rho']:.3f} (p {s['p_value']:.2g}, n={s['n']}); "
        f"all {summary['spearman_all']['rho']:.3f}"
    )
    lines.append(f"  sign agreement (significant) {a['fraction']:.1%} ({a['agree']}/{a['n']})")
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
    duplicates = summary.get("n_scores_duplicates", 0) + summary.get("n_observed_duplicates", 0)
    if duplicates:
        lines.append(
            f"  repeated variants dropped: {summary.get('n_scores_duplicates', 0)} in the scores, "
            f"{summary.get('n_observed_duplicates', 0)} in the observed table (listed in "
            f"{summary.get('skipped_list', 'skipped.tsv')})"
        )
    return "\n".join(lines)
