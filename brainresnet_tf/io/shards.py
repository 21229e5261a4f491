"""Shards of a variant file for parallel readers: row ranges of a plain (uncompressed) file, or
regions of a bgzipped, tabix-indexed one. Each reader reads its own shard from the file.

A shard knows the 1-based line number of its first line, so what its reader reports (skipped
lines, their messages) names the same lines a reader of the whole file would. Row ranges are
byte ranges cut at line ends every ``shard_size`` lines (one scan of the file, no parsing).
Regions are runs of at most about ``shard_size`` records of one tabix contig, cut only where
POS changes (the same position stays in one shard), counted by :func:`count_records` (one pass
per contig, which parallel workers can share); their line numbers assume a record per line after
the header, as tabix reads them. :class:`ShardReader` streams a shard's variants through a
:class:`~brainresnet_tf.io.variants.VariantReader`: every check, count and skip stays that
reader's, except the whole-file check that some chromosome is in the genome, which belongs to
whoever joins the shards.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import _compression
from brainresnet_tf.io.variants import Variant, VariantReader, VariantStats, _open_bytes

ROWS, REGIONS = "rows", "regions"
_BLOCK = 1 << 23  # bytes read at once while scanning for line ends
TABIX_HINT = {  # how to index each format
    "vcf": "tabix -p vcf",
    "bed": "tabix -p bed",
    "tsv": "tabix -s <chrom column> -b <pos column> -e <pos column> -S 1",
}


@dataclass(frozen=True)
class Shard:
    """One part of a variant file: ``lines`` lines from line ``first_line`` (1-based).

    Row ranges: bytes ``[start, end)`` of the file. Regions: the records of tabix ``contig``
    whose POS is in ``[lo, hi)`` (1-based; ``hi`` 0: to the contig's end).
    """

    index: int
    first_line: int
    lines: int
    start: int = 0
    end: int = 0
    contig: str | None = None
    lo: int = 1
    hi: int = 0

    def to_dict(self) -> dict:
        """JSON-ready fields (for a manifest)."""
        return asdict(self)


def tabix_index(path: str | os.PathLike) -> Path | None:
    """The tabix index of ``path`` (``.tbi`` or ``.csi`` beside it), or None."""
    for suffix in (".tbi", ".csi"):
        index = Path(f"{path}{suffix}")
        if index.is_file():
            return index
    return None


def shard_kind(path: str | os.PathLike, format: str, flag: str = "--workers") -> str:
    """:data:`ROWS` for a plain file, :data:`REGIONS` for a bgzipped one with a tabix index; a
    one-line InputError with the commands that make it splittable otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: variant file not found")
    kind = _compression(path)
    if kind == "plain":
        return ROWS
    index = TABIX_HINT.get(format, TABIX_HINT["vcf"])
    name = path.name
    if kind == "bgzf":
        if tabix_index(path) is None:
            raise InputError(
                f"{path}: bgzip-compressed but not indexed, so {flag} cannot split it into regions: "
                f"index it with {index} {name} (or give the uncompressed file: it is split into row ranges)"
            )
        return REGIONS
    plain = name[: -len(path.suffix)] if path.suffix.lower() in (".gz", ".bgz") else f"{name}.txt"
    raise InputError(
        f"{path}: compressed with plain gzip, so {flag} cannot split it: recompress and index it with "
        f"gunzip -c {name} > {plain} && bgzip {plain} && {index} {plain}.gz (or give the "
        "uncompressed file: it is split into row ranges)"
    )


def head_lines(path: str | os.PathLike, n: int) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of the first ``n`` lines (plain, gzip or bgzip)."""
    if n <= 0:
        return
    raw, stream = _open_bytes(Path(path), "variant file")
    try:
        for lineno, line in enumerate(stream, start=1):
            yield lineno, line
            if lineno >= n:
                break
    finally:
        raw.close()


def preamble_length(path: str | os.PathLike, is_header: Callable[[str, int], bool]) -> int:
    """How many lines come before the first data line: blank lines and those ``is_header(text,
    line)`` accepts (a reader's ``parse_line`` returning None)."""
    raw, stream = _open_bytes(Path(path), "variant file")
    count = 0
    try:
        for lineno, line in enumerate(stream, start=1):
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if text.strip() and not is_header(text, lineno):
                break
            count = lineno
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"{path}: cannot read variant file ({err})") from None
    finally:
        raw.close()
    return count


def plan_rows(path: str | os.PathLike, preamble: int, shard_size: int) -> list[Shard]:
    """Row ranges of a plain file: ``shard_size`` lines each after the ``preamble`` lines (at
    least one shard, maybe empty); one scan for line ends."""
    shards: list[Shard] = []
    with open(path, "rb") as fh:
        offset = 0
        for _ in range(preamble):
            offset += len(fh.readline())
        start, first, count, last = offset, preamble + 1, 0, b"\n"
        while block := fh.read(_BLOCK):
            ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
            i = 0
            while count + len(ends) - i >= shard_size:
                j = i + shard_size - count - 1  # the newline ending the shard's last line
                end = offset + int(ends[j]) + 1
                shards.append(Shard(len(shards), first, shard_size, start, end))
                start, first, count, i = end, first + shard_size, 0, j + 1
            count += len(ends) - i
            offset += len(block)
            last = block[-1:]
        count += last != b"\n"  # a last line without its newline
        if count or not shards:
            shards.append(Shard(len(shards), first, count, start, offset))
    return shards


def tabix_contigs(path: str | os.PathLike) -> list[str]:
    """The contigs of a tabix-indexed file, in file order."""
    import pysam

    with pysam.TabixFile(str(path)) as tbx:
        return list(tbx.contigs)


def count_records(
    path: str | os.PathLike, contig: str, position: Callable[[str], int | None], shard_size: int
) -> list[tuple[int, int]]:
    """(first POS, records) of consecutive runs of ``contig``'s records, each at most
    ``shard_size`` unless one position holds more; ``position(text)`` is a record's POS (None:
    unreadable, counted where it stands)."""
    import pysam

    runs: list[tuple[int, int]] = []
    lo, n, last = 1, 0, None
    with pysam.TabixFile(str(path)) as tbx:
        for text in tbx.fetch(contig):
            pos = position(text)
            if pos is not None:
                if n >= shard_size and pos != last:
                    runs.append((lo, n))
                    lo, n = pos, 0
                last = pos
            n += 1
    if n or not runs:
        runs.append((lo, n))
    return runs


def plan_regions(counts: list[tuple[str, list[tuple[int, int]]]], preamble: int) -> list[Shard]:
    """Region shards from :func:`count_records` per contig (in file order), numbered on."""
    shards: list[Shard] = []
    line = preamble + 1
    for contig, runs in counts:
        for k, (lo, n) in enumerate(runs):
            hi = runs[k + 1][0] if k + 1 < len(runs) else 0
            shards.append(Shard(len(shards), line, n, contig=contig, lo=lo if k else 1, hi=hi))
            line += n
    return shards or [Shard(0, line, 0)]


def shard_from_dict(fields: dict) -> Shard:
    """The :class:`Shard` of :meth:`Shard.to_dict` output."""
    return Shard(**fields)


class ShardReader:
    """The variants of one shard, read by ``reader`` (a :class:`VariantReader` of the whole
    file): its header lines first (for a table's column names), then the shard's lines with
    their line numbers in the whole file. Records every variant it yields in :attr:`variants`.
    """

    unit = "B"

    def __init__(self, reader: VariantReader, shard: Shard, preamble: int):
        self.reader = reader
        self.shard = shard
        self.preamble = preamble
        self.size = max(shard.lines, 1)
        self.bytes_read = 0
        self.variants: list[Variant] = []

    @property
    def stats(self) -> VariantStats:
        """The reader's counts (of this shard's lines only)."""
        return self.reader.stats

    @property
    def format(self) -> str:
        """The reader's format: ``vcf``, ``bed`` or ``tsv``."""
        return self.reader.format

    def __iter__(self) -> Iterator[Variant]:
        reader = self.reader
        for lineno, line in head_lines(reader.path, self.preamble):
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if text.strip():
                reader.parse_line(text, lineno)
        codes = reader.genome.codes
        records = self._rows() if self.shard.contig is None else self._region()
        try:
            for lineno, record in records:
                for variant in reader._alleles(record, lineno, codes):
                    self.variants.append(variant)
                    yield variant
                self.bytes_read = lineno - self.shard.first_line
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(f"{reader.path}: cannot read {reader.what} ({err})") from err
        finally:
            self.bytes_read = self.size

    def _rows(self) -> Iterator[tuple[int, tuple]]:
        shard = self.shard
        with open(self.reader.path, "rb") as fh:
            fh.seek(shard.start)
            for lineno in range(shard.first_line, shard.first_line + shard.lines):
                line = fh.readline()
                if not line.strip():
                    continue
                text = line.decode("utf-8", errors="replace").rstrip("\r\n")
                record = self.reader.parse_line(text, lineno)
                if record is not None:
                    yield lineno, record

    def _region(self) -> Iterator[tuple[int, tuple]]:
        import pysam

        shard = self.shard
        lineno = shard.first_line
        with pysam.TabixFile(str(self.reader.path)) as tbx:
            # a zero-length record (a table's insertion) is found only from a base before it
            for text in tbx.fetch(shard.contig, max(0, shard.lo - 3), shard.hi or None):
                record = self.reader.parse_line(text, lineno)
                if record is None or record[1] < shard.lo or (shard.hi and record[1] >= shard.hi):
                    continue
                yield lineno, record
                lineno += 1
