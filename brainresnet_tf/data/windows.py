"""Genome binning into labelled windows, negative sampling and the train / valid / test splits.

Built for whole genomes: one chromosome at a time, first a compact pass over every bin (is it
positive in any profile, its GC and N content, its split: a few bytes per bin), then negatives
sampled per split from those arrays, then labels computed for the kept bins only. Chromosome and
split columns are small integer codes, not strings; see the README's genome-scale figures.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from brainresnet_tf.data.splits import (
    DROPPED,
    REGION,
    SPLIT_HINT,
    SPLITS,
    TEST,
    TRAIN,
    VALID,
    SplitLayout,
    bin_splits,
    split_layout,
)
from brainresnet_tf.data.targets import Profile, bin_labels, grid_labels, peak_tracks, signal_tracks
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_open
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import PeakStats, read_bed

__all__ = [
    "SPLITS",
    "WindowSpec",
    "WindowTable",
    "build_window_table",
    "check_spec",
    "default_chroms",
    "skipped_peak_notes",
]

_MAIN_CHROM = re.compile(r"^(chr)?([0-9]+|X|Y)$")
MIN_TRAIN_WINDOWS = 500  # fewer training windows than this draw a warning
MIN_HELD_OUT_POSITIVES = 10  # fewer validation / test positives per profile draw a warning


@dataclass(frozen=True)
class WindowSpec:
    """How the genome is binned, which bins are kept and how they are split."""

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
    valid_regions: tuple[str, ...] = ()  # chrom:start-end (1-based, inclusive) or BED files
    test_regions: tuple[str, ...] = ()
    valid_fraction: float = 0.0  # share of the binned sequence held out as random blocks
    test_fraction: float = 0.0
    block_size: int = 1_000_000  # bp per random block (rounded to whole bins)
    seed: int = 0


def check_spec(spec: WindowSpec, where: str = "config") -> None:
    """InputError naming the key when a value of ``spec`` is out of range or of the wrong kind."""

    def bad(key: str, value, expected: str) -> InputError:
        return InputError(f"{where}: 'windows.{key}' is {value!r}; expected {expected}")

    def number(value) -> bool:
        return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))

    for key in ("bin_size", "context", "block_size"):
        value = getattr(spec, key)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise bad(key, value, "a positive whole number of bp")
    if spec.context < spec.bin_size:
        raise bad("context", spec.context, f"at least windows.bin_size ({spec.bin_size})")
    ranges = {  # key: (low, low allowed, high, high allowed, expected)
        "min_overlap": (0.0, False, 1.0, True, "a fraction in (0, 1]"),
        "negative_ratio": (0.0, True, math.inf, False, "a number >= 0"),
        "max_n_fraction": (0.0, True, 1.0, True, "a fraction in [0, 1]"),
        "signal_quantile": (0.0, False, 1.0, False, "a fraction in (0, 1)"),
        "valid_fraction": (0.0, True, 1.0, False, "a fraction in [0, 1)"),
        "test_fraction": (0.0, True, 1.0, False, "a fraction in [0, 1)"),
    }
    for key, (lo, lo_ok, hi, hi_ok, expected) in ranges.items():
        value = getattr(spec, key)
        if not number(value) or not math.isfinite(value):
            raise bad(key, value, expected)
        if not ((lo <= value if lo_ok else lo < value) and (value <= hi if hi_ok else value < hi)):
            raise bad(key, value, expected)
    if spec.valid_fraction + spec.test_fraction >= 1:
        raise InputError(
            f"{where}: 'windows.valid_fraction' + 'windows.test_fraction' is "
            f"{spec.valid_fraction + spec.test_fraction:g}; expected less than 1 (sequence left for training)"
        )
    if isinstance(spec.seed, bool) or not isinstance(spec.seed, (int, np.integer)) or spec.seed < 0:
        raise bad("seed", spec.seed, "a whole number >= 0")
    if not isinstance(spec.gc_matched, (bool, np.bool_)):
        raise bad("gc_matched", spec.gc_matched, "true or false")
    if spec.target not in ("peaks", "signal"):
        raise bad("target", spec.target, "one of peaks, signal")
    for key in ("valid_regions", "test_regions"):  # the syntax; chromosomes and files at build time
        for item in getattr(spec, key):
            text = str(item).strip()
            if ":" in text and not REGION.fullmatch(text) and not os.path.isfile(text):
                raise bad(key, text, "chrom:start-end (1-based, inclusive, e.g. chr2:1-500000) or a BED file")


class WindowTable:
    """Labelled bins: one row per bin, one label column per profile, and the split of each row.

    Chromosomes are stored as codes into :attr:`chrom_names` and splits as codes into
    :data:`SPLITS` (a few bytes per row); :attr:`chrom` and :attr:`split` give them as strings.
    The constructor takes string arrays (or codes with ``chrom_names``).
    """

    def __init__(
        self,
        profiles: list[str],
        chrom: np.ndarray,
        start: np.ndarray,
        labels: np.ndarray,
        split: np.ndarray,
        bin_size: int,
        context: int,
        meta: dict | None = None,
        chrom_names: list[str] | None = None,
    ):
        self.profiles = list(profiles)
        if chrom_names is None:
            names, codes = np.unique(np.asarray(chrom, dtype=str), return_inverse=True)
            self.chrom_names, self.chrom_code = [str(n) for n in names], codes.astype(np.int32)
        else:
            self.chrom_names, self.chrom_code = list(chrom_names), np.asarray(chrom, dtype=np.int32)
        split = np.asarray(split)
        if split.dtype.kind in "US":
            lookup = {name: i for i, name in enumerate(SPLITS)}
            split = np.array([lookup[str(s)] for s in split], dtype=np.uint8) if len(split) else split
        self.split_code = np.asarray(split, dtype=np.uint8)
        self.start = np.asarray(start, dtype=np.int64)
        self.labels = labels
        self.bin_size = int(bin_size)
        self.context = int(context)
        self.meta = dict(meta or {})

    def __len__(self) -> int:
        return len(self.start)

    @property
    def chrom(self) -> np.ndarray:
        """Chromosome name of each row (a string array made on each call: prefer chrom_code)."""
        return np.asarray(self.chrom_names, dtype=str)[self.chrom_code] if len(self) else np.zeros(0, str)

    @property
    def split(self) -> np.ndarray:
        """Split name of each row (train / valid / test)."""
        return np.asarray(SPLITS)[self.split_code]

    @property
    def window_start(self) -> np.ndarray:
        """Start of each window of ``context`` bases centred on its bin."""
        return self.start + self.bin_size // 2 - self.context // 2

    def subset(self, mask: np.ndarray) -> WindowTable:
        """Rows where ``mask`` is true (or at the given indices)."""
        return WindowTable(
            self.profiles,
            self.chrom_code[mask],
            self.start[mask],
            self.labels[mask],
            self.split_code[mask],
            self.bin_size,
            self.context,
            {k: v for k, v in self.meta.items() if not isinstance(v, np.ndarray)},
            chrom_names=self.chrom_names,
        )

    def of_split(self, split: str) -> WindowTable:
        """Rows of one split (train / valid / test)."""
        return self.subset(self.split_code == SPLITS.index(split))

    def to_frame(self) -> pd.DataFrame:
        """chrom, start, end, split and one column per profile."""
        df = pd.DataFrame(
            {
                "chrom": pd.Categorical.from_codes(self.chrom_code, self.chrom_names),
                "start": self.start,
                "end": self.start + self.bin_size,
                "split": pd.Categorical.from_codes(self.split_code, SPLITS),
            }
        )
        for i, name in enumerate(self.profiles):
            df[name] = self.labels[:, i]
        return df

    def save(self, path: str | os.PathLike) -> None:
        """Write as a compressed ``.npz`` (atomically), with ``meta["fingerprint"]`` if set."""
        extra = {}
        if "fingerprint" in self.meta:
            extra["fingerprint"] = np.array(json.dumps(self.meta["fingerprint"], sort_keys=True))
        if self.meta.get("skipped_peaks"):
            skipped = {name: stats.to_dict() for name, stats in self.meta["skipped_peaks"].items()}
            extra["skipped_peaks"] = np.array(json.dumps(skipped))
        with atomic_open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                profiles=np.array(self.profiles, dtype=str),
                chrom_names=np.array(self.chrom_names, dtype=str),
                chrom_code=self.chrom_code,
                start=self.start,
                labels=self.labels,
                split_code=self.split_code,
                bin_size=self.bin_size,
                context=self.context,
                **extra,
            )

    @classmethod
    def load(cls, path: str | os.PathLike) -> WindowTable:
        """Read a table written by :meth:`save` (also the string columns of earlier versions)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = {}
                if "fingerprint" in z.files:
                    meta["fingerprint"] = json.loads(str(z["fingerprint"]))
                if "skipped_peaks" in z.files:
                    skipped = json.loads(str(z["skipped_peaks"]))
                    meta["skipped_peaks"] = {name: PeakStats.from_dict(d) for name, d in skipped.items()}
                if "chrom_code" in z.files:
                    return cls(
                        [str(p) for p in z["profiles"]],
                        z["chrom_code"],
                        z["start"],
                        z["labels"],
                        z["split_code"],
                        int(z["bin_size"]),
                        int(z["context"]),
                        meta,
                        chrom_names=[str(c) for c in z["chrom_names"]],
                    )
                return cls(
                    [str(p) for p in z["profiles"]],
                    z["chrom"],
                    z["start"],
                    z["labels"],
                    z["split"],
                    int(z["bin_size"]),
                    int(z["context"]),
                    meta,
                )
        except (OSError, ValueError, KeyError, EOFError) as err:
            raise InputError(f"{path}: not a window table written by brainresnet ({err})") from None

    def split_description(self, split: str = "test") -> str:
        """Which chromosomes (and how many windows) a split holds, e.g. for plot titles.

        When the split holds regions of chromosomes rather than whole ones, says so.
        """
        rows = self.split_code == SPLITS.index(split)
        if self.meta.get("source") == "sequence set":
            return f"{split}: {int(rows.sum()):,} sequences"
        codes = list(dict.fromkeys(self.chrom_code[rows].tolist()))
        chroms = [self.chrom_names[c] for c in codes]
        shown = ", ".join(chroms[:4]) + (f" and {len(chroms) - 4} more" if len(chroms) > 4 else "")
        if shown and "region" in str(self.meta.get("layout", {}).get(split, "")):
            shown = f"regions of {shown}"
        return f"{split}: {shown or 'none'} ({int(rows.sum()):,} windows)"

    def summary(self) -> pd.DataFrame:
        """Rows and positives per profile in each split (whole numbers)."""
        rows = []
        for code, split in enumerate(SPLITS):
            sub = self.labels[self.split_code == code]
            rows.append(
                {
                    "split": split,
                    "windows": len(sub),
                    **{p: int(np.sum(sub[:, i] > 0)) for i, p in enumerate(self.profiles)},
                }
            )
        return pd.DataFrame(rows)


