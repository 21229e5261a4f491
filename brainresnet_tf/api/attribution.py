"""Attributions of sequences or genome regions as arrays, and the steps ``Model.attribute``,
:func:`~brainresnet_tf.api.motifs.motifs` and :func:`~brainresnet_tf.api.hits.hits` share: the
windows centred on BED regions, the explanation with its convergence note, the label."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from brainresnet_tf.inference.attribution import AttributionSpec, Explanation, Target
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import PeakStats
    from brainresnet_tf.models.saving import ModelMeta

Log = Callable[[str], None]
Paths = str | os.PathLike | Sequence[str | os.PathLike]


@dataclass(frozen=True)
class Attributions:
    """Per-base attributions of N windows of L bases.

    ``contributions`` (N, L): each base's contribution, the bases present (what ``attribute``
    writes as a bigWig); ``hypothetical`` (N, L, 4; A, C, G, T): each base's contribution had it
    been there (what TF-MoDISco reads); ``one_hot`` (N, L, 4): the windows explained;
    ``windows``: their chrom, start, end, name (genome regions) or None (sequences); ``label``:
    the profile explained (``task - contrast`` with a contrast); ``convergence``: DeepLIFT's
    summation-to-delta check, else None.
    """

    contributions: np.ndarray
    hypothetical: np.ndarray
    one_hot: np.ndarray
    windows: pd.DataFrame | None
    label: str
    convergence: dict | None = None


def as_paths(paths: Paths) -> list[str | os.PathLike]:
    """One path or several, as a list."""
    return [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)


def region_windows(
    regions: Paths, genome: Genome, length: int, strict: bool = False, log: Log | None = None
) -> tuple[pd.DataFrame, list[PeakStats]]:
    """Windows of ``length`` bp centred on every region of the BED files, and per file what was
    skipped: regions on chromosomes the genome lacks, one note per file to ``log`` (``strict``: an
    error naming the line)."""
    from brainresnet_tf.interpret.selection import windows_from_beds
    from brainresnet_tf.io.intervals import skipped_notes

    skipped: list[PeakStats] | None = None if strict else []
    windows = windows_from_beds(as_paths(regions), genome, length, skipped=skipped)
    for note in skipped_notes(skipped or []):
        if log is not None:
            log(note)
    return windows, skipped or []


def explain_windows(
    spec: AttributionSpec, target: Target, x: np.ndarray, progress: bool = False, log: Log | None = None
) -> Explanation:
    """``spec.explain`` of one-hot windows ``x``; DeepLIFT's convergence warning, if any, to ``log``."""
    explanation = spec.explain(target, x, progress=progress)
    note = spec.convergence_note(explanation)
    if note and log is not None:
        log(note)
    return explanation


def target_label(meta: ModelMeta, target: Target) -> str:
    """The profile ``target`` explains, or ``task - contrast``."""
    contrast = f" - {meta.profiles[target.contrast]}" if target.contrast is not None else ""
    return meta.profiles[target.task] + contrast


def profile_cell_type(meta: ModelMeta, index: int) -> str:
    """The cell type of profile ``index`` in the model's metadata ('' when it names none)."""
    return meta.cell_types[index] if index < len(meta.cell_types) else ""
