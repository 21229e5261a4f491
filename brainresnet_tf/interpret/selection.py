"""Which windows to explain: BED regions centred in model-sized windows, or the top-k windows the
model scores highest for a task (or a contrast) among regions or genome-wide bins."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.predict import Predictor
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import PeakStats, centred_starts, read_bed

MAX_N_FRACTION = 0.1  # genome bins with more N than this are not candidates


def windows_from_beds(
    paths: Sequence[str | os.PathLike],
    genome: Genome,
    length: int,
    skipped: list[PeakStats] | None = None,
) -> pd.DataFrame:
    """chrom, start, end, name of ``length``-bp windows centred on every region of the BED files.

    Regions from several files whose windows coincide are kept once; order is kept. With
    ``skipped`` (a list), regions on chromosomes the genome lacks are skipped and one
    :class:`PeakStats` per file is appended to it (for :func:`skipped_notes`); a file with no
    region on the genome is still an InputError. Without it, such a region is an InputError
    naming its line.
    """
    frames = []
    for path in paths:
        stats = None if skipped is None else PeakStats(Path(path))
        bed = read_bed(path, genome, skipped=stats)
        if stats is not None:
            skipped.append(stats)
        if bed.empty:
            raise InputError(f"{path}: no regions")
        bed = bed.copy()
        bed["start"] = centred_starts(bed["start"].to_numpy(), bed["end"].to_numpy(), length)
        bed["end"] = bed["start"] + length
        frames.append(bed[["chrom", "start", "end", "name"]])
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates(["chrom", "start"]).reset_index(drop=True)


def genome_bins(
    genome: Genome, length: int, stride: int | None = None, max_n_fraction: float = MAX_N_FRACTION
) -> pd.DataFrame:
    """Windows of ``length`` tiling every chromosome at ``stride`` (default length // 2)."""
    stride = stride or max(1, length // 2)
    frames = []
    for chrom, size in genome.chrom_sizes.items():
        starts = np.arange(0, max(size - length, -1) + 1, stride)
        if not len(starts):
            continue
        _, n_frac = genome.composition(chrom, starts, length)
        starts = starts[n_frac <= max_n_fraction]
        frames.append(pd.DataFrame({"chrom": chrom, "start": starts, "end": starts + length}))
    if not frames:
        raise InputError(f"{genome.path}: no chromosome is as long as the model's {length} bp input")
    out = pd.concat(frames, ignore_index=True)
    out["name"] = out["chrom"] + ":" + out["start"].astype(str) + "-" + out["end"].astype(str)
    return out


def score_windows(
    model, genome: Genome, windows: pd.DataFrame, length: int, batch_size: int = 256, progress: bool = True
) -> np.ndarray:
    """Strand-averaged model outputs (N, P) for ``windows`` (chrom, start)."""
    chroms, starts = windows["chrom"].to_numpy(), windows["start"].to_numpy()
    predictor = Predictor(model)
    batches = (
        genome.codes_at(chroms[i : i + batch_size], starts[i : i + batch_size], length)
        for i in range(0, len(windows), batch_size)
    )
    return predictor.predict_batches(
        batches, total=-(-len(windows) // batch_size), progress=progress, desc="scoring windows"
    )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def top_k(
    windows: pd.DataFrame, scores: np.ndarray, k: int, task: int, contrast: int | None = None
) -> pd.DataFrame:
    """The ``k`` windows scored highest for ``task``, best first, with a ``score`` column.

    With ``contrast``, half are the windows most specific to ``task`` (highest logit difference)
    and half the most specific to ``contrast``, so both sides' motifs are in the set.
    Overlapping windows are allowed (modisco's seqlets de-duplicate only within a window).
    """
    if k < 1:
        raise InputError(f"--top-k must be >= 1, got {k}")
    if contrast is None:
        score = scores[:, task]
        order = np.argsort(-score, kind="stable")[:k]
    else:
        score = _logit(scores[:, task]) - _logit(scores[:, contrast])
        rank = np.argsort(-score, kind="stable")
        low = rank[::-1][: k // 2]
        high = rank[: k - len(low)]
        order = np.concatenate([high, low[~np.isin(low, high)]]).astype(int)
    out = windows.iloc[order].reset_index(drop=True).copy()
    out["score"] = score[order]
    return out


def one_hot_windows(genome: Genome, windows: pd.DataFrame, length: int) -> np.ndarray:
    """float32 one-hot (N, length, 4) of ``windows`` (chrom, start); N past chromosome ends."""
    from brainresnet_tf.io.genome import one_hot

    codes = genome.codes_at(windows["chrom"].to_numpy(), windows["start"].to_numpy(), length)
    return one_hot(codes).astype(np.float32)
