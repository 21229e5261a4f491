"""Which part of the genome is train, validation and test: whole chromosomes, regions, random blocks.

Three ways to hold sequence out, combined in this order:

* ``valid_chroms`` / ``test_chroms``: whole chromosomes;
* ``valid_regions`` / ``test_regions``: ``chrom:start-end`` (1-based, inclusive, as a genome
  browser shows it) or BED files, so a genome of one chromosome (or a few contigs) can be split;
* ``valid_fraction`` / ``test_fraction``: that share of the binned sequence, as random contiguous
  blocks of ``block_size`` bp (seeded), drawn from what the first two left to training.

Every base belongs to one split. A bin belongs to the split of its centre, and is kept only when
the bin and its whole context window lie in that split: no window straddles two splits and the
windows of different splits never share sequence. The bins dropped at split boundaries are
counted (:attr:`SplitLayout.dropped`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from brainresnet_tf.data.targets import Track
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import read_bed

if TYPE_CHECKING:
    from brainresnet_tf.data.windows import WindowSpec

SPLITS = ("train", "valid", "test")
TRAIN, VALID, TEST = 0, 1, 2
DROPPED = 255  # a bin whose context would reach into another split
REGION = re.compile(r"([^\s:]+):([0-9][0-9,]*)-([0-9][0-9,]*)")  # chrom:start-end
SPLIT_HINT = (
    "hold out whole chromosomes (windows.valid_chroms / test_chroms), regions "
    "(windows.valid_regions / test_regions: chrom:start-end or a BED file) or random blocks "
    "(windows.valid_fraction / test_fraction with windows.block_size)"
)


def parse_regions(items: tuple[str, ...], genome: Genome, key: str) -> dict[str, list[tuple[int, int]]]:
    """``{chrom: [(start, end), ...]}`` (0-based, half-open) of a ``windows.*_regions`` list.

    Each item is ``chrom:start-end`` (1-based, inclusive; commas allowed), a chromosome name
    (all of it), or a BED file (0-based). Anything else is an InputError naming ``key``.
    """
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for item in items:
        text = str(item).strip()
        match = REGION.fullmatch(text)
        if match:
            chrom, first, last = match.group(1), match.group(2), match.group(3)
            start, end = int(first.replace(",", "")) - 1, int(last.replace(",", ""))
            if start < 0 or end <= start:
                raise InputError(
                    f"config windows.{key}: {text!r} is not a region (expected chrom:start-end, "
                    "1-based and inclusive, start <= end, e.g. chr2:1-500000)"
                )
            try:
                name = genome.check_interval(chrom, start, end)
            except InputError as err:
                raise InputError(f"config windows.{key}: {text!r}: {err}") from None
            out[name].append((start, end))
            continue
        path = Path(text)
        if text and path.is_file():
            try:
                bed = read_bed(path, genome)
            except InputError as err:
                raise InputError(f"config windows.{key}: {err}") from None
            for chrom, start, end in zip(bed["chrom"], bed["start"], bed["end"]):
                out[chrom].append((int(start), int(end)))
            continue
        if text and ":" not in text and "/" not in text:
            try:
                name = genome.resolve(text)
            except InputError:
                name = None
            if name is not None:
                out[name].append((0, genome.chrom_sizes[name]))
                continue
        raise InputError(
            f"config windows.{key}: {text!r} is neither chrom:start-end (1-based, inclusive, "
            "e.g. chr2:1-500000), a chromosome of the genome, nor an existing BED file"
        )
    return {c: _merge(v) for c, v in out.items()}


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first overlap of two merged interval lists, or None."""
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            return lo, hi
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return None


