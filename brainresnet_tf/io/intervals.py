"""Intervals in and out: BED / narrowPeak reading (validated against a genome) and the one rule
that turns an interval into a model-sized window centred on it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.text import open_text, text_lines

PEAK_SUFFIXES = (".bed", ".narrowpeak", ".broadpeak", ".bed.gz", ".narrowpeak.gz", ".broadpeak.gz")


_DIGITS = re.compile(r"[0-9]+")
_WORD = re.compile(r"[A-Za-z_]{2,}[A-Za-z0-9_.]*")
_META = re.compile(r"(#|track(\s|$)|browser(\s|$))")
CHUNK_ROWS = 100_000


def _is_header(fields: list[str]) -> bool:
    """A column-name line: its coordinate fields are words (``start``, ``chromStart``...)."""
    return bool(_WORD.fullmatch(fields[1].strip()) and _WORD.fullmatch(fields[2].strip()))


def _coordinate(path: Path, lineno: int, fields: list[str]) -> tuple[int, int]:
    start, end = fields[1], fields[2]
    if not (_DIGITS.fullmatch(start) and _DIGITS.fullmatch(end)):
        raise input_error(
            path,
            lineno,
            f"non-integer coordinates {start!r}, {end!r}",
            "0-based start and end written as plain digits",
        )
    if len(start) > 18 or len(end) > 18:  # beyond any genome, and past what int64 holds
        raise input_error(path, lineno, f"coordinate {max(start, end, key=len)} is too large")
    return int(start), int(end)


def iter_bed(
    path: str | os.PathLike, genome: Genome | None = None, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """:func:`read_bed` in chunks of up to ``chunk_rows`` rows, read as the file is consumed.

    An empty file raises InputError before any chunk is yielded.
    """
    path = Path(path)
    chroms, starts, ends, names = [], [], [], []
    resolved: dict[str, str] = {}
    seen_data = False
    total = 0
    with open_text(path, "BED file") as fh:
        for lineno, line in text_lines(path, fh):
            if not line.strip() or _META.match(line):
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
            first = not seen_data
            seen_data = True
            if first and _is_header(fields):  # only the first data line may name the columns
                continue
            chrom = fields[0].strip()
            if not chrom:
                raise input_error(path, lineno, "empty chromosome name", "chrom, start, end")
            start, end = _coordinate(path, lineno, fields)
            if genome is not None:
                if chrom not in resolved:
                    resolved[chrom] = genome.resolve(chrom, path, lineno)
                name = resolved[chrom]
                genome.check_interval(name, start, end, path, lineno)
                chrom = name
            elif end <= start:
                raise input_error(path, lineno, f"bad interval {chrom}:{start}-{end}", "0 <= start < end")
            chroms.append(chrom)
            starts.append(start)
            ends.append(end)
            names.append(fields[3] if len(fields) > 3 else f"{chrom}:{start}-{end}")
            if len(chroms) >= chunk_rows:
                total += len(chroms)
                yield _frame(chroms, starts, ends, names)
                chroms, starts, ends, names = [], [], [], []
    if chroms or not total:
        if not chroms:
            raise InputError(f"{path}: no intervals (empty peak/region file)")
        yield _frame(chroms, starts, ends, names)


def _frame(chroms: list, starts: list, ends: list, names: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chrom": chroms,
            "start": np.asarray(starts, np.int64),
            "end": np.asarray(ends, np.int64),
            "name": names,
        }
    )


def read_bed(path: str | os.PathLike, genome: Genome | None = None) -> pd.DataFrame:
    """Read a BED-like file (BED3+, narrowPeak; gzip allowed) into chrom/start/end/name columns.

    Every line is validated (coordinates as plain digits, start < end, chromosome known to
    ``genome`` and end within it); the first bad line raises :class:`InputError` naming file and
    line. ``track``/``browser``/``#`` lines are skipped, and so is a first line whose coordinate
    fields are words (``chrom start end``); any other line with a bad coordinate is an error,
    never a silently dropped header. Chromosome names are translated to the genome's
    (``1`` -> ``chr1``). Order is kept.
    """
    chunks = list(iter_bed(path, genome))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)


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
