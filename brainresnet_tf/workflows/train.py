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
    """Train the config's model (and optionally the baseline), evaluate, write reports.

    ``strict``: a peak on a chromosome the genome lacks stops the run (default: skipped, counted).

    The chief locks ``out_dir`` for the whole run, and refuses a folder that already holds a
    run unless ``resume`` or ``overwrite``. Under multi-worker training only the chief writes
    ``out_dir`` and evaluates; the other workers train alongside it and return an empty table.
    """
    from contextlib import nullcontext

    from brainresnet_tf.train.distributed import is_chief
    from brainresnet_tf.train.run_dir import claim_run_dir

    chief = is_chief(config.training.strategy)
    with claim_run_dir(config.out_dir, resume, overwrite) if chief else nullcontext():
        return _train_and_report(config, resume, with_baseline, chief, strict)


def _train_and_report(
    config: Config, resume: bool, with_baseline: bool, chief: bool, strict: bool = False
) -> pd.DataFrame:
    import pandas as pd
    import yaml

    from brainresnet_tf.io.atomic import write_text
    from brainresnet_tf.train.config import config_to_dict
    from brainresnet_tf.train.fit import evaluate_model, train_model, training_for
    from brainresnet_tf.train.kmer_fit import train_kmer
    from brainresnet_tf.train.preparation import open_genome
    from brainresnet_tf.train.reports import write_reports

    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if chief:
        write_text(out / "config.used.yaml", yaml.safe_dump(config_to_dict(config), sort_keys=False))
    genome = open_genome(config)
    table = worker_windows(config, genome, out, strict)
    print("[train] windows per split and positives per profile:")
    print(table.summary().to_string(index=False))
    runs = [(config.model.arch, out)]
    if with_baseline and config.model.arch != "baseline":
        runs.append(("baseline", out / "baseline"))
    frames, preds, histories = [], {}, {}
    for arch, run_dir in runs:
        print(f"[train] {arch}: training in {run_dir}")
        result = train_model(config, genome, table, run_dir, arch=arch, resume=resume, log=say)
        if result.resumed_from is not None:
            print(
                f"[train] {arch}: resumed from the checkpoint of epoch {result.resumed_from} "
                f"in {run_dir / 'checkpoints'}"
            )
        print(f"[train] {arch}: {result.model.count_params():,} parameters, best epoch {result.best_epoch}")
        if not chief:
            continue
        metrics, p = evaluate_model(
            result.model, result.meta, genome, table, arch, gc_matched=config.windows.gc_matched
        )
        frames.append(metrics)
        preds[arch] = p
        histories[arch] = result.history
    if not chief:
        return pd.DataFrame()
    if with_baseline and config.windows.target == "peaks":
        print(f"[train] kmer: canonical k-mer counts + logistic regression in {out / 'kmer'}")
        shuffled = training_for(config, table)[0].shuffled_negatives  # as the models trained
        kmer, kmer_meta = train_kmer(
            genome, table, out / "kmer", seed=config.training.seed, shuffled_negatives=shuffled
        )
        metrics, p = evaluate_model(kmer, kmer_meta, genome, table, "kmer")
        frames.append(metrics)
        preds["kmer"] = p
    metrics = pd.concat(frames, ignore_index=True)
    report(write_reports(out, metrics, preds, table.profiles, table.split_description("test"), histories))
    list_outputs(out)
    return metrics


def list_outputs(out: Path) -> None:
    """Print what a run folder holds, one line per output, so the user sees where things went."""
    from brainresnet_tf.train.run_dir import RUN_OUTPUTS

    names = [n for n in ("config.used.yaml", "windows.npz", *RUN_OUTPUTS) if (out / n).exists()]
    print(f"[train] wrote to {out}: " + ", ".join(n + ("/" if (out / n).is_dir() else "") for n in names))


def worker_windows(config: Config, genome: Genome, out: Path, strict: bool = False) -> WindowTable:
    """The window table; a non-chief worker starts from the chief's copy and writes its own.

    ``strict``: a peak on a chromosome the genome lacks is an error (default: skipped, counted)."""
    from brainresnet_tf.io.atomic import copy_file
    from brainresnet_tf.train.distributed import is_chief, worker_dir
    from brainresnet_tf.train.preparation import prepare_windows

    if is_chief(config.training.strategy):
        return prepare_windows(config, genome, out, progress=config.training.progress, log=say, strict=strict)
    scratch = worker_dir(out, config.training.strategy)
    if (out / "windows.npz").exists() and not (scratch / "windows.npz").exists():
        copy_file(out / "windows.npz", scratch / "windows.npz")
    return prepare_windows(config, genome, scratch, progress=False, strict=strict)
