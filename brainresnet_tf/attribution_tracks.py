"""Per-base attribution tracks as bigWig, for genome browsers, and the ``attribute`` command."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig


def write_bigwig(path: str | os.PathLike, chrom_sizes: dict[str, int], windows: pd.DataFrame,
                 values: np.ndarray) -> int:
    """Write per-base ``values`` (N, L) of ``windows`` (chrom, start) as a bigWig.

    Where windows overlap the mean is written; bases past a chromosome's ends are dropped.
    Chromosomes follow ``chrom_sizes``' order. Returns the number of bases written.
    """
    values = np.asarray(values, np.float64)
    length = values.shape[1]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    bw = pyBigWig.open(str(tmp), "w")
    written = 0
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
                    total[s - lo:s - lo + length] += values[r]
                    count[s - lo:s - lo + length] += 1
                a, z = max(lo, 0), min(hi, size)
                if z <= a:
                    continue
                mean = total[a - lo:z - lo] / np.maximum(count[a - lo:z - lo], 1)
                bw.addEntries(chrom, a, values=mean, span=1, step=1)
                written += z - a
    finally:
        bw.close()
    os.replace(tmp, path)
    return written


def run_attribute(model_path: str | os.PathLike, genome_path: str | os.PathLike | None,
                  regions: list[str], task: str, out: str | os.PathLike,
                  contrast: str | None = None, method: str = "ig", steps: int = 20,
                  scale: str = "logit", batch_size: int = 256, npz: str | None = None,
                  progress: bool = True) -> Path:
    """``brainresnet attribute``: per-base contributions of windows centred on BED regions -> bigWig."""
    from .attribution import attribute, contributions, make_target
    from .genome import Genome
    from .modelio import genome_path_for, load_model
    from .selection import one_hot_windows, windows_from_beds

    model, meta = load_model(model_path)
    target = make_target(model, meta.profiles, task, contrast, scale)
    genome = Genome(genome_path_for(genome_path, meta))
    windows = windows_from_beds(regions, genome, meta.input_length)
    x = one_hot_windows(genome, windows, meta.input_length)
    hyp = attribute(target, x, method, steps=steps, batch_size=batch_size, progress=progress)
    contrib = contributions(hyp, x)
    n = write_bigwig(out, genome.chrom_sizes, windows, contrib)
    if npz:
        np.savez_compressed(npz, one_hot=x.astype(np.uint8), hypothetical=hyp,
                            chrom=windows["chrom"].to_numpy(), start=windows["start"].to_numpy())
    label = meta.profiles[target.task] + (
        f" - {meta.profiles[target.contrast]}" if target.contrast is not None else "")
    print(f"[attribute] {method} contributions to {label} ({scale}) for {len(windows)} windows "
          f"({n} bases) -> {out}")
    return Path(out)
