"""A Dask cluster for the distributed commands: one started on this machine (``--workers N``) or an
existing one joined (``--scheduler ADDRESS``); one-line errors when neither works.

A local cluster runs ``N`` worker processes of one task at a time; each gets TensorFlow thread
pools of ``max(1, cores // N)`` threads, so the workers together use the machine's cores.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from brainresnet_tf.inference.workers import THREADS_ENV

CONNECT_TIMEOUT = 10  # seconds to wait for a --scheduler to answer


def machine_cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_cluster_args(workers: int | None, scheduler: Any) -> None:
    """One-line errors for ``--workers`` below 1, or both flags."""
    from brainresnet_tf.errors import InputError

    if workers is not None and scheduler is not None:
        raise InputError("--workers and --scheduler: give one (start a local cluster, or join one)")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1 (the number of worker processes)")


def _distributed():
    from brainresnet_tf.errors import InputError

    try:
        import distributed
    except ImportError:
        raise InputError("--workers/--scheduler need dask.distributed: pip install distributed") from None
    return distributed


@contextmanager
def dask_client(workers: int | None = None, scheduler: Any = None) -> Iterator[Any]:
    """A ``distributed.Client``: of a new local cluster of ``workers`` processes, of the scheduler
    at address ``scheduler``, or ``scheduler`` itself when it is a Client (left open)."""
    from brainresnet_tf.errors import InputError

    check_cluster_args(workers, scheduler)
    distributed = _distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            cause = " ".join(str(err).split())[:160] or type(err).__name__
            raise InputError(
                f"--scheduler {scheduler}: no Dask scheduler answered within {CONNECT_TIMEOUT} s "
                f"({cause}); start one (dask scheduler, then dask worker ADDRESS) or check the address"
            ) from None
        with client:
            yield client
        return
    threads = str(max(1, machine_cores() // (workers or 1)))
    cluster = distributed.LocalCluster(
        n_workers=workers or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: no clash with another cluster
        silence_logs=logging.ERROR,
        env={THREADS_ENV: threads, "OMP_NUM_THREADS": threads, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    with cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client
