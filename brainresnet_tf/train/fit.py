"""Training under a tf.distribute strategy: checkpoints every epoch, resume, early stopping.

A run directory holds ``windows.npz`` (the labelled table), ``checkpoints/epoch-NNNN/`` (model and
optimizer state, each written to a temporary folder and renamed), ``checkpoints/state.json`` (the
epoch, early-stopping state and history, replaced atomically after the checkpoint it points to),
``history.csv``, ``tensorboard/`` and finally ``model.keras`` + ``model.json`` (best epoch).
A run killed at any point resumes from the newest complete checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from brainresnet_tf.data.pipeline import WindowSource, make_dataset, steps_per_epoch
from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.predict import Predictor
from brainresnet_tf.io.atomic import atomic_dir, atomic_path, write_json
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.models import MaskedBinaryCrossentropy, MaskedMeanSquaredError, build_model
from brainresnet_tf.models.ensemble import build_ensemble, shifts_for
from brainresnet_tf.models.kmer import KmerModel
from brainresnet_tf.models.saving import ModelMeta, load_extractor, save_model
from brainresnet_tf.models.transfer import MODES, build_transfer_model, transfer_optimizer
from brainresnet_tf.train.config import Config, TrainingSpec, config_to_dict
from brainresnet_tf.train.distributed import (
    ReseedDropout,
    custom_fit,
    is_chief,
    multi_worker_strategy,
    resolved_strategy_name,
    synchronize_batch_norm,
    use_custom_loop,
    worker_dir,
)
from brainresnet_tf.train.evaluation import (
    SHUFFLED,
    mean_metric,
    negatives_label,
    profile_metrics,
    shuffled_metrics,
    shuffled_split,
)
from brainresnet_tf.train.motif_init import init_motif_filters

MONITOR = "val_auprc"


@dataclass
class TrainResult:
    """A finished (or resumed-and-finished) training run."""

    model: keras.Model
    meta: ModelMeta
    history: pd.DataFrame
    out_dir: Path
    best_epoch: int
    resumed_from: int | None = None  # the checkpoint's epoch when --resume continued a run


def choose_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """``default``, ``mirrored``, ``multi_worker`` or ``auto``.

    ``auto``: MultiWorkerMirroredStrategy when ``TF_CONFIG`` is set, MirroredStrategy when several
    GPUs are present, else the default strategy. ``mirrored`` spans all GPUs, or all logical CPU
    devices when there is no GPU and several were configured. Call it before any other TF work
    (MultiWorkerMirroredStrategy must be created at program start).
    """
    name = resolved_strategy_name(name)
    if name == "multi_worker":
        return multi_worker_strategy()
    if name == "auto":
        name = "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    cpus = tf.config.list_logical_devices("CPU")
    many_cpus = not tf.config.list_logical_devices("GPU") and len(cpus) > 1
    return tf.distribute.MirroredStrategy([d.name for d in cpus] if many_cpus else None)


def positive_weights(labels: np.ndarray) -> list[float]:
    """Per-profile weight of positives: sqrt(negatives/positives), clipped to [1, 10].

    The square root (not the full ratio) because full inverse-frequency weights (1.9-3.5x at
    21-35% positives) killed the ResNet's dense head on the full demo (validation AUROC 0.50 for
    7 epochs; issue 14); sqrt weights train it and still lift rare profiles (1% positives: 9.9x).
    """
    pos = np.nansum(labels > 0.5, axis=0).astype(float)
    neg = np.sum(~np.isnan(labels), axis=0) - pos
    return np.clip(np.sqrt(neg / np.maximum(pos, 1.0)), 1.0, 10.0).round(4).tolist()


def compile_model(
    model: keras.Model,
    config: Config,
    table: WindowTable,
    optimizer: keras.optimizers.Optimizer | None = None,
) -> None:
    """AdamW (Adam when ``training.weight_decay`` is 0; or ``optimizer``) with the masked loss for
    the table's target."""
    if config.windows.target == "signal":
        loss = MaskedMeanSquaredError()
    else:
        weights = (
            positive_weights(table.of_split("train").labels) if config.training.class_weighting else None
        )
        loss = MaskedBinaryCrossentropy(weights)
    if optimizer is None:
        tc = config.training
        optimizer = (
            keras.optimizers.AdamW(tc.learning_rate, weight_decay=tc.weight_decay)
            if tc.weight_decay > 0
            else keras.optimizers.Adam(tc.learning_rate)
        )
    model.compile(optimizer=optimizer, loss=loss)


