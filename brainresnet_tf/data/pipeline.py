"""tf.data datasets over a WindowTable: gather cached one-hot slices, augment, batch, prefetch.

Batches are gathered in numpy from the memory-mapped base codes (contiguous row copies, no FASTA
reads), shuffled and reverse-complemented with a seeded generator (so a seed fixes every epoch),
and expanded to float32 one-hot inside the tf.data graph, overlapped with training by prefetch.
Training windows can also be jittered (random shifts), mutated (random base substitutions) and
cut to a random central stretch (the flanks set to N, as a short sequence is scored), and joined
by dinucleotide shuffles of the positive windows as extra negatives (hard negatives with the
positives' exact composition, so composition alone cannot separate the classes).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from brainresnet_tf.data.shuffle import dinucleotide_shuffle
from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.io.genome import Genome, gather_windows, reverse_complement_codes

SUPERBATCH = 16


class WindowSource:
    """Absolute window starts of a table in a genome's code array, ready to gather batches.

    ``shuffled_negatives`` r adds round(r x positives) rows to every epoch: each a fresh
    dinucleotide shuffle of a positive window (a window positive for any profile), labelled 0 for
    every profile. Its rows follow the table's in the numbering :meth:`batches` shuffles, so
    ``len`` counts them and the epoch's order, strands and shifts cover them like table rows.
    """

    def __init__(self, genome: Genome, table: WindowTable, shuffled_negatives: float = 0.0):
        self.genome = genome
        self.table = table
        self.length = table.context
        # per chromosome code, then one gather per row: no Python loop over rows
        off_of = np.array([genome.offset(c) for c in table.chrom_names], dtype=np.int64)
        size_of = np.array([genome.chrom_sizes[genome.resolve(c)] for c in table.chrom_names], dtype=np.int64)
        off = off_of[table.chrom_code] if len(table) else np.zeros(0, np.int64)
        self.starts = off + table.window_start
        self.lower = off
        self.upper = off + (size_of[table.chrom_code] if len(table) else off)
        # rows positive for any profile: what shuffles are drawn from and motifs are chosen on
        self.positives = np.flatnonzero(np.nan_to_num(table.labels, nan=0.0).max(axis=1, initial=0.0) > 0.5)
        n_shuffled = int(round(shuffled_negatives * len(self.positives))) if len(self.positives) else 0
        self.shuffled_of = self.positives[np.arange(n_shuffled) % max(len(self.positives), 1)]

    def __len__(self) -> int:
        return len(self.starts) + len(self.shuffled_of)

    def codes(self, idx: np.ndarray, shifts: np.ndarray | None = None) -> np.ndarray:
        """Base codes (n, context) of the windows at rows ``idx`` (moved by ``shifts`` bases)."""
        starts = self.starts[idx] if shifts is None else self.starts[idx] + shifts
        return gather_windows(self.genome.codes, starts, self.length, self.lower[idx], self.upper[idx])

    def batches(
        self,
        batch_size: int,
        *,
        shuffle: bool,
        rc_augment: bool,
        seed: int,
        epoch: int = 0,
        shard: tuple[int, int] = (0, 1),
        drop_remainder: bool = False,
        jitter: int = 0,
        mutate: float = 0.0,
        flank_mask: float = 0.0,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (codes uint8 (B, L), labels float32 (B, P)) for one epoch.

        ``jitter`` moves each window by a random shift in [-jitter, jitter] bases (redrawn every
        epoch; bases beyond a chromosome's ends are N), so a model does not learn where in the
        window its features sit. ``mutate`` redraws each base (not N) uniformly from ACGT with
        that probability (see :func:`random_substitutions`). ``flank_mask`` is the probability
        that a window keeps only a random central stretch, its flanks N (see :func:`mask_flanks`).

        Shuffled-negative rows (see the class) are gathered from their positive window (shifted
        like any row), then dinucleotide-shuffled (:func:`shuffle_rows`) and labelled 0.

        ``shard=(i, n)`` keeps every n-th batch starting at i (per-worker input sharding).
        The order, strand, shift and substitutions of every window depend only on (seed, epoch),
        never on the batch size or the shard: worker i of n with batches of B/n together read
        exactly the global batches of B a single process reads (see
        :mod:`brainresnet_tf.train.distributed`).
        """
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(self)) if shuffle else np.arange(len(self))
        flips = rng.random(len(order)) < 0.5 if rc_augment else None
        shifts = rng.integers(-jitter, jitter + 1, len(order)) if jitter > 0 else None
        n_batches = len(order) // batch_size if drop_remainder else -(-len(order) // batch_size)
        n_table = len(self.starts)
        for b in range(shard[0], n_batches, shard[1]):
            idx = order[b * batch_size : (b + 1) * batch_size]
            shift = shifts[b * batch_size : (b + 1) * batch_size] if shifts is not None else None
            extra = idx >= n_table
            rows = np.where(extra, self.shuffled_of[np.maximum(idx - n_table, 0)] if extra.any() else 0, idx)
            codes, labels = self.codes(rows, shift), self.table.labels[rows]
            if extra.any():
                labels[extra] = 0.0
                shuffle_rows(codes, np.flatnonzero(extra), seed, epoch, first_position=b * batch_size)
            if rc_augment:
                flip = flips[b * batch_size : (b + 1) * batch_size]
                if flip.any():
                    codes[flip] = reverse_complement_codes(codes[flip])
            if mutate > 0:
                random_substitutions(codes, mutate, seed, epoch, first_position=b * batch_size)
            if flank_mask > 0:
                mask_flanks(codes, flank_mask, seed, epoch, first_position=b * batch_size)
            yield codes, labels


