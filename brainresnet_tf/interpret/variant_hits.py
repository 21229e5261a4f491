"""Variants joined with the motif hits they fall in, and whether the alt allele weakens the hit.

For a variant inside a hit (``brainresnet hits``' hits.bed), the instance's PWM score (bits) is
computed with the reference allele and with the alternative one, on the hit's strand, from the
PPM the hit was called with (``hits_motifs.meme`` beside hits.bed). A variant in several hits is
given the one with the largest absolute contribution; ``n_hits`` counts them all.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.interpret.hits import HIT_COLUMNS, ScanMotif

ANNOTATION_COLUMNS = [
    "n_hits",
    "hit_motif",
    "hit_jaspar_id",
    "hit_start",
    "hit_end",
    "hit_strand",
    "hit_contribution",
    "pwm_ref",
    "pwm_alt",
    "pwm_delta",
    "weakens",
    "alt_below_threshold",
]
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def read_hits(path: str | os.PathLike) -> pd.DataFrame:
    """A hits.bed written by ``brainresnet hits`` (header line ``#chrom ...``)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: hits file not found")
    hits = pd.read_csv(path, sep="\t", dtype={"jaspar_id": str, "sequence": str})
    hits.columns = [c.lstrip("#") for c in hits.columns]
    missing = [c for c in HIT_COLUMNS if c not in hits.columns]
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)} (write it with `brainresnet hits`)")
    hits["jaspar_id"] = hits["jaspar_id"].fillna("")
    return hits


def read_motifs(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The PPMs (W, 4) a hits run scanned, keyed by each hit's ``source``."""
    from memelite.io import read_meme

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: not found (give --motifs, the hits_motifs.meme of the hits run)")
    return {name.split()[0]: np.asarray(ppm, float).T for name, ppm in read_meme(str(path)).items()}


def write_motifs(motifs: list[ScanMotif], path: str | os.PathLike) -> None:
    """The scanned PPMs as MEME, named by ``source`` (what :func:`read_motifs` keys on)."""
    from memelite.io import write_meme

    from brainresnet_tf.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        write_meme(str(tmp), {f"{m.source} {m.name}": np.asarray(m.ppm, float).T for m in motifs})


def _score(seq: str, ppm: np.ndarray, strand: str) -> float:
    pwm = ScanMotif("", "", ppm).pwm()
    if strand == "-":
        seq = seq.translate(_COMPLEMENT)[::-1]
    idx = ["ACGT".find(b) for b in seq]
    return float(sum(pwm[i, j] for i, j in enumerate(idx) if j >= 0))


def annotate(
    variants: pd.DataFrame,
    hits: pd.DataFrame,
    motifs: dict[str, np.ndarray],
    thresholds: dict[str, float] | None = None,
    path: str | os.PathLike = "variants",
) -> pd.DataFrame:
    """``variants`` (a score-variants table: CHROM, POS 1-based, REF, ALT, any case; other
    columns kept) with the hit each falls in and its PWM score with ref and alt (SNVs and
    equal-length substitutions; indels get the hit but no scores). ``thresholds``: the match
    threshold (bits) per hit ``source``."""
    thresholds = thresholds or {}
    c_chrom, c_pos, c_ref, c_alt = variant_columns(variants, path)
    by_chrom = {c: g.sort_values("start") for c, g in hits.groupby("chrom")}
    rows = []
    for chrom, pos, ref, alt in zip(variants[c_chrom], variants[c_pos], variants[c_ref], variants[c_alt]):
        row = dict.fromkeys(ANNOTATION_COLUMNS, np.nan)
        row["n_hits"] = 0
        g = by_chrom.get(str(chrom))
        lo, hi = int(pos) - 1, int(pos) - 1 + max(len(str(ref)), 1)
        if g is not None:
            inside = g[(g["start"] < hi) & (g["end"] > lo)]
            row["n_hits"] = len(inside)
            if len(inside):
                h = inside.loc[inside["contribution"].abs().idxmax()]
                row.update(
                    hit_motif=h["name"],
                    hit_jaspar_id=h["jaspar_id"],
                    hit_start=int(h["start"]),
                    hit_end=int(h["end"]),
                    hit_strand=h["strand"],
                    hit_contribution=float(h["contribution"]),
                )
                row.update(_allele_scores(h, lo, str(ref).upper(), str(alt).upper(), motifs, thresholds))
        rows.append(row)
    ann = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS, index=variants.index)
    ann["n_hits"] = ann["n_hits"].astype(int)
    return pd.concat([variants, ann], axis=1)


