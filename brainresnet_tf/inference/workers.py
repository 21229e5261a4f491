"""State a worker process of a Dask cluster keeps between its tasks: the model, loaded once per
model file (keyed by its path and content hash), and the genome; TensorFlow started quietly with
the thread pools the cluster asked for (:data:`THREADS_ENV`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

THREADS_ENV = "BRAINRESNET_TF_THREADS"  # TensorFlow's intra- and inter-op threads in a worker
_STATE: dict[tuple, Any] = {}  # this process's loaded objects
_LOCK = threading.Lock()


def cached(key: tuple, make: Callable[[], Any]) -> Any:
    """``make()`` once per ``key`` in this process; the same object afterwards."""
    with _LOCK:
        if key not in _STATE:
            _STATE[key] = make()
        return _STATE[key]


def quiet_tensorflow() -> None:
    """The process's first ``import tensorflow`` without its start-up chatter (as the CLI's)."""
    from brainresnet_tf.startup import quiet_tensorflow_import

    quiet_tensorflow_import()


def set_threads() -> None:
    """TensorFlow's thread pools sized from :data:`THREADS_ENV` (before its runtime starts)."""
    threads = int(os.environ.get(THREADS_ENV, "0") or 0)
    if threads:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # the runtime had started already: keep its pools
            pass


def saved_model(path: str, digest: str) -> tuple[Any, Any]:
    """(network, meta) of the saved model at ``path`` (any kind), loaded once per content hash."""

    def load():
        quiet_tensorflow()
        set_threads()
        from brainresnet_tf.inference.predictors import load_saved

        return load_saved(path)

    return cached(("model", path, digest), load)


def genome(path: str) -> Any:
    """The :class:`~brainresnet_tf.io.genome.Genome` at ``path``, opened once."""
    from brainresnet_tf.io.genome import Genome

    return cached(("genome", path), lambda: Genome(path))
