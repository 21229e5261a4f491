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
