"""Training across workers: MultiWorkerMirroredStrategy with a custom ``strategy.run`` loop.

Keras 3 ``fit`` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585), so under
``training.strategy: multi_worker`` (or ``auto`` with ``TF_CONFIG`` set) :func:`custom_fit` runs
the epochs itself; ``training.loop: custom`` runs it under the default and mirrored strategies too.
Everything else is shared with the Keras path of :func:`brainresnet_tf.train.fit.train_model`:
the model (``build_for_config``), the data pipeline, the validation callback, the checkpoint format
and early stopping (``Checkpointer``: ``checkpoints/epoch-NNNN/model.keras`` + ``state.json``).

How one step is distributed
    ``training.batch_size`` is the GLOBAL batch. Each of the R replicas (over all workers) takes
    ``batch_size / R`` windows; worker w of W reads batches of ``batch_size / W`` with
    ``shard=(w, W)`` (every W-th batch from w) and splits them between its local replicas in
    order. Because the pipeline's order and strand flips depend only on (seed, epoch), the
    replicas of step k together hold exactly the rows of the k-th global batch a single process
    reads: same data, same order. Partial batches are dropped (every strategy, fit included), so
    all workers take ``len(train) // batch_size`` steps. The loss is ``model.compute_loss`` (which
    Keras already divides by R), gradients are summed across replicas by the optimizer, the step
    loss is ``strategy.reduce(SUM)``, and batch normalisation uses global-batch statistics
    (``synchronized``) whenever R > 1: the run computes what one process with the same global
    batch computes, up to floating-point order (dropout masks are drawn per replica).

Validation and early stopping
    Every worker predicts the whole validation split (same weights, so the same metrics); the
    epoch's logs are then averaged across workers so every worker sees bit-identical values and
    takes the same early-stopping decision.

Checkpoints and resume
    The chief (``chief`` task, else worker 0) writes ``out_dir``. Other workers run the very same
    code (saving may involve collectives) into a throwaway directory (``$BRAINRESNET_WORKER_DIR/
    worker-<rank>/...`` when set, kept; else a temporary folder removed at exit). On ``--resume``
    every worker reads ``out_dir/checkpoints`` (so out_dir must be on storage all workers share);
    workers check that they resume from the same epoch on the same window table before training.
    A killed worker makes the others fail within seconds (TF's coordination service); restart
    every worker with ``--resume`` (``brainresnet launch --restarts N`` does it locally).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from brainresnet_tf.data.pipeline import WindowSource, make_dataset
from brainresnet_tf.errors import InputError
from brainresnet_tf.train.config import LOOPS, STRATEGIES

WORKER_DIR_ENV = "BRAINRESNET_WORKER_DIR"


@dataclass(frozen=True)
class WorkerInfo:
    """This process's place in the ``TF_CONFIG`` cluster (one worker without TF_CONFIG)."""

    n_workers: int = 1
    task_type: str = "worker"
    index: int = 0
    rank: int = 0  # 0..n_workers-1, chief first

    @property
    def is_chief(self) -> bool:
        return self.rank == 0


def worker_info() -> WorkerInfo:
    """Parse ``TF_CONFIG`` (no TensorFlow call): workers, this task, chief-ness."""
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        return WorkerInfo()
    try:
        tf_config = json.loads(raw)
        cluster, task = tf_config["cluster"], tf_config["task"]
        task_type, index = str(task["type"]), int(task["index"])
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"TF_CONFIG is not valid ({err}): expected JSON like "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
            '"task": {"type": "worker", "index": 0}}'
        ) from None
    other = sorted(set(cluster) - {"chief", "worker"})
    if other:
        raise InputError(
            f"TF_CONFIG: cluster job(s) {other} are not used by synchronous "
            "multi-worker training (only 'chief' and 'worker')"
        )
    chiefs, workers = list(cluster.get("chief", [])), list(cluster.get("worker", []))
    members = {"chief": chiefs, "worker": workers}
    if task_type not in members or not 0 <= index < len(members[task_type]):
        raise InputError(f"TF_CONFIG: task {task_type}:{index} is not in the cluster {cluster}")
    rank = index if task_type == "chief" else len(chiefs) + index
    return WorkerInfo(len(chiefs) + len(workers), task_type, index, rank)


