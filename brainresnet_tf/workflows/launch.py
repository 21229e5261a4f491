"""``brainresnet launch``: N local worker processes for multi-worker training on one machine."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from brainresnet_tf.workflows.common import add_config_args, add_strict_peaks_arg, positive_int

NAME = "launch"


@dataclass(frozen=True)
class LaunchOptions:
    """One ``brainresnet launch``: the workers, what each runs, and restarts."""

    workers: int
    config: str
    command: str = "train"  # or "pretrain"
    overrides: list[str] = field(default_factory=list)  # --set items
    out: str | None = None
    port_base: int | None = None
    resume: bool = False
    restarts: int = 0
    baseline: bool = False
    strict: bool = False  # stop at a peak on a chromosome the genome lacks


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``launch`` subcommand's arguments."""
    p = sub.add_parser(
        NAME,
        help="multi-worker training on this machine: N local workers "
        "with TF_CONFIG on loopback ports (worker 0 is the chief)",
    )
    p.add_argument("--workers", type=positive_int, required=True, help="number of worker processes")
    add_config_args(p)
    p.add_argument("--port-base", type=int, help="ports P..P+N-1 on 127.0.0.1 (default: free ones)")
    p.add_argument("--out", help="output directory (overrides out_dir)")
    p.add_argument("--resume", action="store_true", help="every worker continues from the last checkpoint")
    p.add_argument(
        "--restarts",
        type=int,
        default=0,
        help="when a worker dies, stop all and start them again with --resume, "
        "up to this many times (default 0: fail)",
    )
    p.add_argument(
        "--command",
        dest="command_name",
        choices=["train", "pretrain"],
        default="train",
        help="what each worker runs (default train)",
    )
    p.add_argument("--baseline", action="store_true", help="train: also train the baseline CNN")
    add_strict_peaks_arg(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Launch the workers (no TensorFlow in this process)."""
    from brainresnet_tf.errors import InputError

    if args.config is None:
        raise InputError("launch needs --config (the YAML every worker trains)")
    return run_launch(
        LaunchOptions(
            args.workers,
            args.config,
            args.command_name,
            list(args.set),
            args.out,
            args.port_base,
            args.resume,
            args.restarts,
            args.baseline,
            args.strict,
        )
    )


def run_launch(options: LaunchOptions) -> int:
    """Build each worker's command line and run the group; returns the exit status."""
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.train.launcher import launch

    if not Path(options.config).exists():
        raise InputError(f"{options.config}: config file not found")
    worker_args = [options.command, "--config", str(Path(options.config).resolve())]
    for item in options.overrides:
        worker_args += ["--set", item]
    worker_args += ["--set", "training.strategy=multi_worker"]  # whatever the config says
    if options.out:
        worker_args += ["--out", str(Path(options.out).resolve())]
    if options.baseline:
        if options.command != "train":
            raise InputError("--baseline goes with --command train")
        worker_args.append("--baseline")
    if options.strict:
        worker_args.append("--strict")
    return launch(
        options.workers,
        worker_args,
        options.port_base,
        options.restarts,
        options.resume,
        log=lambda line: print(line, flush=True),
        warn=lambda line: print(line, file=sys.stderr, flush=True),
    )
