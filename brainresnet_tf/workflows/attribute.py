"""``brainresnet attribute``: per-base contributions of windows centred on BED regions -> bigWig."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brainresnet_tf.inference.attribution import AttributionSpec, Explanation

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


def explain_windows(spec: AttributionSpec, target, x, progress: bool, command: str) -> Explanation:
    """``spec.explain`` of one-hot windows ``x``, printing DeepLIFT's convergence warning, if any,
    as ``[command] ...`` (shared with ``motifs`` and ``hits``)."""
    explanation = spec.explain(target, x, progress=progress)
    note = spec.convergence_note(explanation)
    if note:
        print(f"[{command}] {note}", flush=True)
    return explanation


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
    """Per-base contributions of windows centred on BED regions -> bigWig (and ``npz``).

    ``strict``: a region on a chromosome the genome lacks is an error (default: skipped, one note
    per file).
    """
    import numpy as np

    from brainresnet_tf.inference.attribution import contributions
    from brainresnet_tf.interpret.selection import one_hot_windows, windows_from_beds
    from brainresnet_tf.io.atomic import atomic_open
    from brainresnet_tf.io.bigwig import write_bigwig
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import skipped_notes
    from brainresnet_tf.models.saving import genome_path_for, load_model

    model, meta = load_model(model_path)
    target = spec.target(model, meta.profiles)
    genome = Genome(genome_path_for(genome_path, meta))
    skipped = None if strict else []
    windows = windows_from_beds(regions, genome, meta.input_length, skipped=skipped)
    for note in skipped_notes(skipped or []):
        print(f"[attribute] {note}", flush=True)
    x = one_hot_windows(genome, windows, meta.input_length)
    explanation = explain_windows(spec, target, x, progress, NAME)
    hyp = explanation.hypothetical
    contrib = contributions(hyp, x)
    n = write_bigwig(out, genome.chrom_sizes, windows, contrib)
    if npz:
        with atomic_open(npz, "wb") as fh:
            np.savez_compressed(
                fh,
                one_hot=x.astype(np.uint8),
                hypothetical=hyp,
                chrom=windows["chrom"].to_numpy(),
                start=windows["start"].to_numpy(),
            )
    label = meta.profiles[target.task] + (
        f" - {meta.profiles[target.contrast]}" if target.contrast is not None else ""
    )
    check = ""
    if explanation.convergence:
        worst = explanation.convergence["max_relative_delta"]
        check = f"; DeepLIFT summation-to-delta within {worst:.1e} (relative)"
    print(
        f"[attribute] {spec.method} contributions to {label} ({spec.scale}) for "
        f"{len(windows)} windows ({n} bases){check} -> {out}"
    )
    return Path(out)