def resolved_strategy_name(name: str) -> str:
    """``auto`` -> ``multi_worker`` when TF_CONFIG is set; other names are checked and returned.

    (``auto`` without TF_CONFIG stays ``auto``: telling default from mirrored needs the devices.)
    """
    if name not in STRATEGIES:
        raise InputError(f"training.strategy {name!r} is not one of {', '.join(STRATEGIES)}")
    if name == "auto" and os.environ.get("TF_CONFIG", "").strip():
        return "multi_worker"
    return name


def is_chief(strategy_name: str = "auto") -> bool:
    """Whether this process writes the run's outputs (always, unless it is a non-chief worker)."""
    return resolved_strategy_name(strategy_name) != "multi_worker" or worker_info().is_chief


_STRATEGY: tf.distribute.Strategy | None = None


def multi_worker_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    """The process's MultiWorkerMirroredStrategy (one per process; create it before other TF work).

    Creating it blocks until every worker of ``TF_CONFIG`` has started (a rendezvous).
    """
    global _STRATEGY
    if _STRATEGY is None:
        worker_info()  # a clear error for a malformed TF_CONFIG
        _STRATEGY = tf.distribute.MultiWorkerMirroredStrategy()
    return _STRATEGY


def is_multi_worker(strategy: tf.distribute.Strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def use_custom_loop(loop: str, strategy: tf.distribute.Strategy) -> bool:
    """``training.loop`` for ``strategy``: auto is the custom loop exactly under multi-worker."""
    if loop not in LOOPS:
        raise InputError(f"training.loop {loop!r} is not one of {', '.join(LOOPS)}")
    if loop == "fit" and is_multi_worker(strategy):
        raise InputError(
            "training.loop 'fit' does not work under MultiWorkerMirroredStrategy "
            "(Keras 3 fit fails there: keras-team/keras#20585); use auto or custom"
        )
    return loop == "custom" or (loop == "auto" and is_multi_worker(strategy))


_SCRATCH: Path | None = None


def worker_dir(out_dir: Path, strategy_name: str = "auto") -> Path:
    """Where this process writes a run: ``out_dir`` for the chief, a throwaway folder otherwise."""
    global _SCRATCH
    if is_chief(strategy_name):
        return out_dir
    rank = worker_info().rank
    keep = os.environ.get(WORKER_DIR_ENV, "").strip()
    if keep:
        root = Path(keep) / f"worker-{rank}"
    else:
        if _SCRATCH is None:
            _SCRATCH = Path(tempfile.mkdtemp(prefix=f"brainresnet-worker{rank}-"))
            atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
        root = _SCRATCH
    path = root / Path(os.path.abspath(out_dir)).relative_to("/")
    path.mkdir(parents=True, exist_ok=True)
    return path


def synchronize_batch_norm(model: keras.Model) -> int:
    """Make every BatchNormalization layer use global-batch statistics across replicas.

    Returns the number of layers changed. Call it before the first training step is traced.
    """
    changed = 0
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
            layer.synchronized = True
            changed += 1
    return changed


def table_fingerprint(source: WindowSource) -> int:
    """A checksum of a split's windows and labels (workers compare them before training)."""
    crc = zlib.crc32(np.ascontiguousarray(source.starts).tobytes())
    return zlib.crc32(np.ascontiguousarray(np.nan_to_num(source.table.labels, nan=-1.0)).tobytes(), crc)


class CrossWorker:
    """Small all-reduces of host values across the workers of a strategy."""

    def __init__(self, strategy: tf.distribute.Strategy):
        self.strategy = strategy
        self.n_workers = worker_info().n_workers if is_multi_worker(strategy) else 1

        @tf.function
        def mean(values):
            per_replica = strategy.run(tf.identity, args=(values,))
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)

        self._mean = mean

    def mean(self, values) -> np.ndarray:
        """Element-wise mean over workers (identical on every worker)."""
        values = np.asarray(values, np.float64)
        if self.n_workers == 1:
            return values
        return self._mean(tf.constant(values, tf.float64)).numpy()

    def agree(self, values) -> bool:
        """Whether every worker passed the same values."""
        values = np.asarray(values, np.float64)
        mean = self.mean(values)
        spread = self.mean(np.abs(values - mean))
        return bool(np.all(spread <= 1e-9 * np.maximum(1.0, np.abs(mean))))


