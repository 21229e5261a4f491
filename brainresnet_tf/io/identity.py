"""What identifies a file: without reading it (resolved path, size, modification time), or by
its content (a hash).

Caches (the genome encoding, ``windows.npz``, genome-wide partial results) are keyed by the first,
so a replaced input is noticed even when its name stays the same; caches that should follow a
file wherever it is copied (the null of a model, :mod:`brainresnet_tf.variant.null`) by the second.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any


def file_identity(path: str | os.PathLike | None) -> dict[str, Any] | None:
    """``{"path", "size", "mtime_ns"}`` of a file (``missing: True`` if absent); None for None."""
    if path is None:
        return None
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return {"path": str(path), "missing": True}
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def file_digest(*paths: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) of the content of ``paths`` in order (a path that does not exist adds its name)."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        if not path.is_file():
            digest.update(f"missing:{path.name}".encode())
            continue
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()
