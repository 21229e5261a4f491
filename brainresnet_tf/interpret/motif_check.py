"""Check ``brainresnet motifs`` against a synthetic data set's ground truth.

The truth is ``motif_sites.tsv`` (every planted instance, with its JASPAR matrix id and sequence)
and ``elements.tsv`` (each element's program: a cell type, ``shared`` or ``decoy``, its motifs,
one 0/1 column per cell type), as :mod:`synthetic` writes them. A cell type's planted motifs are
those of the elements whose program is that cell type or ``shared``.

Terms, per planted motif:
* *named*: some pattern of the expected sign that passed the quality gates (motif_quality) has
  the planted matrix (same JASPAR base id, MA0143.x) as its top TOMTOM match over the whole
  database, q < 0.05: the issue's criterion;
* *recovered*: some pattern of the expected sign is *assigned* to it: of all planted matrices,
  the motif's is the pattern's best TOMTOM match, with q < 0.05 (q from the whole database);
* *rank*: the best rank of the planted matrix among any such pattern's database matches;
* *family*: a pattern's top match shares the planted matrix's JASPAR TF family;
* *ceiling*: whether TOMTOM names the motif from the PPM of its own planted instances. Where those
  instances were drawn from a sharpened matrix, a near-identical family member can beat the
  planted matrix even for a perfect motif finder, and that caps *named*.
Contrast (task A minus B): A-only motifs belong in positive patterns, B-only in negative ones;
the check counts the seqlets of the patterns assigned to each motif on each side, and the mean
contribution (summed over the instance) of planted instances inside the explained windows.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError

NAMED_Q = 0.05
PASS_FRACTION = 0.8  # of planted motifs that must be named
SIDE_FRACTION = 0.9  # of a motif's assigned seqlets that must be on its side in a contrast


@dataclass
class Truth:
    """Planted motif instances and elements of a synthetic data set."""

    path: Path
    sites: pd.DataFrame
    elements: pd.DataFrame
    matrix_ids: dict[str, str]  # motif name -> JASPAR matrix id

    @property
    def cell_types(self) -> list[str]:
        fixed = {"element_id", "chrom", "start", "end", "program", "motifs"}
        return [c for c in self.elements.columns if c not in fixed]

    def motifs_of(self, cell_type: str) -> list[str]:
        """Motifs planted in the elements of ``cell_type``'s program and the shared program."""
        programs = self.elements[self.elements["program"].isin([cell_type, "shared"])]
        names = {m for ms in programs["motifs"].dropna() for m in str(ms).split(",") if m}
        return sorted(n for n in names if n in self.matrix_ids)


def find_truth(genome_fasta: str | os.PathLike, truth: str | None) -> Path | None:
    """The truth folder: ``truth`` when given ("none" turns the check off), else the genome's
    folder when it holds motif_sites.tsv and elements.tsv."""
    if truth is not None:
        if truth.lower() == "none":
            return None
        path = Path(truth)
        if not (path / "motif_sites.tsv").exists() or not (path / "elements.tsv").exists():
            raise InputError(f"{path}: --truth needs motif_sites.tsv and elements.tsv there")
        return path
    folder = Path(genome_fasta).resolve().parent
    ok = (folder / "motif_sites.tsv").exists() and (folder / "elements.tsv").exists()
    return folder if ok else None


def load_truth(folder: str | os.PathLike) -> Truth:
    """Read motif_sites.tsv and elements.tsv of a synthetic data set."""
    folder = Path(folder)
    sites = pd.read_csv(folder / "motif_sites.tsv", sep="\t")
    elements = pd.read_csv(folder / "elements.tsv", sep="\t")
    for name, df, cols in (
        ("motif_sites.tsv", sites, ("chrom", "start", "end", "motif_name", "matrix_id")),
        ("elements.tsv", elements, ("program", "motifs")),
    ):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise InputError(f"{folder / name}: missing columns {', '.join(missing)}")
    ids = sites.drop_duplicates("motif_name").set_index("motif_name")["matrix_id"].to_dict()
    return Truth(folder, sites, elements, ids)


