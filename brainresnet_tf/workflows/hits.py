"""``brainresnet hits``: motif instances in regions that the model leans on; a shell over
:func:`brainresnet_tf.api.hits.hits` (which says what it writes into ``--out``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from brainresnet_tf.workflows.attribute import add_attribution_args
from brainresnet_tf.workflows.common import add_strict_peaks_arg, bars, check_output, positive_int

NAME = "hits"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``hits`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="motif instances the model leans on (BED), per-motif summary")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--regions", nargs="+", metavar="BED", help="windows centred on each region")
    src.add_argument("--fasta", help="sequences of the model's input length (e.g. from `design`)")
    add_strict_peaks_arg(p, regions=True)
    p.add_argument("--motifs", metavar="DIR", help="a `brainresnet motifs` run: scan its named patterns")
    p.add_argument(
        "--jaspar", nargs="+", metavar="NAME_OR_ID", help="JASPAR matrices to scan (CTCF, MA0139.2)"
    )
    p.add_argument("--include-unnamed", action="store_true", help="also scan unnamed patterns of --motifs")
    p.add_argument(
        "--match-p", type=float, default=1e-4, help="PWM match p-value vs dinucleotide-shuffled windows"
    )
    p.add_argument("--fdr", type=float, default=0.05, help="FDR of the contribution test (BH)")
    p.add_argument(
        "--shuffles", type=positive_int, default=2, help="dinucleotide-shuffled copies for the match null"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffles")
    p.add_argument("--out", required=True, help="output directory")
    add_attribution_args(p)
    p.add_argument("--jaspar-release", default="JASPAR2024", help="pyjaspar release")
    p.add_argument(
        "--truth", help="synthetic data folder with motif_sites.tsv (default: the genome's folder); none: off"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def run(args: argparse.Namespace) -> int:
    """Call hits and write them."""
    check_output(
        args.out, {"--model": args.model, "--genome": args.genome, "--fasta": args.fasta}, folder=True
    )
    run_hits(
        args.model,
        args.out,
        args.task,
        genome=args.genome,
        regions=args.regions,
        fasta=args.fasta,
        motifs_dir=args.motifs,
        jaspar=args.jaspar,
        include_unnamed=args.include_unnamed,
        contrast=args.contrast,
        method=args.method,
        steps=args.steps,
        references=args.references,
        baseline=args.baseline,
        scale=args.scale,
        batch_size=args.batch_size,
        fdr=args.fdr,
        match_p=args.match_p,
        shuffles=args.shuffles,
        seed=args.seed,
        release=args.jaspar_release,
        truth=args.truth,
        progress=bars(not args.no_progress),
        strict=args.strict,
    )
    return 0


def run_hits(model_path: str | os.PathLike, out: str | os.PathLike, task: str, **settings: Any) -> dict:
    """Call hits (:func:`~brainresnet_tf.api.hits.hits`, whose keyword ``settings`` it takes),
    print the summary (and check); returns the summary written to summary.json."""
    from brainresnet_tf.api.hits import hits

    result = hits(model_path, task, out, log=lambda line: print(f"[{NAME}] {line}", flush=True), **settings)
    print(result.text)
    cols = ["motif", "jaspar_id", "n_hits", "n_windows_with_hit", "match_threshold_bits", "mean_contribution"]
    if len(result.motifs):
        print(result.motifs[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if result.check:
        print(result.check)
    print(f"[hits] hits.bed, hits_summary.tsv, hits_motifs.meme -> {out}")
    return result.summary