def default_chroms(genome: Genome) -> list[str]:
    """The genome's main chromosomes (1-22, X, Y with or without ``chr``), else all of them."""
    main = [c for c in genome.chrom_sizes if _MAIN_CHROM.match(c)]
    return main or list(genome.chrom_sizes)


def binned_chroms(genome: Genome, spec: WindowSpec) -> list[str]:
    """The chromosomes a spec bins: ``spec.chroms`` resolved, or the main ones."""
    if not spec.chroms:
        return default_chroms(genome)
    try:
        return list(dict.fromkeys(genome.resolve(c) for c in spec.chroms))
    except InputError as err:
        raise InputError(f"config windows.chroms: {err}") from None


@dataclass
class _ChromBins:
    """Pass-one results of one chromosome: a few bytes per bin."""

    name: str
    n: int
    positive: np.ndarray  # bool
    gc: np.ndarray  # float32, NaN where all N
    negative_ok: np.ndarray  # bool: N fraction low enough to sample as a negative
    split: np.ndarray  # uint8 codes (DROPPED at split boundaries)
    signal: np.ndarray | None = None  # (n, P) float32 labels, target=signal only


def build_window_table(
    genome: Genome, profiles: list[Profile], spec: WindowSpec, progress: bool = True, strict: bool = False
) -> WindowTable:
    """Bin the genome, label each bin per profile, keep positives plus sampled negatives.

    Peaks on chromosomes the genome lacks are skipped and counted in ``table.meta["skipped_peaks"]``
    (profile name -> :class:`PeakStats`, profiles with skips only; :func:`skipped_peak_notes`);
    a peak file with no peak on the genome is an InputError. ``strict``: the first such peak is
    an InputError naming its line. ``table.meta`` also records ``dropped_at_boundaries`` (bins
    whose context would reach into another split) and ``layout`` (what each split holds), for
    :func:`table_notes`.
    """
    check_spec(spec)
    if not profiles:
        raise InputError("no profiles given (expected at least one profile with peaks or bigwig)")
    signal = spec.target == "signal"
    chroms = binned_chroms(genome, spec)
    layout = split_layout(genome, chroms, spec)

    peak_sets, signal_sets, skipped = [], [], {}
    for p in profiles:
        if p.peaks is None and (p.bigwig is None or not signal):
            raise InputError(
                f"profile {p.name!r}: needs a peaks file" + ("" if signal else " (target is 'peaks')")
            )
        stats = None if strict or p.peaks is None else PeakStats(p.peaks)
        peak_sets.append(peak_tracks(read_bed(p.peaks, genome, skipped=stats)) if p.peaks else None)
        signal_sets.append(signal_tracks(p.bigwig, genome, chroms) if signal else None)
        if stats is not None and stats.skipped:
            skipped[p.name] = stats

    bins = [
        _first_pass(genome, chrom, peak_sets, signal_sets, spec, layout)
        for chrom in tqdm(chroms, desc="labelling bins", disable=not progress, leave=False)
    ]
    bins = [b for b in bins if b.n]
    if signal and bins:  # bins with strong signal count as positives too
        cut = np.quantile(np.concatenate([b.signal for b in bins]), spec.signal_quantile, axis=0)
        for b in bins:
            b.positive |= (b.signal > cut).any(axis=1)
    positive = np.concatenate([b.positive for b in bins]) if bins else np.zeros(0, bool)
    split = np.concatenate([b.split for b in bins]) if bins else np.zeros(0, np.uint8)
    if not (positive & (split != DROPPED)).any():
        raise InputError(
            "no bin is positive in any profile: check that peak files and the genome "
            "use the same assembly and chromosomes"
        )
    gc = np.concatenate([b.gc for b in bins])
    keep = positive & (split != DROPPED)
    candidates = ~positive & np.concatenate([b.negative_ok for b in bins]) & (split != DROPPED)
    rng = np.random.default_rng(spec.seed)
    for code in range(len(SPLITS)):  # negatives within each split: every split keeps the ratio
        in_split = split == code
        pos_in_split = keep & in_split
        n_neg = int(round(spec.negative_ratio * pos_in_split.sum()))
        cand = np.flatnonzero(candidates & in_split)
        keep[_sample_negatives(rng, cand, gc[cand], gc[pos_in_split], n_neg, spec.gc_matched)] = True
    del candidates, positive

    table = _second_pass(bins, keep, gc, split, profiles, peak_sets, spec)
    table.meta["skipped_peaks"] = skipped
    table.meta["dropped_at_boundaries"] = int((split == DROPPED).sum())
    table.meta["layout"] = {SPLITS[s]: layout.describe(s) for s in (VALID, TEST)}
    table.meta["blocks"] = {SPLITS[s]: n for s, n in layout.blocks.items()}
    return table