def shuffle_rows(codes: np.ndarray, rows: np.ndarray, seed: int, epoch: int, first_position: int) -> None:
    """Dinucleotide-shuffle rows ``rows`` of ``codes`` (n, L) in place, each from its own generator
    seeded by (seed, epoch, its position in the epoch's order), as :func:`random_substitutions`."""
    for i in rows.tolist():
        rng = np.random.default_rng([seed, epoch, first_position + i, 0x5F])
        codes[i] = dinucleotide_shuffle(codes[i], rng)


def random_substitutions(codes: np.ndarray, rate: float, seed: int, epoch: int, first_position: int) -> None:
    """Redraw each base of ``codes`` (n, L) uniformly from ACGT with probability ``rate``, in place.

    EvoAug's random-mutation augmentation (Lee et al. 2023, Genome Biology); N stays N. About
    3/4 of the redrawn bases change. Row i draws from its own generator, seeded by (seed, epoch,
    its position ``first_position + i`` in the epoch's order), so a window's substitutions never
    depend on the batch size or the shard. Written here rather than taken from EvoAug, which is
    PyTorch-only and works on one-hot tensors; these are uint8 codes before one-hot expansion.
    """
    for i, row in enumerate(codes):
        rng = np.random.default_rng([seed, epoch, first_position + i, 0xB5E])
        hit = (rng.random(row.shape[0]) < rate) & (row < 4)
        row[hit] = rng.integers(0, 4, int(hit.sum()), dtype=row.dtype)


def mask_flanks(codes: np.ndarray, rate: float, seed: int, epoch: int, first_position: int) -> None:
    """With probability ``rate`` per row of ``codes`` (n, L), keep only a central stretch of
    uniformly random length in [L/4, L] and set the rest to N, in place.

    A short sequence (a 100 bp allele pair, an MPRA oligo) is scored centred in N; trained only
    on whole windows, a model meets that input first at scoring time. Rows draw from their own
    generators, seeded like :func:`random_substitutions`, so no mask depends on the batch size.
    """
    length = codes.shape[1]
    for i, row in enumerate(codes):
        rng = np.random.default_rng([seed, epoch, first_position + i, 0xF1A])
        if rng.random() >= rate:
            continue
        keep = int(rng.integers(length // 4, length + 1))
        lo = (length - keep) // 2
        row[:lo] = 4
        row[lo + keep :] = 4


def codes_to_one_hot(codes: tf.Tensor) -> tf.Tensor:
    """float32 one-hot (..., L, 4) from base codes; code 4 (N) gives all zeros."""
    return tf.one_hot(tf.cast(codes, tf.int32), depth=4, dtype=tf.float32)


def make_dataset(
    source: WindowSource,
    batch_size: int,
    *,
    shuffle: bool = False,
    rc_augment: bool = False,
    seed: int = 0,
    repeat: bool = False,
    shard: tuple[int, int] = (0, 1),
    drop_remainder: bool = False,
    first_epoch: int = 0,
    jitter: int = 0,
    mutate: float = 0.0,
    flank_mask: float = 0.0,
) -> tf.data.Dataset:
    """A dataset of (one-hot float32 (B, L, 4), labels (B, P)) batches over ``source``.

    Each new iteration (Keras starts one per epoch) or, with ``repeat``, each pass reshuffles
    with the seed and the epoch number, counted from ``first_epoch`` (so a resumed run sees the
    same batches it would have seen).
    """
    n_profiles = source.table.labels.shape[1]
    state = {"epoch": first_epoch}

    def generate():
        # Batches travel in groups of SUPERBATCH: from_generator costs a Python round trip per
        # element, so fewer, larger elements (split again by unbatch, in C++) go ~3x faster.
        while True:
            epoch = state["epoch"]
            state["epoch"] += 1
            group_x, group_y = [], []
            for codes, labels in source.batches(
                batch_size,
                shuffle=shuffle,
                rc_augment=rc_augment,
                seed=seed,
                epoch=epoch,
                shard=shard,
                drop_remainder=drop_remainder,
                jitter=jitter,
                mutate=mutate,
                flank_mask=flank_mask,
            ):
                if len(codes) < batch_size:  # the short last batch travels alone
                    yield from _stack(group_x, group_y)
                    group_x, group_y = [], []
                group_x.append(codes)
                group_y.append(labels)
                if len(group_x) == SUPERBATCH:
                    yield from _stack(group_x, group_y)
                    group_x, group_y = [], []
            yield from _stack(group_x, group_y)
            if not repeat:
                return

    signature = (
        tf.TensorSpec((None, None, source.length), tf.uint8),
        tf.TensorSpec((None, None, n_profiles), tf.float32),
    )
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature).unbatch()
    ds = ds.map(
        lambda c, y: (codes_to_one_hot(c), y), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    return ds.prefetch(tf.data.AUTOTUNE)


def _stack(xs: list[np.ndarray], ys: list[np.ndarray]):
    if xs:
        yield np.stack(xs), np.stack(ys)


def steps_per_epoch(
    source: WindowSource, batch_size: int, shard: tuple[int, int] = (0, 1), drop_remainder: bool = False
) -> int:
    """Number of batches one epoch of :func:`make_dataset` yields."""
    n = len(source) // batch_size if drop_remainder else -(-len(source) // batch_size)
    return len(range(shard[0], n, shard[1]))
