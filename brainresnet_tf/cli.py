"""The ``brainresnet`` command line: the parser built from the workflow modules, and our error
type turned into one line."""

from __future__ import annotations

import argparse
import importlib
import sys

from brainresnet_tf.startup import quiet_tensorflow_import
from brainresnet_tf.workflows import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for every subcommand (one per workflow module)."""
    parser = argparse.ArgumentParser(prog="brainresnet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMANDS:
        module = importlib.import_module(f"brainresnet_tf.workflows.{module_name}")
        module.add_parser(sub).set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``brainresnet`` console script."""
    from brainresnet_tf.errors import InputError

    quiet_tensorflow_import()
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as err:
        print("brainresnet: error: " + " ".join(str(err).split()), file=sys.stderr)  # always one line
        return 2


if __name__ == "__main__":
    sys.exit(main())
