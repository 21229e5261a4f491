"""Constraint of top-scored variants: conservation (GERP++, phyloP ...) and allele frequency.

The Brain-ResNet manuscript's "GERP Score Distribution": variants the model scores as most
disruptive sit at more constrained positions than the rest. Here, for a scores table and any
number of annotation tracks (bigWig) and/or allele frequencies:

* variants are ranked by ``|score|`` (NaN scores are counted as unscored and left out of the
  ranking; ties keep the table's order);
* for each k, the top k are compared with the rest and with a seeded random sample of k of the
  rest: median and mean annotation, a one-sided Mann-Whitney U test (scipy; ``greater`` for
  conservation, ``less`` for minor allele frequency) and the rank-biserial correlation
  r = 2U / (n1 n2) - 1 = P(top > other) - P(top < other);
* a variant without a value (no bigWig coverage, no allele frequency) stays in its group's n and
  is counted in ``n_missing``; tests use the values present;
* minor allele frequency (MAF = min(AF, 1 - AF)) per score decile (1 = lowest |score|, 10 =
  highest): mean and median MAF and the fraction rare (MAF < 1%), with two trend tests:
  Spearman's rho between decile and MAF over variants (one-sided, MAF decreasing) and the
  Cochran-Armitage test for a trend in the fraction rare (one-sided, increasing).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.allele_frequency import check_af_values, minor_allele_frequency, read_info_af
from brainresnet_tf.io.atomic import write_json
from brainresnet_tf.io.tables import TableWriter, read_table, write_table
from brainresnet_tf.io.tracks import AnnotationTrack, open_tracks
from brainresnet_tf.io.variant_table import chrom_key, find_key_columns, iter_variant_table

MAF = "MAF"
RARE_MAF = 0.01
ALTERNATIVES = ("greater", "less", "two-sided")
COMPARISON_COLUMNS = [
    "annotation",
    "k",
    "versus",
    "alternative",
    "n_top",
    "n_top_missing",
    "n_other",
    "n_other_missing",
    "median_top",
    "median_other",
    "mean_top",
    "mean_other",
    "u_statistic",
    "p_value",
    "rank_biserial",
]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class AlleleFrequencySource:
    """Where allele frequencies come from: a VCF INFO key, a column of the scores, or a table."""

    vcf: str | os.PathLike | None = None
    key: str = "AF"
    column: str | None = None
    table: str | os.PathLike | None = None

    def describe(self) -> str:
        """One phrase for logs and the JSON."""
        if self.vcf is not None:
            return f"INFO/{self.key} of {self.vcf}"
        if self.table is not None:
            return f"column {self.column} of {self.table}"
        return f"column {self.column} of the scores"


def _af_lookup(source: AlleleFrequencySource) -> pd.DataFrame | None:
    """A table keyed like the scores (``_c, pos, ref, alt`` or ``id``) with ``af``; None when the
    frequencies are a column of the scores themselves."""
    if source.vcf is not None:
        df = read_info_af(source.vcf, source.key)
    elif source.table is not None:
        if not source.column:
            raise InputError(f"{source.table}: name the allele-frequency column (--af-column)")
        raw = read_table(source.table)
        if source.column not in raw.columns:
            raise InputError(
                f"{source.table}: no column {source.column!r} "
                f"(have: {', '.join(map(str, raw.columns))[:300]})"
            )
        keys = find_key_columns(raw.columns)
        df = pd.DataFrame({k: raw[c] for k, c in keys.items()})
        df["af"] = check_af_values(raw[source.column], str(source.table), source.column)
        if not ({"chrom", "pos", "ref", "alt"} <= set(df.columns) or "id" in df.columns):
            raise InputError(f"{source.table}: needs chrom, pos, ref, alt columns or a variant id column")
    else:
        return None
    if {"chrom", "pos", "ref", "alt"} <= set(df.columns):
        df = df.assign(
            _c=chrom_key(df["chrom"]).to_numpy(),
            pos=pd.to_numeric(df["pos"], errors="coerce"),
            ref=df["ref"].astype(str).str.upper(),
            alt=df["alt"].astype(str).str.upper(),
        )
        return df[["_c", "pos", "ref", "alt", "af"]].drop_duplicates(["_c", "pos", "ref", "alt"])
    return df.assign(id=df["id"].astype(str))[["id", "af"]].drop_duplicates("id")


def _join_af(chunk: pd.DataFrame, lookup: pd.DataFrame, where: str) -> np.ndarray:
    if "_c" in lookup.columns:
        if (chunk["ref"] == ".").all() or (chunk["alt"] == ".").all():
            raise InputError(
                f"{where}: has no REF and ALT columns, needed to join allele frequencies by allele"
            )
        left = chunk[["pos", "ref", "alt"]].assign(_c=chrom_key(chunk["chrom"]).to_numpy())
        merged = left.merge(lookup, on=["_c", "pos", "ref", "alt"], how="left", sort=False)
    else:
        merged = chunk[["id"]].merge(lookup, on="id", how="left", sort=False)
    return merged["af"].to_numpy(np.float64)


# --------------------------------------------------------------------------- annotation


@dataclass
class Annotated:
    """Per-variant scores and annotations, in table order (the only per-variant state kept)."""

    score: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    af: np.ndarray | None = None
    n_rows: int = 0

    @property
    def maf(self) -> np.ndarray | None:
        """Minor allele frequency, or None without allele frequencies."""
        return None if self.af is None else minor_allele_frequency(self.af)


def variant_track_values(track: AnnotationTrack, chunk: pd.DataFrame) -> np.ndarray:
    """A track's value per variant: at POS for SNVs and insertions (the anchor base), and the
    largest value over the bases REF spans for deletions and MNVs (the most constrained base the
    variant removes or changes); NaN only where no spanned base is covered."""
    chroms = chunk["chrom"].to_numpy()
    start = chunk["pos"].to_numpy(np.int64) - 1
    values = track.values_at(chroms, start)
    span = chunk["ref"].astype(str).str.len().to_numpy() if "ref" in chunk else np.ones(len(chunk), int)
    for offset in range(1, int(span.max(initial=1))):
        rows = np.flatnonzero(span > offset)
        more = track.values_at(chroms[rows], start[rows] + offset)
        values[rows] = np.fmax(values[rows], more)
    return values


def annotate_table(
    scores: str | os.PathLike,
    score_column: str,
    tracks: Sequence[AnnotationTrack] = (),
    af_source: AlleleFrequencySource | None = None,
    out_tsv: str | os.PathLike | None = None,
    chunksize: int = 200_000,
    log: Callable[[str], None] | None = None,
) -> Annotated:
    """Read ``scores`` in chunks, look up every track (and allele frequency) per chunk, stream the
    annotated rows to ``out_tsv`` and keep only the numbers the statistics need."""
    lookup = _af_lookup(af_source) if af_source is not None else None
    af_column = af_source.column if af_source is not None and lookup is None else None
    value_columns = [score_column] + ([af_column] if af_column and af_column != score_column else [])
    scores_parts, af_parts = [], []
    track_parts: dict[str, list[np.ndarray]] = {t.name: [] for t in tracks}
    writer = TableWriter(out_tsv) if out_tsv is not None else None
    try:
        for line, chunk in iter_variant_table(scores, value_columns, chunksize):
            out = chunk[["chrom", "pos", "id", "ref", "alt", score_column]].rename(
                columns={"chrom": "CHROM", "pos": "POS", "id": "ID", "ref": "REF", "alt": "ALT"}
            )
            scores_parts.append(chunk[score_column].to_numpy(np.float64))
            for track in tracks:
                values = variant_track_values(track, chunk)
                track_parts[track.name].append(values)
                out[track.name] = values
            if af_column is not None:
                af = check_af_values(chunk[af_column], str(scores), af_column, first_line=line)
            elif lookup is not None:
                af = _join_af(chunk, lookup, str(scores))
            else:
                af = None
            if af is not None:
                af_parts.append(af)
                out["AF"], out[MAF] = af, minor_allele_frequency(af)
            if writer is not None:
                writer.write(out)
            if log is not None:
                log(f"  {line - 2 + len(chunk):,} variants annotated")
        if writer is not None:
            writer.close(pd.DataFrame(columns=["CHROM", "POS", "ID", "REF", "ALT", score_column]))
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    score = np.concatenate(scores_parts) if scores_parts else np.empty(0)
    return Annotated(
        score=score,
        values={k: np.concatenate(v) if v else np.empty(0) for k, v in track_parts.items()},
        af=(np.concatenate(af_parts) if af_parts else np.empty(0)) if af_source is not None else None,
        n_rows=len(score),
    )


# --------------------------------------------------------------------------- statistics


def ranking(score: np.ndarray) -> np.ndarray:
    """Indices of the scored variants (finite score) by |score|, highest first; ties keep order."""
    score = np.asarray(score, np.float64)
    scored = np.flatnonzero(np.isfinite(score))
    return scored[np.argsort(-np.abs(score[scored]), kind="stable")]


def mann_whitney(top: np.ndarray, other: np.ndarray, alternative: str = "greater") -> dict:
    """One-sided (or two-sided) Mann-Whitney U of ``top`` vs ``other`` over finite values, with the
    rank-biserial correlation 2U/(n1 n2) - 1 (positive: top tends to be larger)."""
    x = np.asarray(top, np.float64)
    y = np.asarray(other, np.float64)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if not len(x) or not len(y):
        return {"u_statistic": float("nan"), "p_value": float("nan"), "rank_biserial": float("nan")}
    res = stats.mannwhitneyu(x, y, alternative=alternative)
    u = float(res.statistic)
    return {
        "u_statistic": u,
        "p_value": float(res.pvalue),
        "rank_biserial": 2.0 * u / (len(x) * len(y)) - 1.0,
    }


def _summary(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    return (float(np.median(v)), float(np.mean(v))) if len(v) else (float("nan"), float("nan"))


@dataclass(frozen=True)
class Groups:
    """Index sets per k: the top k, the rest and a random sample of k of the rest (seeded)."""

    k: int
    top: np.ndarray
    rest: np.ndarray
    random: np.ndarray


def top_k_groups(score: np.ndarray, ks: Sequence[int], seed: int = 0) -> list[Groups]:
    """Groups for each k with 1 <= k < number of scored variants (others are skipped)."""
    order = ranking(score)
    rng = np.random.default_rng(seed)
    out = []
    for k in sorted(dict.fromkeys(int(k) for k in ks)):
        if not 1 <= k < len(order):
            continue
        rest = order[k:]
        sample = np.sort(rng.choice(rest, min(k, len(rest)), replace=False))
        out.append(Groups(k, order[:k], rest, sample))
    return out


def compare(name: str, values: np.ndarray, groups: Sequence[Groups], alternative: str) -> pd.DataFrame:
    """One row per k and comparison (rest, random): medians, means, counts, U, p, rank-biserial."""
    values = np.asarray(values, np.float64)
    rows = []
    for g in groups:
        top = values[g.top]
        for versus, idx in (("rest", g.rest), ("random", g.random)):
            other = values[idx]
            med_t, mean_t = _summary(top)
            med_o, mean_o = _summary(other)
            rows.append(
                {
                    "annotation": name,
                    "k": g.k,
                    "versus": versus,
                    "alternative": alternative,
                    "n_top": len(top),
                    "n_top_missing": int(np.isnan(top).sum()),
                    "n_other": len(other),
                    "n_other_missing": int(np.isnan(other).sum()),
                    "median_top": med_t,
                    "median_other": med_o,
                    "mean_top": mean_t,
                    "mean_other": mean_o,
                    **mann_whitney(top, other, alternative),
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def score_deciles(score: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Decile of each variant by |score| rank (1 = lowest, n_bins = highest; 0 = unscored).
    Equal-sized bins (ranks, not values), fewer bins when there are fewer scored variants."""
    order = ranking(score)[::-1]  # lowest |score| first
    deciles = np.zeros(len(score), np.int64)
    n = len(order)
    bins = min(n_bins, n)
    if n:
        deciles[order] = np.arange(n) * bins // n + 1
    return deciles


