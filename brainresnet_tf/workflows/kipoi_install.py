"""``brainresnet kipoi-install``: add a model to the BrainResNet Kipoi group and register it."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "kipoi-install"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``kipoi-install`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="add a model to the BrainResNet Kipoi group and register it with Kipoi")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument(
        "--name",
        required=True,
        help="model name in the group, e.g. iPSC_neuron (kipoi predict BrainResNet/<name>)",
    )
    p.add_argument(
        "--kipoi-dir", help="folder for the installed group (default: $HOME/.kipoi/brainresnet_models)"
    )
    p.add_argument(
        "--source-name",
        default="kipoi",
        help="Kipoi model source to register the folder as (default kipoi, so plain "
        "`kipoi predict BrainResNet/<name>` finds it; the public zoo entry is "
        "kept as kipoi_zoo)",
    )
    p.add_argument("--cell-type", help="cell type shown in the model's doc (default: the model's)")
    return p


def run(args: argparse.Namespace) -> int:
    """Install and print the commands that use it."""
    from brainresnet_tf.serve.kipoi_group import GROUP, install_model

    path = install_model(
        Path(args.model), args.name, args.kipoi_dir, args.source_name, cell_type=args.cell_type
    )
    source = "" if args.source_name == "kipoi" else f" --source {args.source_name}"
    print(
        f"[kipoi-install] {GROUP}/{args.name} -> {path}\n"
        f"  kipoi test {GROUP}/{args.name} --source {args.source_name}\n"
        f"  kipoi predict {GROUP}/{args.name}{source} --dataloader_args="
        '\'{"intervals_file": "regions.bed", "fasta_file": "genome.fa"}\' -o preds.tsv'
    )
    return 0
