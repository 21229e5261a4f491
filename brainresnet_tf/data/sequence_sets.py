"""Labelled sequence sets instead of a genome: FASTA per class (gkm-SVM's positives.fa /
negatives.fa) or a TSV of sequences with one 0/1 column per profile (MPRA, SELEX tables).

Each sequence becomes its own record of an in-memory :class:`SequenceGenome`, and one row of a
:class:`~brainresnet_tf.data.windows.WindowTable` whose window (the model's input length) is
centred on the sequence: shorter sequences are padded with N on both sides, longer ones are cut
to their centre. Everything downstream (tf.data, training, jitter, evaluation, the k-mer
baseline) then runs unchanged. Validation and test come from their own files or, without them,
from a seeded, label-stratified fraction of the training sequences.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.data.windows import SPLITS, WindowTable
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import encode
from brainresnet_tf.io.sequences import read_fasta_records
from brainresnet_tf.io.tables import read_table

LENGTH_QUANTILE = 0.95  # the automatic input length covers this share of sequences whole
LENGTH_STEP = 50  # ... rounded up to a multiple of this


@dataclass(frozen=True)
class SequenceFiles:
    """One split's sequences: FASTA per class, or a table."""

    positives: Path | None = None
    negatives: Path | None = None
    table: Path | None = None  # TSV/CSV: a `sequence` column (optional `name`), one 0/1 column per profile

    @property
    def given(self) -> bool:
        return any(p is not None for p in (self.positives, self.negatives, self.table))


@dataclass(frozen=True)
class SequenceSpec:
    """Sequence-set input (used instead of genome + profiles when ``train`` is given)."""

    train: SequenceFiles = field(default_factory=SequenceFiles)
    valid: SequenceFiles = field(default_factory=SequenceFiles)
    test: SequenceFiles = field(default_factory=SequenceFiles)
    valid_fraction: float = 0.1  # of the training sequences, when no validation files are given
    test_fraction: float = 0.0  # likewise for test (0: no test split)
    profile: str = "bound"  # the one profile's name for FASTA-per-class input
    length: int | None = None  # model input; None: 95% of sequences whole + 2 x jitter, rounded up to 50
    seed: int = 0

    @property
    def enabled(self) -> bool:
        return self.train.given


@dataclass
class LabelledSequences:
    """Names, sequences and labels (N, P) of one split."""

    names: list[str]
    sequences: list[str]
    labels: np.ndarray
    profiles: list[str]


def _check_records(path: Path, records: list[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for name, seq in records:
        if not seq:
            raise InputError(f"{path}: record {name!r} is empty (no sequence)")
        if name in seen:
            raise InputError(f"{path}: record name {name!r} appears more than once; names must be unique")
        seen.add(name)


def read_split(files: SequenceFiles, profile: str, where: str) -> LabelledSequences:
    """One split from FASTA per class or a table; one-line errors naming the file and record."""
    if files.table is not None:
        if files.positives is not None or files.negatives is not None:
            raise InputError(f"{where}: give either 'table' or 'positives'/'negatives', not both")
        return _read_table(Path(files.table))
    names, seqs, labels = [], [], []
    for path, label in ((files.positives, 1.0), (files.negatives, 0.0)):
        if path is None:
            continue
        records = read_fasta_records(path)
        _check_records(Path(path), records)
        names += [n for n, _ in records]
        seqs += [s for _, s in records]
        labels += [label] * len(records)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"{where}: record {dup!r} is in both the positives and the negatives")
    return LabelledSequences(names, seqs, np.asarray(labels, np.float32)[:, None], [profile])


def _read_table(path: Path) -> LabelledSequences:
    df = read_table(path)
    lower = {str(c).lower(): c for c in df.columns}
    if "sequence" not in lower:
        raise InputError(
            f"{path}: no 'sequence' column (expected sequence, optional name, one 0/1 column per profile)"
        )
    seq_col = lower["sequence"]
    name_col = lower.get("name") or lower.get("id")
    profiles = [c for c in df.columns if c not in (seq_col, name_col)]
    if not profiles:
        raise InputError(f"{path}: no label columns besides the sequence")
    names = df[name_col].astype(str).tolist() if name_col else [f"row{i + 2}" for i in range(len(df))]
    seqs = []
    for i, (name, seq) in enumerate(zip(names, df[seq_col].tolist())):
        text = "" if seq is None or (isinstance(seq, float) and math.isnan(seq)) else str(seq).strip().upper()
        if not text:
            raise InputError(f"{path}:{i + 2}: record {name!r} has an empty sequence")
        bad = set(text) - set("ACGTN")
        if bad:
            letters = "".join(sorted(bad))[:10]
            raise InputError(f"{path}:{i + 2}: record {name!r} has characters other than ACGTN ({letters})")
        seqs.append(text)
    labels = np.empty((len(df), len(profiles)), np.float32)
    for j, col in enumerate(profiles):
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        bad = ~np.isin(values, (0.0, 1.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}:{i + 2}: label {col!r} of record {names[i]!r} is '{df[col].iloc[i]}'; "
                "expected 0 or 1"
            )
        labels[:, j] = values
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"{path}: record name {dup!r} appears more than once; names must be unique")
    return LabelledSequences(names, seqs, labels, [str(p) for p in profiles])


def auto_length(lengths: list[int], jitter: int) -> int:
    """Input length: LENGTH_QUANTILE of sequences fit whole with ``jitter`` room on each side."""
    base = float(np.quantile(np.asarray(lengths, float), LENGTH_QUANTILE)) + 2 * jitter
    return int(math.ceil(base / LENGTH_STEP) * LENGTH_STEP)