def cochran_armitage(successes: np.ndarray, totals: np.ndarray, scores: np.ndarray | None = None) -> dict:
    """Cochran-Armitage test for a trend in proportions over ordered groups.

    Written out (a few lines of the textbook formula) because scipy has no such test. Returns z
    and the one-sided p for an increasing trend (``p_increasing``) and the two-sided p.
    """
    x = np.asarray(successes, np.float64)
    n = np.asarray(totals, np.float64)
    t = np.arange(1, len(n) + 1, dtype=np.float64) if scores is None else np.asarray(scores, np.float64)
    keep = n > 0
    x, n, t = x[keep], n[keep], t[keep]
    total = n.sum()
    if len(n) < 2 or total == 0:
        return {"z": float("nan"), "p_increasing": float("nan"), "p_two_sided": float("nan")}
    p = x.sum() / total
    stat = float(np.sum(t * (x - n * p)))
    var = p * (1 - p) * (np.sum(n * t**2) - np.sum(n * t) ** 2 / total)
    if var <= 0:
        return {"z": float("nan"), "p_increasing": float("nan"), "p_two_sided": float("nan")}
    z = stat / np.sqrt(var)
    return {
        "z": float(z),
        "p_increasing": float(stats.norm.sf(z)),
        "p_two_sided": float(2 * stats.norm.sf(abs(z))),
    }


