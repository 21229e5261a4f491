"""``brainresnet export``: a TF Serving SavedModel, ``<serving-dir>/<version>/``."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``export`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="write a TF Serving SavedModel: <serving-dir>/<version>/")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--serving-dir", required=True, help="model base path, e.g. models/iPSC_neuron")
    p.add_argument("--version", type=int, help="version number (default: the next integer)")
    return p


def run(args: argparse.Namespace) -> int:
    """Export and say where."""
    from brainresnet_tf.serve.export import export_serving

    path = export_serving(Path(args.model), Path(args.serving_dir), args.version)
    print(f"[export] SavedModel for TF Serving -> {path}")
    return 0
