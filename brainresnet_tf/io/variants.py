"""Variants from a VCF or a variant table, each allele checked against the genome: one interface.

:class:`VariantReader` streams a text file (plain, gzip or bgzip) line by line; a subclass only
turns a line into a record (:mod:`brainresnet_tf.io.vcf` for VCF, :mod:`brainresnet_tf.io.allele_tables`
for BED-like and TSV tables); every check, count and skip lives here, once. One row per ALT
allele (multi-allelic records are split first); :func:`brainresnet_tf.io.variant_files.open_variants`
picks the reader.

What is not scored is never silently dropped: every skipped allele is counted by reason
(:class:`VariantStats`) and handed to ``on_skip`` with its file and line.

* REF not matching the genome: skipped and counted (``strict``: an error).
* Chromosome not in the genome (after ``chr1``/``1`` aliases): skipped and counted
  (``strict``: an error); if *no* allele could be placed on the genome at all, it is an error
  either way, since that is a naming mismatch, not a few odd contigs.
* A position (or a REF) past a chromosome end: skipped and counted (``strict``: an error).
* SNVs, MNVs, insertions, deletions and other substitutions (``delins``) are scored; an indel or
  MNV that changes more than ``max_indel`` bases, symbolic ALTs (``<DEL>``, ``*``, breakends),
  ALT ``.`` and alleles with ``N`` (also an indel whose anchor base is an N of the genome) are
  skipped and counted.
* Alleles are left-normalised against the genome (shared bases trimmed, indels shifted left
  through repeats, as ``bcftools norm -f`` does): a record that was not is normalised and counted
  (``strict``: an error naming the line). Trimming the shared bases that a multi-allelic record
  needs for its longest allele is not counted.
* ``orient`` (opt-in): where REF does not match the genome but ALT does over its length at POS
  (an SNV given the other way round), the two are swapped so the genome's allele is scored as
  REF; the :class:`Variant` says ``swapped``, the swap is counted (``oriented``) and handed to
  ``on_swap`` with its file and line. Neither allele matching is a ``ref_mismatch`` as before.
* The same allele twice (same chromosome, position, REF and ALT once normalised, so ``1`` and
  ``chr1``, or two spellings of one indel, are the same): the repeat is skipped and counted as
  ``duplicate``. Detection holds about 60 bytes per scored allele.
* Malformed lines (too few columns, bad POS, non-ACGTN REF/ALT): always an error naming the
  file and line.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.genome import Genome

ID_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT"]
VARIANT_TYPES = ("snv", "mnv", "ins", "del", "delins")
DEFAULT_MAX_INDEL = 50
SKIP_REASONS = (
    "ref_mismatch",
    "unknown_chrom",
    "past_chrom_end",
    "too_long",
    "symbolic",
    "no_alt",
    "ambiguous",
    "duplicate",
)
_ACGTN = re.compile(r"[ACGTN]+")
_DIGITS = re.compile(r"[0-9]+")
_BASES = "ACGTN"

# on_skip(line, (CHROM, POS, ID, REF) as written, ALT, reason, message)
SkipCallback = Callable[[int, list[str], str, str, str], None]
# on_swap(line, (CHROM, POS, ID, REF) as written, ALT as written)
SwapCallback = Callable[[int, list[str], str], None]


@dataclass(frozen=True)
class Variant:
    """One allele to score, normalised: the genome's chromosome, 1-based position, alleles.

    ``pos``, ``ref`` and ``alt`` are the left-normalised allele (what is scored: ``ref`` is the
    genome's); ``kind`` is one of :data:`VARIANT_TYPES`. ``swapped``: the input gave the two
    alleles the other way round (``orient``), so its REF is ``alt`` here.
    """

    chrom: str  # as written in the input (kept in the output)
    genome_chrom: str  # the genome's name for it
    pos: int  # 1-based
    id: str
    ref: str
    alt: str
    line: int
    kind: str = "snv"
    swapped: bool = False


@dataclass
class VariantStats:
    """Counts of input records and alleles, scored (by type) and skipped (by reason)."""

    records: int = 0
    alleles: int = 0
    scored: int = 0
    normalised: int = 0
    outside_region: int = 0
    oriented: int = 0  # REF and ALT swapped to match the genome (``orient``)
    scored_types: dict[str, int] = field(default_factory=lambda: {t: 0 for t in VARIANT_TYPES})
    skipped: dict[str, int] = field(default_factory=lambda: {r: 0 for r in SKIP_REASONS})

    def summary(self) -> str:
        """One line: scored counts by type, normalised, skipped by reason."""
        skipped = ", ".join(f"{k} {v:,}" for k, v in self.skipped.items() if v)
        types = ", ".join(f"{k} {v:,}" for k, v in self.scored_types.items() if v)
        outside = f" ({self.outside_region:,} outside the region)" if self.outside_region else ""
        normalised = f", {self.normalised:,} left-normalised" if self.normalised else ""
        if self.oriented:
            normalised += f", {self.oriented:,} oriented (REF/ALT swapped to match the genome)"
        return (
            f"{self.records:,} records{outside}, {self.alleles:,} alleles: "
            f"{self.scored:,} scored" + (f" ({types})" if types else "") + normalised + ", "
            f"{sum(self.skipped.values()):,} skipped" + (f" ({skipped})" if skipped else "")
        )


@dataclass(frozen=True)
class Region:
    """``chrom:start-end`` (1-based, inclusive, like samtools) or a whole chromosome."""

    chrom: str
    start: int = 1
    end: int = sys.maxsize

    @classmethod
    def parse(cls, text: str) -> Region:
        """Parse ``chr1``, ``chr1:1000-2000`` or ``chr1:1,000-2,000``."""
        m = re.fullmatch(r"([^:\s]+)(?::([\d,]+)-([\d,]+))?", text.strip())
        if not m:
            raise InputError(f"--region {text!r}: cannot parse (expected chrom or chrom:start-end)")
        if m.group(2) is None:
            return cls(m.group(1))
        start, end = int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
        if start < 1 or end < start:
            raise InputError(f"--region {text!r}: bad range (expected 1 <= start <= end)")
        return cls(m.group(1), start, end)


# -- alleles ------------------------------------------------------------------------------------
def trim_alleles(pos0: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Shared trailing, then leading, bases removed, keeping one base in each allele."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos0 = ref[1:], alt[1:], pos0 + 1
    return pos0, ref, alt


def left_normalize(pos0: int, ref: str, alt: str, base_at: Callable[[int], str]) -> tuple[int, str, str]:
    """The left-aligned, parsimonious form of an allele (Tan et al. 2015; ``bcftools norm``).

    ``pos0`` is 0-based; ``base_at(i)`` is the genome's base at 0-based ``i``. Shared trailing
    bases are trimmed and, when an allele empties, the base to its left is prepended (so an indel
    slides left through a repeat); then shared leading bases are trimmed down to one anchor. At a
    chromosome's first base an indel keeps the base to its right as its anchor.
    """
    while ref and alt and ref[-1] == alt[-1]:
        if pos0 == 0 and (len(ref) == 1 or len(alt) == 1):
            break  # nothing to the left to anchor on
        ref, alt = ref[:-1], alt[:-1]
        if not ref or not alt:
            pos0 -= 1
            base = base_at(pos0)
            ref, alt = base + ref, base + alt
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos0 = ref[1:], alt[1:], pos0 + 1
    return pos0, ref, alt


def variant_kind(ref: str, alt: str) -> tuple[str, int]:
    """(type, bases changed): ``snv``, ``mnv``, ``ins``, ``del`` or ``delins`` (a substitution of
    unequal length) and the longer allele's length once the shared bases are removed."""
    i = 0
    while i < min(len(ref), len(alt)) and ref[i] == alt[i]:
        i += 1
    j = 0
    while j < min(len(ref), len(alt)) - i and ref[-1 - j] == alt[-1 - j]:
        j += 1
    r, a = len(ref) - i - j, len(alt) - i - j
    if r == 0:
        return "ins", a
    if a == 0:
        return "del", r
    if r == a:
        return ("snv" if r == 1 else "mnv"), r
    return "delins", max(r, a)


def is_symbolic(alt: str) -> bool:
    """``<DEL>``-style, ``*``, or a breakend (``A[chr2:5[``, ``]chr2:5]A``, ``A.``, ``.A``)."""
    return (
        alt.startswith("<")
        or alt == "*"
        or "[" in alt
        or "]" in alt
        or (len(alt) > 1 and (alt.startswith(".") or alt.endswith(".")))
    )


def _genome_bases(codes: np.ndarray, offset: int, start: int, end: int) -> str:
    """The genome's bases [start, end) of the chromosome at ``offset`` (0-based, in bounds)."""
    if end - start == 1:
        return _BASES[codes[offset + start]]
    return "".join(_BASES[c] for c in codes[offset + start : offset + end])


# -- files --------------------------------------------------------------------------------------
def _open_bytes(path: Path, what: str = "VCF") -> tuple[io.BufferedReader, io.BufferedIOBase]:
    """(raw file for progress, line stream): gzip (and bgzip) detected by magic bytes; a path
    that cannot be opened is an InputError naming ``what`` was expected."""
    try:
        raw = open(path, "rb")
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a {what}") from None
    except OSError as err:
        raise InputError(f"{path}: cannot open {what} ({err.strerror or err})") from None
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw)
    return raw, raw


