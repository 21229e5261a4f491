"""Argument helpers shared by the workflow modules."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """``--config`` and repeatable ``--set key=value``."""
    parser.add_argument("--config", help="YAML config (see configs/)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set training.epochs=3 (repeatable)",
    )


def add_run_dir_args(parser: argparse.ArgumentParser) -> None:
    """``--resume`` and ``--overwrite`` for commands that train into a run folder."""
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a run already in the output folder (default: refuse)",
    )


def add_strict_peaks_arg(parser: argparse.ArgumentParser, regions: bool = False) -> None:
    """``--strict`` for commands that build the window table from peak files or, with
    ``regions``, read BED regions on a genome (predict, motifs, hits, attribute, query)."""
    what, per = ("region", "BED file") if regions else ("peak", "profile")
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"stop at the first {what} on a chromosome the genome lacks (default: skip such {what}s, "
        f"e.g. chrEBV, chrUn_* or all but a test chromosome, and print their counts per {per})",
    )


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """``--set`` overrides, plus ``--out`` as ``out_dir`` when the command has one."""
    from brainresnet_tf.train.config import parse_overrides

    overrides = parse_overrides(getattr(args, "set", []) or [])
    if getattr(args, "out", None) and "out_dir" not in overrides:
        overrides["out_dir"] = str(Path(args.out).resolve())
    return overrides


def int_list(text: str, flag: str) -> list[int]:
    """Comma-separated integers of a flag, or a one-line error naming it."""
    from brainresnet_tf.errors import InputError

    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"{flag} {text!r}: expected integers like 50,100,200") from None


def float_list(text: str, flag: str) -> list[float]:
    """Comma-separated numbers of a flag, or a one-line error naming it."""
    from brainresnet_tf.errors import InputError

    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"{flag} {text!r}: expected numbers like 0.05,0.2,1") from None


def say(line: str) -> None:
    """Print one progress line now (flushed, so it shows up in logs of long runs)."""
    print(line, flush=True)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (argparse prints the one-line usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def check_output(
    out: str | Path,
    inputs: dict[str, str | Path | None] | None = None,
    folder: bool = False,
    flag: str = "--out",
) -> Path:
    """Check an output path before any work: not an input, the right kind, in a writable folder.

    ``inputs`` maps flag names to the paths the command reads. Returns ``out`` as a Path.
    """
    import os

    from brainresnet_tf.errors import InputError

    out = Path(out)
    for name, path in (inputs or {}).items():
        if (
            path is not None
            and Path(path).exists()
            and out.exists()
            and out.resolve() == Path(path).resolve()
        ):
            raise InputError(
                f"{flag} {out} is also the input {name}: it would be overwritten; choose another output name"
            )
    if folder:
        if out.exists() and not out.is_dir():
            raise InputError(f"{flag} {out}: is a file; expected a folder for the outputs")
    elif out.is_dir():
        raise InputError(f"{flag} {out}: is a folder; give a file name inside it")
    parent = out if folder and out.exists() else out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {out}: cannot write in {parent} (permission denied)")
    return out


def bars(requested: bool = True) -> bool:
    """Progress bars only on a terminal: in logs and pipes their ``\\r`` updates are junk, so the
    commands print plain per-epoch or per-step lines there instead."""
    import sys

    return requested and sys.stderr.isatty() and sys.stdout.isatty()


def for_terminal(config):
    """``config`` with ``training.progress`` off when output is not a terminal (Keras then prints
    one line per epoch instead of a redrawn bar)."""
    import dataclasses

    if config.training.progress and not bars():
        return dataclasses.replace(config, training=dataclasses.replace(config.training, progress=False))
    return config
