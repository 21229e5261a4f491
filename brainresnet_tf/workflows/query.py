"""``brainresnet query``: predictions from any TF Serving gRPC endpoint (ours or the real one)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from brainresnet_tf.workflows.common import add_strict_peaks_arg, check_output, positive_int

NAME = "query"


@dataclass(frozen=True)
class QueryOptions:
    """One ``brainresnet query``: the endpoint, the sequences (one source) and where to write."""

    server: str
    model: str
    sequences: list[str] | None = None
    fasta: str | None = None
    bed: str | None = None
    genome: str | None = None
    signature: str = "predict_dna"
    batch_size: int = 64
    timeout: float = 60.0
    out: str | None = None
    strict: bool = False  # with bed: stop at a region on a chromosome the genome lacks


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``query`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="query a TF Serving endpoint (ours or the real one)")
    p.add_argument("--server", default="127.0.0.1:8500", help="host:port of the gRPC endpoint")
    p.add_argument("--model", required=True, help="model name on the server")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--sequences", nargs="+", metavar="DNA", help="DNA strings (ACGTN)")
    src.add_argument("--fasta", help="FASTA; each record exactly the model's input length")
    src.add_argument("--bed", help="BED regions; windows centred on each (needs --genome)")
    p.add_argument("--genome", help="genome FASTA for --bed")
    add_strict_peaks_arg(p, regions=True)
    p.add_argument(
        "--signature",
        default="predict_dna",
        choices=["predict_dna", "serving_default"],
        help="predict_dna (strings, strand-averaged by the server) or serving_default "
        "(one-hot, forward strand only)",
    )
    p.add_argument("--out", help="write the table here (.tsv or .parquet) instead of stdout")
    p.add_argument("--batch-size", type=positive_int, default=64, help="sequences per request")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    return p


def run(args: argparse.Namespace) -> int:
    """Query and print (or write) the table."""
    if args.out:
        check_output(args.out, {"--fasta": args.fasta, "--bed": args.bed, "--genome": args.genome})
    run_query(
        QueryOptions(
            args.server,
            args.model,
            args.sequences,
            args.fasta,
            args.bed,
            args.genome,
            args.signature,
            args.batch_size,
            args.timeout,
            args.out,
            args.strict,
        )
    )
    return 0


def run_query(options: QueryOptions) -> pd.DataFrame:
    """Run a query; print the table or write ``options.out``.

    Lines other than the table go to stderr (the table may be stdout), among them a note when
    regions of ``options.bed`` were skipped for lying on chromosomes the genome lacks.
    """
    from pathlib import Path

    from brainresnet_tf.io.intervals import PeakStats
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.serve.client import query

    stats = PeakStats(Path(options.bed)) if options.bed is not None and not options.strict else None
    table = query(
        options.server,
        options.model,
        options.sequences,
        options.fasta,
        options.bed,
        options.genome,
        options.signature,
        options.batch_size,
        options.timeout,
        skipped=stats,
    )
    skipped = stats.skipped if stats is not None else 0
    if skipped:
        print(f"[query] {stats.note()}", file=sys.stderr, flush=True)
    if options.out:
        write_table(table, options.out)
        what = f"of {stats.intervals:,} regions ({skipped:,} skipped)" if skipped else "sequences"
        print(f"[query] {len(table):,} {what} -> {options.out}", file=sys.stderr)
    else:
        table.to_csv(sys.stdout, sep="\t", index=False, float_format="%.6g")
    return table