class SequenceGenome:
    """Sequences as the records of an in-memory genome (the part of Genome the pipeline uses)."""

    def __init__(self, names: list[str], sequences: list[str], path: str = "sequence set"):
        self.path = Path(path)
        self.notes: list[str] = []
        self.chrom_sizes = {n: len(s) for n, s in zip(names, sequences)}
        offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])]).astype(np.int64)
        self._offset = dict(zip(names, offsets[:-1].tolist()))
        self.codes = encode("".join(sequences)) if sequences else np.zeros(1, np.uint8)

    def resolve(self, chrom: str, path=None, line=None) -> str:
        if chrom not in self._offset:
            raise InputError(f"{chrom!r} is not a sequence of {self.path}")
        return chrom

    def offset(self, chrom: str) -> int:
        return self._offset[self.resolve(chrom)]

    def codes_at(self, chroms: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """Codes (n, length) of windows on the sequences; N outside each sequence."""
        from brainresnet_tf.io.genome import gather_windows

        off = np.array([self._offset[c] for c in np.asarray(chroms).tolist()], np.int64)
        size = np.array([self.chrom_sizes[c] for c in np.asarray(chroms).tolist()], np.int64)
        return gather_windows(self.codes, off + np.asarray(starts, np.int64), length, off, off + size)

    @classmethod
    def from_fasta(cls, path: str | os.PathLike) -> SequenceGenome:
        """Every record of a FASTA (validated: ACGTN, non-empty, unique names)."""
        records = read_fasta_records(path)
        _check_records(Path(path), records)
        return cls([n for n, _ in records], [s for _, s in records], str(path))

    def centred_windows(self, length: int):
        """chrom (the record), start, end, name of a ``length`` window centred on each record."""
        names = list(self.chrom_sizes)
        starts = np.array([self.chrom_sizes[n] // 2 - length // 2 for n in names], np.int64)
        return pd.DataFrame({"chrom": names, "start": starts, "end": starts + length, "name": names})


def build_sequence_set(
    spec: SequenceSpec, jitter: int = 0, where: str = "config"
) -> tuple[SequenceGenome, WindowTable]:
    """The sequences of every split as a genome and a window table (windows centred on each)."""
    parts = {"train": read_split(spec.train, spec.profile, f"{where} sequences.train")}
    for split in ("valid", "test"):
        files = getattr(spec, split)
        if files.given:
            parts[split] = read_split(files, spec.profile, f"{where} sequences.{split}")
    profiles = parts["train"].profiles
    for split, part in parts.items():
        if part.profiles != profiles:
            raise InputError(f"{where}: sequences.{split} has profiles {part.profiles}, train has {profiles}")
    split_of = {name: np.full(len(part.names), SPLITS.index(name), np.uint8) for name, part in parts.items()}
    rng = np.random.default_rng([spec.seed, 4242])
    train_labels = parts["train"].labels
    pattern = train_labels @ (2.0 ** np.arange(train_labels.shape[1]))  # stratify by label pattern
    for value in np.unique(pattern):
        group = rng.permutation(np.flatnonzero(pattern == value))
        taken = 0
        for split, fraction in (("test", spec.test_fraction), ("valid", spec.valid_fraction)):
            if split in parts or fraction <= 0:
                continue
            n = int(round(fraction * len(group)))  # a fraction of the training sequences given
            split_of["train"][group[taken : taken + n]] = SPLITS.index(split)
            taken += n
    names, seqs, labels, split = [], [], [], []
    for name, part in parts.items():
        names += [f"{name}:{n}" for n in part.names]
        seqs += part.sequences
        labels.append(part.labels)
        split.append(split_of[name])
    labels_all = np.concatenate(labels)
    split_all = np.concatenate(split)
    length = spec.length or auto_length([len(s) for s in seqs], jitter)
    genome = SequenceGenome(names, seqs)
    mid = np.array([len(s) // 2 for s in seqs], np.int64)
    table = WindowTable(
        profiles,
        np.arange(len(names), dtype=np.int32),
        mid,
        labels_all,
        split_all,
        1,
        length,
        meta={"source": "sequence set"},
        chrom_names=names,
    )
    return genome, table


def check_sequence_splits(table: WindowTable, needed: tuple[str, ...] = ("train", "valid")) -> None:
    """InputError naming the sequences keys when a split ``needed`` is empty."""
    counts = np.bincount(table.split_code, minlength=len(SPLITS))
    for name in needed:
        if not counts[SPLITS.index(name)]:
            raise InputError(
                f"sequences: the {name} split is empty: give sequences.{name} files (positives/negatives "
                f"or table)" + ("" if name == "train" else f" or sequences.{name}_fraction > 0")
            )


def centred_codes(sequences: list[str], length: int) -> np.ndarray:
    """Base codes (N, length) of each sequence centred in a window: N-padded or cut to its middle."""
    out = np.full((len(sequences), length), 4, np.uint8)
    for i, seq in enumerate(sequences):
        codes = encode(seq)
        start = len(codes) // 2 - length // 2  # window start in sequence coordinates
        lo, hi = max(start, 0), min(start + length, len(codes))
        out[i, lo - start : hi - start] = codes[lo:hi]
    return out


def files_in(spec: SequenceSpec) -> list[tuple[str, Path]]:
    """(config key, path) of every file the spec names, for existence checks."""
    out = []
    for split in ("train", "valid", "test"):
        files = getattr(spec, split)
        for key in ("positives", "negatives", "table"):
            path = getattr(files, key)
            if path is not None:
                out.append((f"sequences.{split}.{key}", Path(os.fspath(path))))
    return out
