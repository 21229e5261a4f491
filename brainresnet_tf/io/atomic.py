"""Atomic file output: write to a unique temporary name beside the target, then rename.

Every file the package writes goes through here, so a killed or failed command never leaves a
half-written output under the real name, and no ``.tmp`` litter beside it: the temporary file is
removed when the writing block fails. Temporary names carry the process id and a random part, so
two processes writing the same output never share one.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from brainresnet_tf.errors import OutputError

TMP_MARK = ".tmp-"  # in every temporary name (tests look for leftovers by it)


def temporary_name(path: str | os.PathLike) -> Path:
    """A unique hidden name beside ``path`` that keeps its suffix (``.keras``, ``.png`` ...)."""
    path = Path(path)
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}")


def write_failure(path: str | os.PathLike, err: BaseException) -> BaseException:
    """A full disk or quota while writing ``path`` as an :class:`OutputError` naming the output,
    the cause and the free space left; any other exception unchanged."""
    if not isinstance(err, OSError) or err.errno not in (errno.ENOSPC, errno.EDQUOT):
        return err
    folder = Path(path).resolve().parent
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:,.1f} MiB free in {folder}"
    except OSError:
        free = f"free space in {folder} unknown"
    cause = "no space left on device" if err.errno == errno.ENOSPC else "disk quota exceeded"
    return OutputError(
        f"{path}: not written, {cause} ({free}); nothing was left under its name: free space "
        "or write the output to another disk"
    )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` when the block succeeds.

    The parent folder is created. On any exception the temporary file is removed and the
    exception goes on; ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as err:
        _remove(tmp)
        failure = write_failure(path, err)
        if failure is err:
            raise
        raise failure from None


@contextmanager
def atomic_dir(path: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder to fill; it becomes ``path`` when the block succeeds.

    With ``replace`` an existing ``path`` is swapped out (moved aside, then deleted); without it
    an existing ``path`` makes the rename fail (``FileExistsError`` or ``OSError``), as when
    another process published the same folder first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    tmp.mkdir()
    try:
        yield tmp
        if replace and path.exists():
            old = temporary_name(path)
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.rename(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """``open`` a temporary file for writing; it replaces ``path`` when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None`` and numpy scalars/arrays as plain Python.

    Strict JSON has no NaN: parsers other than Python's reject a bare ``NaN``.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy scalar / array
        return json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def write_json(path: str | os.PathLike, data: Any, indent: int = 2) -> Path:
    """Write ``data`` as strict JSON (NaN -> null) to ``path`` atomically; returns the path."""
    return write_text(path, json.dumps(json_safe(data), indent=indent, allow_nan=False) + "\n")


def copy_file(src: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Copy ``src`` to ``dest`` atomically; returns ``dest``."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
    return Path(dest)


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically (format from the suffix) and close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi)
    finally:
        plt.close(fig)
    return Path(path)
