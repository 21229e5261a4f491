"""``brainresnet pretrain``: train one multi-task model on a compendium; save its trunk."""

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
    from brainresnet_tf.train.config import Config

NAME = "pretrain"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``pretrain`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="train on a compendium; save its trunk as a feature extractor")
    add_config_args(p)
    p.add_argument("--out", help="output directory (overrides out_dir)")
    add_run_dir_args(p)
    add_strict_peaks_arg(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Load the config and pre-train."""
    from brainresnet_tf.train.config import check_files, load_config

    config = for_terminal(load_config(args.config, overrides_from(args)))
    check_files(config)
    run_pretrain(config, resume=args.resume, overwrite=args.overwrite, strict=args.strict)
    return 0


def run_pretrain(config: Config, resume: bool = False, overwrite: bool = False, strict: bool = False) -> Path:
    """Train a multi-task model on a compendium; save its trunk as ``extractor.keras``.

    ``strict``: a peak on a chromosome the genome lacks is an error (default: skipped, counted).
    """
    from contextlib import nullcontext

    from brainresnet_tf.train.distributed import is_chief
    from brainresnet_tf.train.run_dir import claim_run_dir

    chief = is_chief(config.training.strategy)
    with claim_run_dir(config.out_dir, resume, overwrite) if chief else nullcontext():
        return _pretrain(config, resume, strict)


def _pretrain(config: Config, resume: bool, strict: bool = False) -> Path:
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.models.saving import save_extractor
    from brainresnet_tf.train.distributed import is_chief
    from brainresnet_tf.train.evaluation import mean_metric
    from brainresnet_tf.train.fit import evaluate_model, train_model
    from brainresnet_tf.train.preparation import open_genome
    from brainresnet_tf.workflows.train import worker_windows

    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    genome = open_genome(config)
    table = worker_windows(config, genome, out, strict)
    print(f"[pretrain] {len(table.profiles)} profiles, {len(table):,} windows")
    result = train_model(config, genome, table, out, arch="resnet", resume=resume, log=say)
    if not is_chief(config.training.strategy):  # the chief evaluates and writes the extractor
        return out / "extractor.keras"
    metrics, _ = evaluate_model(
        result.model, result.meta, genome, table, "compendium", progress=config.training.progress
    )
    write_table(metrics, out / "metrics.tsv")
    path = out / "extractor.keras"
    save_extractor(result.model, path, result.meta)
    test = metrics[metrics["split"] == "test"]
    print(
        f"[pretrain] mean test AUROC {mean_metric(test, 'auroc'):.3f}, AUPRC "
        f"{mean_metric(test, 'auprc'):.3f} over {len(test)} profiles; extractor: {path}"
    )
    return path
