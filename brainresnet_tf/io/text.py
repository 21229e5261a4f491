"""Text input: plain or gzipped files read line by line, every failure one line naming the file.

Binary files, UTF-16, NUL bytes, a corrupt or truncated gzip stream and folders given as files all
become :class:`InputError` with the file (and line), never a decoding traceback.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from brainresnet_tf.errors import InputError, input_error


def open_text(path: str | os.PathLike, what: str = "file") -> IO[str]:
    """A text handle on a plain or gzipped file; a clear InputError when it cannot be read as text.

    Lines are decoded as UTF-8 lazily: iterate through :func:`text_lines`, which turns a decoding
    or decompression failure into an InputError naming the line.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: {what} not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a {what}")
    try:
        with open(path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        if gzipped:
            return gzip.open(path, "rt", encoding="utf-8")
        return open(path, encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read {what} ({err.strerror or err})") from None


def text_lines(path: Path, fh) -> Iterator[tuple[int, str]]:
    """(line number, line) of an open text handle; undecodable or corrupt input is an InputError."""
    lineno = 0
    try:
        for lineno, line in enumerate(fh, start=1):
            if "\x00" in line:
                raise input_error(path, lineno, "binary data (NUL bytes)", "a text file")
            yield lineno, line
    except UnicodeDecodeError:
        raise input_error(
            path, lineno + 1, "not UTF-8 text (a binary file, or UTF-16?)", "plain or gzipped text"
        ) from None
    except (OSError, EOFError, zlib.error) as err:
        raise input_error(path, lineno + 1, f"cannot read: corrupt or truncated gzip ({err})") from None