def _allele_scores(h, lo: int, ref: str, alt: str, motifs, thresholds) -> dict:
    seq, start = str(h["sequence"]).upper(), int(h["start"])
    ppm = motifs.get(str(h["source"]))
    if ppm is None or len(ref) != len(alt) or lo < start or lo + len(ref) > start + len(seq):
        return {}
    i = lo - start
    if seq[i : i + len(ref)] != ref:
        raise InputError(
            f"variant at {h['chrom']}:{lo + 1} has REF {ref} but the hit {h['name']} at "
            f"{h['chrom']}:{start}-{h['end']} reads {seq[i : i + len(ref)]} there "
            "(scores and hits from different genomes?)"
        )
    mutated = seq[:i] + alt + seq[i + len(ref) :]
    s_ref, s_alt = _score(seq, ppm, h["strand"]), _score(mutated, ppm, h["strand"])
    threshold = thresholds.get(str(h["source"]))
    return {
        "pwm_ref": s_ref,
        "pwm_alt": s_alt,
        "pwm_delta": s_alt - s_ref,
        "weakens": bool(s_alt < s_ref),
        "alt_below_threshold": bool(s_alt < threshold) if threshold is not None else np.nan,
    }


def variant_columns(table: pd.DataFrame, path: str | os.PathLike = "variants") -> tuple[str, str, str, str]:
    """The names of a variant table's chrom, pos, ref and alt columns (VCF-style CHROM, POS,
    REF, ALT as score-variants writes them, or lower case)."""
    cols = {c.lower().lstrip("#"): c for c in table.columns}
    missing = [c for c in ("chrom", "pos", "ref", "alt") if c not in cols]
    if missing:
        raise InputError(
            f"{path}: no {', '.join(missing)} column(s); expected score-variants output "
            "(CHROM, POS, REF, ALT)"
        )
    return cols["chrom"], cols["pos"], cols["ref"], cols["alt"]


BREAK_PASS = 0.8  # of the demo's motif-breaking variants that must get the right motif


def check_breaks(annotated: pd.DataFrame, observed: pd.DataFrame) -> tuple[dict, str]:
    """Against the demo's observed.tsv (chrom, pos, ref, alt, class, motif): of the variants of
    class ``break``, how many fall in a hit of the motif they break, and with the alt weakening it."""
    a_chrom, a_pos, a_ref, a_alt = variant_columns(annotated, "annotated")
    o_chrom, o_pos, o_ref, o_alt = variant_columns(observed, "observed")
    for col in ("class", "motif"):
        if col not in observed.columns:
            raise InputError(f"observed table: no {col!r} column (the demo's observed.tsv has one)")
    key = ["_c", "_p", "_r", "_a"]
    left = annotated.assign(_c=annotated[a_chrom].astype(str), _p=annotated[a_pos].astype(int))
    left = left.assign(_r=left[a_ref].astype(str), _a=left[a_alt].astype(str))
    right = observed.assign(_c=observed[o_chrom].astype(str), _p=observed[o_pos].astype(int))
    right = right.assign(_r=right[o_ref].astype(str), _a=right[o_alt].astype(str))
    merged = left.merge(right[[*key, "class", "motif"]], on=key, how="inner")
    lines, check = [], {}
    for cls in ("break", "buffered", "create", "neutral"):
        sub = merged[merged["class"] == cls]
        if sub.empty:
            continue
        in_hit = sub["n_hits"] > 0
        right_motif = in_hit & (
            sub["hit_motif"].astype(str).str.upper() == sub["motif"].astype(str).str.upper()
        )
        weakened = right_motif & (sub["weakens"] == True)  # noqa: E712
        check[cls] = {
            "n": len(sub),
            "in_a_hit": int(in_hit.sum()),
            "right_motif": int(right_motif.sum()),
            "right_motif_alt_weakens": int(weakened.sum()),
        }
        lines.append(
            f"  {cls:<9} {len(sub):>4} variants: in a hit {int(in_hit.sum())}, of the motif they hit "
            f"{int(right_motif.sum())}, and the alt allele weakens it {int(weakened.sum())}"
        )
    b = check.get("break", {"n": 0, "right_motif": 0})
    rate = b["right_motif"] / b["n"] if b["n"] else float("nan")
    ok = bool(b["n"]) and rate >= BREAK_PASS
    check["break_right_motif_rate"] = rate
    check["pass"] = ok
    head = "Ground truth (observed.tsv): variants by class"
    tail = (
        f"motif-breaking variants annotated with the right motif: {b['right_motif']}/{b['n']} = "
        f"{rate:.1%} -> {'PASS' if ok else 'FAIL'} (needs >= {BREAK_PASS:.0%})"
    )
    return check, "\n".join([head, *lines, tail])
