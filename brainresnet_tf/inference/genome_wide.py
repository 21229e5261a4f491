"""Genome-wide prediction tracks: one bigWig per profile, one value per bin of the model.

Each bin ``[k * bin_size, (k + 1) * bin_size)`` of a chromosome gets the strand-averaged
prediction of the model's window centred on it (windows past a chromosome's ends are N-padded).
Chromosomes are predicted one at a time; each finished chromosome is written atomically to
``<out>/.partial/<chrom>.npy``, so a killed run resumes where it stopped and never redoes a
finished chromosome. The bigWigs are assembled from those files at the end (atomically), then
the partial folder is removed. Gathering windows (a thread, from a short-lived memory map of the
chromosome) overlaps the model calls, so throughput stays near the model's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from tqdm.auto import tqdm

from brainresnet_tf.data.windows import default_chroms
from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.predict import Predictor, prefetch
from brainresnet_tf.io.atomic import atomic_open, write_json
from brainresnet_tf.io.bigwig import write_binned_bigwig
from brainresnet_tf.io.genome import Genome, gather_windows
from brainresnet_tf.io.identity import file_identity
from brainresnet_tf.models.saving import ModelMeta

PARTIAL = ".partial"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class GenomeWideResult:
    """What a genome-wide run wrote and how fast it went."""

    bigwigs: dict[str, Path]
    chroms: list[str]
    windows: int  # windows predicted in this run (resumed chromosomes not counted)
    seconds: float  # predicting them (not assembling the bigWigs)
    resumed: list[str] = field(default_factory=list)  # chromosomes found finished
    assemble_seconds: float = 0.0  # writing the bigWigs from the per-chromosome results

    @property
    def windows_per_s(self) -> float:
        """Windows predicted per second in this run."""
        return self.windows / self.seconds if self.seconds > 0 else float("nan")


def bin_count(size: int, bin_size: int) -> int:
    """Bins of a chromosome, the last one possibly short."""
    return -(-size // bin_size)


def window_starts(n_bins: int, bin_size: int, length: int) -> np.ndarray:
    """Start of the ``length``-bp window centred on each bin."""
    return np.arange(n_bins, dtype=np.int64) * bin_size + bin_size // 2 - length // 2


def chromosomes(genome: Genome, chroms: list[str] | None) -> list[str]:
    """The chromosomes to predict: ``chroms`` resolved (in genome order), else the main ones."""
    if not chroms:
        return default_chroms(genome)
    names = {genome.resolve(c) for c in chroms}
    return [c for c in genome.chrom_sizes if c in names]


def _partial_name(chrom: str) -> str:
    return _SAFE.sub("_", chrom) + ".npy"


def partial_folder(
    out_dir: Path,
    meta: ModelMeta,
    genome: Genome,
    model_path: str | os.PathLike | None,
    say: Callable[[str], None],
) -> Path:
    """``<out_dir>/.partial``, stamped with the model, genome and bins its results are of; the
    results of another are discarded."""
    partial = out_dir / PARTIAL
    made_by = {
        "model": file_identity(model_path),
        "model_json": file_identity(Path(model_path).with_suffix(".json")) if model_path else None,
        "genome": file_identity(genome.path),
        "bin_size": int(meta.bin_size),
        "input_length": int(meta.input_length),
        "profiles": list(meta.profiles),
    }
    stamp = partial / "made_by.json"
    if stamp.exists() and json.loads(stamp.read_text()) != made_by:
        say(f"{partial}: partial results of another model, genome or bin size: discarding them")
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    if not stamp.exists():
        write_json(stamp, made_by)
    return partial


def partial_path(partial: Path, chrom: str) -> Path:
    """The finished predictions of ``chrom`` in a partial folder."""
    return partial / _partial_name(chrom)


def predict_chromosome_file(
    predictor: Predictor,
    genome: Genome,
    chrom: str,
    partial: Path,
    meta: ModelMeta,
    batch_size: int,
    bar: tqdm | None = None,
) -> tuple[int, float]:
    """Predict every bin of ``chrom`` into its partial file (atomically); (windows, seconds)."""
    t0 = time.perf_counter()
    bar = bar if bar is not None else tqdm(disable=True)
    preds = _predict_chromosome(
        predictor, genome, chrom, int(meta.bin_size), int(meta.input_length), batch_size, bar
    )
    with atomic_open(partial_path(partial, chrom), "wb") as fh:
        np.save(fh, preds)
    return len(preds), time.perf_counter() - t0


def check_bins(meta: ModelMeta) -> None:
    """One-line error for a model whose metadata has no usable bin size."""
    if int(meta.bin_size) < 1:
        raise InputError(f"model metadata: bin_size {meta.bin_size} is not a positive number of bp")


def predict_genome_wide(
    model: keras.Model | Predictor | None,
    meta: ModelMeta,
    genome: Genome,
    out_dir: str | os.PathLike,
    chroms: list[str] | None = None,
    *,
    batch_size: int = 256,
    model_path: str | os.PathLike | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> GenomeWideResult:
    """Predict every bin of ``chroms`` and write ``<out_dir>/<profile>.bw`` (resumable).

    ``model`` may be a :class:`Predictor` already traced (several runs with one model), or None
    when every chromosome is predicted already (by the workers of
    :mod:`brainresnet_tf.inference.genome_wide_engine`): the bigWigs are then only assembled.

    ``log`` gets one line per chromosome (finished, or found finished by an earlier run) and
    one when partial results of another model or genome are discarded.
    """
    say = log or (lambda _line: None)
    out_dir = Path(out_dir)
    names = chromosomes(genome, chroms)
    if not names:
        raise InputError("--chroms: no chromosome to predict")
    check_bins(meta)
    bin_size = int(meta.bin_size)
    partial = partial_folder(out_dir, meta, genome, model_path, say)
    todo = [c for c in names if not partial_path(partial, c).exists()]
    resumed = [c for c in names if c not in todo]
    if resumed:
        say(f"resuming: {len(resumed)} chromosomes already predicted ({', '.join(resumed[:5])}...)")
    if todo and model is None:
        raise InputError(f"{partial}: {', '.join(todo[:5])} not predicted yet and no model given")
    predictor = model if isinstance(model, Predictor) or model is None else Predictor(model)
    total = sum(bin_count(genome.chrom_sizes[c], bin_size) for c in todo)
    bar = tqdm(total=total, unit="win", unit_scale=True, desc="genome-wide", disable=not progress)
    seconds = 0.0
    try:
        for chrom in todo:
            windows, took = predict_chromosome_file(predictor, genome, chrom, partial, meta, batch_size, bar)
            seconds += took
            say(f"{chrom}: {windows:,} windows in {took:.1f} s ({windows / max(took, 1e-9):,.0f} windows/s)")
    finally:
        bar.close()

    sizes = {c: genome.chrom_sizes[c] for c in names}
    t0 = time.perf_counter()
    bigwigs = {}
    for i, profile in enumerate(meta.profiles):
        path = out_dir / f"{_SAFE.sub('_', profile)}.bw"
        write_binned_bigwig(
            path, sizes, lambda c, i=i: np.load(partial_path(partial, c), mmap_mode="r")[:, i], bin_size
        )
        bigwigs[profile] = path
    shutil.rmtree(partial)
    return GenomeWideResult(bigwigs, names, total, seconds, resumed, time.perf_counter() - t0)


def _predict_chromosome(
    predictor: Predictor, genome: Genome, chrom: str, bin_size: int, length: int, batch_size: int, bar
) -> np.ndarray:
    """(bins, profiles) float32 predictions of one chromosome."""
    size = genome.chrom_sizes[chrom]
    seg = genome.segment(chrom)
    starts = window_starts(bin_count(size, bin_size), bin_size, length)
    lower, upper = np.zeros(batch_size, np.int64), np.full(batch_size, size, np.int64)

    def batches() -> Iterator[tuple[int, int, np.ndarray]]:
        for lo in range(0, len(starts), batch_size):
            part = starts[lo : lo + batch_size]
            n = len(part)
            if n < batch_size:  # the short last batch is padded: one traced shape for the model
                part = np.concatenate([part, np.full(batch_size - n, -length, np.int64)])
            yield lo, n, gather_windows(seg, part, length, lower, upper)

    out = None
    for lo, n, codes in prefetch(batches(), depth=4):
        preds = predictor(codes)
        if out is None:
            out = np.empty((len(starts), preds.shape[1]), np.float32)
        out[lo : lo + n] = preds[:n]
        bar.update(n)
    seg = None  # unmapped: its pages leave memory
    return out if out is not None else np.zeros((0, 0), np.float32)