@dataclass
class SplitLayout:
    """Held-out territory: whole chromosomes, and per chromosome the intervals of valid / test."""

    chrom_split: dict[str, int] = field(default_factory=dict)  # whole chromosomes (absent: train)
    intervals: dict[str, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)
    blocks: dict[int, int] = field(default_factory=dict)  # split -> random blocks drawn
    dropped: int = 0  # bins dropped at split boundaries (filled by bin_splits' callers)

    def held_out(self, split: int) -> bool:
        """Whether any sequence is assigned to ``split`` (VALID or TEST)."""
        return split in self.chrom_split.values() or any(split in v for v in self.intervals.values())

    def describe(self, split: int) -> str:
        """A short text: the chromosomes and number of regions of ``split``."""
        chroms = [c for c, s in self.chrom_split.items() if s == split]
        n = sum(len(v.get(split, [])) for v in self.intervals.values())
        parts = ([", ".join(chroms)] if chroms else []) + ([f"{n} region{'s' if n > 1 else ''}"] if n else [])
        return "; ".join(parts) or "nothing"


def _resolve_all(genome: Genome, names: tuple[str, ...], what: str) -> list[str]:
    try:
        return [genome.resolve(c) for c in names]
    except InputError as err:
        raise InputError(f"config windows.{what}: {err}") from None


def split_layout(genome: Genome, chroms: list[str], spec: WindowSpec) -> SplitLayout:
    """Resolve a spec's chromosomes, regions and fractions into one :class:`SplitLayout`."""
    valid = _resolve_all(genome, spec.valid_chroms, "valid_chroms")
    test = _resolve_all(genome, spec.test_chroms, "test_chroms")
    both = sorted(set(valid) & set(test))
    if both:
        raise InputError(
            f"config: chromosomes {both} are in both windows.valid_chroms and windows.test_chroms; "
            "to hold out parts of one chromosome use windows.valid_regions / windows.test_regions "
            "(e.g. chr2:1-500000, or a BED file) or windows.valid_fraction / windows.test_fraction "
            "(random blocks of windows.block_size bp)"
        )
    for name, held in (("valid_chroms", valid), ("test_chroms", test)):
        if set(held) - set(chroms):
            raise InputError(
                f"config windows.{name}: {sorted(set(held) - set(chroms))} not among the "
                f"chromosomes binned ({', '.join(chroms[:6])}{'...' if len(chroms) > 6 else ''}; "
                "windows.chroms)"
            )
    layout = SplitLayout({**{c: VALID for c in valid}, **{c: TEST for c in test}})

    regions = {
        VALID: parse_regions(spec.valid_regions, genome, "valid_regions"),
        TEST: parse_regions(spec.test_regions, genome, "test_regions"),
    }
    for split, key in ((VALID, "valid_regions"), (TEST, "test_regions")):
        for chrom, ivs in regions[split].items():
            if chrom not in chroms:
                raise InputError(
                    f"config windows.{key}: {chrom} is not among the chromosomes binned "
                    f"({', '.join(chroms[:6])}{'...' if len(chroms) > 6 else ''}; windows.chroms)"
                )
            whole = layout.chrom_split.get(chrom)
            if whole is not None:
                raise InputError(
                    f"config windows.{key}: regions on {chrom}, which windows.{SPLITS[whole]}_chroms "
                    "already holds out whole; give the chromosome or regions of it, not both"
                )
            layout.intervals.setdefault(chrom, {})[split] = ivs
    for chrom, by_split in layout.intervals.items():
        if VALID in by_split and TEST in by_split:
            hit = _overlap(by_split[VALID], by_split[TEST])
            if hit:
                raise InputError(
                    f"config: windows.valid_regions and windows.test_regions overlap at "
                    f"{chrom}:{hit[0] + 1}-{hit[1]} (a base can be in one split only)"
                )
    if spec.valid_fraction > 0 or spec.test_fraction > 0:
        _draw_blocks(genome, chroms, spec, layout)
    return layout


