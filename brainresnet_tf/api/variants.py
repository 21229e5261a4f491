"""Scoring a variant file, or a table of sequence pairs, into a scores file: what
``score-variants`` runs and :meth:`Model.score_variants <brainresnet_tf.api.model.Model.score_variants>`
reads back as a table."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brainresnet_tf.api.model import Model
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.vcf import VariantStats
    from brainresnet_tf.variant.pairs import PairStats

Log = Callable[[str], None]
PAIR_DEFAULTS = ("id", "ref_seq", "alt_seq")  # io.sequence_pairs.PAIR_COLUMNS, without importing it


def _check_batch_size(batch_size: int) -> None:
    from brainresnet_tf.errors import InputError

    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size}: must be at least 1")


def _loaded(model: Model | str | os.PathLike) -> Model:
    from brainresnet_tf.api.model import load_model

    return load_model(model) if isinstance(model, (str, os.PathLike)) else model


def score_variant_file(
    model: Model | str | os.PathLike,
    genome: Genome | str | os.PathLike | None,
    vcf: str | os.PathLike,
    out: str | os.PathLike,
    *,
    batch_size: int = 256,
    strict: bool = False,
    region: str | None = None,
    progress: bool = False,
    max_indel: int = 50,
    format: str | None = None,
    orient: bool = False,
    null: int | None = None,
    null_vcf: str | os.PathLike | None = None,
    null_seed: int = 0,
    null_peaks: list[str] | None = None,
    null_cache: str | os.PathLike | None = None,
    log: Log | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    shard_size: int | None = None,
    keep_shards: bool = False,
) -> VariantStats:
    """Score every allele of ``vcf`` (a VCF or variant table) into ``out`` (.tsv, .tsv.gz or
    .parquet, with ``<out stem>.skipped.tsv`` and ``.summary.json`` beside it), [against a null of
    ``null`` drawn SNVs or of ``null_vcf``'s alleles, scored or reused from its cache]; returns the
    counts. ``model`` and ``genome`` may be paths, loaded once the arguments are checked.

    ``workers`` (a local cluster of that many processes) or ``scheduler`` (a Dask scheduler's
    address, or a ``distributed.Client``): score shards of ``shard_size`` lines in parallel
    (:mod:`brainresnet_tf.variant.engine`; the same output), ``keep_shards`` leaving
    ``<out>.shards/`` after the join. ``log`` receives the skipped alleles worth a look and the
    null's progress (the lines ``score-variants`` prints to stderr, untagged).
    """
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.io.vcf import Region

    _check_batch_size(batch_size)
    if max_indel < 0:
        raise InputError(f"--max-indel {max_indel}: must be 0 or more")
    parsed = Region.parse(region) if region else None
    null_args = None
    if null is not None or null_vcf:
        null_args = {
            "n": null,
            "seed": null_seed,
            "vcf": null_vcf,
            "peaks": null_peaks,
            "cache_dir": null_cache,
        }
    if workers is not None or scheduler is not None or shard_size is not None:
        options = {"batch_size": batch_size, "strict": strict, "region": region, "max_indel": max_indel}
        options.update(format=format, orient=orient, progress=progress, log=log, keep_shards=keep_shards)
        return _score_on_cluster(model, genome, vcf, out, workers, scheduler, shard_size, null_args, options)
    from brainresnet_tf.variant.scoring import score_variants

    model = _loaded(model)
    genome = model.genome(genome)
    calibration = None
    if null is not None or null_vcf:
        from brainresnet_tf.variant.null import prepare_null

        calibration = prepare_null(
            model.network,
            model.meta,
            genome,
            model.path,
            **null_args,
            batch_size=batch_size,
            max_indel=max_indel,
            progress=progress,
            log=log,
        )
    return score_variants(
        model.network,
        model.meta,
        genome,
        vcf,
        out,
        batch_size,
        strict,
        parsed,
        progress,
        log=log,
        max_indel=max_indel,
        format=format,
        orient=orient,
        calibration=calibration,
    )


def _score_on_cluster(
    model: Model | str | os.PathLike,
    genome: Genome | str | os.PathLike | None,
    vcf: str | os.PathLike,
    out: str | os.PathLike,
    workers: int | None,
    scheduler: Any,
    shard_size: int | None,
    null: dict | None,
    options: dict,
) -> VariantStats:
    """:func:`score_variant_file` on a Dask cluster: the input checked and its split planned before
    the cluster starts; the model loads on the workers only."""
    from brainresnet_tf.api.cluster import check_cluster_args, dask_client
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.variant.engine import DEFAULT_SHARD_SIZE, check_input, score_on_cluster

    if workers is None and scheduler is None:
        raise InputError("--shard-size goes with --workers N or --scheduler ADDRESS")
    check_cluster_args(workers, scheduler)
    shard_size = DEFAULT_SHARD_SIZE if shard_size is None else shard_size
    if shard_size < 1:
        raise InputError(f"--shard-size {shard_size}: must be at least 1 (lines per shard)")
    model_path = model if isinstance(model, (str, os.PathLike)) else model.path
    if model_path is None:
        raise InputError("scoring on a cluster needs a saved model: give its path")
    if genome is None:
        from brainresnet_tf.models.saving import genome_path_for, read_meta

        genome = genome_path_for(None, read_meta(model_path))
    genome = genome if isinstance(genome, Genome) else Genome(genome)
    _ = genome.codes  # the encoding is built once, here, before the workers read it
    flag = "--scheduler" if scheduler is not None else "--workers"
    check = {k: options[k] for k in ("strict", "region", "max_indel", "format", "orient")}
    info = check_input(vcf, genome, **check, flag=flag)
    options = {k: v for k, v in options.items() if k != "format"}  # info has it
    with dask_client(workers, scheduler) as client:
        return score_on_cluster(
            client, model_path, genome.path, vcf, out, info, shard_size=shard_size, null=null, **options
        )


def score_pair_file(
    model: Model | str | os.PathLike,
    pairs_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    columns: tuple[str, str, str] = PAIR_DEFAULTS,
    batch_size: int = 256,
    progress: bool = False,
    log: Log | None = None,
) -> PairStats:
    """Read and check the whole pair table (id, ref and alt ``columns``) before the model loads (a
    path) or any output is written, then score every pair into ``out`` (with ``<out
    stem>.summary.json``); returns the counts. ``log`` receives the note on pairs whose
    differences fall outside the window."""
    from brainresnet_tf.io.sequence_pairs import read_sequence_pairs
    from brainresnet_tf.variant.pairs import score_pairs

    _check_batch_size(batch_size)
    pairs = read_sequence_pairs(pairs_path, *columns)
    model = _loaded(model)
    return score_pairs(
        model.network,
        model.meta,
        pairs,
        out,
        batch_size,
        progress,
        table=pairs_path,
        columns=columns,
        log=log,
    )