def build_for_config(config: Config, table: WindowTable, arch: str) -> keras.Model:
    """A compiled model for ``arch``, or the transfer model when the config's transfer is on."""
    spec = config.model.resnet if arch == "resnet" else config.model.baseline
    mode = config.transfer.mode
    if mode not in MODES:
        raise InputError(f"transfer.mode {mode!r} is not one of {', '.join(MODES)}")
    if mode == "none" or arch != "resnet":
        try:
            model = build_model(arch, table.context, len(table.profiles), spec, config.windows.target)
        except ValueError as err:  # Keras: a layer's output would be empty
            raise InputError(
                f"{config.source or 'config'}: model.{arch} does not fit {table.context} bp inputs "
                f"({str(err).splitlines()[0][:120]}); use fewer/smaller pooling or convolutions in "
                f"model.{arch}, or longer windows (windows.context, sequences.length)"
            ) from None
        compile_model(model, config, table)
        return model
    if config.transfer.extractor is None:
        raise InputError(
            f"{config.source or 'config'}: transfer.mode is {mode} but transfer.extractor is not set"
        )
    extractor, _ = load_extractor(config.transfer.extractor, table.context, genome_build=config.genome.build)
    model = build_transfer_model(
        extractor, table.context, len(table.profiles), spec, mode, config.windows.target
    )
    compile_model(
        model,
        config,
        table,
        transfer_optimizer(model, config.training.learning_rate, config.transfer.learning_rate),
    )
    return model


class ValidationMetrics(keras.callbacks.Callback):
    """Adds ``val_loss``, ``val_auroc`` and ``val_auprc`` (mean over profiles) to each epoch's logs."""

    def __init__(self, source: WindowSource, batch_size: int, target: str):
        super().__init__()
        self.source, self.batch_size, self.target = source, batch_size, target
        self._predictor: Predictor | None = None

    def on_epoch_end(self, epoch, logs=None):
        self._predictor = self._predictor or Predictor(self.model)
        y_true, y_pred = predict_source(self._predictor, self.source, self.batch_size, progress=False)
        table = profile_metrics(y_true, y_pred, self.source.table.profiles, self.target)
        logs = logs if logs is not None else {}
        logs["val_loss"] = float(np.mean(self.model.loss(y_true, y_pred)))
        if self.target == "peaks":
            logs["val_auroc"] = mean_metric(table, "auroc")
            logs["val_auprc"] = mean_metric(table, "auprc")
        else:  # for signal, select on correlation; keep the key the early stopping watches
            logs["val_pearson"] = mean_metric(table, "pearson")
            logs[MONITOR] = logs["val_pearson"]


