"""VCF reading: streamed line by line (plain, gzip or bgzip), one row per ALT allele, each
checked against the genome (chromosome, position, REF).

What is not scored is never silently dropped: every skipped allele is counted by reason
(:class:`VariantStats`) and handed to ``on_skip`` with its file and line. Counts are per ALT allele:
multi-allelic records are split first.

* REF not matching the genome: skipped and counted (``strict``: an error).
* Chromosome not in the genome (after ``chr1``/``1`` aliases): skipped and counted
  (``strict``: an error); if *no* allele could be placed on the genome at all, it is an error
  either way, since that is a naming mismatch, not a few odd contigs.
* Indels, MNVs, symbolic ALTs (``<DEL>``, ``*``, breakends), ALT ``.`` and ALT ``N``: skipped and
  counted (only SNVs are scored); positions past a chromosome end: skipped and counted
  (``strict``: an error).
* Malformed lines (fewer than 5 columns, bad POS, non-ACGTN REF/ALT): always an error naming
  the file and line.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.genome import Genome

ID_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT"]
SKIP_REASONS = (
    "ref_mismatch",
    "unknown_chrom",
    "past_chrom_end",
    "indel",
    "mnv",
    "symbolic",
    "no_alt",
    "ambiguous",
)
_ACGTN = re.compile(r"^[ACGTN]+$")


@dataclass(frozen=True)
class Variant:
    """One SNV allele from a VCF: the genome's chromosome name, 0-based position, codes."""

    chrom: str  # as written in the VCF (kept in the output)
    genome_chrom: str  # the genome's name for it
    pos: int  # 1-based, as in the VCF
    id: str
    ref: str
    alt: str
    line: int


@dataclass
class VariantStats:
    """Counts of VCF records and alleles, scored and skipped by reason."""

    records: int = 0
    alleles: int = 0
    scored: int = 0
    outside_region: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: {r: 0 for r in SKIP_REASONS})

    def summary(self) -> str:
        """One line: scored and skipped counts by reason."""
        skipped = ", ".join(f"{k} {v:,}" for k, v in self.skipped.items() if v)
        outside = f" ({self.outside_region:,} outside the region)" if self.outside_region else ""
        text = (
            f"{self.records:,} records{outside}, {self.alleles:,} alleles: "
            f"{self.scored:,} SNVs scored, "
            f"{sum(self.skipped.values()):,} skipped" + (f" ({skipped})" if skipped else "")
        )
        if self.skipped["indel"] or self.skipped["mnv"] or self.skipped["symbolic"]:
            text += "; only SNVs are scored (indels, MNVs and symbolic alleles are skipped)"
        return text


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


def _open_bytes(path: Path) -> tuple[io.BufferedReader, io.BufferedIOBase]:
    """(raw file for progress, line stream): gzip (and bgzip) detected by magic bytes."""
    raw = open(path, "rb")
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw)
    return raw, raw


