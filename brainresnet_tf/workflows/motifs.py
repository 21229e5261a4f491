"""``brainresnet motifs``: attributions over chosen windows -> TF-MoDISco -> TOMTOM vs JASPAR.

Writes into ``out``: regions.tsv, one_hot.npz and hypothetical.npz ((N, 4, L) ``arr_0``, the
files ``modisco motifs -s one_hot.npz -a hypothetical.npz`` takes), modisco_results.h5,
motifs.tsv, patterns.meme, jaspar.meme, logos/*.png, report.html, summary.json and, with
``bigwig``, contributions.bw; with ground truth beside the genome (or ``truth``), it prints and
saves (check.txt) whether the planted motifs were recovered and named.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from brainresnet_tf.errors import InputError
from brainresnet_tf.workflows.attribute import add_attribution_args, explain_windows
from brainresnet_tf.workflows.common import add_strict_peaks_arg, bars, check_output, positive_int

NAME = "motifs"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``motifs`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="attributions -> TF-MoDISco patterns -> TOMTOM vs JASPAR")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    p.add_argument(
        "--regions",
        nargs="+",
        metavar="BED",
        help="BED/narrowPeak files; windows centred on each region (with --top-k: the candidates)",
    )
    p.add_argument(
        "--fasta",
        help="explain sequences instead of genome regions (each centred in the model's "
        "window; with --top-k: the candidates)",
    )
    p.add_argument(
        "--top-k",
        type=positive_int,
        help="explain the k windows the model scores highest for "
        "the task (with --contrast: k/2 most specific to each side), among --regions "
        "or genome-wide bins",
    )
    add_strict_peaks_arg(p, regions=True)
    p.add_argument("--out", required=True, help="output directory")
    add_attribution_args(p)
    p.add_argument("--window", type=positive_int, help="central bases given to TF-MoDISco (default all)")
    p.add_argument(
        "--max-seqlets",
        type=positive_int,
        default=20000,
        help="TF-MoDISco seqlets per sign (its API default)",
    )
    p.add_argument("--n-leiden", type=positive_int, default=2, help="TF-MoDISco Leiden runs")
    p.add_argument("--jaspar-release", default="JASPAR2024", help="pyjaspar release to match against")
    p.add_argument(
        "--truth",
        help="synthetic data folder (motif_sites.tsv, elements.tsv) to check "
        "against; default: the genome's folder if it has them; none: off",
    )
    p.add_argument(
        "--min-auroc",
        type=float,
        default=0.6,
        help="name no pattern when the model's test AUROC for the task is below this (0: off)",
    )
    p.add_argument("--bigwig", action="store_true", help="also write contributions.bw")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or summary")
    return p


def run(args: argparse.Namespace) -> int:
    """Run the motifs pipeline."""
    check_output(
        args.out, {"--model": args.model, "--genome": args.genome, "--fasta": args.fasta}, folder=True
    )
    run_motifs(
        args.model,
        args.out,
        args.task,
        genome=args.genome,
        regions=args.regions,
        top_k=args.top_k,
        fasta=args.fasta,
        contrast=args.contrast,
        method=args.method,
        steps=args.steps,
        references=args.references,
        baseline=args.baseline,
        scale=args.scale,
        batch_size=args.batch_size,
        window=args.window,
        max_seqlets=args.max_seqlets,
        n_leiden=args.n_leiden,
        release=args.jaspar_release,
        truth=args.truth,
        bigwig=args.bigwig,
        progress=not args.no_progress,
        min_auroc=args.min_auroc,
        strict=args.strict,
    )
    return 0


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"[motifs] {msg}", flush=True)


def run_motifs(
    model_path: str | os.PathLike,
    out: str | os.PathLike,
    task: str,
    *,
    genome: str | os.PathLike | None = None,
    regions: list[str] | None = None,
    top_k: int | None = None,
    fasta: str | os.PathLike | None = None,
    contrast: str | None = None,
    method: str = "ig",
    steps: int = 20,
    references: int = 20,
    baseline: str = "shuffled",
    scale: str = "logit",
    batch_size: int = 256,
    window: int | None = None,
    max_seqlets: int = 20000,
    n_leiden: int = 2,
    release: str = "JASPAR2024",
    truth: str | None = None,
    bigwig: bool = False,
    progress: bool = True,
    min_auroc: float = 0.6,
    strict: bool = False,
) -> dict:
    """Run the whole motifs pipeline; returns the summary written to summary.json.

    ``strict``: a region on a chromosome the genome lacks is an error (default: skipped, one note
    per file, counted in the summary's ``skipped_regions``).
    """
    from brainresnet_tf.data.sequence_sets import SequenceGenome
    from brainresnet_tf.inference.attribution import AttributionSpec, contributions, to_modisco
    from brainresnet_tf.interpret.motif_check import (
        cell_type_of,
        check_contrast,
        check_task,
        find_truth,
        load_truth,
        site_contributions,
    )
    from brainresnet_tf.interpret.motif_quality import Gates, apply_gates, model_test_auroc
    from brainresnet_tf.interpret.motif_report import write_html, write_logos
    from brainresnet_tf.interpret.motifs import (
        pattern_table,
        run_modisco,
        write_db_meme,
        write_patterns_meme,
    )
    from brainresnet_tf.interpret.selection import (
        genome_bins,
        one_hot_windows,
        score_windows,
        windows_from_beds,
    )
    from brainresnet_tf.interpret.selection import (
        top_k as pick_top_k,
    )
    from brainresnet_tf.io.atomic import atomic_open, write_json, write_text
    from brainresnet_tf.io.bigwig import write_bigwig
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import skipped_notes
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.models.saving import genome_path_for, load_model

    quiet = not progress
    progress = bars(progress)  # bars only on a terminal; the [motifs] lines print either way
    if not regions and not top_k and not fasta:
        raise InputError("give --regions (BED files), --fasta (sequences) and/or --top-k N")
    if fasta and (regions or genome or bigwig):
        raise InputError("--fasta explains sequences: give it without --regions, --genome or --bigwig")
    t_start = time.time()
    model, meta = load_model(model_path)
    spec = AttributionSpec(task, contrast, method, steps, scale, batch_size, references, baseline)
    target = spec.target(model, meta.profiles)
    task_name = meta.profiles[target.task]
    contrast_name = meta.profiles[target.contrast] if target.contrast is not None else None
    genome_file = Path(fasta) if fasta else genome_path_for(genome, meta)
    g = SequenceGenome.from_fasta(fasta) if fasta else Genome(genome_file)
    truth_dir = find_truth(genome_file, truth)
    explained = [task_name] + ([contrast_name] if contrast_name else [])
    model_quality = model_test_auroc(model_path, meta.extra, meta.arch, explained)
    gates = Gates(min_auroc=min_auroc)
    if model_quality.near_chance(gates):
        print(
            f"[motifs] WARNING: the model is near chance for {', '.join(explained)} "
            f"({model_quality.describe()} < {min_auroc:g}): its patterns are reported unnamed; "
            "train a better model before reading motifs from it",
            flush=True,
        )
    elif model_quality.auroc is None:
        _log(f"{model_quality.describe()}: pattern names rest on the pattern gates alone", quiet)
    length = meta.input_length
    if window is not None and not 0 < window <= length:
        raise InputError(f"--window {window} must be in 1..{length} (the model's input length)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    # 1. windows
    skipped = None if strict else []
    if regions:
        from_beds = windows_from_beds(regions, g, length, skipped=skipped)
        for note in skipped_notes(skipped or []):  # printed even with --no-progress: data left out
            print(f"[motifs] {note}", flush=True)
    if top_k:
        if fasta:
            cands = g.centred_windows(length)
        else:
            cands = from_beds if regions else genome_bins(g, length)
        _log(f"scoring {len(cands)} candidate windows for the top {top_k}", quiet)
        scores = score_windows(model, g, cands, length, batch_size, progress)
        windows = pick_top_k(cands, scores, top_k, target.task, target.contrast)
    else:
        windows = g.centred_windows(length) if fasta else from_beds
    write_table(windows, out / "regions.tsv")

    # 2. attributions
    label = task_name + (f" - {contrast_name}" if contrast_name else "")
    _log(f"{method} attributions of {label} ({scale}) over {len(windows)} windows of {length} bp", quiet)
    t0 = time.time()
    x = one_hot_windows(g, windows, length)
    explanation = explain_windows(spec, target, x, progress, NAME)
    hyp = explanation.hypothetical
    t_attr = time.time() - t0
    contrib = contributions(hyp, x)
    lo = (length - (window or length)) // 2
    hi = lo + (window or length)
    with atomic_open(out / "one_hot.npz", "wb") as fh:
        np.savez_compressed(fh, to_modisco(x[:, lo:hi]).astype(np.uint8))
    with atomic_open(out / "hypothetical.npz", "wb") as fh:
        np.savez_compressed(fh, to_modisco(hyp[:, lo:hi]))
    if bigwig:
        write_bigwig(out / "contributions.bw", g.chrom_sizes, windows, contrib)

    # 3. modisco
    _log(f"TF-MoDISco on {len(x)} x {hi - lo} bp (max {max_seqlets} seqlets per sign)", quiet)
    t0 = time.time()
    patterns = run_modisco(
        x[:, lo:hi],
        hyp[:, lo:hi],
        out / "modisco_results.h5",
        max_seqlets=max_seqlets,
        n_leiden=n_leiden,
        verbose=False,
    )
    t_modisco = time.time() - t0

    # 4. TOMTOM vs JASPAR, files
    db = jaspar_core_vertebrates(release)
    write_db_meme(db, out / "jaspar.meme")
    t0 = time.time()
    table = apply_gates(pattern_table(patterns, db), patterns, model_quality, gates)
    t_tomtom = time.time() - t0
    write_table(table, out / "motifs.tsv")
    write_patterns_meme(patterns, out / "patterns.meme")
    logos = write_logos(patterns, table, db, out, progress)

    # 5. ground truth
    check_text = ""
    check: dict = {}
    if truth_dir is not None:
        tr = load_truth(truth_dir)
        ct_a = cell_type_of(task_name, tr, _cell_type(meta, target.task))
        if contrast_name is None:
            rec, check_text = check_task(table, tr, ct_a, patterns, db, release)
            sites = site_contributions(tr, windows, contrib)
            check = {"cell_type": ct_a, "recovery": rec.to_dict("records")}
        else:
            ct_b = cell_type_of(contrast_name, tr, _cell_type(meta, target.contrast))
            sites = site_contributions(tr, windows, contrib)
            res, check_text = check_contrast(table, tr, ct_a, ct_b, sites, patterns, db, release)
            check = {"cell_types": [ct_a, ct_b], "contrast": res.to_dict("records")}
        check_text += "\nmean contribution of planted instances inside the windows:\n" + "".join(
            f"  {r.motif:<10} n={r.n_sites:<5} {r.mean_contribution:+.3f}\n" for r in sites.itertuples()
        )
        check["sites"] = sites.to_dict("records")
        write_text(out / "check.txt", check_text + "\n")

    summary = {
        "model": str(model_path),
        "genome": str(genome_file),
        "task": task_name,
        "contrast": contrast_name,
        "method": method,
        **spec.settings(),
        "steps": steps if method == "ig" else None,
        "convergence": explanation.convergence,
        "scale": scale,
        "n_windows": len(windows),
        "window": [lo, hi],
        "regions": [str(r) for r in regions or []],
        "skipped_regions": [s.to_dict() for s in skipped or [] if s.skipped],
        "top_k": top_k,
        "n_patterns": {
            "pos": int(sum(p.sign > 0 for p in patterns)),
            "neg": int(sum(p.sign < 0 for p in patterns)),
        },
        "model_test_auroc": model_quality.auroc,
        "model_test_auroc_source": model_quality.source,
        "gates": {
            "min_bits_per_column": gates.min_bits_per_column,
            "min_total_bits": gates.min_total_bits,
            "max_core_width": gates.max_core_width,
            "min_seqlets": gates.min_seqlets,
            "min_auroc": gates.min_auroc,
        },
        "n_named": int(table["named"].sum()) if len(table) else 0,
        "database": db.source,
        "n_database_motifs": len(db),
        "seconds": {
            "attribution": round(t_attr, 1),
            "modisco": round(t_modisco, 1),
            "tomtom": round(t_tomtom, 2),
            "total": round(time.time() - t_start, 1),
        },
        "check": check,
    }
    text = (
        f"{label}: {len(windows)} windows, {method} attributions in {t_attr:.0f} s, "
        f"TF-MoDISco {t_modisco:.0f} s -> {summary['n_patterns']['pos']} positive and "
        f"{summary['n_patterns']['neg']} negative patterns; TOMTOM vs {db.source} "
        f"({len(db)} motifs); {summary['n_named']} named after the quality gates; "
        f"{model_quality.describe()}"
    )
    write_html(table, logos, out / "report.html", f"Motifs: {label}", text, check_text)
    write_json(out / "summary.json", summary)
    # the summary and the check are the command's result: printed even without progress bars
    print(text)
    cols = ["pattern", "n_seqlets", "bits_per_column", "consensus", "name", "match1_id", "match1_q"]
    if len(table):
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.2g}"))
    else:
        print("(no patterns: too few seqlets passed TF-MoDISco's threshold)")
    if check_text:
        print(check_text)
    print(f"[motifs] motifs.tsv, modisco_results.h5, patterns.meme, logos/, report.html -> {out}")
    return summary


def _cell_type(meta, index: int) -> str:
    return meta.cell_types[index] if index < len(meta.cell_types) else ""
