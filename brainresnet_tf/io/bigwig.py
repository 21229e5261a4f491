"""bigWig output: per-base values over windows (overlaps averaged), or one value per fixed bin;
written atomically."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyBigWig

from brainresnet_tf.io.atomic import atomic_path


def write_bigwig(
    path: str | os.PathLike, chrom_sizes: dict[str, int], windows: pd.DataFrame, values: np.ndarray
) -> int:
    """Write per-base ``values`` (N, L) of ``windows`` (chrom, start) as a bigWig.

    Where windows overlap the mean is written; bases past a chromosome's ends are dropped.
    Chromosomes follow ``chrom_sizes``' order. Returns the number of bases written.
    """
    values = np.asarray(values, np.float64)
    length = values.shape[1]
    written = 0
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader([(c, int(s)) for c, s in chrom_sizes.items()])
            win = windows.reset_index(drop=True)
            for chrom, size in chrom_sizes.items():
                rows = win.index[win["chrom"] == chrom].to_numpy()
                if not len(rows):
                    continue
                starts = win.loc[rows, "start"].to_numpy(np.int64)
                order = np.argsort(starts, kind="stable")
                rows, starts = rows[order], starts[order]
                # blocks of overlapping windows: a new block starts where a window begins past the
                # furthest end so far
                ends = np.maximum.accumulate(starts + length)
                new = np.concatenate([[True], starts[1:] >= ends[:-1]])
                block_ids = np.cumsum(new) - 1
                for b in range(block_ids[-1] + 1):
                    sel = block_ids == b
                    lo, hi = int(starts[sel][0]), int(ends[sel][-1])
                    total = np.zeros(hi - lo)
                    count = np.zeros(hi - lo)
                    for r, s in zip(rows[sel], starts[sel]):
                        total[s - lo : s - lo + length] += values[r]
                        count[s - lo : s - lo + length] += 1
                    a, z = max(lo, 0), min(hi, size)
                    if z <= a:
                        continue
                    mean = total[a - lo : z - lo] / np.maximum(count[a - lo : z - lo], 1)
                    bw.addEntries(chrom, a, values=mean, span=1, step=1)
                    written += z - a
        finally:
            bw.close()
    return written


def write_binned_bigwig(
    path: str | os.PathLike,
    chrom_sizes: dict[str, int],
    values_of: Callable[[str], np.ndarray],
    bin_size: int,
) -> int:
    """Write one value per bin ``[k * bin_size, (k + 1) * bin_size)`` of each chromosome.

    ``values_of(chrom)`` gives the ``ceil(size / bin_size)`` values of a chromosome (called once
    per chromosome, in ``chrom_sizes``' order, so values can be read lazily); the last bin is cut
    at the chromosome's end. Written atomically; returns the number of bins written.
    """
    written = 0
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader([(c, int(s)) for c, s in chrom_sizes.items()])
            for chrom, size in chrom_sizes.items():
                values = np.asarray(values_of(chrom), np.float64)
                full = size // bin_size
                if len(values) != -(-size // bin_size):
                    raise ValueError(f"{chrom}: {len(values)} values for {-(-size // bin_size)} bins")
                if full:
                    bw.addEntries(chrom, 0, values=values[:full], span=bin_size, step=bin_size)
                if full < len(values):  # the short last bin
                    bw.addEntries([chrom], [full * bin_size], ends=[size], values=[float(values[full])])
                written += len(values)
        finally:
            bw.close()
    return written
