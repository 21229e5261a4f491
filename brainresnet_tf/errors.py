"""One exception type for bad user input, with messages that name the file and line."""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """Bad user input (file, config, variant): the message says where and what is wrong."""


class OutputError(InputError):
    """An output that could not be written (a full disk): the message names it and the cause.

    A subclass of :class:`InputError` so every command reports it in one line."""


def input_error(
    path: str | PathLike | None, line: int | None, problem: str, expected: str | None = None
) -> InputError:
    """Build an :class:`InputError` reading ``path:line: problem (expected ...)``."""
    where = "" if path is None else str(path)
    if path is not None and line is not None:
        where += f":{line}"
    message = f"{where}: {problem}" if where else problem
    if expected:
        message += f" (expected {expected})"
    return InputError(message)
