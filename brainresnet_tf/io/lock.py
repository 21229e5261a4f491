"""An exclusive lock on a folder (the OS's file lock), so two processes never write one run."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brainresnet_tf.errors import InputError

LOCK_NAME = ".brainresnet.lock"


@contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``folder/.brainresnet.lock`` for the block.

    A second process asking for the same folder gets an :class:`InputError` naming the
    holder's PID. The OS drops the lock when the holder exits, even when it is killed, so a
    stale lock file never blocks a later run.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise InputError(
                f"{folder}: in use by another brainresnet process (PID {holder}); wait for it to "
                "finish, or give another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield path
    finally:
        fh.close()  # closing releases the lock
