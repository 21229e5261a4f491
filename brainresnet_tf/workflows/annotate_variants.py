"""``brainresnet annotate-variants``: each scored variant with the motif hit it falls in and whether
the alt allele weakens it (PWM score of the instance with ref vs alt).

Joins a ``score-variants`` table with a ``hits`` run's hits.bed (and the PPMs in its
hits_motifs.meme). With the demo's ``observed.tsv`` beside the scores (or ``--truth``), prints how
many motif-breaking variants (class ``break``) were given the right motif.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

NAME = "annotate-variants"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``annotate-variants`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="variants + the motif hit each falls in (ref vs alt PWM score)")
    p.add_argument("--scores", required=True, help="score-variants output (TSV or Parquet)")
    p.add_argument("--hits", required=True, help="hits.bed of `brainresnet hits`")
    p.add_argument("--motifs", help="the PPMs scanned (default: hits_motifs.meme beside --hits)")
    p.add_argument("--out", required=True, help="annotated table (.tsv or .parquet)")
    p.add_argument(
        "--truth",
        help="demo observed.tsv (class, motif per variant; default: observed.tsv beside --scores); none: off",
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Annotate and write."""
    from brainresnet_tf.workflows.common import check_output

    check_output(args.out, {"--scores": args.scores, "--hits": args.hits, "--motifs": args.motifs})
    run_annotate(args.scores, args.hits, args.out, motifs=args.motifs, truth=args.truth)
    return 0


def run_annotate(
    scores: str | os.PathLike,
    hits: str | os.PathLike,
    out: str | os.PathLike,
    motifs: str | os.PathLike | None = None,
    truth: str | None = None,
) -> dict:
    """The annotated table (written to ``out``) and, with truth, the check; returns a summary."""
    import pandas as pd

    from brainresnet_tf.errors import InputError
    from brainresnet_tf.interpret.variant_hits import annotate, check_breaks, read_hits, read_motifs
    from brainresnet_tf.io.atomic import write_json, write_text
    from brainresnet_tf.io.tables import read_table, write_table

    hits_path = Path(hits)
    table = read_table(scores)
    hit_table = read_hits(hits_path)
    ppms = read_motifs(motifs or hits_path.with_name("hits_motifs.meme"))
    thresholds = {}
    summary_path = hits_path.with_name("hits_summary.tsv")
    if summary_path.exists():
        s = pd.read_csv(summary_path, sep="\t")
        thresholds = dict(zip(s["source"].astype(str), s["match_threshold_bits"]))
    annotated = annotate(table, hit_table, ppms, thresholds, scores)
    write_table(annotated, out)
    in_hit = int((annotated["n_hits"] > 0).sum())
    weak = int((annotated["weakens"] == True).sum())  # noqa: E712  (NaN where not scored)
    result = {"variants": len(annotated), "in_a_hit": in_hit, "alt_weakens_hit": weak}
    print(
        f"[annotate-variants] {len(annotated)} variants: {in_hit} fall in a motif hit "
        f"({weak} with the alt allele weakening it) -> {out}"
    )
    truth_path = None
    if truth is None:
        beside = Path(scores).with_name("observed.tsv")
        truth_path = beside if beside.exists() else None
    elif truth.lower() != "none":
        truth_path = Path(truth)
        if not truth_path.exists():
            raise InputError(f"{truth_path}: --truth file not found")
    if truth_path is not None:
        check, text = check_breaks(annotated, read_table(truth_path))
        result["check"] = check
        print(text)
        write_text(Path(str(out) + ".check.txt"), text + "\n")
    write_json(Path(str(out) + ".summary.json"), result)
    return result
