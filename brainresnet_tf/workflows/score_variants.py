"""``brainresnet score-variants``: the effect of each variant (SNV, MNV, indel) of a VCF or a
variant table on every profile, or of each pair of ref and alt sequences of a table (``--pairs``,
no genome), with any saved model: ``.keras`` (ResNet, CNN baseline) or the k-mer baseline."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brainresnet_tf.io.vcf import VariantStats
    from brainresnet_tf.variant.pairs import PairStats

from brainresnet_tf.api.variants import PAIR_DEFAULTS
from brainresnet_tf.workflows.common import bars, check_output, positive_int

NAME = "score-variants"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``score-variants`` subcommand's arguments."""
    p = sub.add_parser(
        NAME, help="effect of each variant (SNV, MNV, indel) of a VCF or variant table on every profile"
    )
    p.add_argument(
        "--model",
        required=True,
        help="model.keras (ResNet or CNN baseline) or the k-mer baseline's model.joblib, with its model.json",
    )
    p.add_argument("--genome", help="FASTA the variants' REF alleles come from (with --vcf)")
    p.add_argument(
        "--vcf",
        "--variants",
        dest="vcf",
        help="VCF, or a variant table: BED-like (chrom, 0-based start, end, ref, alt [, id]) or "
        "TSV with a header (chrom, pos, ref, alt [, id]); plain or gzipped",
    )
    p.add_argument(
        "--pairs",
        help="instead of --genome/--vcf: a TSV/CSV (plain or gzipped) with a header and one row "
        "per pair of equal-length sequences: id, ref sequence, alt sequence; each centred in the "
        "model's window as predict --fasta centres a sequence",
    )
    p.add_argument("--id-column", help=f"with --pairs: the id column (default {PAIR_DEFAULTS[0]})")
    p.add_argument("--ref-column", help=f"with --pairs: the ref sequence column (default {PAIR_DEFAULTS[1]})")
    p.add_argument("--alt-column", help=f"with --pairs: the alt sequence column (default {PAIR_DEFAULTS[2]})")
    p.add_argument(
        "--format",
        choices=("vcf", "bed", "tsv"),
        help="input format (default: from the suffix, else the first line)",
    )
    p.add_argument("--out", required=True, help="scores .tsv or .parquet (written as it goes)")
    p.add_argument("--batch-size", type=positive_int, default=256, help="variants per model call")
    p.add_argument(
        "--max-indel",
        type=int,
        help="skip (and count) indels and MNVs changing more bases than this (default 50)",
    )
    p.add_argument(
        "--orient",
        action="store_true",
        help="where REF does not match the genome but ALT does, swap them for scoring and report "
        "the effects in the input's orientation (SWAPPED column, <out>.swapped.tsv); default: "
        "skip them as REF mismatches",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="stop at a REF mismatch, unknown chromosome, position past its end or a record that "
        "is not left-normalised (default: skip, count and list them in <out>.skipped.tsv; "
        "normalise and count)",
    )
    p.add_argument(
        "--region",
        help="only variants in chrom[:start-end] (1-based, inclusive), to split a VCF across processes",
    )
    null = p.add_argument_group(
        "calibrated scores",
        "a null of background variants scored by the same model gives each profile a quantile "
        "(<profile>_quantile: the fraction of matched null |effect| smaller than the variant's), "
        "an empirical p-value (<profile>_pvalue) and max_quantile; the null is cached per model "
        "and genome and reused",
    )
    null.add_argument(
        "--null",
        type=int,
        metavar="N",
        help="draw N background SNVs from the genome (at least 100; 10000 is a good default), "
        "matched to each variant's GC and distance to the nearest peak",
    )
    null.add_argument(
        "--null-vcf",
        metavar="VCF",
        help="instead of --null: a VCF or variant table of common variants to use as the null",
    )
    null.add_argument("--null-seed", type=int, metavar="SEED", help="seed of the --null draw (default 0)")
    null.add_argument(
        "--null-peaks",
        action="append",
        metavar="BED",
        help="peaks for the distance-to-peak matching (repeatable; default: the model's training "
        "peak files when they exist; 'none': GC matching only)",
    )
    null.add_argument(
        "--null-cache",
        metavar="DIR",
        help="folder for the cached null (default: the model's folder, else ~/.cache/brainresnet)",
    )
    engine = p.add_argument_group(
        "distributed scoring (Dask)",
        "score shards of the input in parallel worker processes and join them into the same "
        "output: row ranges of a plain file, or regions of a bgzipped, tabix-indexed one; a "
        "rerun after a kill skips the shards done (kept in <out>.shards/ until the join)",
    )
    engine.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="start a local Dask cluster of N worker processes (sharing this machine's cores)",
    )
    engine.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="join an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (dask-jobqueue, "
        "dask-kubernetes); its workers must see the same files at the same paths",
    )
    engine.add_argument(
        "--shard-size",
        type=int,
        metavar="LINES",
        help="input lines per shard (default 50000): bounds each task's memory and the work a kill loses",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


NULL_FLAGS = ("--null", "--null-vcf", "--null-seed", "--null-peaks", "--null-cache")
ENGINE_FLAGS = ("--workers", "--scheduler", "--shard-size")
GENOME_ONLY = ("--format", "--max-indel", "--strict", "--region", "--orient") + NULL_FLAGS + ENGINE_FLAGS


def _given(args: argparse.Namespace, flags: tuple[str, ...]) -> list[str]:
    """The ``flags`` given on the command line (not left at their default)."""
    return [f for f in flags if getattr(args, f.lstrip("-").replace("-", "_")) not in (None, False)]


def check_mode(args: argparse.Namespace) -> str:
    """``pairs`` or ``genome``: exactly one input mode, its flags only; one-line errors."""
    from brainresnet_tf.errors import InputError

    if args.pairs:
        extra = _given(args, ("--genome", "--vcf") + GENOME_ONLY)
        if extra:
            raise InputError(f"--pairs scores sequence pairs without a genome: drop {', '.join(extra)}")
        return "pairs"
    columns = _given(args, ("--id-column", "--ref-column", "--alt-column"))
    if columns:
        raise InputError(f"{', '.join(columns)} go with --pairs TABLE")
    if args.null is not None and args.null_vcf:
        raise InputError("--null and --null-vcf: give one (a drawn null, or the VCF's variants as the null)")
    options = _given(args, NULL_FLAGS[2:])
    if options and args.null is None and not args.null_vcf:
        raise InputError(f"{', '.join(options)} go with --null N or --null-vcf FILE")
    if not args.vcf or not args.genome:
        missing = "--vcf" if args.genome else "--genome" if args.vcf else "--genome and --vcf"
        raise InputError(
            f"score-variants needs --genome FASTA with --vcf VARIANTS, or --pairs TABLE: give {missing}"
        )
    return "genome"


def run(args: argparse.Namespace) -> int:
    """Score the VCF, or the sequence pairs."""
    mode = check_mode(args)
    if mode == "pairs":
        check_output(args.out, {"--pairs": args.pairs, "--model": args.model})
        run_score_pairs(
            args.model,
            args.pairs,
            args.out,
            columns=(
                args.id_column or PAIR_DEFAULTS[0],
                args.ref_column or PAIR_DEFAULTS[1],
                args.alt_column or PAIR_DEFAULTS[2],
            ),
            batch_size=args.batch_size,
            progress=bars(not args.no_progress),
        )
        return 0
    check_output(args.out, {"--vcf": args.vcf, "--genome": args.genome, "--model": args.model})
    run_score_variants(
        args.model,
        args.genome,
        args.vcf,
        args.out,
        batch_size=args.batch_size,
        strict=args.strict,
        region=args.region,
        progress=bars(not args.no_progress),
        max_indel=50 if args.max_indel is None else args.max_indel,
        format=args.format,
        orient=args.orient,
        null=args.null,
        null_vcf=args.null_vcf,
        null_seed=args.null_seed or 0,
        null_peaks=null_peaks(args.null_peaks),
        null_cache=args.null_cache,
        workers=args.workers,
        scheduler=args.scheduler,
        shard_size=args.shard_size,
    )
    return 0


def null_peaks(values: list[str] | None) -> list[str] | None:
    """``--null-peaks`` values: None (the model's peaks), [] for ``none``, else the files."""
    if values is None:
        return None
    return [] if [v.lower() for v in values] == ["none"] else values


def run_score_variants(
    model_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    vcf: str | os.PathLike,
    out: str | os.PathLike,
    **options: Any,
) -> VariantStats:
    """Score (:func:`~brainresnet_tf.api.variants.score_variant_file`, whose keyword ``options``
    these are; on a Dask cluster with ``workers`` or ``scheduler``), print the counts."""
    from brainresnet_tf.api.variants import score_variant_file

    stats = score_variant_file(model_path, genome_path, vcf, out, log=_stderr, **options)
    print(f"[score-variants] {stats.summary()} -> {out}")
    # imported after scoring: on a cluster, this process need not load TensorFlow before the join
    from brainresnet_tf.variant.scoring import side_paths, swapped_path

    if sum(stats.skipped.values()):
        print(f"[score-variants] skipped alleles listed in {side_paths(Path(out))[0]}")
    if options.get("orient") and stats.oriented:
        print(f"[score-variants] swapped alleles listed in {swapped_path(Path(out))}")
    return stats


def _stderr(message: str) -> None:
    print(f"[score-variants] {message}", file=sys.stderr)


def run_score_pairs(
    model_path: str | os.PathLike,
    pairs_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    columns: tuple[str, str, str] = PAIR_DEFAULTS,
    batch_size: int = 256,
    progress: bool = True,
) -> PairStats:
    """Score the pairs (:func:`~brainresnet_tf.api.variants.score_pair_file`), print the counts."""
    from brainresnet_tf.api.variants import score_pair_file

    stats = score_pair_file(
        model_path, pairs_path, out, columns=columns, batch_size=batch_size, progress=progress, log=_stderr
    )
    print(f"[score-variants] {stats.summary()} -> {out}")
    return stats
