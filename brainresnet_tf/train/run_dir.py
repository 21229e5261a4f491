"""Claiming a run folder: one process at a time, and an existing run is never overwritten by
accident."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.lock import folder_lock

# What a finished or interrupted run leaves; any of them means the folder holds a run.
RUN_OUTPUTS = (
    "checkpoints",
    "model.keras",
    "model.json",
    "history.csv",
    "metrics.tsv",
    "metrics.json",
    "curves.png",
    "training_curves.png",
    "tensorboard",
    "baseline",
    "extractor.keras",
    "extractor.json",
)


def existing_run(out: Path) -> list[str]:
    """Names of run outputs already in ``out``."""
    return [name for name in RUN_OUTPUTS if (out / name).exists()]


@contextmanager
def claim_run_dir(out: str | Path, resume: bool = False, overwrite: bool = False) -> Iterator[Path]:
    """Lock ``out`` for this process and check it may be written.

    Without ``resume`` or ``overwrite``, a folder that already holds a run is an error naming
    the three ways on; ``overwrite`` deletes the old run's outputs first (inputs such as
    ``data/`` and the cached ``windows.npz`` stay).
    """
    out = Path(out)
    with folder_lock(out):
        found = existing_run(out)
        if found and not resume and not overwrite:
            raise InputError(
                f"{out} already holds a run ({', '.join(found[:4])}): add --resume to continue it, "
                "--overwrite to replace it, or --out to train somewhere else"
            )
        if overwrite and not resume:
            for name in found:
                path = out / name
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        yield out