def cell_type_of(profile: str, truth: Truth, meta_cell_type: str = "") -> str:
    """The truth's cell type for a profile: its metadata cell type, else the longest cell-type
    name the profile name starts with."""
    if meta_cell_type in truth.cell_types:
        return meta_cell_type
    hits = [c for c in truth.cell_types if profile.startswith(c)]
    if not hits:
        raise InputError(
            f"profile {profile!r} matches none of the truth's cell types ({', '.join(truth.cell_types)})"
        )
    return max(hits, key=len)


def _base(matrix_id) -> str:
    return str(matrix_id).split(".")[0]


@functools.lru_cache(maxsize=4)
def _families(release: str) -> dict[str, frozenset[str]]:
    """JASPAR base id -> its TF families (pyjaspar metadata)."""
    import warnings

    from pyjaspar import jaspardb

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        motifs = jaspardb(release=release).fetch_motifs(
            collection="CORE", tax_group=["vertebrates"], all_versions=False
        )
    return {_base(m.matrix_id): frozenset(m.tf_family or []) for m in motifs}


def assign_patterns(patterns, db, planted: dict[str, str]) -> pd.DataFrame:
    """Per pattern: the planted motif whose matrix TOMTOM ranks best for it (p, q over the whole
    database, rank among it), or "" when that q is >= 0.05."""
    from scipy.stats import false_discovery_control

    from brainresnet_tf.interpret.motifs import tomtom_matrix

    cols = ["pattern", "sign", "n_seqlets", "motif", "p", "q", "rank"]
    cand = {}
    for m, mid in planted.items():
        try:
            cand[m] = db.index(mid)
        except KeyError:
            continue
    if not patterns or not cand:
        return pd.DataFrame(columns=cols)
    p_mat = tomtom_matrix([p.trimmed_ppm() for p in patterns], db)[0]
    rows = []
    for pat, row in zip(patterns, p_mat):
        row = np.clip(np.nan_to_num(row, nan=1.0), 0.0, 1.0)
        q = false_discovery_control(row, method="bh")
        motif, j = min(cand.items(), key=lambda kv: row[kv[1]])
        ok = q[j] < NAMED_Q
        rows.append(
            {
                "pattern": pat.name,
                "sign": "+" if pat.sign > 0 else "-",
                "n_seqlets": pat.n_seqlets,
                "motif": motif if ok else "",
                "p": float(row[j]),
                "q": float(q[j]),
                "rank": int((row < row[j]).sum()) + 1,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def recovery(
    table: pd.DataFrame,
    planted: dict[str, str],
    sign: str = "+",
    release: str = "JASPAR2024",
    assigned: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per planted motif: named (+ pattern, q), same-family top match, and with ``assigned``
    (:func:`assign_patterns`) recovered, best rank and seqlets of the patterns of ``sign``."""
    fams = _families(release)
    pats = table[table["sign"] == sign]
    if "named" in pats.columns:  # the quality gates withheld some names (motif_quality)
        pats = pats[pats["named"].astype(bool)]
    rows = []
    for motif, mid in planted.items():
        top = pats[(pats["match1_id"].map(_base) == _base(mid)) & (pats["match1_q"] < NAMED_Q)]
        family = fams.get(_base(mid), frozenset())
        fam_hit = pats[
            (pats["match1_q"] < NAMED_Q)
            & pats["match1_id"]
            .map(lambda m, fam=family: bool(fam & fams.get(_base(m), frozenset())))
            .astype(bool)
        ]
        best = top.sort_values("match1_q").head(1)
        row = {
            "motif": motif,
            "matrix_id": mid,
            "named": not top.empty,
            "pattern": best["pattern"].iloc[0] if not best.empty else "",
            "q": float(best["match1_q"].iloc[0]) if not best.empty else np.nan,
            "family_top": not fam_hit.empty,
            "family_patterns": ", ".join(
                f"{p} ({n})" for p, n in zip(fam_hit["pattern"], fam_hit["match1_name"])
            ),
        }
        if assigned is not None:
            mine = assigned[(assigned["motif"] == motif) & (assigned["sign"] == sign)]
            row.update(
                recovered=not mine.empty,
                seqlets=int(mine["n_seqlets"].sum()),
                n_patterns=len(mine),
                rank=int(mine["rank"].min()) if not mine.empty else np.nan,
                rank_pattern=mine.sort_values("rank")["pattern"].iloc[0] if not mine.empty else "",
            )
        rows.append(row)
    return pd.DataFrame(rows)


def instance_ceiling(truth: Truth, db, motifs: Sequence[str]) -> pd.DataFrame:
    """TOMTOM's top match for the PPM of each motif's own planted instances."""
    from brainresnet_tf.interpret.motifs import match_ppms

    ppms, names = [], []
    for m in motifs:
        seqs = truth.sites.loc[truth.sites["motif_name"] == m, "sequence"].dropna().astype(str)
        seqs = seqs[seqs.str.len() == seqs.str.len().max()]
        if seqs.empty:
            continue
        arr = np.array([list(s.upper()) for s in seqs])
        ppm = np.stack([(arr == b).mean(axis=0) for b in "ACGT"], axis=1) + 0.001
        ppms.append(ppm / ppm.sum(axis=1, keepdims=True))
        names.append(m)
    rows = [
        {
            "motif": m,
            "top_id": best[0]["id"],
            "top_name": best[0]["name"],
            "top_q": best[0]["q"],
            "named": _base(best[0]["id"]) == _base(truth.matrix_ids[m]),
        }
        for m, best in zip(names, match_ppms(ppms, db, 1))
    ]
    return pd.DataFrame(rows, columns=["motif", "top_id", "top_name", "top_q", "named"])


def site_contributions(
    truth: Truth, windows: pd.DataFrame, contrib: np.ndarray, motifs: Sequence[str] | None = None
) -> pd.DataFrame:
    """Count and mean of the summed contribution of each motif's planted instances lying wholly
    inside an explained window (``contrib`` (N, L) per window of ``windows``)."""
    sites = truth.sites if motifs is None else truth.sites[truth.sites["motif_name"].isin(motifs)]
    totals: dict[str, list[float]] = {}
    length = contrib.shape[1]
    for chrom, wins in windows.reset_index(drop=True).groupby("chrom"):
        s = sites[sites["chrom"] == chrom].sort_values("start")
        if s.empty:
            continue
        s_start, s_end = s["start"].to_numpy(), s["end"].to_numpy()
        names = s["motif_name"].to_numpy()
        for i, w_start in zip(wins.index, wins["start"].to_numpy()):
            lo = np.searchsorted(s_start, w_start)
            hi = np.searchsorted(s_start, w_start + length)
            for j in range(lo, hi):
                if s_end[j] <= w_start + length:
                    a, b = s_start[j] - w_start, s_end[j] - w_start
                    totals.setdefault(names[j], []).append(float(contrib[i, a:b].sum()))
    rows = [
        {"motif": m, "n_sites": len(v), "mean_contribution": float(np.mean(v))}
        for m, v in sorted(totals.items())
    ]
    return pd.DataFrame(rows, columns=["motif", "n_sites", "mean_contribution"])


def check_task(
    table: pd.DataFrame, truth: Truth, cell_type: str, patterns=None, db=None, release: str = "JASPAR2024"
) -> tuple[pd.DataFrame, str]:
    """Recovery and naming of a cell type's planted motifs by one task's positive patterns."""
    planted = {m: truth.matrix_ids[m] for m in truth.motifs_of(cell_type)}
    assigned = (
        assign_patterns(patterns, db, truth.matrix_ids) if patterns is not None and db is not None else None
    )
    rec = recovery(table, planted, "+", release, assigned)
    n, k = len(rec), int(rec["named"].sum())
    lines = [f"Ground truth {truth.path}: cell type {cell_type}, planted motifs {', '.join(planted)}"]
    lines += [_line(r) for r in rec.itertuples()]
    ok = n > 0 and k / n >= PASS_FRACTION
    lines.append(
        f"named as top TOMTOM match (q < {NAMED_Q}): {k}/{n} = {k / max(n, 1):.0%} "
        f"-> {'PASS' if ok else 'FAIL'} (needs >= {PASS_FRACTION:.0%})"
    )
    extra = f"same-family top match: {int(rec['family_top'].sum())}/{n}"
    if assigned is not None:
        extra = (
            f"recovered (a positive pattern is assigned to it): {int(rec['recovered'].sum())}"
            f"/{n}; planted matrix in a pattern's top 5 matches: "
            f"{int((rec['rank'] <= 5).sum())}/{n}; " + extra
        )
    lines.append(extra)
    if db is not None:
        ceil = instance_ceiling(truth, db, list(planted))
        rec = rec.merge(
            ceil[["motif", "named"]].rename(columns={"named": "ceiling_named"}), on="motif", how="left"
        )
        lines.append(
            f"ceiling: TOMTOM names {int(ceil['named'].sum())}/{len(ceil)} of these motifs "
            "from the PPM of their own planted instances ("
            + ", ".join(f"{r.motif}->{r.top_name}" for r in ceil.itertuples())
            + ")"
        )
    return rec, "\n".join(lines)


def check_contrast(
    table: pd.DataFrame,
    truth: Truth,
    cell_a: str,
    cell_b: str,
    sites: pd.DataFrame | None = None,
    patterns=None,
    db=None,
    release: str = "JASPAR2024",
) -> tuple[pd.DataFrame, str]:
    """Whether the contrast A - B puts A-only motifs in positive patterns and B-only motifs in
    negative ones (by seqlets of the assigned patterns) with site contributions of that sign."""
    a, b = set(truth.motifs_of(cell_a)), set(truth.motifs_of(cell_b))
    a_only = {m: truth.matrix_ids[m] for m in sorted(a - b)}
    b_only = {m: truth.matrix_ids[m] for m in sorted(b - a)}
    assigned = (
        assign_patterns(patterns, db, truth.matrix_ids) if patterns is not None and db is not None else None
    )
    site_mean = {} if sites is None else sites.set_index("motif")["mean_contribution"].to_dict()
    rows = []
    for side, motifs, sign, other in (("A-only", a_only, "+", "-"), ("B-only", b_only, "-", "+")):
        right = recovery(table, motifs, sign, release, assigned)
        wrong = recovery(table, motifs, other, release, assigned)
        for r, w in zip(right.itertuples(), wrong.itertuples()):
            mean = site_mean.get(r.motif, np.nan)
            row = {
                "motif": r.motif,
                "side": side,
                "expected_sign": sign,
                "named_expected_sign": r.named,
                "q": r.q,
                "pattern": r.pattern,
                "named_wrong_sign": w.named,
                "site_mean_contribution": mean,
                "site_sign_ok": bool(mean > 0) if sign == "+" else bool(mean < 0),
            }
            if assigned is not None:
                total = r.seqlets + w.seqlets
                row.update(
                    recovered_expected_sign=r.recovered,
                    seqlets_expected_sign=r.seqlets,
                    seqlets_wrong_sign=w.seqlets,
                    side_fraction=r.seqlets / total if total else np.nan,
                )
            rows.append(row)
    res = pd.DataFrame(rows)
    lines = [
        f"Contrast {cell_a} - {cell_b}: {cell_a}-only motifs {', '.join(a_only) or '-'}; "
        f"{cell_b}-only motifs {', '.join(b_only) or '-'}"
    ]
    for r in res.to_dict("records"):
        named = f"named by {r['pattern']} (q={r['q']:.2g})" if r["named_expected_sign"] else "not named"
        text = f"  {r['motif']:<10} {r['side']:<7} expected {r['expected_sign']}: {named}"
        if assigned is not None:
            text += (
                f"; assigned seqlets {r['seqlets_expected_sign']} on the expected side, "
                f"{r['seqlets_wrong_sign']} on the other"
            )
        text += (
            f"; mean contribution at planted sites {r['site_mean_contribution']:+.3g} "
            f"({'ok' if r['site_sign_ok'] else 'WRONG SIGN'})"
        )
        lines.append(text)
    sites_ok = bool(len(res)) and bool(res["site_sign_ok"].all())
    if assigned is not None:
        found = res[res["seqlets_expected_sign"] + res["seqlets_wrong_sign"] > 0]
        on_side = found["side_fraction"] >= SIDE_FRACTION
        both_sides = set(found.loc[on_side, "side"]) == {"A-only", "B-only"}
        ok = sites_ok and bool(on_side.all()) and both_sides
        lines.append(
            f"separation: {'PASS' if ok else 'FAIL'} (motifs found in patterns with >= "
            f"{SIDE_FRACTION:.0%} of their seqlets on their own side: {int(on_side.sum())}"
            f"/{len(found)}, both sides represented: {'yes' if both_sides else 'no'}; "
            f"mean contribution at planted sites of the expected sign: "
            f"{int(res['site_sign_ok'].sum())}/{len(res)})"
        )
        lines.append(
            f"recovered on the expected side: {int(res['recovered_expected_sign'].sum())}"
            f"/{len(res)}; named there as top TOMTOM match: "
            f"{int(res['named_expected_sign'].sum())}/{len(res)}"
        )
    else:
        ok = sites_ok and not res["named_wrong_sign"].any()
        lines.append(
            f"separation: {'PASS' if ok else 'FAIL'} (no motif named on the wrong side, "
            f"site contributions of the expected sign)"
        )
    return res, "\n".join(lines)


def _line(r) -> str:
    state = f"named by {r.pattern} (q={r.q:.2g})" if r.named else "NOT named as top match"
    parts = [state]
    recovered = getattr(r, "recovered", None)
    if recovered is not None:
        parts.append(
            f"recovered ({r.n_patterns} pattern(s), {r.seqlets} seqlets); planted "
            f"matrix ranks {int(r.rank)} for {r.rank_pattern}"
            if recovered
            else "not recovered"
        )
    if not r.named:
        parts.append(f"top match of same family: {r.family_patterns or 'none'}")
    return f"  {r.motif:<10} {r.matrix_id:<9} " + "; ".join(parts)


# --------------------------------------------------------------------------- hits


def expected_signs(truth: Truth, profiles: Sequence[str], cell_types: Sequence[str]) -> dict[str, int]:
    """Motifs the model should lean on, with the sign of their contribution: the cell type's own
    motifs (+) for one profile; for a contrast A - B, A-only motifs (+) and B-only motifs (-)."""
    cts = [cell_type_of(p, truth, c) for p, c in zip(profiles, cell_types)]
    a = set(truth.motifs_of(cts[0]))
    if len(cts) == 1:
        return dict.fromkeys(sorted(a), 1)
    b = set(truth.motifs_of(cts[1]))
    return {**dict.fromkeys(sorted(a - b), 1), **dict.fromkeys(sorted(b - a), -1)}


def _sites_in_windows(sites: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    keep = np.zeros(len(sites), bool)
    for chrom, w in windows.groupby("chrom"):
        starts = np.sort(w["start"].to_numpy())
        ends = np.sort(w["end"].to_numpy())  # equal-length windows: same order as starts
        mask = (sites["chrom"] == chrom).to_numpy()
        s, e = sites["start"].to_numpy()[mask], sites["end"].to_numpy()[mask]
        i = np.searchsorted(starts, s, "right") - 1
        keep[np.flatnonzero(mask)] = (i >= 0) & (ends[np.maximum(i, 0)] >= e)
    return sites[keep]


def check_hits(
    hits: pd.DataFrame,
    truth: Truth,
    windows: pd.DataFrame,
    motifs,
    profiles: Sequence[str],
    cell_types: Sequence[str],
    min_overlap: float = 0.5,
) -> tuple[pd.DataFrame, str, bool]:
    """Precision and recall of hits against the planted sites the model should use.

    Truth: planted instances, wholly inside a scanned window, of the scanned motifs that belong to
    the explained cell type's grammar (:func:`expected_signs`). A hit is true when it overlaps
    such a site of the same motif (JASPAR base id or name) by >= ``min_overlap`` of the shorter.
    Precision counts every hit (a hit on a site outside the grammar, or on background, is false).
    """
    expected = expected_signs(truth, profiles, cell_types)
    scanned = {_base(m.jaspar_id) for m in motifs if m.jaspar_id} | {m.name.upper() for m in motifs}
    sites = truth.sites[truth.sites["motif_name"].isin(expected)]
    sites = sites[sites["matrix_id"].map(_base).isin(scanned) | sites["motif_name"].str.upper().isin(scanned)]
    sites = _sites_in_windows(sites, windows).reset_index(drop=True)
    found = np.zeros(len(sites), bool)
    true_hit = np.zeros(len(hits), bool)
    by_chrom = {c: g for c, g in sites.groupby("chrom")}
    for k, h in enumerate(hits.itertuples(index=False)):
        g = by_chrom.get(h.chrom)
        if g is None:
            continue
        near = g[(g["start"] < h.end) & (g["end"] > h.start)]
        for j, s in near.iterrows():
            same = (
                _base(s["matrix_id"]) == _base(h.jaspar_id) or s["motif_name"].upper() == str(h.name).upper()
            )
            overlap = min(h.end, s["end"]) - max(h.start, s["start"])
            if same and overlap >= min_overlap * min(h.end - h.start, s["end"] - s["start"]):
                true_hit[k] = True
                found[j] = True
    rows = []
    names = {str(n).upper(): str(n) for n in hits["name"]} | {n.upper(): n for n in sites["motif_name"]}
    for key, motif in sorted(names.items()):
        in_sites = (sites["motif_name"].str.upper() == key).to_numpy()
        in_hits = (hits["name"].astype(str).str.upper() == key).to_numpy()
        sign = next((s for m, s in expected.items() if m.upper() == key), 0)
        rows.append(
            {
                "motif": motif,
                "expected_sign": {1: "+", -1: "-"}.get(sign, "not in grammar"),
                "planted_sites": int(in_sites.sum()),
                "recovered_sites": int(found[in_sites].sum()),
                "recall": found[in_sites].mean() if in_sites.any() else np.nan,
                "hits": int(in_hits.sum()),
                "true_hits": int(true_hit[in_hits].sum()),
                "precision": true_hit[in_hits].mean() if in_hits.any() else np.nan,
            }
        )
    per_motif = pd.DataFrame(rows)
    precision = true_hit.mean() if len(hits) else np.nan
    recall = found.mean() if len(sites) else np.nan
    ok = bool(precision >= PASS_FRACTION and recall >= PASS_FRACTION)
    lines = [
        f"Ground truth {truth.path}: planted sites of "
        + ", ".join(f"{m} ({s:+d})" for m, s in expected.items())
        + " inside the scanned windows"
    ]
    for r in per_motif.itertuples():
        lines.append(
            f"  {r.motif:<10} {r.expected_sign:<15} sites {r.recovered_sites}/{r.planted_sites} "
            f"recovered (recall {r.recall:.2f}); hits {r.true_hits}/{r.hits} on a planted site "
            f"(precision {r.precision:.2f})"
        )
    lines.append(
        f"hits: precision {true_hit.sum()}/{len(hits)} = {precision:.3f}, recall "
        f"{found.sum()}/{len(sites)} = {recall:.3f} -> {'PASS' if ok else 'FAIL'} "
        f"(needs >= {PASS_FRACTION:.0%} each)"
    )
    return per_motif, "\n".join(lines), ok