def _draw_blocks(genome: Genome, chroms: list[str], spec: WindowSpec, layout: SplitLayout) -> None:
    """Add random contiguous blocks to valid / test until each reaches its fraction of the bins."""
    block = max(1, round(spec.block_size / spec.bin_size)) * spec.bin_size  # whole bins
    total = sum(genome.chrom_sizes[c] for c in chroms)
    candidates = []  # (chrom, start, end) blocks still wholly in training territory
    for chrom in chroms:
        if chrom in layout.chrom_split:
            continue
        size = genome.chrom_sizes[chrom]
        taken = _merge([iv for ivs in layout.intervals.get(chrom, {}).values() for iv in ivs])
        for start in range(0, size, block):
            end = min(start + block, size)
            if not _overlap([(start, end)], taken):
                candidates.append((chrom, start, end))
    rng = np.random.default_rng([spec.seed, 0x5B11])
    order = rng.permutation(len(candidates))
    wanted = [(TEST, spec.test_fraction), (VALID, spec.valid_fraction)]
    needed = sum(1 for _, f in wanted if f > 0) + 1  # at least one block each, and one for training
    if len(candidates) < needed:
        raise InputError(
            f"config windows.valid_fraction / test_fraction: only {len(candidates)} blocks of "
            f"windows.block_size={spec.block_size:,} bp are free to draw from ({total:,} bp binned); "
            f"lower windows.block_size (e.g. {max(spec.bin_size * 10, total // 20):,}) so there "
            "are blocks for training as well"
        )
    pos = 0
    drawn: dict[int, list[tuple[str, int, int]]] = {TEST: [], VALID: []}
    for split, fraction in wanted:
        if fraction <= 0:
            continue
        length = 0
        while pos < len(order) - 1 and (not drawn[split] or length < fraction * total):
            chrom, start, end = candidates[order[pos]]
            drawn[split].append((chrom, start, end))
            length += end - start
            pos += 1
        layout.blocks[split] = len(drawn[split])
    for split, blocks in drawn.items():
        per_chrom: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for chrom, start, end in blocks:
            per_chrom[chrom].append((start, end))
        for chrom, ivs in per_chrom.items():
            by_split = layout.intervals.setdefault(chrom, {})
            by_split[split] = _merge(by_split.get(split, []) + ivs)


def bin_splits(
    layout: SplitLayout, chrom: str, size: int, starts: np.ndarray, bin_size: int, context: int
) -> np.ndarray:
    """Split code (TRAIN, VALID, TEST or DROPPED) of each bin ``[start, start + bin_size)``.

    A bin takes the split of its centre and is DROPPED when the bin or its context window
    (clipped to the chromosome) reaches into another split's territory.
    """
    starts = np.asarray(starts, dtype=np.int64)
    by_split = layout.intervals.get(chrom)
    if not by_split:
        return np.full(len(starts), layout.chrom_split.get(chrom, TRAIN), np.uint8)
    centre = starts + bin_size // 2
    win_lo = starts + bin_size // 2 - context // 2
    lo = np.clip(np.minimum(starts, win_lo), 0, size)
    hi = np.clip(np.maximum(starts + bin_size, win_lo + context), 0, size)
    code = np.full(len(starts), TRAIN, np.uint8)
    own = hi - lo  # bases of the span in the bin's own split (start: all of it, for train)
    covered = {}
    for split, ivs in by_split.items():
        arr = np.asarray(ivs, dtype=np.int64).reshape(-1, 2)
        track = Track(arr[:, 0], arr[:, 1], np.ones(len(arr)))
        covered[split] = track.integral(hi) - track.integral(lo)
        code[(track.integral(centre + 1) - track.integral(centre)) > 0] = split
    in_other = np.zeros(len(starts))
    for split, cov in covered.items():
        in_other += np.where(code == split, 0.0, cov)
    own_cov = np.where(code == TRAIN, own - sum(covered.values()), 0.0)
    for split, cov in covered.items():
        own_cov = np.where(code == split, cov, own_cov)
    ok = (in_other == 0) & (np.abs(own_cov - own) < 0.5)
    code[~ok] = DROPPED
    return code
