"""Profiles (cell type x assay) and their labels per genome bin, from peaks or signal tracks.

Peaks (BED / narrowPeak, optionally gzipped) and bigWig signal are both turned into a piecewise
constant track over each chromosome (peaks: 1 over the merged peaks). A track's integral at any
coordinate is a prefix sum looked up with ``searchsorted``, so the covered fraction or the mean
signal of millions of bins costs a few vector operations instead of one query per bin (pyBigWig
``stats`` manages ~4k bins/s).
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig

from .errors import InputError, input_error
from .genome import Genome

PEAK_SUFFIXES = (".bed", ".narrowpeak", ".broadpeak", ".bed.gz", ".narrowpeak.gz", ".broadpeak.gz")


@dataclass(frozen=True)
class Profile:
    """One predicted profile: a cell type x assay, with its peaks and/or signal track."""

    name: str
    cell_type: str = ""
    assay: str = ""
    peaks: Path | None = None
    bigwig: Path | None = None


def _open_text(path: Path):
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt") if gzipped else open(path, "rt")


def read_bed(path: str | os.PathLike, genome: Genome | None = None) -> pd.DataFrame:
    """Read a BED-like file (BED3+, narrowPeak; gzip allowed) into chrom/start/end/name columns.

    Every line is validated (numeric coordinates, start < end, chromosome known to ``genome`` and
    end within it); the first bad line raises :class:`InputError` naming file and line. Chromosome
    names are translated to the genome's (``1`` -> ``chr1``). Order is kept.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    chroms, starts, ends, names = [], [], [], []
    resolved: dict[str, str] = {}
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n\r").split("\t")
            if len(fields) < 3:
                fields = line.split()
            if len(fields) < 3:
                raise input_error(path, lineno, f"malformed BED line {line.strip()[:60]!r}",
                                  "tab-separated chrom, start, end")
            chrom = fields[0]
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                if not chroms and lineno == 1:  # a header line
                    continue
                raise input_error(path, lineno, f"non-integer coordinates {fields[1]!r}, {fields[2]!r}",
                                  "0-based integer start and end") from None
            if genome is not None:
                if chrom not in resolved:
                    resolved[chrom] = genome.resolve(chrom, path, lineno)
                name = resolved[chrom]
                genome.check_interval(name, start, end, path, lineno)
                chrom = name
            elif start < 0 or end <= start:
                raise input_error(path, lineno, f"bad interval {chrom}:{start}-{end}", "0 <= start < end")
            chroms.append(chrom)
            starts.append(start)
            ends.append(end)
            names.append(fields[3] if len(fields) > 3 else f"{chrom}:{start}-{end}")
    if not chroms:
        raise InputError(f"{path}: no intervals (empty peak/region file)")
    return pd.DataFrame({"chrom": chroms, "start": np.asarray(starts, np.int64),
                         "end": np.asarray(ends, np.int64), "name": names})


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
                raise InputError(f"{path}: bigWig has no chromosome {chrom!r} (it has: "
                                 f"{', '.join(list(bw.chroms())[:5])}); restrict windows.chroms "
                                 "to chromosomes the track covers")
            entries = bw.intervals(names[chrom]) or ()
            arr = np.asarray(entries, dtype=np.float64).reshape(-1, 3)
            if np.isnan(arr[:, 2]).any():
                first = arr[np.isnan(arr[:, 2])][0]
                raise InputError(f"{path}: NaN signal at {chrom}:{int(first[0])}-{int(first[1])} "
                                 "(expected finite values)")
            tracks[chrom] = Track(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2])
        return tracks
    finally:
        bw.close()


def bin_labels(track: Track | None, starts: np.ndarray, bin_size: int, *, signal: bool,
               min_overlap: float = 0.5) -> np.ndarray:
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