def maf_by_decile(score: np.ndarray, maf: np.ndarray, rare: float = RARE_MAF) -> tuple[pd.DataFrame, dict]:
    """(per-decile table, trend tests) of minor allele frequency over score deciles."""
    score = np.asarray(score, np.float64)
    maf = np.asarray(maf, np.float64)
    deciles = score_deciles(score)
    rows = []
    for d in range(1, int(deciles.max(initial=0)) + 1):
        sel = deciles == d
        m = maf[sel]
        have = m[np.isfinite(m)]
        s = np.abs(score[sel])
        rows.append(
            {
                "decile": d,
                "n": int(sel.sum()),
                "n_missing": int(len(m) - len(have)),
                "score_min": float(s.min()),
                "score_max": float(s.max()),
                "mean_maf": float(have.mean()) if len(have) else float("nan"),
                "median_maf": float(np.median(have)) if len(have) else float("nan"),
                "n_rare": int((have < rare).sum()),
                "fraction_rare": float((have < rare).mean()) if len(have) else float("nan"),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "decile",
            "n",
            "n_missing",
            "score_min",
            "score_max",
            "mean_maf",
            "median_maf",
            "n_rare",
            "fraction_rare",
        ],
    )
    ok = (deciles > 0) & np.isfinite(maf)
    if ok.sum() >= 3 and len(np.unique(deciles[ok])) > 1 and len(np.unique(maf[ok])) > 1:
        res = stats.spearmanr(deciles[ok], maf[ok], alternative="less")
        spearman = {"rho": float(res.statistic), "p_value": float(res.pvalue), "n": int(ok.sum())}
    else:
        spearman = {"rho": float("nan"), "p_value": float("nan"), "n": int(ok.sum())}
    ca = cochran_armitage(table["n_rare"].to_numpy(), (table["n"] - table["n_missing"]).to_numpy())
    trend = {
        "spearman_decile_vs_maf": {**spearman, "alternative": "less (MAF falls as the score rises)"},
        "cochran_armitage_rare": {
            **ca,
            "alternative": "increasing (more rare variants as the score rises)",
            "rare_below": rare,
        },
        "decreasing": bool(np.isfinite(spearman["rho"]) and spearman["rho"] < 0),
    }
    return table, trend


