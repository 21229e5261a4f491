"""Quality gates that a TF-MoDISco pattern must pass before it is given a JASPAR name.

TOMTOM answers "which database motif is closest", not "is this a motif at all": a blurred
50-column pattern with 0.3 bits per column still has a closest JASPAR matrix, at q ~ 1e-10 when
that matrix is long (CTCF). So a name is given only to a pattern whose trimmed core looks like a
binding site, judged against JASPAR CORE vertebrates itself (2024: 99% of its matrices are <= 20
columns wide, carry >= 0.83 bits per column on average and >= 7.0 bits in total):

* ``bits_per_column`` >= 0.5: mean information of the trimmed core's PPM columns;
* ``total_bits`` >= 6: what the core tells apart from random sequence (6 bits: a chance match
  every 64 bp);
* ``core_width`` <= 30: no JASPAR CORE vertebrate matrix is wider than 33, and modisco-lite's
  seqlets are cut to 30 columns before their flanks are added;
* ``n_seqlets`` >= 30: support;
* the model's own test AUROC for the explained profile(s), from its metadata or the run's
  ``metrics.json``: below 0.6 the model is near chance and no pattern is named.

Each failing pattern gets the first failed reason as its name, e.g. "unnamed (low information)".
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from brainresnet_tf.interpret.motifs import Pattern, column_information

MIN_BITS_PER_COLUMN = 0.5
MIN_TOTAL_BITS = 6.0
MAX_CORE_WIDTH = 30
MIN_SEQLETS = 30
MIN_AUROC = 0.6  # a model's test AUROC below this is "near chance": nothing it learned is named


@dataclass(frozen=True)
class Gates:
    """Thresholds of the quality gates (see the module docstring)."""

    min_bits_per_column: float = MIN_BITS_PER_COLUMN
    min_total_bits: float = MIN_TOTAL_BITS
    max_core_width: int = MAX_CORE_WIDTH
    min_seqlets: int = MIN_SEQLETS
    min_auroc: float = MIN_AUROC


@dataclass(frozen=True)
class ModelQuality:
    """The model's test AUROC for the explained profile(s), and where it was read."""

    auroc: float | None
    source: str  # "model.json", a metrics.json path, or why it is unknown

    def near_chance(self, gates: Gates) -> bool:
        return self.auroc is not None and self.auroc < gates.min_auroc

    def describe(self) -> str:
        if self.auroc is None:
            return f"model test AUROC unknown ({self.source})"
        return f"model test AUROC {self.auroc:.3f} (from {self.source})"


def pattern_quality(pattern: Pattern) -> dict:
    """core_width, bits_per_column, total_bits and n_seqlets of a pattern's trimmed core."""
    bits = np.clip(column_information(pattern.trimmed_ppm()), 0.0, None)
    return {
        "core_width": int(len(bits)),
        "bits_per_column": float(bits.mean()) if len(bits) else 0.0,
        "total_bits": float(bits.sum()),
        "n_seqlets": int(pattern.n_seqlets),
    }


def gate_reason(quality: dict, model: ModelQuality | None = None, gates: Gates = Gates()) -> str:
    """ "" when the pattern may be named, else the reason it may not (the first gate failed)."""
    if model is not None and model.near_chance(gates):
        return f"model near chance (test AUROC {model.auroc:.2f} < {gates.min_auroc:g})"
    if quality["bits_per_column"] < gates.min_bits_per_column or quality["total_bits"] < gates.min_total_bits:
        return "low information"
    if quality["core_width"] > gates.max_core_width:
        return f"too wide ({quality['core_width']} bp core)"
    if quality["n_seqlets"] < gates.min_seqlets:
        return f"few seqlets ({quality['n_seqlets']})"
    return ""


def _rows_auroc(rows: list[dict], arch: str, profiles: Sequence[str]) -> float | None:
    test = [r for r in rows if r.get("split") == "test" and r.get("auroc") is not None]
    models = {r.get("model") for r in test}
    if arch in models:
        test = [r for r in test if r.get("model") == arch]
    elif len(models) > 1:
        return None
    values = [float(r["auroc"]) for r in test if r.get("profile") in profiles]
    return float(np.mean(values)) if len(values) == len(profiles) else None


def model_test_auroc(
    model_path: str | os.PathLike, extra: dict, arch: str, profiles: Sequence[str]
) -> ModelQuality:
    """Mean test AUROC of ``profiles``: from the model's metadata (``extra["metrics"]``, rows
    like metrics.json's ``per_profile``, or ``extra["test_auroc"]``), else from ``metrics.json``
    in the model's folder or its parent (a baseline lives in ``<run>/baseline/``)."""
    meta_rows = extra.get("metrics")
    if isinstance(meta_rows, dict):
        meta_rows = meta_rows.get("per_profile")
    if isinstance(meta_rows, list):
        value = _rows_auroc(meta_rows, arch, profiles)
        if value is not None:
            return ModelQuality(value, "model.json")
    if isinstance(extra.get("test_auroc"), (int, float)):
        return ModelQuality(float(extra["test_auroc"]), "model.json")
    folder = Path(model_path).resolve().parent
    for candidate in (folder / "metrics.json", folder.parent / "metrics.json"):
        if not candidate.exists():
            continue
        try:
            rows = json.loads(candidate.read_text()).get("per_profile", [])
        except (ValueError, AttributeError):
            continue
        value = _rows_auroc(rows if isinstance(rows, list) else [], arch, profiles)
        if value is not None:
            return ModelQuality(value, str(candidate))
    return ModelQuality(None, f"no test metrics in model.json or a metrics.json beside {folder}")


NAMED_Q = 0.05  # a pattern is named after its best TOMTOM match only below this q


def apply_gates(
    table, patterns: Sequence[Pattern], model: ModelQuality | None = None, gates: Gates = Gates()
):
    """The pattern table with ``name`` (the best match's JASPAR name, or "unnamed (reason)"),
    ``named``, ``quality`` ("pass" or the failed gate), ``bits_per_column`` and ``total_bits``
    inserted after ``consensus``. TOMTOM's matches stay in the match columns as evidence."""
    import pandas as pd

    quality = {p.name: pattern_quality(p) for p in patterns}
    names, named, reasons, per_col, total = [], [], [], [], []
    for row in table.itertuples(index=False):
        q = quality[row.pattern]
        reason = gate_reason(q, model, gates)
        match_q = getattr(row, "match1_q", None)
        significant = isinstance(match_q, (int, float)) and not pd.isna(match_q) and match_q < NAMED_Q
        if reason:
            name = f"unnamed ({reason})"
        elif not significant:
            name = f"unnamed (no JASPAR match with q < {NAMED_Q:g})"
        else:
            name = str(row.match1_name)
        names.append(name)
        named.append(not reason and significant)
        reasons.append(reason or "pass")
        per_col.append(round(q["bits_per_column"], 3))
        total.append(round(q["total_bits"], 2))
    out = table.copy()
    at = list(out.columns).index("consensus") + 1 if "consensus" in out.columns else len(out.columns)
    for offset, (col, values) in enumerate(
        (
            ("name", names),
            ("named", named),
            ("quality", reasons),
            ("bits_per_column", per_col),
            ("total_bits", total),
        )
    ):
        dtype = {"named": bool, "name": object, "quality": object}.get(col, float)
        out.insert(at + offset, col, pd.Series(values, index=out.index, dtype=dtype))
    return out
