"""``hits``: motif instances in regions that the model leans on, as the ``hits`` command calls
them; the files are written and the result returned.

Attributions over windows centred on BED regions (or over the records of a FASTA of the model's
input length), then every motif (the named patterns of a ``motifs`` run, and/or JASPAR matrices)
scanned and calibrated as :mod:`brainresnet_tf.interpret.hits` says. Writes into ``out``:
hits.bed (BED6 order, then jaspar_id, match, contribution, q-values, source, sequence; a
``#chrom`` header), hits_summary.tsv (per motif: thresholds and counts), hits_motifs.meme (the
PPMs scanned, for ``annotate-variants``), summary.json; with ground truth beside the genome
(``motif_sites.tsv``), check.txt: planted sites recovered (precision, recall).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from brainresnet_tf.api.attribution import Paths

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from brainresnet_tf.api.model import Model
    from brainresnet_tf.interpret.hits import ScanMotif

Log = Callable[[str], None]


@dataclass(frozen=True)
class HitsResult:
    """A hits run: ``table`` (hits.bed: one row per hit, genome coordinates), ``motifs``
    (hits_summary.tsv: per motif scanned, its thresholds and counts), ``summary`` (summary.json),
    ``text`` (the one-line summary the command prints), ``check`` (the ground-truth check, ''
    without truth), ``figures`` (none: hits draws no plots) and ``out_dir``."""

    out_dir: Path
    table: pd.DataFrame
    motifs: pd.DataFrame
    summary: dict
    text: str
    check: str = ""
    figures: list[Path] = field(default_factory=list)


def scan_motifs(
    motifs_dir: str | os.PathLike | None, jaspar: list[str] | None, include_unnamed: bool, release: str
) -> list[ScanMotif]:
    """The motifs to scan: a motifs run's patterns, then JASPAR matrices."""
    from brainresnet_tf.errors import InputError
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


def fasta_windows(path: str | os.PathLike, length: int) -> tuple[pd.DataFrame, np.ndarray]:
    """(windows table, base codes (N, L)) of a FASTA whose records all have the input length."""
    import numpy as np
    import pandas as pd

    from brainresnet_tf.errors import InputError
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


def hits(
    model: str | os.PathLike | Model,
    task: str,
    out: str | os.PathLike,
    *,
    genome: str | os.PathLike | None = None,
    regions: Paths | None = None,
    fasta: str | os.PathLike | None = None,
    motifs_dir: str | os.PathLike | None = None,
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
    progress: bool = False,
    strict: bool = False,
    log: Log | None = None,
) -> HitsResult:
    """Instances of the motifs of a ``motifs`` run (``motifs_dir``: its named patterns, and
    unnamed ones with ``include_unnamed``) and/or of ``jaspar`` matrices (names or ids) in the
    windows centred on ``regions`` (BED files on ``genome``, default the model's) or in the
    records of ``fasta``, kept where the model leans on them for ``task`` (minus ``contrast``):
    a PWM match (p <= ``match_p`` against dinucleotide-shuffled windows) whose contribution
    passes the ``fdr``. The settings are the ``hits`` command's flags; its files go into ``out``.

    ``log`` receives the notes the command prints (regions skipped, DeepLIFT's convergence);
    ``progress``: progress bars. ``strict``: a region on a chromosome the genome lacks is an error
    (default: skipped, counted in the summary's ``skipped_regions``).

    Examples:
        >>> result = br.hits("model.keras", "open_ATAC", "hits", regions="data/open.bed",
        ...                  jaspar=["CTCF"], method="ixg")
        >>> result.table[["chrom", "start", "end", "name", "strand"]].head(2)
          chrom  start  end  name strand
        0  chr1    201  216  CTCF      +
        1  chr1    516  531  CTCF      -
        >>> result.motifs[["motif", "n_hits"]]
          motif  n_hits
        0  CTCF     121
    """
    import time

    from brainresnet_tf.api.attribution import (
        explain_windows,
        profile_cell_type,
        region_windows,
        target_label,
    )
    from brainresnet_tf.api.model import load_model
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.inference.attribution import AttributionSpec, contributions
    from brainresnet_tf.interpret.hits import call_hits, to_genome
    from brainresnet_tf.interpret.motif_check import check_hits, find_truth, load_truth
    from brainresnet_tf.interpret.variant_hits import write_motifs
    from brainresnet_tf.io.atomic import write_json, write_text
    from brainresnet_tf.io.genome import one_hot
    from brainresnet_tf.io.tables import write_table

    if not motifs_dir and not jaspar:
        raise InputError("give --motifs DIR (a `brainresnet motifs` run) and/or --jaspar NAME ...")
    if not 0 < fdr < 1 or not 0 < match_p < 1:
        raise InputError(f"--fdr {fdr} and --match-p {match_p} must be between 0 and 1")
    if (regions is None) == (fasta is None):
        raise InputError("give --regions (BED files) or --fasta (sequences), one of them")
    t0 = time.time()
    motifs = scan_motifs(motifs_dir, jaspar, include_unnamed, release)
    model = load_model(model) if isinstance(model, (str, os.PathLike)) else model
    meta = model.meta
    spec = AttributionSpec(task, contrast, method, steps, scale, batch_size, references, baseline)
    target = spec.target(model.network, meta.profiles)
    length = meta.input_length
    truth_dir = None
    skipped = []
    if fasta:
        windows, codes = fasta_windows(fasta, length)
    else:
        g = model.genome(genome)
        windows, skipped = region_windows(regions, g, length, strict, log)
        codes = g.codes_at(windows["chrom"].to_numpy(), windows["start"].to_numpy(), length)
        truth_dir = find_truth(Path(g.path), truth)
    x = one_hot(codes).astype("float32")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label = target_label(meta, target)
    explanation = explain_windows(spec, target, x, progress, log)
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
        "model": str(model.path),
        "task": meta.profiles[target.task],
        "contrast": meta.profiles[target.contrast] if target.contrast is not None else None,
        "method": method,
        **spec.settings(),
        "convergence": explanation.convergence,
        "n_windows": len(windows),
        "skipped_regions": [s.to_dict() for s in skipped if s.skipped],
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
        explained = [target.task] + ([target.contrast] if target.contrast is not None else [])
        names = [meta.profiles[i] for i in explained]
        cell_types = [profile_cell_type(meta, i) for i in explained]
        per_motif, check_text, ok = check_hits(bed, tr, windows, motifs, names, cell_types)
        summary["check"] = {"pass": ok, "per_motif": per_motif.to_dict("records")}
        write_text(out / "check.txt", check_text + "\n")
    write_json(out / "summary.json", summary)
    return HitsResult(out, bed, calls.summary, summary, text, check_text)
