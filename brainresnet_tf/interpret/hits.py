"""Motif instances (hits) in explained windows: a PWM match that the model also leans on.

Every offset of every window is scored on both strands for each motif with two numbers:

* ``match``: the PWM log-odds score (bits, uniform background) of the sequence;
* ``contribution``: the model's summed per-base attribution over the instance (the
  contribution-weighted sequence, read through the motif's footprint).

Both are calibrated on the data themselves:

1. match: the same windows (at most 5,000 of them, drawn at random) shuffled with their
   dinucleotide content kept (at least ``n_shuffles`` copies, more for small inputs so that the
   null has >= 200,000 offsets) give the null
   distribution of the best-strand score per offset; an offset is a candidate when its
   empirical p-value is <= ``match_p`` (1e-4, FIMO's default threshold, but against a
   dinucleotide-preserving background rather than independent bases).
2. contribution: the windows' per-base contributions with positions permuted within each window
   give the null of a sum over ``width`` positions. Each candidate gets an empirical p-value in
   the motif's sign (positive patterns: larger; negative: smaller; JASPAR matrices: larger
   magnitude), and Benjamini-Hochberg at ``fdr`` (5%) over a motif's candidates keeps the hits:
   instances the model leans on more than on random positions of the same windows.

The match alone is not held to an FDR: for a short motif (YY1's 8 columns) the consensus itself
occurs in shuffled A/T-rich windows often enough that no score threshold reaches 5% FDR at one
site per five windows; the contribution test supplies the specificity. Each hit still reports
``match_q``, the estimated FDR of its match score alone.

Overlapping hits of one motif are reduced to the best-matching one, and in genome coordinates
overlapping hits of one motif name (two patterns named alike, overlapping windows) to the one
with the largest contribution. Hits of different motifs may overlap (binding sites do).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from brainresnet_tf.data.shuffle import dinucleotide_shuffle
from brainresnet_tf.errors import InputError

PSEUDOCOUNT = 0.01
MIN_NULL_OFFSETS = 200_000  # shuffled offsets at least, so that p-values reach 1e-5
MAX_NULL_WINDOWS = 5_000  # windows shuffled for the match null at most (memory, time)
HIT_COLUMNS = [
    "chrom",
    "start",
    "end",
    "name",
    "score",
    "strand",
    "jaspar_id",
    "match",
    "contribution",
    "match_q",
    "contribution_q",
    "source",
    "sequence",
]


@dataclass(frozen=True)
class ScanMotif:
    """A motif to scan: its name, JASPAR id ("" if none), PPM (W, 4) in A, C, G, T order, the
    sign its contribution must have (+1, -1, or 0 for either) and where it came from."""

    name: str
    jaspar_id: str
    ppm: np.ndarray
    sign: int = 0
    source: str = ""  # unique key: the pattern name, or the JASPAR matrix id

    @property
    def width(self) -> int:
        return len(self.ppm)

    def pwm(self) -> np.ndarray:
        """Log-odds (bits) against a uniform background, (W, 4)."""
        p = np.asarray(self.ppm, float) + PSEUDOCOUNT
        p = p / p.sum(axis=1, keepdims=True)
        return np.log2(p / 0.25)


# --------------------------------------------------------------------------- motifs to scan


def motifs_from_jaspar(queries: Sequence[str], db) -> list[ScanMotif]:
    """JASPAR matrices by id (``MA0139.2``, or ``MA0139`` for any version) or by name
    (case-insensitive; where a name has several matrices, the lowest matrix id: the classic one)."""
    out = []
    lowered = [n.lower() for n in db.names]
    for query in queries:
        try:
            i = db.index(query)
        except KeyError:
            hits = [j for j, n in enumerate(lowered) if n == query.lower()]
            if not hits:
                close = sorted({db.names[j] for j, n in enumerate(lowered) if query.lower()[:3] in n})[:5]
                raise InputError(
                    f"--jaspar {query!r}: no such JASPAR id or name in {db.source}"
                    + (f" (similar: {', '.join(close)})" if close else "")
                ) from None
            i = min(hits, key=lambda j: db.ids[j])
        out.append(ScanMotif(db.names[i], db.ids[i], np.asarray(db.pwms[i], float).T, 0, db.ids[i]))
    return out


def motifs_from_run(folder: str | os.PathLike, include_unnamed: bool = False) -> list[ScanMotif]:
    """The patterns of a ``brainresnet motifs`` run (modisco_results.h5 and motifs.tsv): each
    named pattern's trimmed PPM under its JASPAR name, with its sign. Unnamed patterns (failed
    quality gates, no significant match) only with ``include_unnamed``, under the pattern name."""
    from pathlib import Path

    from brainresnet_tf.interpret.motifs import read_patterns

    folder = Path(folder)
    h5, tsv = folder / "modisco_results.h5", folder / "motifs.tsv"
    for path in (h5, tsv):
        if not path.exists():
            raise InputError(f"{path}: not found (--motifs takes the folder of a `brainresnet motifs` run)")
    table = pd.read_csv(tsv, sep="\t").set_index("pattern")
    out = []
    for p in read_patterns(h5):
        if p.name not in table.index:
            continue
        row = table.loc[p.name]
        named = bool(row["named"]) if "named" in row else bool(row.get("match1_q", 1.0) < 0.05)
        if not named and not include_unnamed:
            continue
        name = str(row.get("name", row.get("match1_name"))) if named else p.name
        mid = str(row["match1_id"]) if named and isinstance(row.get("match1_id"), str) else ""
        out.append(ScanMotif(name, mid, p.trimmed_ppm(), p.sign, p.name))
    return out


# --------------------------------------------------------------------------- scanning


def pwm_scores(x: np.ndarray, pwm: np.ndarray) -> np.ndarray:
    """PWM scores (N, L - W + 1, 2) of one-hot ``x`` (N, L, 4): forward, then reverse strand.

    A plain correlation (a few numpy lines); memelite's FIMO returns only the offsets above a
    p-value, and the calibration below needs every offset's score.
    """
    x = np.asarray(x, np.float32)
    w = len(pwm)
    n_off = x.shape[1] - w + 1
    if n_off < 1:
        raise InputError(f"a {w} bp motif is longer than the {x.shape[1]} bp windows")
    fwd = np.zeros((x.shape[0], n_off), np.float32)
    rev = np.zeros_like(fwd)
    rc = pwm[::-1, ::-1]
    for j in range(w):
        window = x[:, j : j + n_off, :]
        fwd += window @ pwm[j].astype(np.float32)
        rev += window @ rc[j].astype(np.float32)
    return np.stack([fwd, rev], axis=-1)


def window_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Sums of ``values`` (N, L) over every run of ``width`` positions: (N, L - width + 1)."""
    c = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1, dtype=np.float64)], axis=1)
    return c[:, width:] - c[:, :-width]