def parse_position(text: str, path: Path, line: int, what: str = "POS", base: int = 1) -> int:
    """A plain-digit coordinate (>= ``base``), or an InputError naming the line."""
    if not _DIGITS.fullmatch(text) or int(text) < base:
        expected = "a 1-based integer" if base else "a 0-based integer"
        raise input_error(path, line, f"bad {what} {text[:40]!r}", expected)
    return int(text)


class VariantReader:
    """Streams checked, normalised alleles from a variant file (see module docstring).

    Subclasses implement :meth:`parse_line`. Iterate to get :class:`Variant` rows; skipped
    alleles go to ``on_skip(line, fields, alt, reason, message)`` and are counted in :attr:`stats`.
    """

    format = "variants"
    what = "variant file"
    unit = "B"  # progress is counted in bytes read (:attr:`bytes_read` of :attr:`size`)

    def __init__(
        self,
        path: str | os.PathLike,
        genome: Genome,
        strict: bool = False,
        region: Region | str | None = None,
        on_skip: SkipCallback | None = None,
        max_indel: int = DEFAULT_MAX_INDEL,
        *,
        orient: bool = False,
        on_swap: SwapCallback | None = None,
    ):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: {self.what} not found")
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a directory, not a {self.what}")
        if max_indel < 0:
            raise InputError(f"--max-indel {max_indel}: must be 0 or more")
        self.genome = genome
        self.strict = strict
        self.region = Region.parse(region) if isinstance(region, str) else region
        self.on_skip = on_skip
        self.max_indel = max_indel
        self.orient = orient
        self.on_swap = on_swap
        self.stats = VariantStats()
        self.bytes_read = 0
        self.size = self.path.stat().st_size
        self._chroms: dict[str, tuple[str | None, str, int, int]] = {}
        self._index = {name: i for i, name in enumerate(genome.chrom_sizes)}
        self._region_chrom = genome.resolve(self.region.chrom) if self.region else None
        self._seen: set = set()

    # -- for subclasses ------------------------------------------------------------------
    def parse_line(self, text: str, lineno: int) -> tuple[str, int, str, str, list[str]] | None:
        """(chrom, 1-based pos, id, REF, ALT alleles) of a data line, or None for other lines.

        REF and ALT are upper case; an empty string is an empty allele (``-`` in tables).
        """
        raise NotImplementedError

    def check_bases(self, allele: str, lineno: int, what: str) -> str:
        """``allele`` upper-cased when it is ACGTN bases (or empty), else an InputError."""
        up = allele.upper()
        if up and not _ACGTN.fullmatch(up):
            raise input_error(self.path, lineno, f"bad {what} {allele[:40]!r}", "A, C, G, T or N bases")
        return up

    # -- reading -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Variant]:
        raw, stream = _open_bytes(self.path, self.what)
        codes = self.genome.codes
        try:
            for lineno, bline in enumerate(stream, start=1):
                if lineno % 4096 == 0:
                    self.bytes_read = raw.tell()
                if not bline.strip():
                    continue
                text = bline.decode("utf-8", errors="replace").rstrip("\r\n")
                record = self.parse_line(text, lineno)
                if record is not None:
                    yield from self._alleles(record, lineno, codes)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(f"{self.path}: cannot read {self.what} ({err})") from err
        finally:
            self.bytes_read = self.size
            raw.close()
        if self.stats.alleles and self.stats.skipped["unknown_chrom"] == self.stats.alleles:
            first = next(msg for name, msg, _, _ in self._chroms.values() if name is None)
            raise InputError(f"{self.path}: no variant's chromosome is in the genome ({first})")

    def _resolve_quiet(self, chrom: str) -> str | None:
        """The genome's name for ``chrom`` or None (the problem kept for messages); cached."""
        hit = self._chroms.get(chrom)
        if hit is None:
            try:
                name = self.genome.resolve(chrom)
                hit = (name, "", self.genome.offset(name), self.genome.chrom_sizes[name])
            except InputError as err:
                hit = (None, str(err), -1, 0)
            self._chroms[chrom] = hit
        return hit[0]

    def _skip(
        self,
        line: int,
        fields: list[str],
        alt: str,
        reason: str,
        message: str,
        fatal: bool = False,
    ) -> None:
        if fatal and self.strict:
            raise InputError(message)
        self.stats.skipped[reason] += 1
        if self.on_skip is not None:
            self.on_skip(line, fields, alt, reason, message)

    def _alleles(self, record: tuple, lineno: int, codes: np.ndarray) -> Iterator[Variant]:
        chrom, pos, vid, ref, alts = record
        self.stats.records += 1
        region = self.region
        if region is not None:
            if not (region.start <= pos <= region.end) or (
                chrom != region.chrom and self._resolve_quiet(chrom) != self._region_chrom
            ):
                self.stats.outside_region += 1
                return
        fields = [chrom, str(pos), vid, ref or "-"]
        where = f"{self.path}:{lineno}"
        for alt in alts:
            self.stats.alleles += 1
            shown = alt or "-"
            if alt == "." or alt.upper() == ref:
                self._skip(lineno, fields, shown, "no_alt", f"{where}: no ALT allele")
                continue
            if is_symbolic(alt):
                self._skip(lineno, fields, shown, "symbolic", f"{where}: symbolic ALT {alt!r} not scored")
                continue
            alt = self.check_bases(alt, lineno, "ALT")
            if "N" in ref or "N" in alt:
                msg = f"{where}: N allele {ref or '-'}>{alt or '-'} not scored"
                self._skip(lineno, fields, shown, "ambiguous", msg)
                continue
            name = self._resolve_quiet(chrom)
            if name is None:
                if self.strict:
                    raise input_error(self.path, lineno, self._chroms[chrom][1])
                self._skip(lineno, fields, shown, "unknown_chrom", f"{where}: {self._chroms[chrom][1]}")
                continue
            _, _, off, size = self._chroms[chrom]
            pos0, r, a = pos - 1, ref, alt
            if (not r or not a) and pos0 <= size:  # a table's "-": anchor on the base to the left
                if pos0 > 0:
                    pos0 -= 1
                    base = _BASES[codes[off + pos0]]
                    r, a = base + r, base + a
                elif len(r) < size:  # at the chromosome's start: on the base to the right
                    base = _BASES[codes[off + len(r)]]
                    r, a = r + base, a + base
            end = pos0 + len(r)
            if end > size:
                message = input_error(
                    self.path,
                    lineno,
                    f"{'POS ' + str(pos) if pos > size else 'REF ' + repr(ref)} "
                    f"{'is' if pos > size else 'runs'} past the end of {name}",
                    f"POS <= {size}",
                )
                self._skip(lineno, fields, shown, "past_chrom_end", str(message), fatal=True)
                continue
            found = _genome_bases(codes, off, pos0, end)
            swapped = False
            if found != r:
                # orient: the input gave the alleles the other way round; score the genome's as REF
                swapped = (
                    self.orient
                    and pos0 + len(a) <= size
                    and _genome_bases(codes, off, pos0, pos0 + len(a)) == a
                )
                if swapped:
                    r, a = a, r
            if not swapped and found != r:
                message = input_error(
                    self.path,
                    lineno,
                    f"REF {ref or '-'!r} does not match the genome {found[:60]!r} at {chrom}:{pos}",
                    f"REF {found[:60]!r}; is the input on the genome's build?",
                )
                self._skip(lineno, fields, shown, "ref_mismatch", str(message), fatal=True)
                continue
            if len(r) == 1 and len(a) == 1:
                kind, changed, npos0 = "snv", 1, pos0
            else:
                npos0, nr, na = left_normalize(pos0, r, a, lambda i, o=off: _BASES[codes[o + i]])
                if "N" in nr or "N" in na:  # anchored on an N of the genome (beside a gap)
                    msg = f"{where}: {nr}>{na} at {chrom}:{npos0 + 1} is anchored on an N; not scored"
                    self._skip(lineno, fields, shown, "ambiguous", msg)
                    continue
                kind, changed = variant_kind(nr, na)
                if kind != "snv" and changed > self.max_indel:
                    self._skip(
                        lineno,
                        fields,
                        shown,
                        "too_long",
                        f"{where}: {kind} of {changed} bp longer than --max-indel {self.max_indel}",
                    )
                    continue
                expected = (pos0, r, a) if len(alts) == 1 and ref and alt else trim_alleles(pos0, r, a)
                if (npos0, nr, na) != expected:
                    if self.strict:
                        raise input_error(
                            self.path,
                            lineno,
                            f"{chrom}:{pos} {ref or '-'}>{alt or '-'} is not left-normalised "
                            f"(normalised: {chrom}:{npos0 + 1} {nr}>{na})",
                            "normalised records, e.g. bcftools norm -f <genome>; or drop --strict",
                        )
                    self.stats.normalised += 1
                r, a = nr, na
            key = (
                (self._index[name] << 40) | (npos0 << 4) | (_BASES.index(r) << 2) | _BASES.index(a)
                if kind == "snv"
                else (name, npos0, r, a)
            )
            if key in self._seen:
                self._skip(
                    lineno,
                    fields,
                    shown,
                    "duplicate",
                    f"{where}: duplicate of an earlier allele {chrom}:{npos0 + 1} {r}>{a}; scored once",
                )
                continue
            self._seen.add(key)
            self.stats.scored += 1
            self.stats.scored_types[kind] += 1
            if swapped:
                self.stats.oriented += 1
                if self.on_swap is not None:
                    self.on_swap(lineno, fields, shown)
            yield Variant(chrom, name, npos0 + 1, vid, r, a, lineno, kind, swapped)
