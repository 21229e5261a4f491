"""``brainresnet predict``: every profile for windows centred on the regions of a BED file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from brainresnet_tf.workflows.common import check_output, positive_int

NAME = "predict"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``predict`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="predict every profile for regions of a genome")
    p.add_argument("--model", required=True)
    p.add_argument("--genome", required=True, help="FASTA (plain or bgzipped, indexed)")
    p.add_argument("--regions", required=True, help="BED file; windows are centred on each region")
    p.add_argument("--out", required=True, help=".tsv or .parquet")
    p.add_argument("--batch-size", type=positive_int, default=256)
    return p


def run(args: argparse.Namespace) -> int:
    """Predict and write the table."""
    check_output(args.out, {"--regions": args.regions, "--genome": args.genome, "--model": args.model})
    run_predict(Path(args.model), Path(args.genome), Path(args.regions), Path(args.out), args.batch_size)
    return 0


def run_predict(
    model_path: Path, genome_path: Path, regions_path: Path, out: Path, batch_size: int = 256
) -> pd.DataFrame:
    """Predict every profile for each region; write TSV or Parquet."""
    from brainresnet_tf.inference.predict import predict_regions
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import read_bed
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.models.saving import load_model

    model, meta = load_model(model_path)
    genome = Genome(genome_path)
    regions = read_bed(regions_path, genome)
    preds = predict_regions(model, meta, genome, regions, batch_size)
    write_table(preds, out)
    print(f"[predict] {len(preds):,} regions x {len(meta.profiles)} profiles -> {out}")
    return preds
