"""Reference genome access: pyfaidx reads, one whole-genome encoding cached on disk.

The genome is encoded once into base codes (A=0, C=1, G=2, T=3, anything else=4) stored as a
uint8 memory-mapped file beside the run. That is the one-hot encoding in index form: one byte per
base instead of four, expanded to one-hot (N -> all zeros) by :func:`one_hot` when a batch is
gathered. Training then slices this array and never reads the FASTA again.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import json
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pyfaidx

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.atomic import atomic_open, atomic_path, write_json
from brainresnet_tf.io.identity import file_identity

ALPHABET = "ACGT"
N_CODE = 4

# Byte -> base code lookup (upper and lower case, so soft-masked sequence encodes the same).
_CODE_TABLE = np.full(256, N_CODE, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _CODE_TABLE[ord(_b)] = _i
    _CODE_TABLE[ord(_b.lower())] = _i
# Codes -> one-hot rows; the N row is all zeros.
_ONE_HOT_TABLE = np.vstack([np.eye(4, dtype=np.uint8), np.zeros((1, 4), dtype=np.uint8)])
# Complement of a code (A<->T, C<->G, N stays N).
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
_VALID_BYTES = frozenset(b"ACGTNacgtn")
_GC_COUNT = np.array([0, 1, 1, 0, 0], dtype=np.uint8)  # per code: is it C or G


def encode(sequence: str | bytes) -> np.ndarray:
    """Base codes (uint8, A=0 C=1 G=2 T=3 other=4) of a DNA string; case-insensitive."""
    raw = sequence.encode("ascii") if isinstance(sequence, str) else sequence
    return _CODE_TABLE[np.frombuffer(raw, dtype=np.uint8)]


def one_hot(codes: np.ndarray) -> np.ndarray:
    """One-hot uint8 array (..., L, 4) from base codes (..., L); N gives all zeros."""
    return _ONE_HOT_TABLE[codes]


def one_hot_sequence(sequence: str) -> np.ndarray:
    """One-hot float32 (L, 4) of a DNA string, columns A, C, G, T."""
    return one_hot(encode(sequence)).astype(np.float32)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of base codes along the last axis."""
    return np.take(_COMPLEMENT, codes)[..., ::-1]


def check_dna(sequence: str, where: str = "sequence") -> None:
    """Raise InputError when ``sequence`` has characters other than ACGTN (any case)."""
    bad = set(sequence.encode("ascii", errors="replace")) - _VALID_BYTES
    if bad:
        shown = "".join(sorted(chr(b) for b in bad))[:10]
        raise InputError(f"{where}: non-ACGTN characters {shown!r} (expected only A, C, G, T, N)")


def chrom_aliases(name: str) -> list[str]:
    """Names that may refer to the same chromosome: ``chr1``/``1``, ``chrM``/``MT``/``M``."""
    bare = name[3:] if name.lower().startswith("chr") else name
    names = [name, bare, f"chr{bare}"]
    if bare.upper() in {"M", "MT"}:
        names += ["chrM", "MT", "M", "chrMT"]
    return list(dict.fromkeys(names))


_GZIP_MAGIC = b"\x1f\x8b"
_GZ_SUFFIXES = (".gz", ".bgz")
_CHECKED_RECORDS = 512  # index records compared with the FASTA (all of them up to this many)


