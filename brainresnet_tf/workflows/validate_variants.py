"""``brainresnet validate-variants``: variant scores vs measured allelic imbalance."""

from __future__ import annotations

import argparse

from brainresnet_tf.workflows.common import check_output, int_list

NAME = "validate-variants"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``validate-variants`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="variant scores vs measured allelic imbalance: enrichment, Spearman")
    p.add_argument("--scores", required=True, help="score-variants output (.tsv or .parquet)")
    p.add_argument(
        "--observed",
        required=True,
        help="allelic table: chrom,pos,ref,alt or variant_id; ref_reads,alt_reads or log_ratio; significant",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--score-column", default="max_abs_diff", help="ranking score (by |value|)")
    p.add_argument("--comparators", default="", help="other score columns, comma-separated")
    p.add_argument("--top-k", default="50,100,200", help="comma-separated k values")
    p.add_argument(
        "--profile",
        help="profile whose log(p_ref/p_alt) is compared with the observed "
        "log(ref/alt) (default: each variant's max_abs_profile)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Validate and print the summary."""
    check_output(args.out, {"--scores": args.scores, "--observed": args.observed}, folder=True)
    from brainresnet_tf.variant.validation import format_summary, validate_variants

    top_k = int_list(args.top_k, "--top-k")
    comparators = [c.strip() for c in args.comparators.split(",") if c.strip()]
    summary = validate_variants(
        args.scores, args.observed, args.out, args.score_column, comparators, top_k, args.profile
    )
    print(format_summary(summary))
    print(
        f"[validate-variants] enrichment.tsv, validation.json, joined.tsv, enrichment.png, "
        f"scatter.png -> {args.out}"
    )
    return 0
