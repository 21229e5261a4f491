"""``train``: train a config's model (and the baselines), evaluate, write the reports, as the
``train`` command does; the run folder is written and a :class:`Run` returned."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from brainresnet_tf.api.model import Model
    from brainresnet_tf.data.windows import WindowTable
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.train.config import Config

Log = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """A trained run: ``out_dir`` (model.keras, metrics.tsv, curves, ...), ``metrics`` (one row
    per model, split and profile: AUROC, AUPRC, ...; empty on a worker that is not the chief) and
    the ``config`` it ran."""

    out_dir: Path
    metrics: pd.DataFrame
    config: Config

    @property
    def model_path(self) -> Path:
        """The trained model (``model.keras``)."""
        return self.out_dir / "model.keras"

    def load_model(self) -> Model:
        """The trained model, loaded (:func:`~brainresnet_tf.api.model.load_model`)."""
        from brainresnet_tf.api.model import load_model

        return load_model(self.model_path)


def train(
    config: str | os.PathLike | Config,
    *,
    overrides: Mapping[str, Any] | None = None,
    resume: bool = False,
    baseline: bool = False,
    overwrite: bool = False,
    strict: bool = False,
    log: Log | None = None,
) -> Run:
    """Train the model of ``config`` (a YAML path, with ``overrides`` as dotted keys, or a loaded
    Config) into its ``out_dir``, evaluate it on the test split and write the reports; with
    ``baseline``, the DeepSEA-style CNN and the k-mer baseline too, side by side.

    The chief locks ``out_dir`` for the whole run and refuses a folder that already holds a run
    unless ``resume`` (continue from the last checkpoint) or ``overwrite``. Under multi-worker
    training only the chief writes ``out_dir`` and evaluates; the other workers train alongside
    it and return empty metrics. ``strict``: a peak on a chromosome the genome lacks stops the
    run (default: skipped, counted). ``log`` receives each line ``brainresnet train`` prints.

    Examples:
        >>> run = br.train("config.yaml", overrides={"training.epochs": 1})  # doctest: +ELLIPSIS
        5/5 - ...
        >>> run.out_dir.name, run.model_path.exists()
        ('run', True)
        >>> sorted(set(run.metrics["split"]))
        ['test', 'test-shuffled', 'valid', 'valid-shuffled']
    """
    from contextlib import nullcontext

    from brainresnet_tf.train.config import Config, check_files, load_config
    from brainresnet_tf.train.distributed import is_chief
    from brainresnet_tf.train.run_dir import claim_run_dir

    if not isinstance(config, Config):
        config = load_config(config, dict(overrides or {}))
        check_files(config)  # before TensorFlow loads: a wrong path answers in a second
    elif overrides:
        raise ValueError("overrides go with a config path; apply them to a Config with dataclasses.replace")
    chief = is_chief(config.training.strategy)
    with claim_run_dir(config.out_dir, resume, overwrite) if chief else nullcontext():
        metrics = _train_and_report(config, resume, baseline, chief, strict, log or (lambda _line: None))
    return Run(Path(config.out_dir), metrics, config)


def _train_and_report(
    config: Config, resume: bool, with_baseline: bool, chief: bool, strict: bool, log: Log
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
    table = worker_windows(config, genome, out, strict, log)
    log("[train] windows per split and positives per profile:")
    log(table.summary().to_string(index=False))
    runs = [(config.model.arch, out)]
    if with_baseline and config.model.arch != "baseline":
        runs.append(("baseline", out / "baseline"))
    frames, preds, histories = [], {}, {}
    for arch, run_dir in runs:
        log(f"[train] {arch}: training in {run_dir}")
        result = train_model(config, genome, table, run_dir, arch=arch, resume=resume, log=log)
        if result.resumed_from is not None:
            log(
                f"[train] {arch}: resumed from the checkpoint of epoch {result.resumed_from} "
                f"in {run_dir / 'checkpoints'}"
            )
        log(f"[train] {arch}: {result.model.count_params():,} parameters, best epoch {result.best_epoch}")
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
        log(f"[train] kmer: canonical k-mer counts + logistic regression in {out / 'kmer'}")
        shuffled = training_for(config, table)[0].shuffled_negatives  # as the models trained
        kmer, kmer_meta = train_kmer(
            genome, table, out / "kmer", seed=config.training.seed, shuffled_negatives=shuffled
        )
        metrics, p = evaluate_model(kmer, kmer_meta, genome, table, "kmer")
        frames.append(metrics)
        preds["kmer"] = p
    metrics = pd.concat(frames, ignore_index=True)
    tables = write_reports(out, metrics, preds, table.profiles, table.split_description("test"), histories)
    if tables:
        log("[evaluate] " + tables)
    log(outputs_line(out))
    return metrics


def outputs_line(out: Path) -> str:
    """What a run folder holds, one name per output, so the user sees where things went."""
    from brainresnet_tf.train.run_dir import RUN_OUTPUTS

    names = [n for n in ("config.used.yaml", "windows.npz", *RUN_OUTPUTS) if (out / n).exists()]
    return f"[train] wrote to {out}: " + ", ".join(n + ("/" if (out / n).is_dir() else "") for n in names)


def worker_windows(
    config: Config, genome: Genome, out: Path, strict: bool = False, log: Log | None = None
) -> WindowTable:
    """The window table; a non-chief worker starts from the chief's copy and writes its own.

    ``strict``: a peak on a chromosome the genome lacks is an error (default: skipped, counted);
    ``log`` (the chief's) receives the notes of building it."""
    from brainresnet_tf.io.atomic import copy_file
    from brainresnet_tf.train.distributed import is_chief, worker_dir
    from brainresnet_tf.train.preparation import prepare_windows

    if is_chief(config.training.strategy):
        return prepare_windows(config, genome, out, progress=config.training.progress, log=log, strict=strict)
    scratch = worker_dir(out, config.training.strategy)
    if (out / "windows.npz").exists() and not (scratch / "windows.npz").exists():
        copy_file(out / "windows.npz", scratch / "windows.npz")
    return prepare_windows(config, genome, scratch, progress=False, strict=strict)
