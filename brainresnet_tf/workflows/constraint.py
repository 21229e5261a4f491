"""``brainresnet constraint``: conservation and allele frequency of the top-scored variants."""

from __future__ import annotations

import argparse
from pathlib import Path

from brainresnet_tf.workflows.common import int_list, say

NAME = "constraint"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``constraint`` subcommand's arguments."""
    p = sub.add_parser(
        NAME,
        help="top-scored variants vs the rest: conservation tracks (GERP, phyloP) and allele frequency",
    )
    p.add_argument(
        "--scores", required=True, help="score-variants output, or any table with CHROM, POS and a score"
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--track",
        action="append",
        default=[],
        metavar="[NAME=]PATH",
        help="annotation bigWig, e.g. GERP=gerp.bw (repeatable; NAME defaults to the file name)",
    )
    p.add_argument("--score-column", default="max_abs_diff", help="ranking score (by |value|)")
    p.add_argument("--top-k", default="50,100,200", help="comma-separated k values")
    p.add_argument("--seed", type=int, default=0, help="seed of the random comparison samples")
    p.add_argument(
        "--alternative",
        default="greater",
        choices=["greater", "less", "two-sided"],
        help="Mann-Whitney alternative for the tracks (top k vs other); MAF is always tested 'less'",
    )
    af = p.add_argument_group("allele frequency (optional)")
    af.add_argument(
        "--af-vcf", help="VCF whose INFO holds the allele frequency (joined on CHROM POS REF ALT)"
    )
    af.add_argument("--af-key", default="AF", help="INFO key: AF, MAF, AF_nfe, ... (default AF)")
    af.add_argument(
        "--af-column",
        help="allele-frequency column of the scores table, or of --af-table",
    )
    af.add_argument("--af-table", help="table with variant keys and --af-column")
    af.add_argument(
        "--rare", type=float, default=0.01, help="MAF below which a variant is rare (default 0.01)"
    )
    p.add_argument("--chunksize", type=int, default=200_000, help="rows read at a time")
    return p


def parse_track(text: str) -> tuple[str, str]:
    """``NAME=PATH`` or ``PATH`` (name: the file name up to its first dot)."""
    name, eq, path = text.partition("=")
    if eq and name and path:
        return name, path
    return Path(text).name.split(".")[0], text


def run(args: argparse.Namespace) -> int:
    """Run the analysis and print the summary."""
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.variant.constraint import AlleleFrequencySource, constraint_analysis, format_summary

    if args.af_vcf and args.af_column:
        raise InputError("give either --af-vcf (with --af-key) or --af-column, not both")
    if args.af_table and not args.af_column:
        raise InputError("--af-table needs --af-column (the allele-frequency column)")
    source = None
    if args.af_vcf:
        source = AlleleFrequencySource(vcf=args.af_vcf, key=args.af_key)
    elif args.af_column:
        source = AlleleFrequencySource(column=args.af_column, table=args.af_table)
    summary = constraint_analysis(
        args.scores,
        args.out,
        [parse_track(t) for t in args.track],
        source,
        score_column=args.score_column,
        top_k=int_list(args.top_k, "--top-k"),
        seed=args.seed,
        rare=args.rare,
        alternative=args.alternative,
        chunksize=args.chunksize,
        log=say,
    )
    print(format_summary(summary))
    outputs = ["annotated.tsv", "constraint.tsv", "constraint.json"]
    outputs += ["distribution.png"] if summary["tracks"] else []
    outputs += ["maf_deciles.tsv", "maf_deciles.png"] if "allele_frequency" in summary else []
    print(f"[constraint] {', '.join(outputs)} -> {args.out}")
    return 0
