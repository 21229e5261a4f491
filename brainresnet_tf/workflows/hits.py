"""``brainresnet hits``: motif instances in regions that the model leans on.

Attributions over windows centred on BED regions (or over the records of a FASTA of the model's
input length), then every motif (the named patterns of a ``motifs`` run, and/or JASPAR matrices)
scanned and calibrated as :mod:`brainresnet_tf.interpret.hits` says. Writes into ``out``:
hits.bed (BED6 order, then jaspar_id, match, contribution, q-values, source, sequence; a
``#chrom`` header), hits_summary.tsv (per motif: thresholds and counts), hits_motifs.meme (the
PPMs scanned, for ``annotate-variants``), summary.json; with ground truth beside the genome
(``motif_sites.tsv``), check.txt: planted sites recovered (precision, recall).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from brainresnet_tf.errors import InputError
from brainresnet_tf.workflows.attribute import add_attribution_args, explain_windows
from brainresnet_tf.workflows.common import add_strict_peaks_arg, bars, check_output, positive_int

NAME = "hits"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``hits`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="motif instances the model leans on (BED), per-motif summary")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--regions", nargs="+", metavar="BED", help="windows centred on each region")
    src.add_argument("--fasta", help="sequences of the model's input length (e.g. from `design`)")
    add_strict_peaks_arg(p, regions=True)
    p.add_argument("--motifs", metavar="DIR", help="a `brainresnet motifs` run: scan its named patterns")
    p.add_argument(
        "--jaspar", nargs="+", metavar="NAME_OR_ID", help="JASPAR matrices to scan (CTCF, MA0139.2)"
    )
    p.add_argument("--include-unnamed", action="store_true", help="also scan unnamed patterns of --motifs")
    p.add_argument(
        "--match-p", type=float, default=1e-4, help="PWM match p-value vs dinucleotide-shuffled windows"
    )
    p.add_argument("--fdr", type=float, default=0.05, help="FDR of the contribution test (BH)")
    p.add_argument(
        "--shuffles", type=positive_int, default=2, help="dinucleotide-shuffled copies for the match null"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffles")
    p.add_argument("--out", required=True, help="output directory")
    add_attribution_args(p)
    p.add_argument("--jaspar-release", default="JASPAR2024", help="pyjaspar release")
    p.add_argument(
        "--truth", help="synthetic data folder with motif_sites.tsv (default: the genome's folder); none: off"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def run(args: argparse.Namespace) -> int:
    """Call hits and write them."""
    if not args.motifs and not args.jaspar:
        raise InputError("give --motifs DIR (a `brainresnet motifs` run) and/or --jaspar NAME ...")
    if not 0 < args.fdr < 1 or not 0 < args.match_p < 1:
        raise InputError(f"--fdr {args.fdr} and --match-p {args.match_p} must be between 0 and 1")
    check_output(
        args.out, {"--model": args.model, "--genome": args.genome, "--fasta": args.fasta}, folder=True
    )
    run_hits(
        args.model,
        args.out,
        args.task,
        genome=args.genome,
        regions=args.regions,
        fasta=args.fasta,
        motifs_dir=args.motifs,
        jaspar=args.jaspar,
        include_unnamed=args.include_unnamed,
        contrast=args.contrast,
        method=args.method,
        steps=args.steps,
        references=args.references,
        baseline=args.baseline,
        scale=args.scale,
        batch_size=args.batch_size,
        fdr=args.fdr,
        match_p=args.match_p,
        shuffles=args.shuffles,
        seed=args.seed,
        release=args.jaspar_release,
        truth=args.truth,
        progress=bars(not args.no_progress),
        strict=args.strict,
    )
    return 0


def scan_motifs(motifs_dir: str | None, jaspar: list[str] | None, include_unnamed: bool, release: str):
    """The motifs to scan: a motifs run's patterns, then JASPAR matrices."""
    from brainresnet_tf.interpret.hits import motifs_from_jaspar, motifs_from_run
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

    motifs = motifs_from_run(motifs_dir, include_unnamed) if motifs_dir else []
    if jaspar:
        motifs += motifs_from_jaspar(jaspar, jaspar_core_vertebrates(release))
    if not motifs:
        if include_unnamed:
            raise InputError(f"{motifs_dir}: the motifs run found no patterns to scan; give --jaspar NAME")
        raise InputError(
            f"{motifs_dir}: no named pattern to scan (all failed the quality gates or had no "
            "JASPAR match); add --include-unnamed or --jaspar NAME"
        )
    return motifs


def fasta_windows(path: str | os.PathLike, length: int):
    """(windows table, base codes (N, L)) of a FASTA whose records all have the input length."""
    import numpy as np
    import pandas as pd

    from brainresnet_tf.io.genome import encode
    from brainresnet_tf.io.sequences import read_fasta_records

    records = read_fasta_records(path)
    for name, seq in records:
        if len(seq) != length:
            raise InputError(f"{path}: record {name} is {len(seq)} bp; the model takes {length} bp")
    windows = pd.DataFrame(
        {"chrom": [n for n, _ in records], "start": 0, "end": length, "name": [n for n, _ in records]}
    )
    return windows, np.stack([encode(s) for _, s in records])