def _first_pass(
    genome: Genome,
    chrom: str,
    peak_sets: list,
    signal_sets: list,
    spec: WindowSpec,
    layout: SplitLayout,
) -> _ChromBins:
    size = genome.chrom_sizes[chrom]
    n = max(0, (size - spec.bin_size) // spec.bin_size + 1)
    if n == 0:
        return _ChromBins(chrom, 0, *(np.zeros(0, t) for t in (bool, np.float32, bool, np.uint8)))
    starts = np.arange(n, dtype=np.int64) * spec.bin_size
    gc, n_frac = genome.composition(chrom, starts, spec.bin_size)
    positive = np.zeros(n, bool)
    for peaks in peak_sets:
        track = peaks.get(chrom) if peaks is not None else None
        if track is not None:
            positive |= grid_labels(track, n, spec.bin_size, signal=False, min_overlap=spec.min_overlap) > 0
    values = None
    if spec.target == "signal":
        values = np.stack([grid_labels(s[chrom], n, spec.bin_size, signal=True) for s in signal_sets], axis=1)
    split = bin_splits(layout, chrom, size, starts, spec.bin_size, spec.context)
    return _ChromBins(chrom, n, positive, gc.astype(np.float32), n_frac <= spec.max_n_fraction, split, values)


def _second_pass(
    bins: list[_ChromBins],
    keep: np.ndarray,
    gc: np.ndarray,
    split: np.ndarray,
    profiles: list[Profile],
    peak_sets: list,
    spec: WindowSpec,
) -> WindowTable:
    """Labels, starts and codes of the kept bins, chromosome by chromosome."""
    n_keep = int(keep.sum())
    labels = np.zeros((n_keep, len(profiles)), np.float32)
    starts = np.zeros(n_keep, np.int64)
    chrom_code = np.zeros(n_keep, np.int32)
    row = offset = 0
    for code, b in enumerate(bins):
        local = np.flatnonzero(keep[offset : offset + b.n])
        offset += b.n
        rows = slice(row, row + len(local))
        row += len(local)
        starts[rows] = local * spec.bin_size
        chrom_code[rows] = code
        if b.signal is not None:
            labels[rows] = b.signal[local]
            continue
        for i, peaks in enumerate(peak_sets):
            track = peaks.get(b.name) if peaks is not None else None
            labels[rows, i] = bin_labels(
                track, starts[rows], spec.bin_size, signal=False, min_overlap=spec.min_overlap
            )
    idx = np.flatnonzero(keep)
    table = WindowTable(
        [p.name for p in profiles],
        chrom_code,
        starts,
        labels,
        split[idx],
        spec.bin_size,
        spec.context,
        chrom_names=[b.name for b in bins],
    )
    table.meta["gc"] = gc[idx]
    return table


def _sample_negatives(
    rng: np.random.Generator,
    candidates: np.ndarray,
    cand_gc: np.ndarray,
    pos_gc: np.ndarray,
    n: int,
    gc_matched: bool,
) -> np.ndarray:
    """Indices of up to ``n`` negatives from ``candidates``, following the positives' GC histogram.

    With ``gc_matched``, ``n`` is split over 20 GC bins in proportion to the positives (largest
    remainders; a GC bin short of candidates passes its share to the others that positives
    occupy) and each bin's share is drawn uniformly: exact stratification, linear in the number
    of candidates.
    """
    n = min(n, len(candidates))
    if n <= 0:
        return np.zeros(0, np.int64)
    pos_gc = pos_gc[~np.isnan(pos_gc)]
    if not gc_matched or not len(pos_gc):
        return rng.choice(candidates, size=n, replace=False)
    edges = np.linspace(0.0, 1.0, 21)
    want = np.histogram(pos_gc, bins=edges)[0].astype(float)
    cand_bin = np.where(np.isnan(cand_gc), -1, np.clip(np.digitize(cand_gc, edges) - 1, 0, 19))
    order = np.argsort(cand_bin, kind="stable")
    bounds = np.searchsorted(cand_bin[order], np.arange(-1, 21))
    avail = np.diff(bounds)[1:]  # candidates per GC bin 0..19
    quota = np.zeros(20, np.int64)
    for _ in range(20):  # hand shares that do not fit to the bins that still have room
        room = (avail - quota) * (want > 0)
        left = n - quota.sum()
        if left <= 0 or room.sum() <= 0:
            break
        share = want * (room > 0)
        exact = left * share / share.sum()
        add = np.minimum(np.floor(exact).astype(np.int64), room)
        if add.sum() == 0:  # the last few: largest remainders first
            for b in np.argsort(-(exact - np.floor(exact)), kind="stable")[:left]:
                if room[b] > 0:
                    add[b] += 1
        quota += add
    picked = [
        rng.choice(candidates[order[bounds[b + 1] : bounds[b + 2]]], size=int(quota[b]), replace=False)
        for b in range(20)
        if quota[b]
    ]
    return np.concatenate(picked) if picked else np.zeros(0, np.int64)


def check_splits(table: WindowTable, spec: WindowSpec, needed: tuple[str, ...] = ("train", "valid")) -> None:
    """InputError naming the keys to change when a split ``needed`` has no windows."""
    counts = np.bincount(table.split_code, minlength=len(SPLITS))
    for name in needed:
        code = SPLITS.index(name)
        if counts[code]:
            continue
        if name == "train":
            raise InputError(
                "windows: the training split is empty: everything binned is held out for "
                "validation or test; hold out less: "
                + SPLIT_HINT
                + (
                    f", or bin more chromosomes (windows.chroms: {', '.join(spec.chroms)})"
                    if spec.chroms
                    else ""
                )
            )
        given = (
            getattr(spec, f"{name}_chroms")
            or getattr(spec, f"{name}_regions")
            or getattr(spec, f"{name}_fraction")
        )
        what = "validation" if name == "valid" else "test"
        if not given:
            raise InputError(
                f"windows: no {what} split: set windows.{name}_chroms (whole chromosomes), "
                f"windows.{name}_regions (chrom:start-end or a BED file) or windows.{name}_fraction "
                "(random blocks of windows.block_size bp)"
            )
        raise InputError(
            f"windows: the {what} split has no windows (no peak falls in what windows.{name}_chroms / "
            f"{name}_regions / {name}_fraction hold out); hold out more or other sequence"
        )


def skipped_peak_notes(table: WindowTable) -> list[str]:
    """One line per profile whose peaks were skipped for lying on chromosomes the genome lacks,
    e.g. ``windows: NeuN NeuN.bed.gz: skipped 48,112 of 49,500 peaks on 23 chromosomes not in the
    genome (chr1 4,100, chr2 3,900, chr3 3,500, +20 more)``."""
    return [stats.note(f"windows: {name}") for name, stats in table.meta.get("skipped_peaks", {}).items()]


def table_notes(table: WindowTable, spec: WindowSpec) -> list[str]:
    """Lines worth telling the user about a table: bins dropped at split boundaries and
    warnings about data too small to train or validate on, each with numbers and a hint."""
    notes = []
    dropped = table.meta.get("dropped_at_boundaries", 0)
    if dropped:
        notes.append(
            f"windows: dropped {dropped:,} bins at split boundaries (their {table.context:,} bp "
            "context would reach into another split)"
        )
    counts = np.bincount(table.split_code, minlength=len(SPLITS))
    if 0 < counts[TRAIN] < MIN_TRAIN_WINDOWS:
        notes.append(
            f"warning: only {counts[TRAIN]:,} training windows (fewer than {MIN_TRAIN_WINDOWS}): the "
            "model will fit noise; add data (more peaks, chromosomes or profiles), raise "
            f"windows.negative_ratio (now {spec.negative_ratio:g}) for more negatives, or hold out "
            "less (windows.valid_regions / valid_fraction instead of whole chromosomes)"
        )
    for code, what, key in ((VALID, "validation", "valid"), (TEST, "test", "test")):
        if not counts[code]:
            continue
        positives = (table.labels[table.split_code == code] > 0).sum(axis=0)
        few = [f"{p} {int(n)}" for p, n in zip(table.profiles, positives) if n < MIN_HELD_OUT_POSITIVES]
        if few:
            use = "early stopping and model choice follow noise" if code == VALID else "metrics are noise"
            notes.append(
                f"warning: few {what} positives ({', '.join(few)}; fewer than "
                f"{MIN_HELD_OUT_POSITIVES}): {use}; hold out more sequence for {what} "
                f"(windows.{key}_chroms, windows.{key}_regions or windows.{key}_fraction) or add data"
            )
    return notes
