"""The ``brainresnet`` command line."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML config (see configs/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set training.epochs=3 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="brainresnet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="synthetic genome -> train ResNet and baseline -> metrics")
    p.add_argument("--out", default="runs/demo", help="output directory")
    p.add_argument("--quick", action="store_true", help="small data and model (< 3 min on 2 cores)")
    p.add_argument("--seed", type=int, default=0)
    _add_config_args(p)

    p = sub.add_parser("train", help="train a model from a config")
    _add_config_args(p)
    p.add_argument("--out", help="output directory (overrides out_dir)")
    p.add_argument("--arch", choices=["resnet", "baseline"], help="overrides model.arch")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--baseline", action="store_true", help="also train the baseline CNN and compare")

    p = sub.add_parser("evaluate", help="per-profile AUROC/AUPRC on the test chromosomes")
    p.add_argument("--model", required=True, help="model.keras")
    _add_config_args(p)
    p.add_argument("--out", help="output directory (default: the model's folder)")
    p.add_argument("--baseline", nargs="?", const="train", default=None,
                   help="compare with a baseline: a baseline model.keras, or nothing to train one")

    p = sub.add_parser("predict", help="predict every profile for regions of a genome")
    p.add_argument("--model", required=True)
    p.add_argument("--genome", required=True, help="FASTA (plain or bgzipped, indexed)")
    p.add_argument("--regions", required=True, help="BED file; windows are centred on each region")
    p.add_argument("--out", required=True, help=".tsv or .parquet")
    p.add_argument("--batch-size", type=int, default=256)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``brainresnet`` console script."""
    args = build_parser().parse_args(argv)
    from .errors import InputError
    try:
        return _dispatch(args)
    except InputError as err:
        print(f"brainresnet: error: {err}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    from . import jobs
    from .config import load_config, parse_overrides

    overrides = parse_overrides(args.set) if hasattr(args, "set") else {}
    if args.command == "demo":
        jobs.run_demo(Path(args.out), quick=args.quick, seed=args.seed, config_path=args.config,
                      overrides=overrides)
    elif args.command == "train":
        if args.out:
            overrides["out_dir"] = str(Path(args.out).resolve())
        if args.arch:
            overrides["model.arch"] = args.arch
        config = load_config(args.config, overrides)
        jobs.run_train(config, resume=args.resume, with_baseline=args.baseline)
    elif args.command == "evaluate":
        config = load_config(args.config, overrides)
        jobs.run_evaluate(config, Path(args.model), Path(args.out) if args.out else None, args.baseline)
    elif args.command == "predict":
        jobs.run_predict(Path(args.model), Path(args.genome), Path(args.regions), Path(args.out),
                         args.batch_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
