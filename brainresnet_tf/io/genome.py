"""Reference genome access: pyfaidx reads, one whole-genome encoding cached on disk.

The genome is encoded once into base codes (A=0, C=1, G=2, T=3, anything else=4) stored as a
uint8 memory-mapped file beside the run. That is the one-hot encoding in index form: one byte per
base instead of four, expanded to one-hot (N -> all zeros) by :func:`one_hot` when a batch is
gathered. Training then slices this array and never reads the FASTA again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pyfaidx

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.atomic import atomic_path, write_json

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


class Genome:
    """A FASTA genome (plain or bgzipped, indexed by pyfaidx) with a cached base-code array.

    ``cache_dir`` holds ``<fasta name>.<fingerprint>.codes.u8``; it defaults to the FASTA's own
    directory when writable, else ``~/.cache/brainresnet``.
    """

    def __init__(self, fasta: str | os.PathLike, cache_dir: str | os.PathLike | None = None):
        self.path = Path(fasta)
        if not self.path.exists():
            raise InputError(f"{self.path}: genome FASTA not found")
        try:
            self._fasta = pyfaidx.Fasta(
                str(self.path), as_raw=True, sequence_always_upper=False, rebuild=False, build_index=True
            )
        except (pyfaidx.FastaIndexingError, PermissionError, OSError, ValueError) as err:
            fai = Path(f"{self.path}.fai")
            if not fai.exists():  # pyfaidx's own advice (rebuild=False) does not apply here
                raise InputError(
                    f"{self.path}: the FASTA has no index and {fai.name} cannot be "
                    f"written beside it; index it where you may write (samtools "
                    f"faidx) and put the .fai next to the FASTA, or copy the FASTA "
                    f"to a writable folder"
                ) from err
            raise InputError(f"{self.path}: cannot index FASTA ({err})") from err
        names = tuple(self._fasta.keys())
        if not names:
            raise InputError(f"{self.path}: FASTA has no sequences")
        sizes = tuple(len(self._fasta[n]) for n in names)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        self.chrom_sizes: dict[str, int] = dict(zip(names, sizes))
        self._offset: dict[str, int] = dict(zip(names, offsets))
        self._cache_dir = Path(cache_dir) if cache_dir else None
        self._codes: np.ndarray | None = None

    # -- names ---------------------------------------------------------------------------
    def resolve(self, chrom: str, path: str | os.PathLike | None = None, line: int | None = None) -> str:
        """The genome's own name for ``chrom`` (trying aliases), or a clear InputError."""
        if chrom in self.chrom_sizes:
            return chrom
        for alias in chrom_aliases(chrom):
            if alias in self.chrom_sizes:
                return alias
        close = difflib.get_close_matches(chrom, self.chrom_sizes, n=3, cutoff=0.5)
        have = ", ".join(list(self.chrom_sizes)[:5]) + (", ..." if len(self.chrom_sizes) > 5 else "")
        hint = f"closest: {', '.join(close)}" if close else f"the genome has: {have}"
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
        stat = self.path.stat()
        key = f"{self.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
        digest = hashlib.sha1(key).hexdigest()[:12]
        base = self._cache_dir or self.path.parent
        if self._cache_dir is None and not os.access(base, os.W_OK):
            base = Path.home() / ".cache" / "brainresnet"
        base.mkdir(parents=True, exist_ok=True)
        return base / f"{self.path.name}.{digest}.codes.u8"

    def _load_or_build_cache(self) -> np.ndarray:
        path = self._cache_path()
        meta_path = path.with_suffix(".json")
        total = sum(self.chrom_sizes.values())
        names = list(self.chrom_sizes)
        if path.exists() and meta_path.exists():
            meta = json.loads(meta_path.read_text())
            if meta.get("names") == names and meta.get("total") == total:
                return np.memmap(path, dtype=np.uint8, mode="r", shape=(total,))
        with atomic_path(path) as tmp:
            out = np.memmap(tmp, dtype=np.uint8, mode="w+", shape=(max(total, 1),))
            chunk = 1 << 24
            for name, size in self.chrom_sizes.items():
                off = self._offset[name]
                for lo in range(0, size, chunk):
                    hi = min(lo + chunk, size)
                    out[off + lo : off + hi] = encode(str(self._fasta[name][lo:hi]))
            out.flush()
            del out
        write_json(meta_path, {"fasta": str(self.path), "names": names, "total": total})
        return np.memmap(path, dtype=np.uint8, mode="r", shape=(total,))

    def composition(self, chrom: str, starts: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(GC fraction among ACGT bases, fraction of N) of ``[start, start+width)`` per start.

        GC is NaN where a window is all N. One pass over the chromosome, so call it with all the
        starts of a chromosome at once.
        """
        name = self.resolve(chrom)
        off, size = self._offset[name], self.chrom_sizes[name]
        seg = self.codes[off : off + size]
        gc = np.concatenate([[0], np.cumsum((seg == 1) | (seg == 2))])
        acgt = np.concatenate([[0], np.cumsum(seg < N_CODE)])
        lo = np.clip(starts, 0, size)
        hi = np.clip(np.asarray(starts) + width, 0, size)
        n = acgt[hi] - acgt[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            gc_fraction = np.where(n > 0, (gc[hi] - gc[lo]) / np.maximum(n, 1), np.nan)
        return gc_fraction, 1.0 - n / float(width)


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
