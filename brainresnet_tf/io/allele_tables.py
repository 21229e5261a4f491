"""Variants to score from tables: BED-like (0-based start, end) and TSV with a header (1-based pos).

(Score tables, read in chunks by column name, are :mod:`brainresnet_tf.io.variant_table`'s.)

* BED-like: ``chrom, start, end, ref, alt [, id]`` by position when there is no header, with
  ``end = start + len(ref)``; ``track``/``browser``/``#`` lines are skipped.
* TSV (or ``.csv``): a header line naming the columns (any order, any case, a leading ``#``
  allowed; the names of :data:`brainresnet_tf.io.variant_table.KEY_ALIASES`): ``chrom``;
  ``pos`` (1-based) or ``start`` (0-based) [and ``end``]; ``ref``; ``alt``; optionally ``id``
  (or ``rsid``, ``variant_id``). Other columns are ignored.

Alleles are written as in a VCF (an indel with its anchor base: ``pos 100, ref CA, alt C``) or
with ``-`` for an empty allele (``start 100, end 101, ref A, alt -``; an insertion has
``start == end``), which is anchored on the base to its left. Only the line parsing is here:
the checks, normalisation and counts are :class:`~brainresnet_tf.io.variants.VariantReader`'s.
"""

from __future__ import annotations

import os
import re

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.variant_table import KEY_ALIASES, find_key_columns
from brainresnet_tf.io.variants import (
    DEFAULT_MAX_INDEL,
    Region,
    SkipCallback,
    SwapCallback,
    VariantReader,
    parse_position,
)

# chrom, pos, id, ref and alt are named as in every other table we read (io.variant_table);
# a BED-like table's 0-based coordinates:
_COORDINATES = {
    "start": ("start", "start0", "chromstart", "chrom_start", "pos0"),
    "end": ("end", "chromend", "chrom_end", "stop"),
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class VariantTableReader(VariantReader):
    """Streams checked, normalised alleles from a BED-like or TSV variant table."""

    what = "variant table"

    def __init__(
        self,
        path: str | os.PathLike,
        genome: Genome,
        strict: bool = False,
        region: Region | str | None = None,
        on_skip: SkipCallback | None = None,
        max_indel: int = DEFAULT_MAX_INDEL,
        format: str = "bed",
        *,
        orient: bool = False,
        on_swap: SwapCallback | None = None,
    ):
        super().__init__(path, genome, strict, region, on_skip, max_indel, orient=orient, on_swap=on_swap)
        if format not in ("bed", "tsv"):
            raise InputError(f"variant table format {format!r}: expected bed or tsv")
        self.format = format
        name = self.path.name.lower().removesuffix(".gz").removesuffix(".bgz")
        self.sep = "," if name.endswith(".csv") else "\t"
        self._columns: dict[str, int] | None = None

    def _header(self, fields: list[str], lineno: int) -> dict[str, int] | None:
        """Column indices named by a header line, or None when the line is not a header."""
        names = [f.strip().lstrip("#").strip() for f in fields]
        keys = find_key_columns(names)
        found: dict[str, int | None] = {k: names.index(keys[k]) if k in keys else None for k in KEY_ALIASES}
        lower = [n.lower() for n in names]
        for key, aliases in _COORDINATES.items():
            found[key] = next((i for i, n in enumerate(lower) if n in aliases), None)
        if found["chrom"] is None or found["ref"] is None or found["alt"] is None:
            return None
        if found["pos"] is None and found["start"] is None:
            raise input_error(
                self.path, lineno, "header names no position column", "pos (1-based) or start (0-based)"
            )
        if found["pos"] is not None:
            found["start"] = found["end"] = None
        return {k: v for k, v in found.items() if v is not None}

    def parse_line(self, text: str, lineno: int) -> tuple[str, int, str, str, list[str]] | None:
        """(chrom, 1-based pos, id, REF, ALT alleles) of a data line; None for headers, comments."""
        if text.startswith(("track", "browser")):
            return None
        fields = text.split(self.sep)
        if len(fields) < 4 and self.sep == "\t":
            fields = text.split()
        if text.startswith("#"):
            if self._columns is None:
                self._columns = self._header(fields, lineno)
            return None
        if self._columns is None:
            self._columns = self._header(fields, lineno)
            if self._columns is not None:
                return None
            if self.format == "tsv":
                raise input_error(
                    self.path,
                    lineno,
                    f"no header line before {text[:40]!r}",
                    "a header naming chrom, pos (1-based), ref, alt [, id], or --format bed",
                )
            if len(fields) > 1 and _WORD.fullmatch(fields[1].strip()):
                raise input_error(
                    self.path,
                    lineno,
                    f"header {text[:60]!r} names no chrom, ref and alt columns",
                    "columns chrom, start, end, ref, alt [, id]",
                )
            self._columns = {"chrom": 0, "start": 1, "end": 2, "ref": 3, "alt": 4}
            if len(fields) > 5:
                self._columns["id"] = 5
        cols = self._columns
        if len(fields) <= max(cols.values()):
            wanted = ", ".join(k for k, _ in sorted(cols.items(), key=lambda kv: kv[1]))
            raise input_error(
                self.path, lineno, f"malformed line with {len(fields)} column(s)", f"columns {wanted}"
            )
        chrom = fields[cols["chrom"]].strip()
        ref_text = fields[cols["ref"]].strip()
        ref = "" if ref_text == "-" else self.check_bases(ref_text, lineno, "REF")
        if not ref and ref_text != "-":
            raise input_error(self.path, lineno, "empty REF", "bases, or - for an insertion")
        if "pos" in cols:
            pos = parse_position(fields[cols["pos"]].strip(), self.path, lineno, "pos")
        else:
            start = parse_position(fields[cols["start"]].strip(), self.path, lineno, "start", base=0)
            if "end" in cols:
                end = parse_position(fields[cols["end"]].strip(), self.path, lineno, "end", base=0)
                if end - start != len(ref):
                    raise input_error(
                        self.path,
                        lineno,
                        f"end - start = {end - start} but REF {ref_text[:40]!r} has {len(ref)} base(s)",
                        "end = start + len(REF), 0-based half-open",
                    )
            pos = start + 1
        vid = fields[cols["id"]].strip() if "id" in cols else "."
        alts = [a.strip() for a in fields[cols["alt"]].split(",")]
        if "" in alts:
            raise input_error(self.path, lineno, "empty ALT allele", "bases, or - for a deletion")
        return chrom, pos, vid or ".", ref, ["" if a == "-" else a for a in alts]
