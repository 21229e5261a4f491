"""``brainresnet variant-heatmap``: variants x profiles of predicted effects, grouped by locus."""

from __future__ import annotations

import argparse

NAME = "variant-heatmap"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``variant-heatmap`` subcommand's arguments."""
    p = sub.add_parser(
        NAME, help="heatmap of predicted variant effects (variants x profiles), grouped by locus"
    )
    p.add_argument("--scores", required=True, help="score-variants output (.tsv or .parquet)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--value",
        default="diff",
        choices=["diff", "logit_diff", "quantile"],
        help="effect to draw; quantile: the calibrated quantile of score-variants --null (0 to 1)",
    )
    p.add_argument(
        "--loci",
        help="TSV variant id -> locus (credible set, GWAS locus, element): draws those variants, grouped",
    )
    p.add_argument("--top", type=int, help="without --loci: the N variants with the largest |--score-column|")
    p.add_argument("--score-column", default="max_abs_diff", help="ranking column for --top")
    p.add_argument(
        "--cluster", action="store_true", help="order profiles, and variants within loci, by clustering"
    )
    p.add_argument(
        "--locus-order",
        default="effect",
        choices=["effect", "file"],
        help="loci by largest |effect| or as listed",
    )
    p.add_argument("--rows-per-page", type=int, default=50, help="variants per page (more pages beyond)")
    p.add_argument("--max-pages", type=int, default=20, help="refuse to draw more pages than this")
    p.add_argument("--vmax", type=float, help="colour limit (default: the largest |effect| drawn)")
    return p


def run(args: argparse.Namespace) -> int:
    """Draw the heatmap page(s)."""
    from brainresnet_tf.variant.heatmap import variant_heatmap

    summary = variant_heatmap(
        args.scores,
        args.out,
        value=args.value,
        loci=args.loci,
        top=args.top,
        cluster=args.cluster,
        rows_per_page=args.rows_per_page,
        locus_order=args.locus_order,
        vmax=args.vmax,
        max_pages=args.max_pages,
        score_column=args.score_column,
    )
    missing = (
        f"; {summary['n_missing']} listed variant(s) not in the scores" if summary.get("n_missing") else ""
    )
    print(
        f"[variant-heatmap] {summary['n_variants']} variants x {len(summary['profiles'])} profiles"
        + (f" in {summary['n_loci']} loci" if summary["n_loci"] else "")
        + f", {summary['pages']} page(s){missing}: {', '.join(summary['files'][:4])}"
        + (" ..." if len(summary["files"]) > 4 else "")
        + f" -> {args.out}"
    )
    return 0
