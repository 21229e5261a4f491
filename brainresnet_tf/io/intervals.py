"""Intervals in and out: BED / narrowPeak reading (validated against a genome) and the one rule
that turns an interval into a model-sized window centred on it.

Peak files are often genome-wide (ENCODE's carry ``chrEBV``, ``chrUn_*`` and alt contigs) while
the genome may be partial (one chromosome for a test). With a :class:`PeakStats`, :func:`read_bed`
skips intervals on chromosomes the genome lacks and counts them per chromosome; without one,
such an interval is an error naming its line. A file none of whose intervals lies on the genome
is an error either way: that is a different assembly or naming, not a few odd contigs. Every
command that reads peaks or regions on a genome shares this: :meth:`PeakStats.note` is the one
line it prints per file with skips (:func:`skipped_notes` for several files).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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


@dataclass
class PeakStats:
    """Intervals of one BED file: how many were read and, per chromosome as written, how many
    were skipped because the genome lacks that chromosome (see :func:`read_bed`)."""

    path: Path
    intervals: int = 0  # data lines read, kept or skipped
    off_genome: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Intervals skipped (on chromosomes the genome lacks)."""
        return sum(self.off_genome.values())

    def summary(self, shown: int = 3) -> str:
        """One short line: ``skipped 48,112 of 49,500 peaks on 23 chromosomes not in the genome
        (chr1 4,100, chr2 3,900, chr3 3,500, +20 more)``; the largest counts first."""
        top = sorted(self.off_genome.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = [f"{chrom} {n:,}" for chrom, n in top[:shown]]
        if len(top) > shown:
            listed.append(f"+{len(top) - shown} more")
        n_chroms = f"{len(top)} chromosome{'s' if len(top) != 1 else ''}"
        return (
            f"skipped {self.skipped:,} of {self.intervals:,} peaks on {n_chroms} not in the genome "
            f"({', '.join(listed)})"
        )

    def note(self, label: str = "") -> str:
        """The line a command prints for this file: ``<label> <file name>: <summary>``, e.g.
        ``[predict] PU1.bed.gz: skipped 50,826 of 52,056 peaks on 23 chromosomes not in the genome
        (chr1 4,753, chr2 4,193, chr3 3,558, +20 more)`` (ENCODE's PU1 peaks on hg19 chr20)."""
        head = f"{label} {self.path.name}" if label else self.path.name
        return f"{head}: {self.summary()}"

    def to_dict(self) -> dict:
        """Plain JSON values (for a cached table)."""
        return {"path": str(self.path), "intervals": self.intervals, "off_genome": dict(self.off_genome)}

    @classmethod
    def from_dict(cls, data: dict) -> PeakStats:
        """Inverse of :meth:`to_dict`."""
        off = {str(k): int(v) for k, v in data.get("off_genome", {}).items()}
        return cls(Path(data["path"]), int(data.get("intervals", 0)), off)


def skipped_notes(stats: Iterable[PeakStats | None], label: str = "") -> list[str]:
    """:meth:`PeakStats.note` of each file that had intervals skipped (None and clean files: no line)."""
    return [s.note(label) for s in stats if s is not None and s.skipped]


def _no_interval_on_genome(path: Path, genome: Genome, stats: PeakStats) -> InputError:
    """Every interval was on a chromosome the genome lacks: a different assembly or naming."""
    top = sorted(stats.off_genome, key=lambda c: -stats.off_genome[c])
    theirs = ", ".join(top[:5]) + (", ..." if len(top) > 5 else "")
    return InputError(
        f"{path}: none of its {stats.intervals:,} peaks lies on genome {genome.path.name} (the peaks "
        f"are on {theirs}; the genome has {genome.names_shown()}): a different genome build or "
        "chromosome naming? use the FASTA the peaks were called against"
    )


def iter_bed(
    path: str | os.PathLike,
    genome: Genome | None = None,
    chunk_rows: int = CHUNK_ROWS,
    skipped: PeakStats | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`read_bed` in chunks of up to ``chunk_rows`` rows, read as the file is consumed.

    An empty file (or, with ``skipped``, one with no interval on the genome) raises InputError
    before any chunk is yielded.
    """
    path = Path(path)
    chroms, starts, ends, names = [], [], [], []
    resolved: dict[str, str | None] = {}
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
            if skipped is not None:
                skipped.intervals += 1
            if genome is not None:
                if chrom not in resolved:
                    resolved[chrom] = (
                        genome.resolve(chrom, path, lineno) if skipped is None else genome.find(chrom)
                    )
                name = resolved[chrom]
                if name is None:  # only with ``skipped``
                    if end <= start:
                        raise input_error(
                            path, lineno, f"bad interval {chrom}:{start}-{end}", "0 <= start < end"
                        )
                    skipped.off_genome[chrom] = skipped.off_genome.get(chrom, 0) + 1
                    continue
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
        if not chroms and genome is not None and skipped is not None and skipped.skipped:
            raise _no_interval_on_genome(path, genome, skipped)
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


def read_bed(
    path: str | os.PathLike, genome: Genome | None = None, skipped: PeakStats | None = None
) -> pd.DataFrame:
    """Read a BED-like file (BED3+, narrowPeak; gzip allowed) into chrom/start/end/name columns.

    Every line is validated (coordinates as plain digits, start < end, chromosome known to
    ``genome`` and end within it); the first bad line raises :class:`InputError` naming file and
    line. ``track``/``browser``/``#`` lines are skipped, and so is a first line whose coordinate
    fields are words (``chrom start end``); any other line with a bad coordinate is an error,
    never a silently dropped header. Chromosome names are translated to the genome's
    (``1`` -> ``chr1``). Order is kept.

    With ``skipped``, intervals on chromosomes the genome lacks (after aliases) are skipped and
    counted there instead of raising; if that leaves none, the InputError names both sets of
    chromosome names. Intervals past the end of a chromosome the genome has stay errors.

    Examples:
        >>> peaks = br.read_peaks("data/open.bed", br.Genome("data/genome.fa"))
        >>> len(peaks)
        120
        >>> peaks.head(2)
          chrom  start  end          name
        0  chr1    181  236  chr1:181-236
        1  chr1    496  551  chr1:496-551
    """
    chunks = list(iter_bed(path, genome, skipped=skipped))
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
