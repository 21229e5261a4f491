"""What identifies a file's content without reading it: resolved path, size, modification time.

Caches (the genome encoding, ``windows.npz``, genome-wide partial results) are keyed by it, so a
replaced input is noticed even when its name stays the same.
"""

from __future__ import annotations

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
