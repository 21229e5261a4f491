"""``brainresnet score-variants``: the effect of each variant (SNV, MNV, indel) of a VCF or a
variant table on every profile, or of each pair of ref and alt sequences of a table (``--pairs``,
no genome), with any saved model: ``.keras`` (ResNet, CNN baseline) or the k-mer baseline."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brainresnet_tf.io.vcf import VariantStats
    from brainresnet_tf.variant.pairs import PairStats

from brainresnet_tf.workflows.common import bars, check_output, positive_int

NAME = "score-variants"
PAIR_DEFAULTS = ("id", "ref_seq", "alt_seq")  # io.sequence_pairs.PAIR_COLUMNS, without importing it


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
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


GENOME_ONLY = ("--format", "--max-indel", "--strict", "--region", "--orient")


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
    )
    return 0


def run_score_variants(
    model_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    vcf: str | os.PathLike,
    out: str | os.PathLike,
    *,
    batch_size: int = 256,
    strict: bool = False,
    region: str | None = None,
    progress: bool = True,
    max_indel: int = 50,
    format: str | None = None,
    orient: bool = False,
) -> VariantStats:
    """Load the model (any kind) and genome, score, print the counts."""
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.inference.predictors import load_predictor
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.vcf import Region
    from brainresnet_tf.variant.scoring import score_variants, side_paths, swapped_path

    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size}: must be at least 1")
    if max_indel < 0:
        raise InputError(f"--max-indel {max_indel}: must be 0 or more")
    parsed = Region.parse(region) if region else None
    model, meta = load_predictor(model_path, rc_average=False)
    genome = Genome(genome_path)
    stats = score_variants(
        model,
        meta,
        genome,
        vcf,
        out,
        batch_size,
        strict,
        parsed,
        progress,
        log=lambda m: print(f"[score-variants] {m}", file=sys.stderr),
        max_indel=max_indel,
        format=format,
        orient=orient,
    )
    print(f"[score-variants] {stats.summary()} -> {out}")
    if sum(stats.skipped.values()):
        print(f"[score-variants] skipped alleles listed in {side_paths(Path(out))[0]}")
    if orient and stats.oriented:
        print(f"[score-variants] swapped alleles listed in {swapped_path(Path(out))}")
    return stats


def run_score_pairs(
    model_path: str | os.PathLike,
    pairs_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    columns: tuple[str, str, str] = PAIR_DEFAULTS,
    batch_size: int = 256,
    progress: bool = True,
) -> PairStats:
    """Read and check the whole pair table (before any output), load the model, score, print."""
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.inference.predictors import load_predictor
    from brainresnet_tf.io.sequence_pairs import read_sequence_pairs
    from brainresnet_tf.variant.pairs import score_pairs

    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size}: must be at least 1")
    pairs = read_sequence_pairs(pairs_path, *columns)
    model, meta = load_predictor(model_path, rc_average=False)
    stats = score_pairs(
        model,
        meta,
        pairs,
        out,
        batch_size,
        progress,
        table=pairs_path,
        columns=columns,
        log=lambda m: print(f"[score-variants] {m}", file=sys.stderr),
    )
    print(f"[score-variants] {stats.summary()} -> {out}")
    return stats