class Checkpointer(keras.callbacks.Callback):
    """Checkpoint every epoch, stop early on ``val_auprc`` (ties: lower ``val_loss``), write ``history.csv``.

    All of it hangs off one ``state.json``, replaced atomically after its checkpoint folder is
    complete, so a kill at any instant leaves a consistent run to resume.
    """

    def __init__(
        self,
        out_dir: Path,
        patience: int,
        state: dict | None = None,
        min_epochs: int = 0,
        monitor: str = MONITOR,
    ):
        super().__init__()
        self.monitor = monitor
        self.out_dir = out_dir
        self.ckpt_dir = out_dir / "checkpoints"
        self.patience = patience
        self.min_epochs = min_epochs
        self.state = state or {
            "epoch": 0,
            "best": None,
            "best_epoch": 0,
            "wait": 0,
            "stopped": False,
            "history": [],
        }

    def on_train_begin(self, logs=None):
        # on resume: a kill after history.csv but before state.json left one epoch too many
        if self.state["history"]:
            write_history(self.out_dir / "history.csv", self.state["history"])

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        value = logs.get(self.monitor, logs.get(MONITOR, float("nan")))
        loss = logs.get("val_loss", float("nan"))
        st = self.state
        # ties (common on small validation sets, where AUPRC saturates) go to the lower loss
        improved = st["best"] is None or (
            np.isfinite(value)
            and (
                value > st["best"]
                or (value == st["best"] and np.isfinite(loss) and loss < (st.get("best_loss") or np.inf))
            )
        )
        if improved:
            st.update(
                best=float(value) if np.isfinite(value) else None,
                best_epoch=epoch + 1,
                wait=0,
                best_loss=float(loss) if np.isfinite(loss) else None,
            )
        else:
            st["wait"] += 1
        st["epoch"] = epoch + 1
        st["history"].append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        if st["wait"] >= self.patience and epoch + 1 >= self.min_epochs:
            st["stopped"] = True
            self.model.stop_training = True
        # history first: state.json is the commit marker, so whenever it exists history.csv holds
        # at least its epochs (a resume rewrites history.csv from the state, dropping any extra row)
        write_history(self.out_dir / "history.csv", st["history"])
        self._save_checkpoint(epoch + 1)

    def _save_checkpoint(self, epoch: int) -> None:
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        final = self.ckpt_dir / f"epoch-{epoch:04d}"
        with atomic_dir(final, replace=True) as tmp:
            self.model.save(tmp / "model.keras")
        write_json(self.ckpt_dir / "state.json", self.state)
        keep = {f"epoch-{epoch:04d}", f"epoch-{self.state['best_epoch']:04d}"}
        for old in self.ckpt_dir.glob("epoch-*"):
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)


def write_history(path: Path, rows: list[dict]) -> None:
    """history.csv from the checkpoint state (atomically)."""
    with atomic_path(path) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)


def read_checkpoint_state(out_dir: Path) -> dict | None:
    """The newest complete checkpoint's state, or None when the run has none."""
    path = out_dir / "checkpoints" / "state.json"
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if not (out_dir / "checkpoints" / f"epoch-{state['epoch']:04d}" / "model.keras").exists():
        raise InputError(f"{path}: points at epoch {state['epoch']} but its checkpoint is missing")
    return state