# --------------------------------------------------------------------------- the command


def constraint_analysis(
    scores: str | os.PathLike,
    out_dir: str | os.PathLike,
    tracks: Sequence[tuple[str, str | os.PathLike]] = (),
    af_source: AlleleFrequencySource | None = None,
    score_column: str = "max_abs_diff",
    top_k: Sequence[int] = (50, 100, 200),
    seed: int = 0,
    rare: float = RARE_MAF,
    alternative: str = "greater",
    chunksize: int = 200_000,
    log: Callable[[str], None] | None = None,
) -> dict:
    """The ``constraint`` command: writes annotated.tsv, constraint.tsv, constraint.json,
    distribution.png and, with allele frequencies, maf_deciles.tsv and maf_deciles.png."""
    from brainresnet_tf.variant.constraint_plots import plot_distributions, plot_maf_deciles

    if not tracks and af_source is None:
        raise InputError("nothing to test: give annotation tracks (--track) and/or allele frequencies")
    if alternative not in ALTERNATIVES:
        raise InputError(f"--alternative {alternative!r}: expected one of {', '.join(ALTERNATIVES)}")
    if not 0 < rare < 0.5:
        raise InputError(f"--rare {rare}: expected a minor allele frequency between 0 and 0.5")
    reserved = {"CHROM", "POS", "ID", "REF", "ALT", "AF", MAF, score_column}
    clash = [name for name, _ in tracks if name in reserved]
    if clash:
        raise InputError(f"track name {clash[0]!r} is taken by an output column: name it NAME=PATH")
    out = Path(out_dir)
    opened = open_tracks(tracks)
    try:
        ann = annotate_table(scores, score_column, opened, af_source, out / "annotated.tsv", chunksize, log)
    finally:
        for t in opened:
            t.close()
    n_scored = int(np.isfinite(ann.score).sum())
    if n_scored < 2:
        raise InputError(f"{scores}: {n_scored} variant(s) with a finite {score_column}; need at least 2")
    groups = top_k_groups(ann.score, top_k, seed)
    if not groups:
        raise InputError(f"--top-k {','.join(map(str, top_k))}: every k is >= the {n_scored} scored variants")
    frames = [compare(name, v, groups, alternative) for name, v in ann.values.items()]
    maf = ann.maf
    summary: dict = {
        "scores": str(scores),
        "score_column": score_column,
        "ranking": f"|{score_column}|, highest first",
        "n_variants": ann.n_rows,
        "n_unscored": ann.n_rows - n_scored,
        "top_k": [g.k for g in groups],
        "seed": seed,
        "random_sample": "k variants drawn without replacement from the rest (not in the top k)",
        "tracks": {},
    }
    for (name, path), (_, values) in zip(tracks, ann.values.items()):
        summary["tracks"][name] = {
            "path": str(path),
            "n_with_value": int(np.isfinite(values).sum()),
            "n_missing": int(np.isnan(values).sum()),
        }
    if maf is not None:
        frames.append(compare(MAF, maf, groups, "less"))
        table, trend = maf_by_decile(ann.score, maf, rare)
        write_table(table, out / "maf_deciles.tsv")
        summary["allele_frequency"] = {
            "source": af_source.describe() if af_source else "",
            "n_with_value": int(np.isfinite(maf).sum()),
            "n_missing": int(np.isnan(maf).sum()),
            "rare_below": rare,
            "deciles": table.to_dict("records"),
            "trend": trend,
        }
        plot_maf_deciles(table, trend, out / "maf_deciles.png", score_column)
    comparisons = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COMPARISON_COLUMNS)
    write_table(comparisons, out / "constraint.tsv")
    summary["comparisons"] = comparisons.to_dict("records")
    if ann.values:
        plot_distributions(ann.values, groups, comparisons, out / "distribution.png", score_column)
    write_json(out / "constraint.json", summary)
    return summary


