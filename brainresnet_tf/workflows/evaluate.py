"""``brainresnet evaluate``: per-profile AUROC / AUPRC of a saved model (beside a baseline)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from brainresnet_tf.workflows.common import add_config_args, add_strict_peaks_arg, for_terminal, say

if TYPE_CHECKING:
    import pandas as pd

    from brainresnet_tf.data.windows import WindowTable
    from brainresnet_tf.train.config import Config

NAME = "evaluate"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``evaluate`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="per-profile AUROC/AUPRC on the test chromosomes")
    p.add_argument("--model", required=True, help="model.keras")
    add_config_args(p)  # default: the config.used.yaml saved beside the model
    p.add_argument("--out", help="output directory (default: the model's folder)")
    p.add_argument(
        "--baseline",
        nargs="?",
        const="train",
        default=None,
        help="compare with a baseline: a baseline model.keras, or nothing to train one",
    )
    add_strict_peaks_arg(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Load the config and evaluate."""
    from brainresnet_tf.train.config import check_files, load_config, parse_overrides

    config = for_terminal(
        load_config(run_config_path(args.config, Path(args.model)), parse_overrides(args.set))
    )
    check_files(config)
    run_evaluate(
        config, Path(args.model), Path(args.out) if args.out else None, args.baseline, strict=args.strict
    )
    return 0


def run_config_path(config: str | None, model: Path) -> Path:
    """``--config``, or the ``config.used.yaml`` that ``train`` saved beside the model."""
    from brainresnet_tf.errors import InputError

    if config:
        return Path(config)
    for folder in (model.parent, model.parent.parent):  # a baseline sits in <run>/baseline/
        if (folder / "config.used.yaml").exists():
            return folder / "config.used.yaml"
    raise InputError(f"{model}: no config.used.yaml beside the model; give --config (the training config)")


def run_evaluate(
    config: Config, model_path: Path, out: Path | None, baseline: str | None, strict: bool = False
) -> pd.DataFrame:
    """Evaluate a saved model on the config's test split (optionally beside a baseline).

    ``strict``: a peak on a chromosome the genome lacks is an error (default: skipped, counted).
    """
    import pandas as pd

    from brainresnet_tf.models.saving import load_model
    from brainresnet_tf.train.fit import evaluate_model, train_model
    from brainresnet_tf.train.preparation import open_genome, prepare_windows
    from brainresnet_tf.train.reports import write_reports
    from brainresnet_tf.workflows.train import report

    model, meta = load_model(model_path)
    out = out or model_path.parent
    out.mkdir(parents=True, exist_ok=True)
    genome = open_genome(config)
    table_dir = model_path.parent if (model_path.parent / "windows.npz").exists() else out
    table = prepare_windows(
        config, genome, table_dir, progress=config.training.progress, log=say, strict=strict
    )
    _check_compatible(meta, table, model_path)
    frames, preds = [], {}
    metrics, p = evaluate_model(model, meta, genome, table, meta.arch, progress=config.training.progress)
    frames.append(metrics)
    preds[meta.arch] = p
    if baseline:
        if baseline == "train":
            result = train_model(config, genome, table, out / "baseline", arch="baseline", log=say)
            b_model, b_meta = result.model, result.meta
        else:
            b_model, b_meta = load_model(Path(baseline))
            _check_compatible(b_meta, table, Path(baseline))
        metrics, p = evaluate_model(
            b_model, b_meta, genome, table, "baseline", progress=config.training.progress
        )
        frames.append(metrics)
        preds["baseline"] = p
    all_metrics = pd.concat(frames, ignore_index=True)
    report(write_reports(out, all_metrics, preds, table.profiles, table.split_description("test")))
    return all_metrics


def _check_compatible(meta, table: WindowTable, path: Path) -> None:
    from brainresnet_tf.errors import InputError

    if meta.profiles != table.profiles:
        raise InputError(
            f"{path}: model predicts {meta.profiles} but the config's profiles are {table.profiles}"
        )
    if meta.input_length != table.context:
        raise InputError(
            f"{path}: model takes {meta.input_length} bp windows but the config's "
            f"windows.context is {table.context}"
        )
