"""Intervals in and out: BED / narrowPeak reading (validated against a genome) and the one rule
that turns an interval into a model-sized window centred on it."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.genome import Genome

PEAK_SUFFIXES = (".bed", ".narrowpeak", ".broadpeak", ".bed.gz", ".narrowpeak.gz", ".broadpeak.gz")


def _open_text(path: Path):
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt") if gzipped else open(path)


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
                raise input_error(
                    path,
                    lineno,
                    f"malformed BED line {line.strip()[:60]!r}",
                    "tab-separated chrom, start, end",
                )
            chrom = fields[0]
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                if not chroms and lineno == 1:  # a header line
                    continue
                raise input_error(
                    path,
                    lineno,
                    f"non-integer coordinates {fields[1]!r}, {fields[2]!r}",
                    "0-based integer start and end",
                ) from None
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
    return pd.DataFrame(
        {
            "chrom": chroms,
            "start": np.asarray(starts, np.int64),
            "end": np.asarray(ends, np.int64),
            "name": names,
        }
    )


def centred_starts(starts: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
    """Start of the ``length``-bp window centred on each interval's midpoint."""
    return (np.asarray(starts) + np.asarray(ends)) // 2 - length // 2


def centred_windows(regions: pd.DataFrame, length: int) -> pd.DataFrame:
    """chrom, start, end, name of the ``length``-bp window centred on each region (order kept).

    Windows may run past a chromosome end; :meth:`Genome.codes_at` pads them with N.
    """
    starts = centred_starts(regions["start"].to_numpy(), regions["end"].to_numpy(), length)
    return pd.DataFrame(
        {
            "chrom": regions["chrom"].to_numpy(),
            "start": starts,
            "end": starts + length,
            "name": regions["name"].to_numpy(),
        }
    )