def format_summary(summary: dict) -> str:
    """Printable lines: top k vs rest / random per annotation; MAF per decile and trend."""
    lines = [
        f"{summary['n_variants']:,} variants ({summary['n_unscored']:,} unscored), "
        f"ranked by {summary['ranking']}"
    ]
    for name, t in summary["tracks"].items():
        lines.append(f"  {name}: {t['n_with_value']:,} with a value, {t['n_missing']:,} not covered (NaN)")
    for r in summary["comparisons"]:
        lines.append(
            f"  {r['annotation']} top {r['k']} vs {r['versus']} (n={r['n_other']}): median "
            f"{r['median_top']:.3g} vs {r['median_other']:.3g}, mean {r['mean_top']:.3g} vs "
            f"{r['mean_other']:.3g}, Mann-Whitney ({r['alternative']}) p {r['p_value']:.2g}, "
            f"rank-biserial {r['rank_biserial']:+.2f}"
        )
    af = summary.get("allele_frequency")
    if af:
        lines.append(
            f"  allele frequency from {af['source']}: {af['n_with_value']:,} with a value, "
            f"{af['n_missing']:,} missing"
        )
        for d in af["deciles"]:
            lines.append(
                f"    decile {d['decile']:>2} (n={d['n']}): mean MAF {d['mean_maf']:.4f}, "
                f"rare (< {af['rare_below']:g}) {d['fraction_rare']:.0%}"
            )
        s = af["trend"]["spearman_decile_vs_maf"]
        ca = af["trend"]["cochran_armitage_rare"]
        lines.append(
            f"  trend: Spearman rho(decile, MAF) {s['rho']:+.3f} (one-sided p {s['p_value']:.2g}); "
            f"Cochran-Armitage (fraction rare) z {ca['z']:+.2f} (one-sided p {ca['p_increasing']:.2g})"
        )
    return "\n".join(lines)