class VcfReader:
    """Streams SNV alleles from a VCF, checking each against the genome (see module docstring).

    Iterate to get :class:`Variant` rows; skipped alleles go to ``on_skip(line, row, reason,
    message)`` and are counted in :attr:`stats`.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        genome: Genome,
        strict: bool = False,
        region: Region | str | None = None,
        on_skip=None,
    ):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: VCF not found")
        self.genome = genome
        self.strict = strict
        self.region = Region.parse(region) if isinstance(region, str) else region
        self.on_skip = on_skip
        self.stats = VariantStats()
        self.bytes_read = 0
        self.size = self.path.stat().st_size
        self._chroms: dict[str, tuple[str | None, str, int]] = {}
        self._region_chrom = genome.resolve(self.region.chrom) if self.region else None

    def _resolve_quiet(self, chrom: str) -> str | None:
        """The genome's name for ``chrom`` or None (the problem kept for messages); cached."""
        hit = self._chroms.get(chrom)
        if hit is None:
            try:
                name = self.genome.resolve(chrom)
                hit = (name, "", self.genome.offset(name))
            except InputError as err:
                hit = (None, str(err), -1)
            self._chroms[chrom] = hit
        return hit[0]

    def _resolve(self, chrom: str, line: int) -> str | None:
        name = self._resolve_quiet(chrom)
        if name is None and self.strict:
            raise input_error(self.path, line, self._chroms[chrom][1])
        return name

    def _skip(
        self, line: int, fields: list[str], alt: str, reason: str, message: str, fatal: bool = False
    ) -> None:
        if fatal and self.strict:
            raise InputError(message)
        self.stats.skipped[reason] += 1
        if self.on_skip is not None:
            self.on_skip(line, fields, alt, reason, message)

    def __iter__(self) -> Iterator[Variant]:
        raw, stream = _open_bytes(self.path)
        codes = self.genome.codes
        try:
            for lineno, bline in enumerate(stream, start=1):
                if lineno % 4096 == 0:
                    self.bytes_read = raw.tell()
                if bline.startswith(b"#") or not bline.strip():
                    continue
                yield from self._parse(bline, lineno, codes)
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise InputError(f"{self.path}: cannot read VCF ({err})") from err
        finally:
            self.bytes_read = self.size
            raw.close()
        if self.stats.alleles and self.stats.skipped["unknown_chrom"] == self.stats.alleles:
            first = next(msg for name, msg, _ in self._chroms.values() if name is None)
            raise InputError(f"{self.path}: no variant's chromosome is in the genome ({first})")

    def _parse(self, bline: bytes, lineno: int, codes: np.ndarray) -> Iterator[Variant]:
        text = bline.decode("utf-8", errors="replace").rstrip("\r\n")
        fields = text.split("\t", 5)
        if len(fields) < 5:
            fields = text.split(None, 5)
        if len(fields) < 5:
            raise input_error(
                self.path,
                lineno,
                f"malformed VCF line with {len(fields)} column(s)",
                "tab-separated CHROM POS ID REF ALT ...",
            )
        chrom, pos_text, vid, ref, alts = fields[:5]
        try:
            pos = int(pos_text)
        except ValueError:
            pos = 0
        if pos < 1:
            raise input_error(self.path, lineno, f"bad POS {pos_text!r}", "a 1-based integer")
        ref = ref.upper()
        if not _ACGTN.match(ref):
            raise input_error(self.path, lineno, f"bad REF {fields[3]!r}", "A, C, G, T or N bases")
        self.stats.records += 1
        region = self.region
        if region is not None and not (region.start <= pos <= region.end):
            self.stats.outside_region += 1
            return
        name = None
        if region is not None:
            if chrom != region.chrom and self._resolve_quiet(chrom) != self._region_chrom:
                self.stats.outside_region += 1
                return
        for alt in alts.split(","):
            self.stats.alleles += 1
            alt_u = alt.upper()
            if alt_u == "." or alt_u == ref:
                self._skip(lineno, fields, alt, "no_alt", f"{self.path}:{lineno}: no ALT allele")
                continue
            if alt_u.startswith("<") or alt_u == "*" or "[" in alt_u or "]" in alt_u:
                self._skip(
                    lineno, fields, alt, "symbolic", f"{self.path}:{lineno}: symbolic ALT {alt!r} not scored"
                )
                continue
            if not _ACGTN.match(alt_u):
                raise input_error(
                    self.path, lineno, f"bad ALT {alt!r}", "A, C, G, T or N bases, or a symbolic allele"
                )
            if len(ref) != len(alt_u):
                self._skip(
                    lineno,
                    fields,
                    alt,
                    "indel",
                    f"{self.path}:{lineno}: indel {ref}>{alt_u} not scored (SNVs only)",
                )
                continue
            if len(ref) > 1:
                self._skip(
                    lineno,
                    fields,
                    alt,
                    "mnv",
                    f"{self.path}:{lineno}: MNV {ref}>{alt_u} not scored (SNVs only)",
                )
                continue
            if "N" in (ref, alt_u):
                self._skip(
                    lineno,
                    fields,
                    alt,
                    "ambiguous",
                    f"{self.path}:{lineno}: N allele {ref}>{alt_u} not scored",
                )
                continue
            if name is None:
                name = self._resolve(chrom, lineno)
            if name is None:
                self._skip(
                    lineno, fields, alt, "unknown_chrom", f"{self.path}:{lineno}: {self._chroms[chrom][1]}"
                )
                continue
            size = self.genome.chrom_sizes[name]
            if pos > size:
                self._skip(
                    lineno,
                    fields,
                    alt,
                    "past_chrom_end",
                    str(
                        input_error(
                            self.path, lineno, f"POS {pos} is past the end of {name}", f"POS <= {size}"
                        )
                    ),
                    fatal=True,
                )
                continue
            found = "ACGTN"[codes[self._chroms[chrom][2] + pos - 1]]
            if found != ref:
                self._skip(
                    lineno,
                    fields,
                    alt,
                    "ref_mismatch",
                    str(
                        input_error(
                            self.path,
                            lineno,
                            f"REF {ref!r} does not match the genome {found!r} at {chrom}:{pos}",
                            f"REF {found!r}; is the VCF on the genome's build?",
                        )
                    ),
                    fatal=True,
                )
                continue
            self.stats.scored += 1
            yield Variant(chrom, name, pos, vid, ref, alt_u, lineno)


def read_vcf(
    path: str | os.PathLike, genome: Genome, strict: bool = False, region: Region | str | None = None
) -> tuple[pd.DataFrame, VariantStats]:
    """All SNV alleles of a (small) VCF as a table, with the counts; for big files use VcfReader."""
    reader = VcfReader(path, genome, strict, region)
    rows = [asdict(v) for v in reader]
    cols = list(Variant.__dataclass_fields__)
    return pd.DataFrame(rows, columns=cols), reader.stats
