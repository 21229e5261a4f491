"""Genome-wide tracks on a Dask cluster (``predict --genome-wide --workers N`` / ``--scheduler``):
whole chromosomes as shards.

Each task predicts one chromosome into ``<out>/.partial/<chrom>.npy`` (atomically), the same file
a single process writes, with the model loaded once per worker process
(:mod:`brainresnet_tf.inference.workers`); a chromosome whose file exists is not predicted again,
so a rerun after a kill, or the scheduler re-running the task of a worker that died, redoes
nothing. The client then assembles the bigWigs as one process does
(:func:`~brainresnet_tf.inference.genome_wide.predict_genome_wide` with every chromosome done).
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference import workers
from brainresnet_tf.inference.genome_wide import (
    GenomeWideResult,
    bin_count,
    check_bins,
    chromosomes,
    partial_folder,
    partial_path,
    predict_chromosome_file,
    predict_genome_wide,
)
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.identity import file_digest
from brainresnet_tf.models.saving import ModelMeta


def chromosome_task(model: str, digest: str, genome: str, partial: str, chrom: str, batch_size: int) -> dict:
    """Predict ``chrom`` into its partial file unless it is there; (chrom, windows, seconds)."""
    if partial_path(Path(partial), chrom).exists():
        return {"chrom": chrom, "windows": 0, "seconds": 0.0}
    workers.quiet_tensorflow()
    from brainresnet_tf.inference.predict import Predictor

    network, meta = workers.saved_model(model, digest)
    predictor = workers.cached(("predictor", model, digest), lambda: Predictor(network))
    windows, seconds = predict_chromosome_file(
        predictor, workers.genome(genome), chrom, Path(partial), meta, batch_size
    )
    return {"chrom": chrom, "windows": windows, "seconds": seconds}


def predict_genome_wide_on_cluster(
    client: Any,
    model_path: str | os.PathLike,
    meta: ModelMeta,
    genome: Genome,
    out_dir: str | os.PathLike,
    chroms: list[str] | None = None,
    *,
    batch_size: int = 256,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> GenomeWideResult:
    """:func:`~brainresnet_tf.inference.genome_wide.predict_genome_wide` with one task per
    chromosome on the cluster of ``client`` (a ``distributed.Client``); the same bigWigs."""
    from distributed import as_completed

    say = log or (lambda _line: None)
    out_dir = Path(out_dir).resolve()
    names = chromosomes(genome, chroms)
    if not names:
        raise InputError("--chroms: no chromosome to predict")
    check_bins(meta)
    _ = genome.codes  # the encoding is built once, here, before the workers read it
    partial = partial_folder(out_dir, meta, genome, model_path, say)
    todo = [c for c in names if not partial_path(partial, c).exists()]
    model = str(Path(model_path).resolve())
    digest = file_digest(model, Path(model).with_suffix(".json"))
    tag = uuid.uuid4().hex[:8]
    args = (model, digest, str(Path(genome.path).resolve()), str(partial))
    futures = [
        client.submit(chromosome_task, *args, c, batch_size, key=f"genome-wide-{c}-{tag}") for c in todo
    ]
    sizes = {c: bin_count(genome.chrom_sizes[c], int(meta.bin_size)) for c in todo}
    bar = tqdm(
        total=sum(sizes.values()), unit="win", unit_scale=True, desc="genome-wide", disable=not progress
    )
    t0, windows = time.perf_counter(), 0
    try:
        for future in as_completed(futures, loop=client.loop):
            done = future.result()
            windows += done["windows"]
            bar.update(sizes[done["chrom"]])
            say(f"{done['chrom']}: {done['windows']:,} windows in {done['seconds']:.1f} s on a worker")
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    result = predict_genome_wide(
        None, meta, genome, out_dir, names, batch_size=batch_size, model_path=model_path, progress=False
    )
    resumed = [c for c in names if c not in todo]
    return dataclasses.replace(result, windows=windows, seconds=seconds, resumed=resumed)
