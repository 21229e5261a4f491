"""Genome binning into labelled windows, negative sampling and chromosome splits."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from brainresnet_tf.data.targets import Profile, bin_labels, peak_tracks, signal_tracks
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_open
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import read_bed

SPLITS = ("train", "valid", "test")
_MAIN_CHROM = re.compile(r"^(chr)?([0-9]+|X|Y)$")


@dataclass(frozen=True)
class WindowSpec:
    """How the genome is binned and which bins are kept."""

    bin_size: int = 200
    context: int = 1000
    min_overlap: float = 0.5
    target: str = "peaks"  # "peaks" (binary) or "signal" (log1p mean bigWig)
    negative_ratio: float = 1.0  # sampled negatives per positive bin
    gc_matched: bool = True
    max_n_fraction: float = 0.1  # bins with more N than this are never sampled as negatives
    signal_quantile: float = 0.95  # with target=signal and no peaks: positives above this
    chroms: tuple[str, ...] = ()  # empty: the genome's main chromosomes (1-22, X, Y)
    valid_chroms: tuple[str, ...] = ()
    test_chroms: tuple[str, ...] = ()
    seed: int = 0


@dataclass
class WindowTable:
    """Labelled bins: one row per bin, one label column per profile, and the split of each row."""

    profiles: list[str]
    chrom: np.ndarray
    start: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    bin_size: int
    context: int
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.start)

    @property
    def window_start(self) -> np.ndarray:
        """Start of each window of ``context`` bases centred on its bin."""
        return self.start + self.bin_size // 2 - self.context // 2

    def subset(self, mask: np.ndarray) -> WindowTable:
        """Rows where ``mask`` is true (or at the given indices)."""
        return WindowTable(
            self.profiles,
            self.chrom[mask],
            self.start[mask],
            self.labels[mask],
            self.split[mask],
            self.bin_size,
            self.context,
            dict(self.meta),
        )

    def of_split(self, split: str) -> WindowTable:
        """Rows of one split (train / valid / test)."""
        return self.subset(self.split == split)

    def to_frame(self) -> pd.DataFrame:
        """chrom, start, end, split and one column per profile."""
        df = pd.DataFrame(
            {"chrom": self.chrom, "start": self.start, "end": self.start + self.bin_size, "split": self.split}
        )
        for i, name in enumerate(self.profiles):
            df[name] = self.labels[:, i]
        return df

    def save(self, path: str | os.PathLike) -> None:
        """Write as a compressed ``.npz`` (atomically)."""
        with atomic_open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                profiles=np.array(self.profiles),
                chrom=self.chrom.astype(str),
                start=self.start,
                labels=self.labels,
                split=self.split.astype(str),
                bin_size=self.bin_size,
                context=self.context,
            )

    @classmethod
    def load(cls, path: str | os.PathLike) -> WindowTable:
        """Read a table written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls(
                list(z["profiles"]),
                z["chrom"],
                z["start"],
                z["labels"],
                z["split"],
                int(z["bin_size"]),
                int(z["context"]),
            )

    def split_description(self, split: str = "test") -> str:
        """Which chromosomes (and how many windows) a split holds, e.g. for plot titles."""
        rows = self.split == split
        chroms = list(dict.fromkeys(self.chrom[rows].tolist()))
        shown = ", ".join(chroms[:4]) + (f" and {len(chroms) - 4} more" if len(chroms) > 4 else "")
        return f"{split}: {shown or 'none'} ({int(rows.sum()):,} windows)"

    def summary(self) -> pd.DataFrame:
        """Rows and positives per profile in each split."""
        rows = []
        for split in SPLITS:
            sub = self.labels[self.split == split]
            rows.append(
                {
                    "split": split,
                    "windows": len(sub),
                    **{p: int(np.nansum(sub[:, i] > 0)) for i, p in enumerate(self.profiles)},
                }
            )
        return pd.DataFrame(rows)


def default_chroms(genome: Genome) -> list[str]:
    """The genome's main chromosomes (1-22, X, Y with or without ``chr``), else all of them."""
    main = [c for c in genome.chrom_sizes if _MAIN_CHROM.match(c)]
    return main or list(genome.chrom_sizes)


def _resolve_all(genome: Genome, names: tuple[str, ...], what: str) -> list[str]:
    try:
        return [genome.resolve(c) for c in names]
    except InputError as err:
        raise InputError(f"config windows.{what}: {err}") from None