def _match_qvalues(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """q-value of each observed score: min over thresholds t <= score of
    (null rate >= t) / (observed rate >= t)."""
    obs_sorted = np.sort(observed)
    null_sorted = np.sort(null)
    grid = np.unique(observed)
    n_obs = (len(obs_sorted) - np.searchsorted(obs_sorted, grid, "left")) / len(obs_sorted)
    n_null = (len(null_sorted) - np.searchsorted(null_sorted, grid, "left")) / max(len(null_sorted), 1)
    fdr = np.minimum(n_null / np.maximum(n_obs, 1e-300), 1.0)
    q = np.minimum.accumulate(fdr)  # min over thresholds t <= score: every one that calls it
    return q[np.searchsorted(grid, observed)]


def _empirical_p(values: np.ndarray, null: np.ndarray) -> np.ndarray:
    """P(null >= value) with the +1 correction."""
    null_sorted = np.sort(null)
    above = len(null_sorted) - np.searchsorted(null_sorted, values, "left")
    return (above + 1.0) / (len(null_sorted) + 1.0)


def _bh(p: np.ndarray) -> np.ndarray:
    from scipy.stats import false_discovery_control

    return false_discovery_control(p, method="bh") if len(p) else p


@dataclass
class HitCalls:
    """Hits (one row per instance, window coordinates) and per-motif calibration."""

    hits: pd.DataFrame  # window, offset, end, strand, name, jaspar_id, match, contribution, ...
    summary: pd.DataFrame  # per motif: thresholds and counts


def call_hits(
    x: np.ndarray,
    contrib: np.ndarray,
    motifs: Sequence[ScanMotif],
    *,
    fdr: float = 0.05,
    match_p: float = 1e-4,
    n_shuffles: int = 2,
    seed: int = 0,
) -> HitCalls:
    """Hits of ``motifs`` in one-hot windows ``x`` (N, L, 4) with per-base contributions
    ``contrib`` (N, L), calibrated as the module docstring says."""
    if not 0 < fdr < 1:
        raise InputError(f"--fdr {fdr} must be between 0 and 1")
    if not 0 < match_p < 1:
        raise InputError(f"--match-p {match_p} must be between 0 and 1")
    if n_shuffles < 1:
        raise InputError(f"--shuffles {n_shuffles} must be >= 1")
    x = np.asarray(x, np.float32)
    contrib = np.asarray(contrib, np.float64)
    rng = np.random.default_rng(seed)
    null_rows = min(len(x), MAX_NULL_WINDOWS)  # a random subset of many windows is null enough
    n_shuffles = max(n_shuffles, -(-MIN_NULL_OFFSETS // max(null_rows * x.shape[1], 1)))
    null_codes = np.where(x.sum(-1) > 0, x.argmax(-1), 4).astype(np.uint8)
    if null_rows < len(null_codes):
        null_codes = null_codes[np.sort(rng.choice(len(null_codes), null_rows, replace=False))]
    eye = np.eye(5, 4, dtype=np.float32)  # codes -> one-hot, N as zeros
    null_x = np.concatenate(
        [eye[np.stack([dinucleotide_shuffle(c, rng) for c in null_codes])] for _ in range(n_shuffles)]
    )
    perm = rng.permuted(np.broadcast_to(np.arange(contrib.shape[1]), contrib.shape), axis=1)
    null_contrib = np.take_along_axis(contrib, perm, axis=1)
    rows, summary = [], []
    for m in motifs:
        pwm = m.pwm()
        s = pwm_scores(x, pwm)
        best, strand = s.max(-1), s.argmax(-1)
        null = pwm_scores(null_x, pwm).max(-1).ravel()
        q_match = _match_qvalues(best.ravel(), null).reshape(best.shape)
        c = window_sums(contrib, m.width)
        c0 = window_sums(null_contrib, m.width).ravel()
        p_match = _empirical_p(best.ravel(), null).reshape(best.shape)
        cand = np.argwhere((p_match <= match_p) & (best > 0))
        cv = c[cand[:, 0], cand[:, 1]] if len(cand) else np.zeros(0)
        if m.sign > 0:
            p = _empirical_p(cv, c0)
        elif m.sign < 0:
            p = _empirical_p(-cv, -c0)
        else:
            p = _empirical_p(np.abs(cv), np.abs(c0))
        q_contrib = _bh(p)
        keep = q_contrib <= fdr
        found = pd.DataFrame(
            {
                "window": cand[keep, 0],
                "offset": cand[keep, 1],
                "strand": np.where(strand[cand[keep, 0], cand[keep, 1]] == 0, "+", "-"),
                "match": best[cand[keep, 0], cand[keep, 1]],
                "contribution": cv[keep],
                "match_q": q_match[cand[keep, 0], cand[keep, 1]],
                "contribution_q": q_contrib[keep],
            }
        )
        found = _best_per_overlap(found, m.width)
        found["end"] = found["offset"] + m.width
        found["name"], found["jaspar_id"], found["source"] = m.name, m.jaspar_id, m.source
        found["score"] = _relative_score(found["match"].to_numpy(), pwm)
        rows.append(found)
        passed = p_match <= match_p
        summary.append(
            {
                "motif": m.name,
                "jaspar_id": m.jaspar_id,
                "source": m.source,
                "sign": {1: "+", -1: "-"}.get(m.sign, "either"),
                "width": m.width,
                "match_threshold_bits": float(best[passed & (best > 0)].min()) if passed.any() else np.nan,
                "match_candidates": len(cand),
                "contribution_threshold": _threshold(cv[keep], m.sign),
                "n_hits": len(found),
                "n_windows_with_hit": int(found["window"].nunique()),
                "fraction_windows": found["window"].nunique() / max(len(x), 1),
                "mean_contribution": float(found["contribution"].mean()) if len(found) else np.nan,
                "mean_match_bits": float(found["match"].mean()) if len(found) else np.nan,
            }
        )
    hits = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(hits):
        hits = hits.sort_values(["window", "offset", "name"], kind="stable").reset_index(drop=True)
    return HitCalls(hits, pd.DataFrame(summary))


def _threshold(values: np.ndarray, sign: int) -> float:
    if not len(values):
        return np.nan
    if sign > 0:
        return float(values.min())
    if sign < 0:
        return float(values.max())
    return float(np.abs(values).min())


def _relative_score(match: np.ndarray, pwm: np.ndarray) -> np.ndarray:
    """BED score 0-1000: (match - min) / (max - min) of the PWM's attainable scores."""
    lo, hi = pwm.min(axis=1).sum(), pwm.max(axis=1).sum()
    return np.clip(np.round(1000 * (match - lo) / max(hi - lo, 1e-9)), 0, 1000).astype(int)


def _best_per_overlap(found: pd.DataFrame, width: int) -> pd.DataFrame:
    """Within each window, the best-matching offset of each run of overlapping offsets (greedy:
    best match first, then drop every offset within ``width`` of a kept one)."""
    if found.empty:
        return found
    keep = []
    for _, group in found.groupby("window", sort=False):
        order = group.sort_values(["match", "contribution"], ascending=False, kind="stable")
        taken: list[int] = []
        for idx, off in zip(order.index, order["offset"].to_numpy()):
            if all(abs(off - t) >= width for t in taken):
                taken.append(int(off))
                keep.append(idx)
    return found.loc[sorted(keep)].reset_index(drop=True)


def to_genome(hits: pd.DataFrame, windows: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Hits in genome (or record) coordinates, BED6 order first, with the instance sequence as
    read on the + strand; one hit per site and motif name (:func:`_one_per_site`)."""
    if hits.empty:
        return pd.DataFrame(columns=HIT_COLUMNS)
    w = windows.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "chrom": w["chrom"].to_numpy()[hits["window"]],
            "start": w["start"].to_numpy()[hits["window"]] + hits["offset"].to_numpy(),
        }
    )
    out["end"] = out["start"] + (hits["end"] - hits["offset"]).to_numpy()
    for col in ("name", "score", "strand", "jaspar_id", "match", "contribution", "match_q", "contribution_q"):
        out[col] = hits[col].to_numpy()
    out["source"] = hits["source"].to_numpy()
    out["sequence"] = [
        "".join("ACGTN"[b] for b in codes[i, o:e])
        for i, o, e in zip(hits["window"], hits["offset"], hits["end"])
    ]
    return _one_per_site(out)[HIT_COLUMNS]


def _one_per_site(hits: pd.DataFrame) -> pd.DataFrame:
    """Overlapping hits of one motif name (overlapping windows, or two patterns named alike)
    reduced to the one with the largest absolute contribution; order by position."""
    order = hits.assign(_c=hits["contribution"].abs()).sort_values("_c", ascending=False, kind="stable")
    kept: dict[tuple[str, str], list[tuple[int, int]]] = {}
    keep = []
    for idx, chrom, name, start, end in zip(
        order.index, order["chrom"], order["name"], order["start"], order["end"]
    ):
        taken = kept.setdefault((chrom, name), [])
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            keep.append(idx)
    return hits.loc[sorted(keep)].reset_index(drop=True)
