"""Profiles (cell type x assay) and their labels per genome bin, from peaks or signal tracks.

Peaks (BED / narrowPeak, optionally gzipped) and bigWig signal are both turned into a piecewise
constant track over each chromosome (peaks: 1 over the merged peaks). A track's integral at any
coordinate is a prefix sum looked up with ``searchsorted``, so the covered fraction or the mean
signal of millions of bins costs a few vector operations instead of one query per bin (pyBigWig
``stats`` manages ~4k bins/s).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome


@dataclass(frozen=True)
class Profile:
    """One predicted profile: a cell type x assay, with its peaks and/or signal track."""

    name: str
    cell_type: str = ""
    assay: str = ""
    peaks: Path | None = None
    bigwig: Path | None = None


@dataclass
class Track:
    """Piecewise-constant values on sorted, non-overlapping intervals of one chromosome."""

    starts: np.ndarray
    ends: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        self._cum = np.concatenate([[0.0], np.cumsum(self.values * (self.ends - self.starts))])

    def integral(self, x: np.ndarray) -> np.ndarray:
        """Sum of value x length over ``[0, x)`` for each x."""
        x = np.asarray(x, dtype=np.int64)
        i = np.searchsorted(self.ends, x, side="right")  # intervals wholly left of x
        total = self._cum[i]
        if len(self.starts):
            j = np.minimum(i, len(self.starts) - 1)
            inside = (i < len(self.starts)) & (self.starts[j] < x)
            total = total + np.where(inside, self.values[j] * (x - self.starts[j]), 0.0)
        return total

    def mean(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Mean value over each ``[lo, hi)`` (zero where there is no interval)."""
        return (self.integral(hi) - self.integral(lo)) / np.maximum(np.asarray(hi) - np.asarray(lo), 1)


def peak_tracks(peaks: pd.DataFrame) -> dict[str, Track]:
    """Coverage tracks (1 inside merged peaks) per chromosome from a :func:`read_bed` frame."""
    tracks = {}
    for chrom, df in peaks.groupby("chrom", sort=False):
        order = np.argsort(df["start"].to_numpy(), kind="stable")
        s, e = df["start"].to_numpy()[order], df["end"].to_numpy()[order]
        run_end = np.maximum.accumulate(e)
        new = np.concatenate([[True], s[1:] > run_end[:-1]])
        group = np.cumsum(new) - 1
        ms = s[new]
        me = np.zeros(len(ms), np.int64)
        np.maximum.at(me, group, e)
        tracks[chrom] = Track(ms, me, np.ones(len(ms)))
    return tracks


def signal_tracks(path: str | os.PathLike, genome: Genome, chroms: list[str]) -> dict[str, Track]:
    """Signal tracks per chromosome from a bigWig; checks chromosomes and NaN values."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: bigWig not found")
    bw = pyBigWig.open(str(path))
    if bw is None or not bw.isBigWig():
        raise InputError(f"{path}: not a bigWig file")
    try:
        names = {}
        for name in bw.chroms():
            try:
                names[genome.resolve(name)] = name
            except InputError:
                continue
        tracks = {}
        for chrom in chroms:
            if chrom not in names:
                raise InputError(
                    f"{path}: bigWig has no chromosome {chrom!r} (it has: "
                    f"{', '.join(list(bw.chroms())[:5])}); restrict windows.chroms "
                    "to chromosomes the track covers"
                )
            entries = bw.intervals(names[chrom]) or ()
            arr = np.asarray(entries, dtype=np.float64).reshape(-1, 3)
            if np.isnan(arr[:, 2]).any():
                first = arr[np.isnan(arr[:, 2])][0]
                raise InputError(
                    f"{path}: NaN signal at {chrom}:{int(first[0])}-{int(first[1])} (expected finite values)"
                )
            tracks[chrom] = Track(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2])
        return tracks
    finally:
        bw.close()


def bin_labels(
    track: Track | None, starts: np.ndarray, bin_size: int, *, signal: bool, min_overlap: float = 0.5
) -> np.ndarray:
    """Labels of bins ``[start, start+bin_size)``.

    For peaks (``signal=False``): 1 where peaks cover at least ``min_overlap`` of the bin.
    For signal: ``log1p`` of the mean signal over the bin.
    """
    if track is None or len(track.starts) == 0:
        return np.zeros(len(starts), np.float32)
    mean = track.mean(starts, np.asarray(starts) + bin_size)
    if signal:
        return np.log1p(np.maximum(mean, 0.0)).astype(np.float32)
    return (mean >= min_overlap - 1e-9).astype(np.float32)


def grid_labels(
    track: Track | None, n_bins: int, bin_size: int, *, signal: bool, min_overlap: float = 0.5
) -> np.ndarray:
    """:func:`bin_labels` of the bins ``[k * bin_size, (k + 1) * bin_size)`` for ``k < n_bins``.

    One integral per bin edge (a bin's end is the next one's start), half the work of
    :func:`bin_labels` on the same starts, with identical values.
    """
    if track is None or len(track.starts) == 0 or n_bins <= 0:
        return np.zeros(max(n_bins, 0), np.float32)
    cum = track.integral(np.arange(n_bins + 1, dtype=np.int64) * bin_size)
    mean = np.diff(cum) / bin_size
    if signal:
        return np.log1p(np.maximum(mean, 0.0)).astype(np.float32)
    return (mean >= min_overlap - 1e-9).astype(np.float32)