class AgreeAcrossWorkers(keras.callbacks.Callback):
    """Replace the epoch's logs by their mean over workers: bit-identical decisions everywhere."""

    def __init__(self, cross: CrossWorker):
        super().__init__()
        self.cross = cross

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.cross.n_workers == 1:
            return
        keys = sorted(k for k, v in logs.items() if isinstance(v, (int, float, np.number)))
        for key, value in zip(keys, self.cross.mean([float(logs[k]) for k in keys])):
            logs[key] = float(value)


class ReseedDropout(keras.callbacks.Callback):
    """Restart every random-seed stream of the model (dropout) from (seed, epoch) each epoch.

    Keras does not save seed-generator states with a model, so without this a resumed run would
    draw different dropout masks than an uninterrupted one; with it, epoch e trains the same way
    whether or not the run was stopped before it.
    """

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        states = [v for v in self.model.variables if v.name == "seed_generator_state"]
        for i, state in enumerate(states):
            start = np.random.default_rng([self.seed, epoch, i]).integers(1, 2**31 - 1)
            state.assign(np.array([start, 0], dtype=state.dtype))


def make_train_step(model: keras.Model, strategy: tf.distribute.Strategy):
    """A ``tf.function`` running one global step from a distributed iterator; returns its loss."""
    if not model.optimizer.built:  # slots now, not in the first traced step (fails with replicas)
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            # compute_loss divides by the number of replicas (as Keras fit does): summed over
            # replicas it is the mean over the global batch, and so are the summed gradients
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
            scaled = model.optimizer.scale_loss(loss)
        variables = model.trainable_variables
        gradients = tape.gradient(scaled, variables)
        model.optimizer.apply_gradients(zip(gradients, variables))
        return loss

    @tf.function
    def train_step(iterator):
        per_replica = strategy.run(replica_step, args=next(iterator))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return train_step