def predict_source(
    model: keras.Model | Predictor, source: WindowSource, batch_size: int, progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(labels, strand-averaged predictions) for every window of ``source``, in order."""
    predictor = model if isinstance(model, Predictor) else Predictor(model)
    batches = (codes for codes, _ in source.batches(batch_size * 2, shuffle=False, rc_augment=False, seed=0))
    preds = predictor.predict_batches(
        batches, total=-(-len(source) // (batch_size * 2)), progress=progress, desc="evaluating"
    )
    return source.table.labels, preds


SMALL_DATA_DEFAULTS = {
    "epochs": 60,
    "patience": 12,
    "min_epochs": 10,
    "ensemble": 3,
    "test_time_shift": 10,
    "mutate": 0.05,
    "flank_mask": 0.5,
    "motif_filters": 64,
}
LARGE_DATA_DEFAULTS = {
    "epochs": 20,
    "patience": 4,
    "min_epochs": 5,
    "ensemble": 1,
    "test_time_shift": 0,
    "mutate": 0.0,
    "flank_mask": 0.0,
    # half the stem: brain chr20 validation region, given / shuffled AUROC 0.752 / 0.875 with a
    # random stem, 0.731 / 0.970 with 64 of 64, 0.766 / 0.968 with 32 of 64 (README, real data)
    "motif_filters": 32,
}
# not by data size: by target (GM12878 DHS CV and the brain chr20 validation region, README)
SHUFFLED_NEGATIVES_DEFAULT = {"peaks": 1.0, "signal": 0.0}


def resolve_training(training: TrainingSpec, n_train: int, target: str = "peaks") -> tuple[TrainingSpec, str]:
    """Fill the data-size-aware defaults (``None`` fields) and say which rule applied.

    Below ``training.small_data`` training windows, measured on real ChIP-seq sequence sets
    (README, benchmarks/realdata.py) and real DNase sites (benchmarks/dsqtl.py): longer training
    with patience, a 3-member ensemble, test-time shifts, random base substitutions, flank masks
    (half the windows cut to a central stretch) and ResNet stem filters from enriched JASPAR motifs
    (peaks only, 64 on small data, 32 on large; see :mod:`motif_init`). Shuffled
    positives join as negatives at every size of peak data (never for a signal target), chosen on
    the validation regions of real DNase and brain ATAC data; values set in the config always win.
    """
    small = n_train < training.small_data
    defaults = {
        **(SMALL_DATA_DEFAULTS if small else LARGE_DATA_DEFAULTS),
        "shuffled_negatives": SHUFFLED_NEGATIVES_DEFAULT.get(target, 0.0),
    }
    if target != "peaks":
        defaults["motif_filters"] = 0
    filled = {k: v for k, v in defaults.items() if getattr(training, k) is None}
    resolved = dataclasses.replace(training, **filled)
    rule = (
        f"{n_train:,} training windows < {training.small_data:,}: small-data defaults"
        if small
        else f"{n_train:,} training windows"
    )
    note = (
        f"{rule} (epochs {resolved.epochs}, patience {resolved.patience}, min_epochs "
        f"{resolved.min_epochs}, ensemble of {resolved.ensemble}, test-time shifts "
        f"{list(shifts_for(resolved.test_time_shift))} bp, random substitutions {resolved.mutate:g}, "
        f"flanks masked in {resolved.flank_mask:g} of windows, "
        f"shuffled negatives {resolved.shuffled_negatives:g} per positive, JASPAR-initialised ResNet "
        f"stem filters {resolved.motif_filters})"
    )
    return resolved, note


def training_for(config: Config, table: WindowTable) -> tuple[TrainingSpec, str]:
    """:func:`resolve_training` for a config's training on the table's train split."""
    n_train = int((table.split_code == 0).sum())
    return resolve_training(config.training, n_train, config.windows.target)


def train_model(
    config: Config,
    genome: Genome,
    table: WindowTable,
    out_dir: Path,
    arch: str | None = None,
    resume: bool = False,
    callbacks: list[keras.callbacks.Callback] | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``arch`` (default: the config's) on the table's train split; keep the best epoch.

    Data-size-aware defaults are resolved first (:func:`resolve_training`). An ensemble trains
    each member in ``out_dir/members/member<i>`` (seed + i; each resumable on its own) and saves
    the averaged model as ``out_dir/model.keras``. ``callbacks`` are added after ours (they see
    ``val_auprc`` in the logs). ``log`` receives the schedule line and the per-epoch lines of
    the multi-worker loop (Keras ``fit`` prints its own).
    """
    arch = arch or config.model.arch
    training, note = training_for(config, table)
    config = dataclasses.replace(config, training=training)
    if log is not None:
        log(f"[train] {arch}: {note}")
    shifts = shifts_for(training.test_time_shift)
    if max(shifts) >= table.context:
        raise InputError(
            f"training.test_time_shift {training.test_time_shift} must be below the {table.context} bp window"
        )
    if training.ensemble <= 1:
        unshifted = shifts == (0,)
        single = _train_one(config, genome, table, out_dir, arch, resume, callbacks, log, save=unshifted)
        if unshifted:
            return single
        return _averaged(training, [single], shifts, out_dir, single.history)
    results = []
    for i in range(training.ensemble):
        member = dataclasses.replace(
            config, training=dataclasses.replace(training, seed=training.seed + i, ensemble=1)
        )
        if log is not None:
            log(f"[train] {arch}: ensemble member {i + 1} of {training.ensemble} (seed {training.seed + i})")
        results.append(
            _train_one(
                member, genome, table, out_dir / "members" / f"member{i}", arch, resume, callbacks, log
            )
        )
    history = pd.concat([r.history.assign(member=i) for i, r in enumerate(results)], ignore_index=True)
    return _averaged(training, results, shifts, out_dir, history)


def _averaged(
    training: TrainingSpec,
    results: list[TrainResult],
    shifts: tuple[int, ...],
    out_dir: Path,
    history: pd.DataFrame,
) -> TrainResult:
    """The members' (and shifted windows') average as one model, saved as ``out_dir/model.keras``."""
    model = build_ensemble([r.model for r in results], shifts)
    meta = dataclasses.replace(
        results[0].meta,
        extra={
            **results[0].meta.extra,
            "ensemble": len(results),
            "member_best_epochs": [r.best_epoch for r in results],
            "test_time_shifts": list(shifts),
        },
    )
    if is_chief(training.strategy):
        save_model(model, out_dir / "model.keras", meta)
    return TrainResult(model, meta, history, out_dir, results[0].best_epoch, results[0].resumed_from)


def _train_one(
    config: Config,
    genome: Genome,
    table: WindowTable,
    out_dir: Path,
    arch: str,
    resume: bool,
    callbacks: list[keras.callbacks.Callback] | None,
    log: Callable[[str], None] | None,
    save: bool = True,
) -> TrainResult:
    """One model: checkpoints every epoch, resume, early stopping, the best epoch kept (saved as
    ``out_dir/model.keras`` unless ``save`` is off: the caller saves it wrapped)."""
    tc = config.training
    strategy = choose_strategy(tc.strategy)  # first: MultiWorkerMirroredStrategy precedes TF work
    custom_loop = use_custom_loop(tc.loop, strategy)
    chief = is_chief(tc.strategy)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = read_checkpoint_state(out_dir) if resume else None  # every worker reads the chief's
    if chief and not resume and (out_dir / "checkpoints").exists():
        shutil.rmtree(out_dir / "checkpoints")
    keras.utils.set_random_seed(tc.seed)
    train_src = WindowSource(genome, table.of_split("train"), tc.shuffled_negatives)
    valid_src = WindowSource(genome, table.of_split("valid"))
    if len(train_src) == 0 or len(valid_src) == 0:
        raise InputError(
            "the train or validation split is empty: check windows.valid_chroms / "
            "test_chroms against the genome's chromosomes"
        )
    with strategy.scope():
        if state is not None:
            model = keras.models.load_model(
                out_dir / "checkpoints" / f"epoch-{state['epoch']:04d}" / "model.keras"
            )
        else:
            model = build_for_config(config, table, arch)
            if tc.motif_filters and arch == "resnet" and config.transfer.mode == "none":
                init_motif_filters(model, tc.motif_filters, train_src, log if chief else None)
    if strategy.num_replicas_in_sync > 1:  # statistics over the global batch, as one process
        synchronize_batch_norm(model)
    first_epoch = state["epoch"] if state else 0
    done = state is not None and (state["stopped"] or state["epoch"] >= tc.epochs)
    # non-chief workers write the same checkpoints to a throwaway folder (saving may need them all)
    write_dir = worker_dir(out_dir, tc.strategy)
    checkpointer = Checkpointer(write_dir, tc.patience, state, tc.min_epochs, f"val_{tc.monitor}")
    if not done and custom_loop:
        validation = ValidationMetrics(valid_src, tc.batch_size, config.windows.target)
        all_callbacks = [ReseedDropout(tc.seed), validation, checkpointer, *(callbacks or [])]
        if tc.tensorboard and chief:
            all_callbacks.append(
                keras.callbacks.TensorBoard(out_dir / "tensorboard", write_graph=False, profile_batch=0)
            )
        custom_fit(
            model,
            strategy,
            train_src,
            valid_src,
            all_callbacks,
            batch_size=tc.batch_size,
            epochs=tc.epochs,
            first_epoch=first_epoch,
            seed=tc.seed,
            rc_augment=tc.rc_augment,
            jitter=tc.jitter,
            mutate=tc.mutate,
            flank_mask=tc.flank_mask,
            progress=tc.progress,
            reduce_after=validation,
            log=log,
        )
    elif not done:
        # partial batches are dropped: every strategy and loop takes the same global batches
        n_steps = steps_per_epoch(train_src, tc.batch_size, drop_remainder=True)
        if n_steps == 0:
            raise InputError(
                f"the train split has {len(train_src)} windows, fewer than one batch of {tc.batch_size}"
            )
        # One endless iterator (Keras keeps it across epochs when steps_per_epoch is given); each
        # pass over the table reshuffles with (seed, epoch), so a resumed run sees the same data.
        train_ds = make_dataset(
            train_src,
            tc.batch_size,
            shuffle=True,
            rc_augment=tc.rc_augment,
            jitter=tc.jitter,
            mutate=tc.mutate,
            flank_mask=tc.flank_mask,
            seed=tc.seed,
            first_epoch=first_epoch,
            repeat=True,
            drop_remainder=True,
        )
        all_callbacks = [
            ReseedDropout(tc.seed),
            ValidationMetrics(valid_src, tc.batch_size, config.windows.target),
            checkpointer,
            *(callbacks or []),
        ]
        if tc.tensorboard:
            all_callbacks.append(
                keras.callbacks.TensorBoard(out_dir / "tensorboard", write_graph=False, profile_batch=0)
            )
        model.fit(
            train_ds,
            epochs=tc.epochs,
            initial_epoch=first_epoch,
            steps_per_epoch=n_steps,
            callbacks=all_callbacks,
            verbose=1 if tc.progress else 2,
            shuffle=False,
        )
    best_epoch = checkpointer.state["best_epoch"] or checkpointer.state["epoch"]
    best_path = Path("checkpoints") / f"epoch-{best_epoch:04d}" / "model.keras"
    best = keras.models.load_model(
        write_dir / best_path if (write_dir / best_path).exists() else out_dir / best_path
    )
    meta = ModelMeta(
        profiles=list(table.profiles),
        input_length=table.context,
        bin_size=table.bin_size,
        target=config.windows.target,
        arch=arch,
        genome=str(Path(config.genome.fasta).resolve()) if config.genome.fasta else "",
        cell_types=[p.cell_type for p in config.profiles],
        assays=[p.assay for p in config.profiles],
        extra={
            "best_epoch": best_epoch,
            "genome_build": config.genome.build,
            "transfer_mode": config.transfer.mode if arch == "resnet" else "none",
            "config": config_to_dict(config),
        },
    )
    if chief and save:
        save_model(best, out_dir / "model.keras", meta)
    return TrainResult(
        best,
        meta,
        pd.DataFrame(checkpointer.state["history"]),
        out_dir,
        best_epoch,
        resumed_from=state["epoch"] if state else None,
    )


MAX_SHUFFLED = 5000  # test positives shuffled into hard negatives (a seeded sample beyond this)


def evaluate_model(
    model: keras.Model | KmerModel,
    meta: ModelMeta,
    genome: Genome,
    table: WindowTable,
    name: str,
    splits: tuple[str, ...] = ("valid", "test"),
    batch_size: int = 128,
    progress: bool = False,
    hard_negatives: bool = True,
    gc_matched: bool = True,
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Long-format metrics (model, profile, split, negatives, ...) and (labels, predictions) per split.

    Every split is scored against its own negatives (sampled bins, or a sequence set's given
    negatives); with ``hard_negatives`` each split is also scored against dinucleotide shuffles of
    its positives (split ``<split>-shuffled``, ``negatives`` = "shuffled positives": validation
    rows choose recipes without the test set). A Keras model predicts
    strand-averaged; a k-mer model is strand-symmetric by construction.
    """
    frames, preds = [], {}
    predict = model.predict if isinstance(model, KmerModel) else Predictor(model)
    kind = negatives_label(table.meta, gc_matched)
    for split in splits:
        source = WindowSource(genome, table.of_split(split))
        if len(source) == 0:
            continue
        y_true = source.table.labels
        step = 2 * batch_size
        y_pred = np.concatenate(
            [
                predict(source.codes(np.arange(i, min(i + step, len(source)))))
                for i in range(0, len(source), step)
            ]
        )
        preds[split] = (y_true, y_pred)
        frame = profile_metrics(y_true, y_pred, meta.profiles, meta.target)
        frame.insert(0, "negatives", kind)
        frame.insert(0, "split", split)
        frame.insert(0, "model", name)
        frames.append(frame)
        if hard_negatives and meta.target == "peaks" and np.nansum(y_true) > 0:
            rows = np.flatnonzero(np.nan_to_num(y_true, nan=0.0).max(axis=1) > 0.5)
            if len(rows) > MAX_SHUFFLED:
                rows = np.sort(np.random.default_rng(0).choice(rows, MAX_SHUFFLED, replace=False))
            hard, _ = shuffled_metrics(predict, source.codes(rows), y_true[rows], meta.profiles)
            hard.insert(0, "negatives", SHUFFLED)
            hard.insert(0, "split", shuffled_split(split))
            hard.insert(0, "model", name)
            frames.append(hard)
    return pd.concat(frames, ignore_index=True), preds
