"""Annotation tracks (bigWig: GERP++ RS, phyloP, phastCons ...) looked up at variant positions.

Positions are sorted and read per chromosome: positions close together (gaps below ``max_gap``
bases) are read with one pyBigWig ``values`` call over their span (a numpy array), isolated
ones alone. A dense table thus costs a few sequential reads per chromosome, a sparse one about a
lookup per variant, and memory is bounded by the span read at once (``max_span`` bases).
A position the track does not cover is NaN: the caller counts it, never drops it.

Chromosome names are resolved as for peaks (:func:`brainresnet_tf.io.genome.chrom_aliases`:
``1`` and ``chr1``, ``MT`` and ``chrM``). A chromosome the track lacks, or a position past the
track's chromosome end, is an :class:`InputError` naming the track: that is a naming or genome
build mismatch, not missing coverage.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import chrom_aliases

BIGWIG_MAGIC = (0x888FFC26).to_bytes(4, "little")
BIGBED_MAGIC = (0x8789F2EB).to_bytes(4, "little")
# One pyBigWig call costs about as much as decoding ~5,000 bases (measured: 6k single-base calls/s
# against ~30M bases/s read in spans), so gaps shorter than this are read through.
MAX_GAP = 4096
MAX_SPAN = 1 << 20


def _check_magic(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == BIGBED_MAGIC:
        raise InputError(f"{path}: a bigBed file, not a bigWig (expected a signal track, e.g. GERP++ .bw)")
    if head != BIGWIG_MAGIC:
        raise InputError(f"{path}: not a bigWig file (expected a .bw / .bigWig track)")


class AnnotationTrack:
    """A bigWig track to read values at 0-based positions; use as a context manager."""

    def __init__(
        self,
        path: str | os.PathLike,
        name: str | None = None,
        max_gap: int = MAX_GAP,
        max_span: int = MAX_SPAN,
    ):
        self.path = Path(path)
        self.name = name or self.path.name.split(".")[0]
        if not self.path.is_file():
            raise InputError(f"{self.path}: bigWig track not found")
        _check_magic(self.path)
        try:
            self._bw = pyBigWig.open(str(self.path))
        except RuntimeError as err:
            raise InputError(f"{self.path}: cannot read the bigWig ({err})") from err
        if self._bw is None or not self._bw.isBigWig():
            raise InputError(f"{self.path}: not a bigWig file (expected a .bw / .bigWig track)")
        self.chroms: dict[str, int] = dict(self._bw.chroms())
        self.max_gap, self.max_span = int(max_gap), max(int(max_span), 1)
        self._names: dict[str, str] = {}

    def close(self) -> None:
        """Close the file."""
        if self._bw is not None:
            self._bw.close()
            self._bw = None

    def __enter__(self) -> AnnotationTrack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def resolve(self, chrom: str) -> str:
        """The track's own name for ``chrom`` (``1`` / ``chr1`` aliases), or an InputError."""
        hit = self._names.get(chrom)
        if hit is not None:
            return hit
        for alias in chrom_aliases(str(chrom)):
            if alias in self.chroms:
                self._names[chrom] = alias
                return alias
        have = ", ".join(list(self.chroms)[:6]) + (", ..." if len(self.chroms) > 6 else "")
        raise InputError(
            f"{self.path}: track has no chromosome {chrom!r} (it has: {have or 'none'}); use a "
            f"track on the variants' genome build, or leave {chrom} variants out of the table"
        )

    def values_at(self, chroms: Sequence[str] | np.ndarray | pd.Series, positions: np.ndarray) -> np.ndarray:
        """Track values (float64) at 0-based ``positions`` on ``chroms``; NaN where not covered."""
        positions = np.asarray(positions)
        if positions.ndim != 1 or len(chroms) != len(positions):
            raise ValueError("chroms and positions must be 1-d and of the same length")
        if len(positions) and not np.issubdtype(positions.dtype, np.integer):
            raise InputError(f"{self.path}: positions must be integers")
        positions = positions.astype(np.int64)
        codes, names = pd.factorize(
            pd.Series(chroms, dtype=object) if not isinstance(chroms, pd.Series) else chroms
        )
        out = np.full(len(positions), np.nan)
        if len(names) == 1:
            out[:] = self._chrom_values(str(names[0]), positions)
            return out
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for i, chrom in enumerate(names):
            rows = order[bounds[i] : bounds[i + 1]]
            out[rows] = self._chrom_values(str(chrom), positions[rows])
        return out

    def _chrom_values(self, chrom: str, positions: np.ndarray) -> np.ndarray:
        name = self.resolve(chrom)
        size = self.chroms[name]
        bad = (positions < 0) | (positions >= size)
        if bad.any():
            pos = int(positions[bad][0])
            raise InputError(
                f"{self.path}: position {chrom}:{pos + 1} is outside {name} of the track (1-{size:,}); "
                f"is the track on the variants' genome build?"
            )
        unique, inverse = np.unique(positions, return_inverse=True)
        values = np.empty(len(unique))
        # clusters of nearby positions: a new one where the gap is long, split into max_span pieces
        run = np.cumsum(np.concatenate([[True], np.diff(unique) > self.max_gap]))
        run_first = unique[np.concatenate([[0], np.flatnonzero(np.diff(run)) + 1])]
        piece = (unique - run_first[run - 1]) // self.max_span
        cluster = np.concatenate([[True], (np.diff(run) != 0) | (np.diff(piece) != 0)])
        bounds = np.append(np.flatnonzero(cluster), len(unique))
        for a, b in zip(bounds[:-1], bounds[1:]):
            lo, hi = int(unique[a]), int(unique[b - 1]) + 1
            try:
                span = self._bw.values(name, lo, hi, numpy=True)
            except RuntimeError as err:
                raise InputError(f"{self.path}: cannot read {name}:{lo + 1}-{hi} ({err})") from err
            span = np.asarray(span, dtype=np.float64)
            if len(span) == hi - lo:
                values[a:b] = span[unique[a:b] - lo]
            else:  # pyBigWig gives nothing for a chromosome without any entry: not covered
                values[a:b] = np.nan
        return values[inverse]


def open_tracks(specs: Sequence[tuple[str, str | os.PathLike]]) -> list[AnnotationTrack]:
    """Open ``(name, path)`` tracks; names must be unique."""
    names = [n for n, _ in specs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"track names must be unique: {', '.join(dup)} given twice (use NAME=PATH)")
    opened: list[AnnotationTrack] = []
    try:
        for name, path in specs:
            opened.append(AnnotationTrack(path, name))
    except BaseException:
        for t in opened:
            t.close()
        raise
    return opened
