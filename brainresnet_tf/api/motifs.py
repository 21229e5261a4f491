"""``motifs``: attributions over chosen windows -> TF-MoDISco -> TOMTOM against JASPAR, as the
``motifs`` command runs it; the files are written and the result returned.

Writes into ``out``: regions.tsv, one_hot.npz and hypothetical.npz ((N, 4, L) ``arr_0``, the
files ``modisco motifs -s one_hot.npz -a hypothetical.npz`` takes), modisco_results.h5,
motifs.tsv, patterns.meme, jaspar.meme, logos/*.png, report.html, summary.json and, with
``bigwig``, contributions.bw; with ground truth beside the genome (or ``truth``), check.txt:
whether the planted motifs were recovered and named.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from brainresnet_tf.api.attribution import Paths

if TYPE_CHECKING:
    import pandas as pd

    from brainresnet_tf.api.model import Model

Log = Callable[[str], None]


@dataclass(frozen=True)
class MotifsResult:
    """A motifs run: ``table`` (motifs.tsv: one row per pattern, its quality, name and best JASPAR
    matches), ``figures`` (the logo PNGs: each pattern's CWM and PPM, its match's), ``report``
    (report.html), ``summary`` (summary.json), ``text`` (the one-line summary the command prints),
    ``check`` (the ground-truth check, '' without truth) and ``out_dir``."""

    out_dir: Path
    table: pd.DataFrame
    figures: list[Path]
    report: Path
    summary: dict
    text: str
    check: str = ""


def motifs(
    model: str | os.PathLike | Model,
    task: str,
    out: str | os.PathLike,
    *,
    genome: str | os.PathLike | None = None,
    regions: Paths | None = None,
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
    min_auroc: float = 0.6,
    strict: bool = False,
    progress: bool = False,
    verbose: bool = True,
    log: Log | None = None,
) -> MotifsResult:
    """Motifs the model learned for ``task`` (minus ``contrast``): attributions over the windows
    centred on ``regions`` (BED files on ``genome``, default the model's), the records of
    ``fasta``, or the ``top_k`` windows the model scores highest among them (or genome-wide
    bins); TF-MoDISco patterns; each named after its best JASPAR ``release`` match when it passes
    the quality gates (none when the model's test AUROC is below ``min_auroc``). The settings are
    the ``motifs`` command's flags; the files it writes go into ``out``.

    ``log`` receives the notes the command prints (regions skipped, a near-chance warning,
    DeepLIFT's convergence) and, with ``verbose``, its steps; ``progress``: progress bars.
    ``strict``: a region on a chromosome the genome lacks is an error (default: skipped, counted
    in the summary's ``skipped_regions``).

    Examples:
        >>> result = br.motifs("model.keras", "open_ATAC", "motifs", regions="data/open.bed",
        ...                    method="ixg", n_leiden=1)
        >>> result.table[["pattern", "name", "match1_id"]].head(1)
                          pattern  name match1_id
        0  pos_patterns.pattern_0  CTCF  MA0139.2
        >>> [figure.name for figure in result.figures[:3]]
        ['pos_0.cwm.png', 'pos_0.ppm.png', 'MA0139.2.rc.png']
    """
    import numpy as np

    from brainresnet_tf.api.attribution import (
        as_paths,
        explain_windows,
        profile_cell_type,
        region_windows,
        target_label,
    )
    from brainresnet_tf.api.model import load_model
    from brainresnet_tf.data.sequence_sets import SequenceGenome
    from brainresnet_tf.errors import InputError
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
    from brainresnet_tf.interpret.motifs import pattern_table, run_modisco, write_db_meme, write_patterns_meme
    from brainresnet_tf.interpret.selection import genome_bins, one_hot_windows, score_windows
    from brainresnet_tf.interpret.selection import top_k as pick_top_k
    from brainresnet_tf.io.atomic import atomic_open, write_json, write_text
    from brainresnet_tf.io.bigwig import write_bigwig
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates
    from brainresnet_tf.io.tables import write_table

    def note(line: str) -> None:
        if log is not None:
            log(line)

    def step(line: str) -> None:
        if verbose:
            note(line)

    if not regions and not top_k and not fasta:
        raise InputError("give --regions (BED files), --fasta (sequences) and/or --top-k N")
    if fasta and (regions or genome or bigwig):
        raise InputError("--fasta explains sequences: give it without --regions, --genome or --bigwig")
    t_start = time.time()
    model = load_model(model) if isinstance(model, (str, os.PathLike)) else model
    meta = model.meta
    spec = AttributionSpec(task, contrast, method, steps, scale, batch_size, references, baseline)
    target = spec.target(model.network, meta.profiles)
    task_name = meta.profiles[target.task]
    contrast_name = meta.profiles[target.contrast] if target.contrast is not None else None
    g = SequenceGenome.from_fasta(fasta) if fasta else model.genome(genome)
    genome_file = Path(fasta) if fasta else Path(g.path)
    truth_dir = find_truth(genome_file, truth)
    explained = [task_name] + ([contrast_name] if contrast_name else [])
    model_quality = model_test_auroc(model.path or ".", meta.extra, meta.arch, explained)
    gates = Gates(min_auroc=min_auroc)
    if model_quality.near_chance(gates):
        note(
            f"WARNING: the model is near chance for {', '.join(explained)} "
            f"({model_quality.describe()} < {min_auroc:g}): its patterns are reported unnamed; "
            "train a better model before reading motifs from it"
        )
    elif model_quality.auroc is None:
        step(f"{model_quality.describe()}: pattern names rest on the pattern gates alone")
    length = meta.input_length
    if window is not None and not 0 < window <= length:
        raise InputError(f"--window {window} must be in 1..{length} (the model's input length)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    # 1. windows
    skipped = []
    if regions:
        from_beds, skipped = region_windows(as_paths(regions), g, length, strict, note)
    if top_k:
        if fasta:
            cands = g.centred_windows(length)
        else:
            cands = from_beds if regions else genome_bins(g, length)
        step(f"scoring {len(cands)} candidate windows for the top {top_k}")
        scores = score_windows(model.network, g, cands, length, batch_size, progress)
        windows = pick_top_k(cands, scores, top_k, target.task, target.contrast)
    else:
        windows = g.centred_windows(length) if fasta else from_beds
    write_table(windows, out / "regions.tsv")

    # 2. attributions
    label = target_label(meta, target)
    step(f"{method} attributions of {label} ({scale}) over {len(windows)} windows of {length} bp")
    t0 = time.time()
    x = one_hot_windows(g, windows, length)
    explanation = explain_windows(spec, target, x, progress, note)
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
    step(f"TF-MoDISco on {len(x)} x {hi - lo} bp (max {max_seqlets} seqlets per sign)")
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
        ct_a = cell_type_of(task_name, tr, profile_cell_type(meta, target.task))
        if contrast_name is None:
            rec, check_text = check_task(table, tr, ct_a, patterns, db, release)
            sites = site_contributions(tr, windows, contrib)
            check = {"cell_type": ct_a, "recovery": rec.to_dict("records")}
        else:
            ct_b = cell_type_of(contrast_name, tr, profile_cell_type(meta, target.contrast))
            sites = site_contributions(tr, windows, contrib)
            res, check_text = check_contrast(table, tr, ct_a, ct_b, sites, patterns, db, release)
            check = {"cell_types": [ct_a, ct_b], "contrast": res.to_dict("records")}
        check_text += "\nmean contribution of planted instances inside the windows:\n" + "".join(
            f"  {r.motif:<10} n={r.n_sites:<5} {r.mean_contribution:+.3f}\n" for r in sites.itertuples()
        )
        check["sites"] = sites.to_dict("records")
        write_text(out / "check.txt", check_text + "\n")

    summary = {
        "model": str(model.path),
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
        "regions": [str(r) for r in as_paths(regions or [])],
        "skipped_regions": [s.to_dict() for s in skipped if s.skipped],
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
    paths = logos[["cwm_logo", "ppm_logo", "match_logo"]].to_numpy().ravel()
    figures = [out / p for p in dict.fromkeys(paths) if p]
    return MotifsResult(out, table, figures, out / "report.html", summary, text, check_text)
