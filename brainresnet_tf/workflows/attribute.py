"""``brainresnet attribute``: per-base contributions of windows centred on BED regions -> bigWig."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brainresnet_tf.inference.attribution import AttributionSpec

from brainresnet_tf.workflows.common import add_strict_peaks_arg, bars, check_output, positive_int

NAME = "attribute"


def add_attribution_args(p: argparse.ArgumentParser) -> None:
    """``--task --contrast --method --steps --references --baseline --scale --batch-size`` (shared
    with ``motifs`` and ``hits``)."""
    p.add_argument("--task", required=True, help="profile to explain")
    p.add_argument("--contrast", help="explain task minus this profile (cell-type-specific motifs)")
    p.add_argument(
        "--method",
        choices=["ig", "ixg", "ism", "deeplift"],
        default="ig",
        help="integrated gradients, input x gradient, in-silico mutagenesis, or DeepLIFT/DeepSHAP",
    )
    p.add_argument("--steps", type=positive_int, default=20, help="integrated-gradients steps")
    p.add_argument(
        "--references",
        type=positive_int,
        default=20,
        help="DeepSHAP: dinucleotide-shuffled references per sequence (--baseline shuffled)",
    )
    p.add_argument(
        "--baseline",
        choices=["shuffled", "uniform", "zeros"],
        default="shuffled",
        help="DeepLIFT reference: shuffles of each sequence (DeepSHAP), or one baseline for all",
    )
    p.add_argument(
        "--scale",
        choices=["logit", "output"],
        default="logit",
        help="explain the output layer's logit or the output itself",
    )
    p.add_argument("--batch-size", type=positive_int, default=256, help="model inputs per call")


def attribution_spec(args: argparse.Namespace) -> AttributionSpec:
    """The parsed attribution arguments as an :class:`AttributionSpec`."""
    from brainresnet_tf.inference.attribution import AttributionSpec

    return AttributionSpec(
        args.task,
        args.contrast,
        args.method,
        args.steps,
        args.scale,
        args.batch_size,
        args.references,
        args.baseline,
    )


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``attribute`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="per-base attributions of regions as a bigWig track")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    p.add_argument(
        "--regions", required=True, nargs="+", metavar="BED", help="BED files; windows centred on each region"
    )
    p.add_argument("--out", required=True, help="bigWig path (.bw)")
    add_attribution_args(p)
    p.add_argument("--npz", help="also save one-hot and hypothetical contributions here")
    add_strict_peaks_arg(p, regions=True)
    p.add_argument("--no-progress", action="store_true")
    return p


def run(args: argparse.Namespace) -> int:
    """Attribute and write the track."""
    check_output(args.out, {**{f"--regions {r}": r for r in args.regions}, "--model": args.model})
    if args.npz:
        check_output(args.npz, {f"--regions {r}": r for r in args.regions}, flag="--npz")
    run_attribute(
        args.model,
        args.genome,
        args.regions,
        args.out,
        attribution_spec(args),
        args.npz,
        progress=bars(not args.no_progress),
        strict=args.strict,
    )
    return 0


def run_attribute(
    model_path: str | os.PathLike,
    genome_path: str | os.PathLike | None,
    regions: list[str],
    out: str | os.PathLike,
    spec: AttributionSpec,
    npz: str | None = None,
    progress: bool = True,
    strict: bool = False,
) -> Path:
    """Per-base contributions of windows centred on BED regions
    (:meth:`~brainresnet_tf.api.model.Model.attribute`) -> bigWig (and ``npz``).

    ``strict``: a region on a chromosome the genome lacks is an error (default: skipped, one note
    per file).
    """
    import numpy as np

    from brainresnet_tf.api.model import load_model
    from brainresnet_tf.io.atomic import atomic_open
    from brainresnet_tf.io.bigwig import write_bigwig

    model = load_model(model_path)
    genome = model.genome(genome_path)
    result = model.attribute(
        task=spec.task,
        regions=regions,
        genome=genome,
        contrast=spec.contrast,
        method=spec.method,
        steps=spec.steps,
        references=spec.references,
        baseline=spec.baseline,
        scale=spec.scale,
        batch_size=spec.batch_size,
        strict=strict,
        progress=progress,
        log=lambda line: print(f"[{NAME}] {line}", flush=True),
    )
    windows = result.windows
    n = write_bigwig(out, genome.chrom_sizes, windows, result.contributions)
    if npz:
        with atomic_open(npz, "wb") as fh:
            np.savez_compressed(
                fh,
                one_hot=result.one_hot.astype(np.uint8),
                hypothetical=result.hypothetical,
                chrom=windows["chrom"].to_numpy(),
                start=windows["start"].to_numpy(),
            )
    check = ""
    if result.convergence:
        worst = result.convergence["max_relative_delta"]
        check = f"; DeepLIFT summation-to-delta within {worst:.1e} (relative)"
    print(
        f"[attribute] {spec.method} contributions to {result.label} ({spec.scale}) for "
        f"{len(windows)} windows ({n} bases){check} -> {out}"
    )
    return Path(out)