def _compression(path: Path) -> str:
    """``plain``, ``bgzf`` (gzip with the BGZF ``BC`` extra field) or ``gzip``."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    if not head.startswith(_GZIP_MAGIC):
        return "plain"
    # BGZF: FLG.FEXTRA set, XLEN at 10, subfield id 'BC' at 12
    return "bgzf" if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC" else "gzip"


def open_indexed_fasta(path: Path, notes: list[str] | None = None) -> pyfaidx.Fasta:
    """pyfaidx.Fasta on ``path`` with an index known to describe this very file.

    A missing index is built; an existing ``.fai`` (and ``.gzi``) is checked against the FASTA
    (each record's offset must point just after its ``>name`` line and its end at the next
    record or the end of the file), because pyfaidx trusts any index newer than the FASTA and a
    replaced FASTA is then read with its predecessor's offsets. A mismatching index is rebuilt
    and a line saying so is appended to ``notes``. Every failure is an InputError naming its
    cause (uneven line lengths, plain gzip, an unwritable folder...).
    """
    kind = _compression(path)
    gz_name = path.suffix.lower() in _GZ_SUFFIXES
    if kind == "gzip":
        raise InputError(
            f"{path}: compressed with plain gzip, which cannot be read at random positions; "
            f"recompress it with bgzip: gunzip {path.name} && bgzip {path.name[: -len(path.suffix)]}"
        )
    if kind == "bgzf" and not gz_name:
        raise InputError(f"{path}: bgzip-compressed but not named .gz: rename it {path.name}.gz")
    if kind == "plain" and gz_name:
        raise InputError(f"{path}: named {path.suffix} but not compressed: rename it without {path.suffix}")
    fai = Path(f"{path}.fai")
    if fai.is_symlink() and not fai.exists():  # never replace a user's link with a file
        raise _unwritable(path, fai, f"it is a link to {os.readlink(fai)}, which does not exist")
    if fai.exists():
        fasta = _open_fasta(path)
        problem = _index_problem(fasta)
        if problem is None:
            return fasta
        fasta.close()
        _build_index(path, fai, kind == "bgzf")
        if notes is not None:
            notes.append(f"{fai.name} did not describe {path.name} ({problem}): rebuilt it")
    else:
        _build_index(path, fai, kind == "bgzf")
    fasta = _open_fasta(path)
    problem = _index_problem(fasta)
    if problem is not None:
        fasta.close()
        raise InputError(
            f"{path}: cannot index FASTA reliably ({problem}): blank lines or lines of uneven "
            "length inside a record? rewrap it, e.g. seqkit seq -w 60"
        )
    return fasta


def _open_fasta(path: Path) -> pyfaidx.Fasta:
    try:
        with warnings.catch_warnings():  # "index older than FASTA": checked by _index_problem instead
            warnings.simplefilter("ignore", RuntimeWarning)
            return pyfaidx.Fasta(
                str(path), as_raw=True, sequence_always_upper=False, rebuild=False, build_index=False
            )
    except Exception as err:  # noqa: BLE001  (pyfaidx raises many types; each becomes one line)
        raise _index_error(path, err) from None


def _build_index(path: Path, fai: Path, bgzf: bool) -> None:
    """Write ``.fai`` (and ``.gzi``) for ``path`` at temporary names, then rename them."""
    try:
        with atomic_path(fai) as tmp_fai:
            if bgzf:
                with atomic_path(Path(f"{path}.gzi")) as tmp_gzi:
                    pyfaidx.Faidx(str(path), indexname=str(tmp_fai), gzi_indexname=str(tmp_gzi)).close()
            else:
                pyfaidx.Faidx(str(path), indexname=str(tmp_fai)).close()
    except Exception as err:  # noqa: BLE001  (pyfaidx raises many types; each becomes one line)
        if not isinstance(err, PermissionError) and "writable" not in str(err):
            raise _index_error(path, err) from None
        raise _unwritable(path, fai, "folder not writable") from None


def _unwritable(path: Path, fai: Path, why: str) -> InputError:
    state = "has no index" if not fai.exists() else f"has an index ({fai.name}) that does not match it"
    return InputError(
        f"{path}: the FASTA {state} and {fai.name} cannot be written beside it ({why}); index it "
        "where you may write (samtools faidx) and put the .fai next to the FASTA, or copy the FASTA "
        "to a writable folder"
    )


def _index_error(path: Path, err: BaseException) -> InputError:
    """The real cause of a pyfaidx failure, as one line."""
    text = str(err)
    if isinstance(err, UnicodeDecodeError):
        return InputError(f"{path}: not a text FASTA (binary or non-ASCII bytes, e.g. UTF-16)")
    if isinstance(err, pyfaidx.UnsupportedCompressionFormat):
        return InputError(f"{path}: not bgzip-compressed (recompress it with bgzip)")
    if "not consistent" in text:
        where = re.search(r">(\S+) at line ([\d,]+)", text)
        at = f" in record {where.group(1)} at line {where.group(2)}" if where else ""
        return InputError(
            f"{path}: cannot index FASTA: uneven line lengths{at} (every sequence line of a record "
            "but its last must be equally long; rewrap it, e.g. seqkit seq -w 60)"
        )
    if "before the first sequence" in text:
        line = re.search(r"at line (\d+)", text)
        return input_error(
            path, int(line.group(1)) if line else None, "text before the first '>' header", "a FASTA file"
        )
    if "does not contain a valid sequence" in text:
        return InputError(f"{path}: no FASTA records (no line starts with '>')")
    if "Bad sequence name" in text:
        return InputError(f"{path}: a '>' header line without a name")
    if text.startswith("Duplicate key"):
        return InputError(f"{path}: record name {text.split(' ', 2)[-1]} appears more than once")
    if isinstance(err, OSError) and getattr(err, "strerror", None):
        return InputError(f"{path}: cannot read FASTA ({err.strerror})")
    if "Unhandled exception during fasta indexing" in text:
        entry = text.split("at entry", 1)[-1].split("Please report")[0].strip()
        return InputError(
            f"{path}: cannot index FASTA: record {entry} is malformed (blank lines inside or after "
            "it, or a repeated name?)"
        )
    return InputError(f"{path}: cannot index FASTA ({type(err).__name__}: {text[:200]})")


def _read_at(faidx: pyfaidx.Faidx, pos: int, n: int) -> bytes:
    """``n`` bytes of the (uncompressed) FASTA at byte ``pos``, seeking as pyfaidx does."""
    if pos < 0:
        return b""
    if faidx._bgzf:
        from Bio.bgzf import make_virtual_offset

        i = bisect.bisect_left(faidx.gzi_index, pos)
        block = faidx.gzi_index[i] if i == 0 else faidx.gzi_index[i - 1]
        faidx.file.seek(make_virtual_offset(block.cstart, pos - block.ustart))
    else:
        faidx.file.seek(pos)
    return faidx.file.read(n)


def _index_problem(fasta: pyfaidx.Fasta) -> str | None:
    """None when the index fits the file, else what does not fit (for the rebuild note)."""
    faidx = fasta.faidx
    records = sorted(faidx.index.items(), key=lambda kv: kv[1].offset)
    if not records:
        return "no records"
    step = max(1, len(records) // _CHECKED_RECORDS)
    picked = sorted(set(range(0, len(records), step)) | {len(records) - 1})
    try:
        for i in picked:
            name, rec = records[i]
            before = _read_at(faidx, max(0, rec.offset - 4096), min(rec.offset, 4096))
            header = before.rstrip(b"\n").rstrip(b"\r").rsplit(b"\n", 1)[-1]
            if not before.endswith(b"\n") or not _names_record(header, name):
                return f"record {name} does not start at byte {rec.offset:,}"
            if rec.rlen > rec.lenc > 0:  # a full first line ends in a newline
                eol = _read_at(faidx, rec.offset + rec.lenc, rec.lenb - rec.lenc)
                if eol not in (b"\n", b"\r\n"):
                    return f"record {name}'s lines are not {rec.lenc} bases long"
            after = _read_at(faidx, rec.bend - 1, 4096)
            if i < len(records) - 1:
                # its last byte is a newline: uneven lines can end a record early
                if not after.startswith(b"\n") or not after.lstrip().startswith(b">"):
                    return f"record {name} does not end at byte {rec.bend:,}"
            elif after.strip():
                return f"the file does not end where record {name} ends"
    except Exception as err:  # noqa: BLE001  (a stale .gzi makes Bio.bgzf fail in many ways)
        return f"reading it failed ({type(err).__name__})"
    return None


def _names_record(header: bytes, name: str) -> bool:
    """Whether a header line names ``name`` the way pyfaidx reads names (first word)."""
    text = header.decode("utf-8", errors="replace").rstrip("\r")
    words = text[1:].split() if text.startswith(">") else []
    return bool(words) and words[0] == name


class Genome:
    """A FASTA genome (plain or bgzipped, indexed by pyfaidx) with a cached base-code array.

    ``cache_dir`` holds ``<fasta name>.<fingerprint>.codes.u8``; it defaults to the FASTA's own
    directory when writable, else ``~/.cache/brainresnet``.

    Examples:
        >>> genome = br.Genome("data/genome.fa")
        >>> genome.chrom_sizes
        {'chr1': 18200, 'chr2': 18200}
        >>> genome.fetch("chr1", 0, 10)
        'TGGCCAAAAT'
    """

    def __init__(self, fasta: str | os.PathLike, cache_dir: str | os.PathLike | None = None):
        self.path = Path(fasta)
        self.notes: list[str] = []  # what was done on the way (an index rebuilt), for the caller to show
        if not self.path.exists():
            raise InputError(f"{self.path}: genome FASTA not found")
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a folder, not a FASTA file")
        self._fasta = open_indexed_fasta(self.path, self.notes)
        names = tuple(self._fasta.keys())
        if not names:
            raise InputError(f"{self.path}: FASTA has no sequences")
        sizes = tuple(len(self._fasta[n]) for n in names)
        if not sum(sizes):
            raise InputError(f"{self.path}: every FASTA record is empty (no sequence lines)")
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        self.chrom_sizes: dict[str, int] = dict(zip(names, sizes))
        self._offset: dict[str, int] = dict(zip(names, offsets))
        self._cache_dir = Path(cache_dir) if cache_dir else None
        self._codes: np.ndarray | None = None

    # -- names ---------------------------------------------------------------------------
    def find(self, chrom: str) -> str | None:
        """The genome's own name for ``chrom`` (trying aliases), or None when it has none."""
        if chrom in self.chrom_sizes:
            return chrom
        for alias in chrom_aliases(chrom):
            if alias in self.chrom_sizes:
                return alias
        return None

    def names_shown(self, n: int = 5) -> str:
        """The first ``n`` chromosome names, for messages (``chr1, chr2, ...``)."""
        return ", ".join(list(self.chrom_sizes)[:n]) + (", ..." if len(self.chrom_sizes) > n else "")

    def resolve(self, chrom: str, path: str | os.PathLike | None = None, line: int | None = None) -> str:
        """The genome's own name for ``chrom`` (trying aliases), or a clear InputError."""
        name = self.find(chrom)
        if name is not None:
            return name
        close = difflib.get_close_matches(chrom, self.chrom_sizes, n=3, cutoff=0.5)
        hint = f"closest: {', '.join(close)}" if close else f"the genome has: {self.names_shown()}"
        raise input_error(path, line, f"chromosome {chrom!r} is not in genome {self.path.name} ({hint})")

    def check_interval(
        self, chrom: str, start: int, end: int, path: str | os.PathLike | None = None, line: int | None = None
    ) -> str:
        """Resolve ``chrom`` and check ``0 <= start < end <= size``; return the genome's name."""
        name = self.resolve(chrom, path, line)
        size = self.chrom_sizes[name]
        if start < 0 or end <= start:
            raise input_error(path, line, f"bad interval {chrom}:{start}-{end}", "0 <= start < end")
        if end > size:
            raise input_error(
                path, line, f"interval {chrom}:{start}-{end} runs past the end of {name}", f"end <= {size}"
            )
        return name

    # -- sequence ------------------------------------------------------------------------
    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Sequence of ``chrom:start-end`` (0-based, half-open) via pyfaidx, N-padded off the ends."""
        name = self.resolve(chrom)
        size = self.chrom_sizes[name]
        lo, hi = max(start, 0), min(end, size)
        body = str(self._fasta[name][lo:hi]) if hi > lo else ""
        return "N" * (lo - start) + body + "N" * max(0, end - max(hi, start))

    @property
    def codes(self) -> np.ndarray:
        """Whole-genome base codes, concatenated in FASTA order (memory-mapped uint8)."""
        if self._codes is None:
            self._codes = self._load_or_build_cache()
        return self._codes

    def offset(self, chrom: str) -> int:
        """Index of ``chrom``'s first base in :attr:`codes`."""
        return self._offset[self.resolve(chrom)]

    def window_codes(self, chrom: str, starts: np.ndarray, length: int) -> np.ndarray:
        """Codes (n, length) of windows ``[start, start+length)`` on ``chrom``; N past its ends."""
        name = self.resolve(chrom)
        off = self._offset[name]
        starts = np.asarray(starts, dtype=np.int64) + off
        n = len(starts)
        return gather_windows(
            self.codes, starts, length, np.full(n, off), np.full(n, off + self.chrom_sizes[name])
        )

    def codes_at(self, chroms: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """Codes (n, length) of windows on mixed chromosomes (``chroms[i]``, ``starts[i]``)."""
        chroms, starts = np.asarray(chroms), np.asarray(starts, dtype=np.int64)
        out = np.empty((len(starts), length), dtype=np.uint8)
        for chrom in dict.fromkeys(chroms.tolist()):
            rows = chroms == chrom
            out[rows] = self.window_codes(chrom, starts[rows], length)
        return out

    def _cache_path(self) -> Path:
        ident = file_identity(self.path)
        key = f"{ident['path']}|{ident['size']}|{ident['mtime_ns']}".encode()
        digest = hashlib.sha1(key).hexdigest()[:12]
        base = self._cache_dir or self.path.parent
        if self._cache_dir is None and not os.access(base, os.W_OK):
            base = Path.home() / ".cache" / "brainresnet"
        base.mkdir(parents=True, exist_ok=True)
        return base / f"{self.path.name}.{digest}.codes.u8"

    def _load_or_build_cache(self) -> np.ndarray:
        path = self._codes_path = self._cache_path()
        meta_path = path.with_suffix(".json")
        total = sum(self.chrom_sizes.values())
        names = list(self.chrom_sizes)
        if path.exists() and meta_path.exists():
            meta = json.loads(meta_path.read_text())
            if meta.get("names") == names and meta.get("total") == total:
                return np.memmap(path, dtype=np.uint8, mode="r", shape=(total,))
        # Written sequentially through a file handle, not a writable memmap: dirty mapped pages
        # would count against the process's memory for the whole genome (3 GB for hg38).
        with atomic_open(path, "wb") as fh:
            chunk = 1 << 24
            for name, size in self.chrom_sizes.items():
                for lo in range(0, size, chunk):
                    hi = min(lo + chunk, size)
                    fh.write(self._encoded(name, lo, hi).tobytes())
        write_json(meta_path, {"fasta": str(self.path), "names": names, "total": total})
        return np.memmap(path, dtype=np.uint8, mode="r", shape=(total,))

    def _encoded(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Codes of ``name[lo:hi]`` read through pyfaidx (only for building the cache)."""
        try:
            text = str(self._fasta[name][lo:hi])
            return encode(text.encode("ascii"))
        except (UnicodeDecodeError, UnicodeEncodeError):
            raise InputError(
                f"{self.path}: record {name} has non-ASCII bytes near base {lo:,} "
                "(expected sequence letters only)"
            ) from None
        except (OSError, EOFError, ValueError) as err:
            raise InputError(f"{self.path}: cannot read record {name} ({err})") from None

    def segment(self, chrom: str) -> np.ndarray:
        """Codes of one chromosome in their own short-lived memory map.

        Pages read through it are released when it is dropped, so a pass over the whole genome
        (composition, genome-wide prediction) does not keep the genome resident.
        """
        name = self.resolve(chrom)
        size = self.chrom_sizes[name]
        if size == 0:
            return np.zeros(0, np.uint8)
        if self._codes is None:
            self._codes = self._load_or_build_cache()
        return np.memmap(self._codes_path, dtype=np.uint8, mode="r", offset=self._offset[name], shape=(size,))

    def composition(
        self, chrom: str, starts: np.ndarray, width: int, chunk: int = 1 << 16
    ) -> tuple[np.ndarray, np.ndarray]:
        """(GC fraction among ACGT bases, fraction of N) of ``[start, start+width)`` per start.

        GC is NaN where a window is all N; bases past the chromosome's ends count as N. Memory
        stays at ``chunk`` windows whatever the chromosome's size.
        """
        starts = np.asarray(starts, dtype=np.int64)
        name = self.resolve(chrom)
        size = self.chrom_sizes[name]
        seg = self.segment(name)
        gc = np.zeros(len(starts), np.int64)
        acgt = np.zeros(len(starts), np.int64)
        lower, upper = np.zeros(chunk, np.int64), np.full(chunk, size, np.int64)
        for lo in range(0, len(starts), chunk):
            part = starts[lo : lo + chunk]
            n = len(part)
            win = gather_windows(seg, part, width, lower[:n], upper[:n])
            gc[lo : lo + n] = _GC_COUNT[win].sum(axis=1, dtype=np.int64)
            acgt[lo : lo + n] = (win < N_CODE).sum(axis=1, dtype=np.int64)
        del seg
        with np.errstate(invalid="ignore", divide="ignore"):
            gc_fraction = np.where(acgt > 0, gc / np.maximum(acgt, 1), np.nan)
        return gc_fraction, 1.0 - acgt / float(width)


def gather_windows(
    codes: np.ndarray, starts: np.ndarray, length: int, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Rows ``codes[s:s+length]`` for each absolute start ``s``, N outside ``[lower, upper)``.

    Windows wholly inside their bounds (nearly all) are copied as contiguous slices; the few that
    cross a chromosome end are gathered base by base and padded with N.
    """
    starts = np.asarray(starts, dtype=np.int64)
    out = np.empty((len(starts), length), dtype=np.uint8)
    inside = (starts >= lower) & (starts + length <= upper)
    if inside.any():
        view = np.lib.stride_tricks.sliding_window_view(codes, length)
        out[inside] = view[starts[inside]]
    for i in np.flatnonzero(~inside):
        pos = starts[i] + np.arange(length)
        ok = (pos >= lower[i]) & (pos < upper[i])
        row = np.full(length, N_CODE, dtype=np.uint8)
        row[ok] = codes[pos[ok]]
        out[i] = row
    return out