def run_hits(
    model_path: str | os.PathLike,
    out: str | os.PathLike,
    task: str,
    *,
    genome: str | os.PathLike | None = None,
    regions: list[str] | None = None,
    fasta: str | None = None,
    motifs_dir: str | None = None,
    jaspar: list[str] | None = None,
    include_unnamed: bool = False,
    contrast: str | None = None,
    method: str = "ig",
    steps: int = 20,
    references: int = 20,
    baseline: str = "shuffled",
    scale: str = "logit",
    batch_size: int = 256,
    fdr: float = 0.05,
    match_p: float = 1e-4,
    shuffles: int = 2,
    seed: int = 0,
    release: str = "JASPAR2024",
    truth: str | None = None,
    progress: bool = True,
    strict: bool = False,
) -> dict:
    """Call hits over regions or FASTA records; write the files; print the summary (and check).

    ``strict``: a region on a chromosome the genome lacks is an error (default: skipped, one note
    per file, counted in the summary's ``skipped_regions``).
    """
    import time

    from brainresnet_tf.inference.attribution import AttributionSpec, contributions
    from brainresnet_tf.interpret.hits import call_hits, to_genome
    from brainresnet_tf.interpret.motif_check import check_hits, find_truth, load_truth
    from brainresnet_tf.interpret.selection import windows_from_beds
    from brainresnet_tf.interpret.variant_hits import write_motifs
    from brainresnet_tf.io.atomic import write_json, write_text
    from brainresnet_tf.io.genome import Genome, one_hot
    from brainresnet_tf.io.intervals import skipped_notes
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.models.saving import genome_path_for, load_model

    t0 = time.time()
    motifs = scan_motifs(motifs_dir, jaspar, include_unnamed, release)
    model, meta = load_model(model_path)
    spec = AttributionSpec(task, contrast, method, steps, scale, batch_size, references, baseline)
    target = spec.target(model, meta.profiles)
    length = meta.input_length
    truth_dir = None
    skipped = None if strict else []
    if fasta:
        windows, codes = fasta_windows(fasta, length)
    else:
        genome_file = genome_path_for(genome, meta)
        g = Genome(genome_file)
        windows = windows_from_beds(regions, g, length, skipped=skipped)
        for note in skipped_notes(skipped or []):
            print(f"[hits] {note}", flush=True)
        codes = g.codes_at(windows["chrom"].to_numpy(), windows["start"].to_numpy(), length)
        truth_dir = find_truth(genome_file, truth)
    x = one_hot(codes).astype("float32")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label = meta.profiles[target.task] + (
        f" - {meta.profiles[target.contrast]}" if target.contrast is not None else ""
    )
    explanation = explain_windows(spec, target, x, progress, NAME)
    hyp = explanation.hypothetical
    calls = call_hits(
        x, contributions(hyp, x), motifs, fdr=fdr, match_p=match_p, n_shuffles=shuffles, seed=seed
    )
    bed = to_genome(calls.hits, windows, codes)
    # per motif: calls in windows, and hits left once overlapping windows and namesakes are merged
    calls.summary.insert(
        calls.summary.columns.get_loc("n_hits"), "n_window_calls", calls.summary["n_hits"].to_numpy()
    )
    final = bed["source"].value_counts()
    calls.summary["n_hits"] = [int(final.get(src, 0)) for src in calls.summary["source"]]
    write_table(bed.rename(columns={"chrom": "#chrom"}), out / "hits.bed")
    write_table(calls.summary, out / "hits_summary.tsv")
    write_motifs(motifs, out / "hits_motifs.meme")
    text = (
        f"{label}: {len(windows)} windows, {len(motifs)} motifs scanned, {len(bed)} hits (match "
        f"p <= {match_p:g} vs dinucleotide-shuffled windows; contribution FDR {fdr:g} vs "
        "position-permuted attributions)"
    )
    summary = {
        "model": str(model_path),
        "task": meta.profiles[target.task],
        "contrast": meta.profiles[target.contrast] if target.contrast is not None else None,
        "method": method,
        **spec.settings(),
        "convergence": explanation.convergence,
        "n_windows": len(windows),
        "skipped_regions": [s.to_dict() for s in skipped or [] if s.skipped],
        "n_hits": len(bed),
        "fdr": fdr,
        "match_p": match_p,
        "shuffles": shuffles,
        "seed": seed,
        "motifs": calls.summary.to_dict("records"),
        "seconds": round(time.time() - t0, 1),
    }
    check_text = ""
    if truth_dir is not None:
        tr = load_truth(truth_dir)
        cell_types = [_cell_type(meta, target.task)]
        if target.contrast is not None:
            cell_types.append(_cell_type(meta, target.contrast))
        names = [meta.profiles[target.task]] + (
            [meta.profiles[target.contrast]] if target.contrast is not None else []
        )
        per_motif, check_text, ok = check_hits(bed, tr, windows, motifs, names, cell_types)
        summary["check"] = {"pass": ok, "per_motif": per_motif.to_dict("records")}
        write_text(out / "check.txt", check_text + "\n")
    write_json(out / "summary.json", summary)
    print(text)
    cols = ["motif", "jaspar_id", "n_hits", "n_windows_with_hit", "match_threshold_bits", "mean_contribution"]
    if len(calls.summary):
        print(calls.summary[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if check_text:
        print(check_text)
    print(f"[hits] hits.bed, hits_summary.tsv, hits_motifs.meme -> {out}")
    return summary


def _cell_type(meta, index: int) -> str:
    return meta.cell_types[index] if index < len(meta.cell_types) else ""