def distributed_dataset(
    strategy: tf.distribute.Strategy,
    source: WindowSource,
    batch_size: int,
    *,
    seed: int,
    rc_augment: bool,
    epoch: int,
    repeat: bool = False,
    jitter: int = 0,
    mutate: float = 0.0,
    flank_mask: float = 0.0,
) -> tf.distribute.DistributedDataset:
    """Epoch ``epoch`` of ``source`` in global batches of ``batch_size``, one slice per replica.

    Worker w of W reads batches of ``batch_size / W`` with ``shard=(w, W)``; its local replicas
    take consecutive slices of each, so step k's replicas hold global batch k's rows in order.
    """
    replicas = strategy.num_replicas_in_sync
    per_replica = batch_size // replicas

    def dataset_fn(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
        per_worker = per_replica * (replicas // ctx.num_input_pipelines)
        ds = make_dataset(
            source,
            per_worker,
            shuffle=True,
            rc_augment=rc_augment,
            seed=seed,
            shard=(ctx.input_pipeline_id, ctx.num_input_pipelines),
            drop_remainder=True,
            first_epoch=epoch,
            repeat=repeat,
            jitter=jitter,
            mutate=mutate,
            flank_mask=flank_mask,
        )
        # static shapes (all batches are full): spares tf.distribute its partial-batch handling,
        # whose cond fails with several local replicas
        ds = ds.map(
            lambda x, y: (
                tf.ensure_shape(x, (per_worker, *x.shape[1:])),
                tf.ensure_shape(y, (per_worker, *y.shape[1:])),
            )
        )
        if per_worker != per_replica:
            ds = ds.rebatch(per_replica, drop_remainder=True)
        return ds

    return strategy.distribute_datasets_from_function(dataset_fn)


def custom_fit(
    model: keras.Model,
    strategy: tf.distribute.Strategy,
    train_src: WindowSource,
    valid_src: WindowSource,
    callbacks: list[keras.callbacks.Callback],
    *,
    batch_size: int,
    epochs: int,
    first_epoch: int,
    seed: int,
    rc_augment: bool,
    progress: bool,
    reduce_after: keras.callbacks.Callback | None = None,
    jitter: int = 0,
    mutate: float = 0.0,
    flank_mask: float = 0.0,
    log: Callable[[str], None] | None = None,
) -> None:
    """Train ``model`` (built under ``strategy.scope()``) from ``first_epoch`` to ``epochs``.

    ``callbacks`` see the same events and logs as under Keras fit (train begin/end, epoch
    begin/end with ``loss`` then whatever the validation callback adds); the logs are averaged
    across workers right after ``reduce_after`` (that validation callback; else first), before
    checkpointing. ``log`` receives one line per epoch start and end, as Keras prints them.
    """
    log = log or (lambda line: None)
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise InputError(
            f"training.batch_size {batch_size} (the global batch) does not split "
            f"evenly over {replicas} replicas: use a multiple of {replicas}"
        )
    steps = len(train_src) // batch_size
    if steps == 0:
        raise InputError(
            f"the train split has {len(train_src)} windows, fewer than one global batch of {batch_size}"
        )
    cross = CrossWorker(strategy)
    info = worker_info() if is_multi_worker(strategy) else WorkerInfo()
    check = [
        first_epoch,
        len(train_src),
        len(valid_src),
        table_fingerprint(train_src),
        table_fingerprint(valid_src),
    ]
    if not cross.agree(check):
        raise InputError(
            f"worker {info.rank}: the workers resume from different epochs or hold "
            f"different window tables (here: epoch {first_epoch}, {len(train_src)} "
            "train windows); out_dir must be on storage every worker shares"
        )
    callbacks = list(callbacks)
    at = callbacks.index(reduce_after) + 1 if reduce_after is not None else 0
    callbacks.insert(at, AgreeAcrossWorkers(cross))
    cb = keras.callbacks.CallbackList(
        callbacks, model=model, epochs=epochs, steps=steps, verbose=int(progress)
    )
    if replicas > 1:
        synchronize_batch_norm(model)
    train_step = make_train_step(model, strategy)
    model.stop_training = False
    cb.on_train_begin()
    logs: dict = {}
    for epoch in range(first_epoch, epochs):
        cb.on_epoch_begin(epoch)
        log(f"Epoch {epoch + 1}/{epochs}")
        t0 = time.time()
        dist = distributed_dataset(
            strategy,
            train_src,
            batch_size,
            seed=seed,
            rc_augment=rc_augment,
            epoch=epoch,
            jitter=jitter,
            mutate=mutate,
            flank_mask=flank_mask,
        )
        iterator = iter(dist)
        bar = keras.utils.Progbar(steps) if progress and info.is_chief else None
        total = 0.0
        for step in range(steps):
            cb.on_train_batch_begin(step)
            loss = float(train_step(iterator))
            total += loss
            cb.on_train_batch_end(step, {"loss": loss})
            if bar is not None:
                bar.update(step + 1, [("loss", loss)])
        del iterator, dist
        logs = {"loss": total / steps}
        for callback in cb.callbacks:  # one logs dict through all (CallbackList would copy it)
            callback.on_epoch_end(epoch, logs)
        shown = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        log(f"{steps}/{steps} - {time.time() - t0:.0f}s - {shown}")
        if model.stop_training:
            break
    cb.on_train_end(logs)