def build_window_table(
    genome: Genome, profiles: list[Profile], spec: WindowSpec, progress: bool = True
) -> WindowTable:
    """Bin the genome, label each bin per profile, keep positives plus sampled negatives."""
    if not profiles:
        raise InputError("no profiles given (expected at least one profile with peaks or bigwig)")
    signal = spec.target == "signal"
    if spec.target not in ("peaks", "signal"):
        raise InputError(f"windows.target {spec.target!r} is not 'peaks' or 'signal'")
    chroms = _resolve_all(genome, spec.chroms, "chroms") if spec.chroms else default_chroms(genome)
    valid = set(_resolve_all(genome, spec.valid_chroms, "valid_chroms"))
    test = set(_resolve_all(genome, spec.test_chroms, "test_chroms"))
    if valid & test:
        raise InputError(
            f"config: chromosomes {sorted(valid & test)} are in both valid_chroms and test_chroms"
        )
    for name, held in (("valid_chroms", valid), ("test_chroms", test)):
        if held - set(chroms):
            raise InputError(
                f"config windows.{name}: {sorted(held - set(chroms))} not among the "
                f"chromosomes binned ({', '.join(chroms[:6])}...)"
            )

    peak_sets, signal_sets = [], []
    for p in profiles:
        if p.peaks is None and (p.bigwig is None or not signal):
            raise InputError(
                f"profile {p.name!r}: needs a peaks file" + ("" if signal else " (target is 'peaks')")
            )
        peak_sets.append(peak_tracks(read_bed(p.peaks, genome)) if p.peaks else None)
        signal_sets.append(signal_tracks(p.bigwig, genome, chroms) if signal else None)

    rng = np.random.default_rng(spec.seed)
    parts = []
    for chrom in tqdm(chroms, desc="labelling bins", disable=not progress, leave=False):
        size = genome.chrom_sizes[chrom]
        starts = np.arange(0, size - spec.bin_size + 1, spec.bin_size, dtype=np.int64)
        if len(starts) == 0:
            continue
        gc, n_frac = genome.composition(chrom, starts, spec.bin_size)
        labels = np.zeros((len(starts), len(profiles)), np.float32)
        positive = np.zeros(len(starts), bool)
        for i in range(len(profiles)):
            peaks = peak_sets[i].get(chrom) if peak_sets[i] is not None else None
            if peaks is not None:
                positive |= (
                    bin_labels(peaks, starts, spec.bin_size, signal=False, min_overlap=spec.min_overlap) > 0
                )
            track = signal_sets[i][chrom] if signal else peaks
            labels[:, i] = bin_labels(
                track, starts, spec.bin_size, signal=signal, min_overlap=spec.min_overlap
            )
        parts.append((chrom, starts, labels, positive, gc, n_frac))

    if signal:  # bins with strong signal count as positives too
        allv = np.concatenate([p[2] for p in parts])
        cut = np.quantile(allv, spec.signal_quantile, axis=0)
        parts = [(c, s, y, pos | (y > cut).any(axis=1), gc, nf) for c, s, y, pos, gc, nf in parts]

    chrom_col = np.concatenate([np.full(len(p[1]), p[0], dtype=object) for p in parts])
    starts = np.concatenate([p[1] for p in parts])
    labels = np.concatenate([p[2] for p in parts])
    positive = np.concatenate([p[3] for p in parts])
    gc = np.concatenate([p[4] for p in parts])
    n_frac = np.concatenate([p[5] for p in parts])
    split = np.where(
        np.isin(chrom_col, list(test)), "test", np.where(np.isin(chrom_col, list(valid)), "valid", "train")
    )
    if not positive.any():
        raise InputError(
            "no bin is positive in any profile: check that peak files and the genome "
            "use the same assembly and chromosomes"
        )

    keep = positive.copy()
    candidates = (~positive) & (n_frac <= spec.max_n_fraction)
    for s in SPLITS:  # sample negatives within each split so every split keeps the same ratio
        in_split = split == s
        n_neg = int(round(spec.negative_ratio * positive[in_split].sum()))
        keep[
            _sample_negatives(
                rng, np.flatnonzero(candidates & in_split), gc, positive & in_split, n_neg, spec.gc_matched
            )
        ] = True
    idx = np.flatnonzero(keep)
    table = WindowTable(
        [p.name for p in profiles],
        chrom_col[idx].astype(str),
        starts[idx],
        labels[idx],
        split[idx].astype("<U5"),
        spec.bin_size,
        spec.context,
    )
    table.meta["gc"] = gc[idx]
    return table


def _sample_negatives(
    rng: np.random.Generator,
    candidates: np.ndarray,
    gc: np.ndarray,
    positive: np.ndarray,
    n: int,
    gc_matched: bool,
) -> np.ndarray:
    """Indices of ``n`` negatives from ``candidates``, matching the positives' GC histogram."""
    n = min(n, len(candidates))
    if n <= 0:
        return np.zeros(0, np.int64)
    if not gc_matched or not positive.any():
        return rng.choice(candidates, size=n, replace=False)
    edges = np.linspace(0.0, 1.0, 21)
    pos_hist = np.histogram(gc[positive], bins=edges)[0].astype(float)
    cand_bin = np.clip(np.digitize(gc[candidates], edges) - 1, 0, len(edges) - 2)
    cand_count = np.bincount(cand_bin, minlength=len(edges) - 1).astype(float)
    # weight each candidate so sampled negatives follow the positives' GC distribution
    weight = np.where(cand_count[cand_bin] > 0, pos_hist[cand_bin] / np.maximum(cand_count[cand_bin], 1), 0)
    if weight.sum() <= 0:
        return rng.choice(candidates, size=n, replace=False)
    n = min(n, int((weight > 0).sum()))
    return rng.choice(candidates, size=n, replace=False, p=weight / weight.sum())
