"""``brainresnet train``: train the config's model (and the baseline), evaluate, write reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from brainresnet_tf.workflows.common import (
    add_config_args,
    add_run_dir_args,
    add_strict_peaks_arg,
    for_terminal,
    overrides_from,
    say,
)

if TYPE_CHECKING:
    import pandas as pd

    from brainresnet_tf.data.windows import WindowTable
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.train.config import Config

NAME = "train"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``train`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="train a model from a config")
    add_config_args(p)
    p.add_argument("--out", help="output directory (overrides out_dir)")
    p.add_argument("--arch", choices=["resnet", "baseline"], help="overrides model.arch")
    add_run_dir_args(p)
    p.add_argument(
        "--baseline",
        action="store_true",
        help="also train the baselines (DeepSEA-style CNN, k-mer logistic regression) and compare",
    )
    add_strict_peaks_arg(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Load the config (flags override it) and train."""
    from brainresnet_tf.train.config import check_files, load_config

    overrides = overrides_from(args)
    if args.arch:
        overrides["model.arch"] = args.arch
    config = for_terminal(load_config(args.config, overrides))
    check_files(config)  # before TensorFlow loads: a wrong path answers in a second
    run_train(
        config,
        resume=args.resume,
        with_baseline=args.baseline,
        overwrite=args.overwrite,
        strict=args.strict,
    )
    return 0


def report(table: str) -> None:
    """Print the test tables of a run's reports (each says which negatives it uses), if any."""
    if table:
        print("[evaluate] " + table)


def run_train(
    config: Config,
    resume: bool = False,
    with_baseline: bool = False,
    overwrite: bool = False,
    strict: bool = False,
) -> pd.DataFrame:
    """Train, evaluate and write the reports (:func:`~brainresnet_tf.api.train.train`), printing
    its progress; returns the metrics (empty on a worker that is not the chief)."""
    from brainresnet_tf.api.train import train

    run = train(config, resume=resume, baseline=with_baseline, overwrite=overwrite, strict=strict, log=say)
    return run.metrics


def worker_windows(config: Config, genome: Genome, out: Path, strict: bool = False) -> WindowTable:
    """:func:`brainresnet_tf.api.train.worker_windows`, its notes printed."""
    from brainresnet_tf.api.train import worker_windows as windows

    return windows(config, genome, out, strict, log=say)
