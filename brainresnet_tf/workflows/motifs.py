"""``brainresnet motifs``: attributions over chosen windows -> TF-MoDISco -> TOMTOM vs JASPAR; a
shell over :func:`brainresnet_tf.api.motifs.motifs` (which says what it writes into ``--out``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from brainresnet_tf.workflows.attribute import add_attribution_args
from brainresnet_tf.workflows.common import add_strict_peaks_arg, bars, check_output, positive_int

NAME = "motifs"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``motifs`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="attributions -> TF-MoDISco patterns -> TOMTOM vs JASPAR")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    p.add_argument(
        "--regions",
        nargs="+",
        metavar="BED",
        help="BED/narrowPeak files; windows centred on each region (with --top-k: the candidates)",
    )
    p.add_argument(
        "--fasta",
        help="explain sequences instead of genome regions (each centred in the model's "
        "window; with --top-k: the candidates)",
    )
    p.add_argument(
        "--top-k",
        type=positive_int,
        help="explain the k windows the model scores highest for "
        "the task (with --contrast: k/2 most specific to each side), among --regions "
        "or genome-wide bins",
    )
    add_strict_peaks_arg(p, regions=True)
    p.add_argument("--out", required=True, help="output directory")
    add_attribution_args(p)
    p.add_argument("--window", type=positive_int, help="central bases given to TF-MoDISco (default all)")
    p.add_argument(
        "--max-seqlets",
        type=positive_int,
        default=20000,
        help="TF-MoDISco seqlets per sign (its API default)",
    )
    p.add_argument("--n-leiden", type=positive_int, default=2, help="TF-MoDISco Leiden runs")
    p.add_argument("--jaspar-release", default="JASPAR2024", help="pyjaspar release to match against")
    p.add_argument(
        "--truth",
        help="synthetic data folder (motif_sites.tsv, elements.tsv) to check "
        "against; default: the genome's folder if it has them; none: off",
    )
    p.add_argument(
        "--min-auroc",
        type=float,
        default=0.6,
        help="name no pattern when the model's test AUROC for the task is below this (0: off)",
    )
    p.add_argument("--bigwig", action="store_true", help="also write contributions.bw")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or summary")
    return p


def run(args: argparse.Namespace) -> int:
    """Run the motifs pipeline."""
    check_output(
        args.out, {"--model": args.model, "--genome": args.genome, "--fasta": args.fasta}, folder=True
    )
    run_motifs(
        args.model,
        args.out,
        args.task,
        genome=args.genome,
        regions=args.regions,
        top_k=args.top_k,
        fasta=args.fasta,
        contrast=args.contrast,
        method=args.method,
        steps=args.steps,
        references=args.references,
        baseline=args.baseline,
        scale=args.scale,
        batch_size=args.batch_size,
        window=args.window,
        max_seqlets=args.max_seqlets,
        n_leiden=args.n_leiden,
        release=args.jaspar_release,
        truth=args.truth,
        bigwig=args.bigwig,
        progress=not args.no_progress,
        min_auroc=args.min_auroc,
        strict=args.strict,
    )
    return 0


def run_motifs(
    model_path: str | os.PathLike,
    out: str | os.PathLike,
    task: str,
    *,
    progress: bool = True,
    **settings: Any,
) -> dict:
    """Run the motifs pipeline (:func:`~brainresnet_tf.api.motifs.motifs`, whose keyword
    ``settings`` it takes) and print its result; returns the summary written to summary.json.

    ``progress``: the ``[motifs]`` step lines, and progress bars on a terminal.
    """
    from brainresnet_tf.api.motifs import motifs

    result = motifs(
        model_path,
        task,
        out,
        progress=bars(progress),
        verbose=progress,
        log=lambda line: print(f"[{NAME}] {line}", flush=True),
        **settings,
    )
    # the summary and the check are the command's result: printed even without progress bars
    print(result.text)
    cols = ["pattern", "n_seqlets", "bits_per_column", "consensus", "name", "match1_id", "match1_q"]
    if len(result.table):
        print(result.table[cols].to_string(index=False, float_format=lambda v: f"{v:.2g}"))
    else:
        print("(no patterns: too few seqlets passed TF-MoDISco's threshold)")
    if result.check:
        print(result.check)
    print(f"[motifs] motifs.tsv, modisco_results.h5, patterns.meme, logos/, report.html -> {out}")
    return result.summary
