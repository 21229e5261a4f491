"""``brainresnet validate-variants``: variant scores vs measured allelic imbalance or effects."""

from __future__ import annotations

import argparse

from brainresnet_tf.workflows.common import check_output, int_list, positive_int

NAME = "validate-variants"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``validate-variants`` subcommand's arguments."""
    p = sub.add_parser(
        NAME,
        help="variant scores vs measured allelic imbalance or effects: enrichment, Spearman, bootstrap",
    )
    p.add_argument("--scores", required=True, help="score-variants output (.tsv or .parquet)")
    p.add_argument(
        "--observed",
        required=True,
        help="table: chrom,pos,ref,alt or variant_id/id/rsid; ref_reads,alt_reads or log_ratio; "
        "significant (the last two optional with --effect-column)",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--score-column",
        default="max_abs_diff",
        help="ranking score (by |value|); 'quantile': the calibrated quantile of score-variants "
        "--null (<profile>_quantile with --profile, else max_quantile; ties ranked by the effect)",
    )
    p.add_argument(
        "--comparators",
        default="",
        help="other score columns (scores or observed table), comma-separated; 'quantile' as above",
    )
    p.add_argument("--top-k", default="50,100,200", help="comma-separated k values")
    p.add_argument(
        "--profile",
        help="profile whose log(p_ref/p_alt) is compared with the observed "
        "log(ref/alt) (default: each variant's max_abs_profile); with --effect-column its "
        "<profile>_logit_diff is the prediction",
    )
    p.add_argument(
        "--effect-column",
        help="observed column with a measured effect of ALT relative to REF (QTL beta, "
        "log2(alt/ref)); positive = ALT higher. Adds Spearman, Pearson and sign agreement with "
        "bootstrap intervals (quantitative.tsv)",
    )
    p.add_argument(
        "--effect-score",
        help="signed prediction compared with --effect-column (default: the one profile's "
        "<profile>_logit_diff or _log2fc, or that of --profile)",
    )
    p.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=PATH[:COLUMN]",
        help="another model's score-variants output, compared (paired bootstrap) on the "
        "same variants; COLUMN defaults to the effect score column (repeatable)",
    )
    p.add_argument("--bootstrap", type=positive_int, default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    return p


def run(args: argparse.Namespace) -> int:
    """Validate and print the summary."""
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.variant.validation import format_summary, parse_compare, validate_variants

    compare = [parse_compare(spec) for spec in args.compare]
    if args.effect_column is None and (compare or args.effect_score):
        flag = "--compare" if compare else "--effect-score"
        raise InputError(f"{flag} needs --effect-column (the measured effect to compare with)")
    inputs = {"--scores": args.scores, "--observed": args.observed}
    inputs.update({f"--compare {name}": path for name, path, _ in compare})
    check_output(args.out, inputs, folder=True)
    top_k = int_list(args.top_k, "--top-k")
    comparators = [c.strip() for c in args.comparators.split(",") if c.strip()]
    summary = validate_variants(
        args.scores,
        args.observed,
        args.out,
        args.score_column,
        comparators,
        top_k,
        args.profile,
        effect_column=args.effect_column,
        effect_score=args.effect_score,
        compare=compare,
        n_boot=args.bootstrap,
        seed=args.seed,
    )
    print(format_summary(summary))
    print(f"[validate-variants] {', '.join(summary['outputs'])} -> {args.out}")
    return 0
