"""``brainresnet predict``: every profile for windows centred on the regions of a BED file, or
genome-wide tracks (one bigWig per profile at the model's bin resolution)."""

from __future__ import annotations

import argparse
from pathlib import Path

from brainresnet_tf.workflows.common import add_strict_peaks_arg, bars, check_output, positive_int, say

NAME = "predict"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``predict`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="predict every profile for regions of a genome, or genome-wide tracks")
    p.add_argument("--model", required=True)
    p.add_argument("--genome", help="FASTA (plain or bgzipped, indexed); default: the model's genome")
    p.add_argument("--regions", help="BED file; windows are centred on each region")
    add_strict_peaks_arg(p, regions=True)
    p.add_argument(
        "--fasta",
        help="sequences instead of a genome: one row per record, each centred in the "
        "model's window (N-padded, or cut to its middle)",
    )
    p.add_argument(
        "--genome-wide",
        action="store_true",
        help="predict every bin of the genome: one bigWig per profile in the --out folder "
        "(resumable: rerun the same command after a kill)",
    )
    p.add_argument("--chroms", help="with --genome-wide: comma-separated chromosomes (default: 1-22, X, Y)")
    p.add_argument("--out", required=True, help=".tsv or .parquet (streamed); a folder with --genome-wide")
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="with --genome-wide: predict whole chromosomes in a local Dask cluster of N worker processes",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --genome-wide: join an existing Dask cluster (its workers see the same files)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(args: argparse.Namespace) -> int:
    """Check the arguments (before loading TensorFlow), then predict."""
    from brainresnet_tf.errors import InputError

    progress = bars(not args.no_progress)
    if (args.workers is not None or args.scheduler) and not args.genome_wide:
        raise InputError("--workers/--scheduler go with --genome-wide (score-variants takes them too)")
    inputs = {
        "--regions": args.regions,
        "--genome": args.genome,
        "--model": args.model,
        "--fasta": args.fasta,
    }
    if args.fasta:
        if args.regions or args.genome_wide or args.genome:
            raise InputError(
                "--fasta predicts sequences: give it without --regions, --genome or --genome-wide"
            )
        check_output(args.out, inputs)
        run_predict_sequences(Path(args.model), Path(args.fasta), Path(args.out), args.batch_size)
        return 0
    if args.genome_wide:
        if args.regions:
            raise InputError("--regions and --genome-wide: give one of them")
        check_output(args.out, inputs, folder=True)
        chroms = [c.strip() for c in args.chroms.split(",") if c.strip()] if args.chroms else None
        run_genome_wide(
            args.model,
            args.genome,
            args.out,
            chroms,
            args.batch_size,
            progress,
            workers=args.workers,
            scheduler=args.scheduler,
        )
        return 0
    if not args.regions:
        raise InputError(
            "predict needs --regions BED, --fasta sequences, or --genome-wide for whole-genome tracks"
        )
    if args.chroms:
        raise InputError("--chroms goes with --genome-wide")
    check_output(args.out, inputs)
    run_predict(
        Path(args.model),
        args.genome,
        Path(args.regions),
        Path(args.out),
        args.batch_size,
        progress,
        strict=args.strict,
    )
    return 0


def run_predict_sequences(model_path: Path, fasta: Path, out: Path, batch_size: int = 256) -> int:
    """One row per FASTA record (name, length, one column per profile); returns the rows."""
    from brainresnet_tf.api.model import load_model
    from brainresnet_tf.io.sequences import read_fasta_records
    from brainresnet_tf.io.tables import write_table

    records = read_fasta_records(fasta)
    model = load_model(model_path)
    table = model.predict(records, batch_size=batch_size)
    write_table(table, out)
    say(f"[predict] {len(table):,} sequences x {len(model.profiles)} profiles -> {out}")
    return len(table)


def run_predict(
    model_path: Path,
    genome_path: str | Path | None,
    regions_path: Path,
    out: Path,
    batch_size: int = 256,
    progress: bool = False,
    strict: bool = False,
) -> int:
    """Predict every profile for each region, streaming rows to TSV or Parquet; returns the rows.

    Regions on chromosomes the genome lacks are skipped: one note names their count per
    chromosome, and the closing line says how many of the file's regions have a row.
    ``strict``: such a region is an error naming its line (and nothing is written).
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from brainresnet_tf.inference.predict import Predictor, region_predictions
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import PeakStats, iter_bed
    from brainresnet_tf.io.tables import TableWriter
    from brainresnet_tf.models.saving import genome_path_for, load_model

    model, meta = load_model(model_path)
    genome = Genome(genome_path_for(genome_path, meta))
    for note in genome.notes:
        say(f"[predict] {note}")
    stats = None if strict else PeakStats(regions_path)
    writer = TableWriter(out)
    bar = tqdm(unit="rows", desc="predicting", disable=not progress, leave=False)
    try:
        chunks = iter_bed(regions_path, genome, chunk_rows=max(batch_size * 16, 4096), skipped=stats)
        for frame in region_predictions(Predictor(model), meta, genome, chunks, batch_size):
            writer.write(frame)
            bar.update(len(frame))
        kept = None if stats is None else stats.intervals - stats.skipped
        if kept is not None and writer.rows != kept:  # one row per region on the genome, or a bug
            raise RuntimeError(f"predict wrote {writer.rows} rows for {kept} regions on the genome")
        writer.close(pd.DataFrame({c: [] for c in ["chrom", "start", "end", "name", *meta.profiles]}))
    except BaseException:
        writer.abort()
        raise
    finally:
        bar.close()
    shape = f"{writer.rows:,} regions x {len(meta.profiles)} profiles -> {out}"
    if stats is not None and stats.skipped:
        say(f"[predict] {stats.note()}")
        shape = (
            f"{writer.rows:,} of {stats.intervals:,} regions x {len(meta.profiles)} profiles -> {out} "
            f"({stats.skipped:,} skipped: on chromosomes not in the genome)"
        )
    say(f"[predict] {shape}")
    return writer.rows


def run_genome_wide(
    model_path: str | Path,
    genome_path: str | Path | None,
    out: str | Path,
    chroms: list[str] | None = None,
    batch_size: int = 256,
    progress: bool = False,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict:
    """Genome-wide bigWigs (one per profile) in ``out``; returns what ``summary.json`` says.
    ``workers`` / ``scheduler``: one chromosome per task on a Dask cluster (the same bigWigs)."""
    from tqdm.auto import tqdm

    from brainresnet_tf.api.cluster import check_cluster_args
    from brainresnet_tf.inference.genome_wide import predict_genome_wide
    from brainresnet_tf.io.atomic import write_json
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.models.saving import genome_path_for, load_model, read_meta

    engine = workers is not None or scheduler is not None
    check_cluster_args(workers, scheduler)
    model, meta = (None, read_meta(model_path)) if engine else load_model(model_path)
    genome = Genome(genome_path_for(genome_path, meta))
    for note in genome.notes:
        say(f"[predict] {note}")
    log = (
        (lambda line: tqdm.write(f"[predict] {line}"))
        if progress
        else (lambda line: say(f"[predict] {line}"))
    )
    if engine:
        from brainresnet_tf.api.cluster import dask_client
        from brainresnet_tf.inference.genome_wide_engine import predict_genome_wide_on_cluster

        with dask_client(workers, scheduler) as client:
            result = predict_genome_wide_on_cluster(
                client,
                model_path,
                meta,
                genome,
                out,
                chroms,
                batch_size=batch_size,
                progress=progress,
                log=log,
            )
    else:
        result = predict_genome_wide(
            model,
            meta,
            genome,
            out,
            chroms,
            batch_size=batch_size,
            model_path=model_path,
            progress=progress,
            log=log,
        )
    summary = {
        "model": str(model_path),
        "genome": str(genome.path),
        "bin_size": meta.bin_size,
        "input_length": meta.input_length,
        "chroms": result.chroms,
        "bases": sum(genome.chrom_sizes[c] for c in result.chroms),
        "windows_this_run": result.windows,
        "seconds_predicting": result.seconds,
        "windows_per_s": result.windows_per_s,
        "resumed_chroms": result.resumed,
        "bigwigs": {p: str(path) for p, path in result.bigwigs.items()},
    }
    write_json(Path(out) / "summary.json", summary)
    say(
        f"[predict] {len(result.chroms)} chromosomes, {result.windows:,} windows predicted "
        f"({result.windows_per_s:,.0f}/s), bins of {meta.bin_size} bp -> "
        f"{len(result.bigwigs)} bigWigs in {out} (one per profile) and summary.json"
    )
    return summary
