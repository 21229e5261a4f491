"""Pairs of sequences to score without a genome: one with the reference, one with the alternative
allele (``score-variants --pairs``).

A TSV, or CSV when the name ends ``.csv`` / ``.csv.gz`` (plain or gzipped), with a header line and
one row per pair: an id, the reference sequence and the alternative sequence, in columns ``id``,
``ref_seq`` and ``alt_seq`` unless named otherwise (any order; other columns are ignored). Letters
are read in either case and kept upper case. The whole table is read and checked before anything
is scored; each problem stops with one line naming the file, the line (1-based, the header is
line 1) and the fix:

* a column missing (the columns the header has are named), or a table without rows;
* an empty id or sequence, letters other than ACGTN;
* ref and alt of unequal length (indels need a genome: ``--genome`` with ``--vcf``);
* ref identical to alt; an id used twice.

Blank lines are skipped (line numbers still count them).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError, input_error

PAIR_COLUMNS = ("id", "ref_seq", "alt_seq")  # default id, ref and alt column names
_ACGTN = re.compile(r"[ACGTN]+")


@dataclass(frozen=True)
class SequencePair:
    """One pair: its id, the two upper-case sequences (equal length) and its line in the table."""

    id: str
    ref: str
    alt: str
    line: int

    def difference(self) -> tuple[int, str, str]:
        """(0-based index of the first differing base, REF bases, ALT bases): the span from the
        first to the last base where the two sequences differ (``AC`` vs ``GT`` -> 0, AC, GT)."""
        differs = np.flatnonzero(
            np.frombuffer(self.ref.encode(), np.uint8) != np.frombuffer(self.alt.encode(), np.uint8)
        )
        lo, hi = int(differs[0]), int(differs[-1]) + 1
        return lo, self.ref[lo:hi], self.alt[lo:hi]


def _read_rows(path: Path) -> pd.DataFrame:
    """Every field as text (empty where missing), one row per line after the header."""
    if not path.exists():
        raise InputError(f"{path}: sequence pair table not found")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a sequence pair table")
    sep = "," if path.name.lower().endswith((".csv", ".csv.gz")) else "\t"
    try:
        return pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False
        )
    except pd.errors.EmptyDataError:
        raise input_error(path, 1, "empty file", "a header line naming the id, ref and alt columns") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, EOFError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path}: cannot read the sequence pair table ({first})") from None


def _column(path: Path, columns: list[str], name: str, flag: str) -> str:
    """The header's column called ``name`` (exactly, else in another case), or an InputError."""
    if name in columns:
        return name
    folded = [c for c in columns if c.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    found = ", ".join(columns)[:300]
    raise input_error(path, 1, f"no column {name!r} (columns found: {found})", f"{flag} naming one of them")


def _sequence(path: Path, line: int, pid: str, text: str, column: str) -> str:
    """``text`` upper-cased when it is ACGTN bases, else an InputError naming the line."""
    seq = text.strip().upper()
    if not seq:
        raise input_error(path, line, f"{column} of {pid!r} is empty", "a sequence of A, C, G, T or N")
    if not _ACGTN.fullmatch(seq):
        bad = "".join(sorted(set(seq) - set("ACGTN")))[:10]
        raise input_error(
            path, line, f"{column} of {pid!r} has letters other than ACGTN ({bad!r})", "A, C, G, T or N only"
        )
    return seq


def _pair(path: Path, line: int, pid: str, ref: str, alt: str, names: tuple[str, str]) -> SequencePair:
    """One checked pair (equal length, different) or an InputError naming the line."""
    if not pid:
        raise input_error(path, line, f"the {names[0]} column is empty", "a unique id on every line")
    ref = _sequence(path, line, pid, ref, names[1])
    alt = _sequence(path, line, pid, alt, names[2])
    if len(ref) != len(alt):
        raise input_error(
            path,
            line,
            f"{names[1]} ({len(ref)} bp) and {names[2]} ({len(alt)} bp) of {pid!r} differ in length",
            "equal-length sequences; score indels with --genome and --vcf",
        )
    if ref == alt:
        raise input_error(
            path, line, f"{names[1]} and {names[2]} of {pid!r} are identical", "an alt sequence that differs"
        )
    return SequencePair(pid, ref, alt, line)


def read_sequence_pairs(
    path: str | os.PathLike,
    id_column: str = PAIR_COLUMNS[0],
    ref_column: str = PAIR_COLUMNS[1],
    alt_column: str = PAIR_COLUMNS[2],
) -> list[SequencePair]:
    """Every pair of the table, checked (see the module docstring); one-line errors."""
    path = Path(path)
    rows = _read_rows(path)
    columns = [str(c) for c in rows.columns]
    id_col = _column(path, columns, id_column, "--id-column")
    ref_col = _column(path, columns, ref_column, "--ref-column")
    alt_col = _column(path, columns, alt_column, "--alt-column")
    names = (id_col, ref_col, alt_col)
    pairs: list[SequencePair] = []
    first_line: dict[str, int] = {}
    for i, (pid, ref, alt) in enumerate(zip(rows[id_col], rows[ref_col], rows[alt_col])):
        line = i + 2  # the header is line 1
        if not (pid.strip() or ref.strip() or alt.strip()):
            continue  # a blank line
        pid = pid.strip()
        if pid in first_line:
            raise input_error(
                path, line, f"id {pid!r} is used again (first on line {first_line[pid]})", "unique ids"
            )
        pairs.append(_pair(path, line, pid, ref, alt, names))
        first_line[pid] = line
    if not pairs:
        raise input_error(path, 1, "only a header line, no pairs", "one row per pair below the header")
    return pairs
