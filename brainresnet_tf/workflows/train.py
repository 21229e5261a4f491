"""``brainresnet train``: train the config's model (and the baseline), evaluate, write reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from brainresnet_tf.workflows.common import add_config_args, overrides_from, say

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
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--baseline", action="store_true", help="also train the baseline CNN and compare")
    return p


def run(args: argparse.Namespace) -> int:
    """Load the config (flags override it) and train."""
    from brainresnet_tf.train.config import load_config

    overrides = overrides_from(args)
    if args.arch:
        overrides["model.arch"] = args.arch
    run_train(load_config(args.config, overrides), resume=args.resume, with_baseline=args.baseline)
    return 0


def report(table: str) -> None:
    """Print the test table of a run's reports, if there is one."""
    if table:
        print("[evaluate] test chromosomes:")
        print(table)


def run_train(config: Config, resume: bool = False, with_baseline: bool = False) -> pd.DataFrame:
    """Train the config's model (and optionally the baseline), evaluate, write reports.

    Under multi-worker training only the chief writes ``out_dir`` and evaluates; the other
    workers train alongside it and return an empty table.
    """
    import pandas as pd
    import yaml

    from brainresnet_tf.io.atomic import write_text
    from brainresnet_tf.train.config import config_to_dict
    from brainresnet_tf.train.distributed import is_chief
    from brainresnet_tf.train.fit import evaluate_model, train_model
    from brainresnet_tf.train.preparation import open_genome
    from brainresnet_tf.train.reports import write_reports

    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chief = is_chief(config.training.strategy)
    if chief:
        write_text(out / "config.used.yaml", yaml.safe_dump(config_to_dict(config), sort_keys=False))
    genome = open_genome(config)
    table = worker_windows(config, genome, out)
    print("[train] windows per split and positives per profile:")
    print(table.summary().to_string(index=False))
    runs = [(config.model.arch, out)]
    if with_baseline and config.model.arch != "baseline":
        runs.append(("baseline", out / "baseline"))
    frames, preds = [], {}
    for arch, run_dir in runs:
        print(f"[train] {arch}: training in {run_dir}")
        result = train_model(config, genome, table, run_dir, arch=arch, resume=resume, log=say)
        print(f"[train] {arch}: {result.model.count_params():,} parameters, best epoch {result.best_epoch}")
        if not chief:
            continue
        metrics, p = evaluate_model(result.model, result.meta, genome, table, arch)
        frames.append(metrics)
        preds[arch] = p
    if not chief:
        return pd.DataFrame()
    metrics = pd.concat(frames, ignore_index=True)
    report(write_reports(out, metrics, preds, table.profiles))
    return metrics


def worker_windows(config: Config, genome: Genome, out: Path) -> WindowTable:
    """The window table; a non-chief worker starts from the chief's copy and writes its own."""
    from brainresnet_tf.io.atomic import copy_file
    from brainresnet_tf.train.distributed import is_chief, worker_dir
    from brainresnet_tf.train.preparation import prepare_windows

    if is_chief(config.training.strategy):
        return prepare_windows(config, genome, out, progress=config.training.progress, log=say)
    scratch = worker_dir(out, config.training.strategy)
    if (out / "windows.npz").exists() and not (scratch / "windows.npz").exists():
        copy_file(out / "windows.npz", scratch / "windows.npz")
    return prepare_windows(config, genome, scratch, progress=False)
