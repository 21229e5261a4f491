"""``brainresnet score-variants``: the effect of each variant (SNV, MNV, indel) of a VCF or a
variant table on every profile."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brainresnet_tf.io.vcf import VariantStats

from brainresnet_tf.workflows.common import bars, check_output, positive_int

NAME = "score-variants"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``score-variants`` subcommand's arguments."""
    p = sub.add_parser(
        NAME, help="effect of each variant (SNV, MNV, indel) of a VCF or variant table on every profile"
    )
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", required=True, help="FASTA the variants' REF alleles come from")
    p.add_argument(
        "--vcf",
        "--variants",
        dest="vcf",
        required=True,
        help="VCF, or a variant table: BED-like (chrom, 0-based start, end, ref, alt [, id]) or "
        "TSV with a header (chrom, pos, ref, alt [, id]); plain or gzipped",
    )
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
        default=50,
        help="skip (and count) indels and MNVs changing more bases than this (default 50)",
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


def run(args: argparse.Namespace) -> int:
    """Score the VCF."""
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
        max_indel=args.max_indel,
        format=args.format,
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
) -> VariantStats:
    """Load the model and genome, score, print the counts."""
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.vcf import Region
    from brainresnet_tf.models.saving import load_model
    from brainresnet_tf.variant.scoring import score_variants, side_paths

    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size}: must be at least 1")
    if max_indel < 0:
        raise InputError(f"--max-indel {max_indel}: must be 0 or more")
    parsed = Region.parse(region) if region else None
    model, meta = load_model(model_path)
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
    )
    print(f"[score-variants] {stats.summary()} -> {out}")
    if sum(stats.skipped.values()):
        print(f"[score-variants] skipped alleles listed in {side_paths(Path(out))[0]}")
    return stats
