"""``brainresnet compare-transfer``: scratch vs frozen vs fine-tuned at several data sizes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from brainresnet_tf.workflows.common import (
    add_config_args,
    add_strict_peaks_arg,
    float_list,
    for_terminal,
    int_list,
    say,
)

if TYPE_CHECKING:
    from brainresnet_tf.train.config import Config

NAME = "compare-transfer"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``compare-transfer`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="scratch vs frozen vs fine-tuned transfer at several data sizes")
    add_config_args(p)
    p.add_argument("--extractor", help="extractor.keras (default: the config's transfer.extractor)")
    p.add_argument("--fractions", default="0.05,0.2,1", help="training-set fractions")
    p.add_argument("--seeds", default="0,1,2", help="seeds per fraction and mode")
    p.add_argument("--out", help="output directory (default: <out_dir>/compare_transfer)")
    add_strict_peaks_arg(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Load the config and compare."""
    from brainresnet_tf.train.config import check_files, load_config, parse_overrides

    config = for_terminal(load_config(args.config, parse_overrides(args.set)))
    check_files(config)
    run_compare_transfer(
        config,
        Path(args.extractor) if args.extractor else None,
        tuple(float_list(args.fractions, "--fractions")),
        tuple(int_list(args.seeds, "--seeds")),
        Path(args.out) if args.out else None,
        strict=args.strict,
    )
    return 0


def run_compare_transfer(
    config: Config,
    extractor: Path | None,
    fractions: tuple[float, ...],
    seeds: tuple[int, ...],
    out: Path | None = None,
    strict: bool = False,
) -> dict:
    """Scratch vs frozen vs fine-tuned at several data sizes; TSV, plot and a verdict.

    ``strict``: a peak on a chromosome the genome lacks is an error (default: skipped, counted).
    """
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.io.atomic import write_json
    from brainresnet_tf.train.preparation import open_genome, prepare_windows
    from brainresnet_tf.train.transfer_comparison import (
        compare_transfer,
        summarize,
        transfer_verdict,
    )

    extractor = extractor or config.transfer.extractor
    if extractor is None:
        raise InputError("compare-transfer needs --extractor (or transfer.extractor in the config)")
    out = out or Path(config.out_dir) / "compare_transfer"
    genome = open_genome(config)
    table = prepare_windows(config, genome, out, progress=config.training.progress, log=say, strict=strict)
    results = compare_transfer(config, genome, table, Path(extractor), out, fractions, seeds, log=say)
    verdict = transfer_verdict(results)
    write_json(out / "verdict.json", verdict)
    print("[compare-transfer] mean test AUPRC over seeds (sd):")
    print(summarize(results).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"[compare-transfer] at {verdict['small_fraction']:.0%}: {verdict['best_transfer_mode']} "
        f"beats scratch by {verdict['gain_at_small']:+.3f} AUPRC (seed spread "
        f"{verdict['seed_spread_at_small']:.3f}): "
        f"{'yes' if verdict['beats_scratch_beyond_spread'] else 'NO'}; at "
        f"{verdict['large_fraction']:.0%}: {verdict['difference_at_large']:+.3f} "
        f"({'no worse' if verdict['no_worse_at_large'] else 'WORSE'}); {out / 'comparison.png'}"
    )
    return verdict
