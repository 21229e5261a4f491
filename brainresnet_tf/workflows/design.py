"""``brainresnet design``: sequences the model predicts open in one profile (and closed in another).

Writes into ``out``: designed.fa, trajectory.tsv (objective, probabilities, GC, edits and the move
taken, per sequence per round), trajectory.png, summary.json. With the demo's ground truth beside
the genome (or ``--truth``), prints and saves (check.txt) whether the designs beat the best native
element and which motifs `hits` finds in them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from brainresnet_tf.errors import InputError
from brainresnet_tf.workflows.common import check_output, positive_int

NAME = "design"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``design`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="design sequences open for --task (and closed for --contrast)")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--task", required=True, help="profile to open")
    p.add_argument("--contrast", help="profile to keep closed (objective: logit task - logit contrast)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--start", help="FASTA of start sequences (model input length); default: random")
    p.add_argument("--n", type=positive_int, default=10, help="random start sequences (without --start)")
    p.add_argument("--rounds", type=int, default=10, help="improvement rounds")
    p.add_argument("--method", choices=["greedy", "evolve"], default="greedy")
    p.add_argument(
        "--candidates",
        type=positive_int,
        help="per sequence and round: greedy, substitutions sampled (default all); evolve, offspring (64)",
    )
    p.add_argument("--mutations", type=positive_int, default=2, help="substitutions per offspring (evolve)")
    p.add_argument(
        "--insert", nargs="+", metavar="MOTIF", help="JASPAR motifs whose consensus may be inserted"
    )
    p.add_argument("--gc", default="0,1", help="allowed GC fraction range, e.g. 0.35,0.6")
    p.add_argument("--max-homopolymer", type=positive_int, help="longest allowed run of one base")
    p.add_argument("--fixed", help="positions kept as given, 0-based ranges: 0-20,380-400")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=positive_int, default=512, help="sequences per model call")
    p.add_argument("--genome", help="genome whose folder holds the demo truth (default: the model's)")
    p.add_argument("--truth", help="synthetic data folder for the check; none: off")
    p.add_argument("--no-progress", action="store_true", help="no per-round lines")
    return p


def run(args: argparse.Namespace) -> int:
    """Design and write."""
    from brainresnet_tf.workflows.common import float_list

    gc = float_list(args.gc, "--gc")
    if len(gc) != 2 or not 0 <= gc[0] <= gc[1] <= 1:
        raise InputError(f"--gc {args.gc!r}: expected two fractions lo,hi with 0 <= lo <= hi <= 1")
    if args.rounds < 0:
        raise InputError(f"--rounds {args.rounds} must be >= 0")
    check_output(args.out, {"--model": args.model, "--start": args.start}, folder=True)
    run_design(
        args.model,
        args.out,
        args.task,
        contrast=args.contrast,
        start=args.start,
        n=args.n,
        rounds=args.rounds,
        method=args.method,
        candidates=args.candidates,
        n_mutations=args.mutations,
        insert=args.insert,
        gc=(gc[0], gc[1]),
        max_homopolymer=args.max_homopolymer,
        fixed=args.fixed,
        seed=args.seed,
        batch_size=args.batch_size,
        genome=args.genome,
        truth=args.truth,
        progress=not args.no_progress,
    )
    return 0


def run_design(
    model_path: str | os.PathLike,
    out: str | os.PathLike,
    task: str,
    *,
    contrast: str | None = None,
    start: str | None = None,
    n: int = 10,
    rounds: int = 10,
    method: str = "greedy",
    candidates: int | None = None,
    n_mutations: int = 2,
    insert: list[str] | None = None,
    gc: tuple[float, float] = (0.0, 1.0),
    max_homopolymer: int | None = None,
    fixed: str | None = None,
    seed: int = 0,
    batch_size: int = 512,
    genome: str | None = None,
    truth: str | None = None,
    progress: bool = True,
) -> dict:
    """Design, write the files, print the summary (and the check); returns the summary."""
    import time

    import numpy as np

    from brainresnet_tf.api.hits import fasta_windows
    from brainresnet_tf.inference.attribution import profile_index
    from brainresnet_tf.inference.predict import Predictor
    from brainresnet_tf.interpret import design as D
    from brainresnet_tf.interpret.motif_check import find_truth
    from brainresnet_tf.io.atomic import write_json, write_text
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.models.saving import load_model

    model, meta = load_model(model_path)
    length = meta.input_length
    t = profile_index(meta.profiles, task)
    c = None if contrast is None else profile_index(meta.profiles, contrast)
    if c == t:
        raise InputError(f"--contrast {contrast!r} is the task itself: choose another profile")
    constraints = D.Constraints(gc, max_homopolymer, D.parse_positions(fixed, length))
    rng = np.random.default_rng(seed)
    if start:
        _, starts = fasta_windows(start, length)
    else:
        if n < 1:
            raise InputError(f"--n {n} must be >= 1")
        starts = D.random_starts(n, length, constraints, rng)
    motifs = D.motif_consensus(insert, jaspar_core_vertebrates()) if insert else {}
    objective = D.Objective(Predictor(model), t, c, batch_size)
    label = meta.profiles[t] + (f" - {meta.profiles[c]}" if c is not None else "")

    def report(r: int, score) -> None:
        if progress:
            print(
                f"[design] round {r}/{rounds}: objective mean {score.mean():.3f}, max {score.max():.3f}",
                flush=True,
            )

    t0 = time.perf_counter()
    result = D.design(
        starts,
        objective,
        constraints,
        rounds=rounds,
        method=method,
        candidates=candidates,
        n_mutations=n_mutations,
        insert=motifs,
        seed=int(rng.integers(2**31)),
        progress=report,
    )
    seconds = time.perf_counter() - t0
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seqs = D.decode(result.codes)
    fasta = "".join(
        f">design_{i} objective={result.score[i]:.4f} {meta.profiles[t]}={result.probs[i, t]:.4f}"
        + (f" {meta.profiles[c]}={result.probs[i, c]:.4f}" if c is not None else "")
        + f"\n{s}\n"
        for i, s in enumerate(seqs)
    )
    write_text(out / "designed.fa", fasta)
    write_table(result.trajectory, out / "trajectory.tsv")
    summary = {
        "model": str(model_path),
        "task": meta.profiles[t],
        "contrast": meta.profiles[c] if c is not None else None,
        "objective": "logit(task) - logit(contrast), strand-averaged" if c is not None else "logit(task)",
        "method": method,
        "rounds": rounds,
        "n_sequences": len(seqs),
        "seed": seed,
        "constraints": {"gc": list(gc), "max_homopolymer": max_homopolymer, "fixed": fixed},
        "insert": list(motifs),
        "start_objective_mean": float(result.trajectory.query("round == 0")["score"].mean()),
        "final_objective": [float(v) for v in result.score],
        "sequences_evaluated": result.evaluated,
        "seconds": round(seconds, 2),
        "sequence_rounds_per_s": round(len(seqs) * rounds / max(seconds, 1e-9), 3),
    }
    genome_file = genome or meta.genome
    truth_dir = find_truth(genome_file, truth) if genome_file else None
    if truth is not None and truth.lower() != "none" and truth_dir is None:
        raise InputError(f"--truth {truth}: needs the genome (give --genome)")
    check_text, reference = "", None
    if truth_dir is not None:
        check, check_text = design_check(
            model, meta, objective, result, truth_dir, genome_file, t, c, batch_size
        )
        summary["check"] = check
        reference = check["best_native_objective"]
        write_text(out / "check.txt", check_text + "\n")
    D.plot_trajectory(
        result.trajectory,
        out / "trajectory.png",
        f"design: {label} ({method}, {len(seqs)} sequences)",
        reference,
        "best native element" if reference is not None else "",
    )
    write_json(out / "summary.json", summary)
    print(
        f"{label}: {len(seqs)} sequences x {rounds} rounds ({method}) in {seconds:.1f} s "
        f"({summary['sequence_rounds_per_s']:.2f} sequence-rounds/s, {result.evaluated} sequences scored); "
        f"objective {summary['start_objective_mean']:.2f} -> mean {result.score.mean():.2f}, "
        f"min {result.score.min():.2f}, max {result.score.max():.2f}"
    )
    if check_text:
        print(check_text)
    print(f"[design] designed.fa, trajectory.tsv, trajectory.png -> {out}")
    return summary


def design_check(
    model, meta, objective, result, truth_dir, genome_file, t, c, batch_size
) -> tuple[dict, str]:
    """Designs vs the best native element (windows centred on every element of elements.tsv) by
    the same objective, and the motifs ``hits`` finds in the designs (JASPAR matrices of the
    cell types' grammar, attributions of the same objective)."""
    import numpy as np

    from brainresnet_tf.inference.attribution import AttributionSpec, contributions
    from brainresnet_tf.interpret.hits import call_hits, motifs_from_jaspar
    from brainresnet_tf.interpret.motif_check import expected_signs, load_truth
    from brainresnet_tf.io.genome import Genome, one_hot
    from brainresnet_tf.io.intervals import centred_windows
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

    tr = load_truth(truth_dir)
    length = meta.input_length
    g = Genome(genome_file)
    elements = tr.elements.assign(name=tr.elements["element_id"])
    windows = centred_windows(elements, length)
    codes = g.codes_at(windows["chrom"].to_numpy(), windows["start"].to_numpy(), length)
    native, native_probs = objective(codes)
    best = int(np.argmax(native))

    def prob_diff(probs):
        return probs[:, t] - (probs[:, c] if c is not None else 0.0)

    native_diff, design_diff = prob_diff(native_probs), prob_diff(result.probs)
    profiles = [meta.profiles[t]] + ([meta.profiles[c]] if c is not None else [])
    cts = [
        meta.cell_types[i] if i < len(meta.cell_types) else "" for i in [t] + ([c] if c is not None else [])
    ]
    signs = expected_signs(tr, profiles, cts)
    motifs = motifs_from_jaspar([tr.matrix_ids[m] for m in signs], jaspar_core_vertebrates())
    x = one_hot(result.codes).astype("float32")
    spec = AttributionSpec(profiles[0], profiles[1] if len(profiles) > 1 else None, "ig", 20, "logit", 256)
    contrib = contributions(spec.run(spec.target(model, meta.profiles), x), x)
    hits = call_hits(x, contrib, motifs).hits
    lines = []
    per_motif = {}
    for scanned, (motif, sign) in zip(motifs, signs.items()):
        h = hits[hits["jaspar_id"] == scanned.jaspar_id]
        per_motif[motif] = {
            "expected_sign": "+" if sign > 0 else "-",
            "hits": len(h),
            "sequences_with_hit": int(h["window"].nunique()),
        }
        side = "favours the task" if sign > 0 else "favours the contrast"
        lines.append(
            f"  {motif:<8} ({side}): {len(h)} hits in {h['window'].nunique()}/{len(x)} designed sequences"
        )
    pos_ids = {m.jaspar_id for m, s in zip(motifs, signs.values()) if s > 0}
    neg_ids = {m.jaspar_id for m, s in zip(motifs, signs.values()) if s < 0}
    with_pos = hits[hits["jaspar_id"].isin(pos_ids)]["window"].nunique()
    n_neg = int(hits["jaspar_id"].isin(neg_ids).sum())
    above = int((result.score > native[best]).sum())
    ok = above == len(x) and with_pos == len(x) and n_neg == 0
    head = (
        f"Ground truth {truth_dir}: best native element {tr.elements['element_id'].iloc[best]} "
        f"(program {tr.elements['program'].iloc[best]}) objective {native[best]:.2f} "
        f"(of {len(native)} elements; median {np.median(native):.2f})"
    )
    lines = [
        head,
        f"designed: objective min {result.score.min():.2f}, median {np.median(result.score):.2f}, "
        f"max {result.score.max():.2f}; above the best native: {above}/{len(x)}",
        f"as a difference of probabilities: designed min {design_diff.min():.4f}, best native "
        f"{native_diff.max():.4f}",
        "motif instances by `hits` (JASPAR matrices, contribution FDR 5%):",
        *lines,
        f"design check: {'PASS' if ok else 'FAIL'} (every design above the best native element, each "
        f"with an instance of a task motif ({with_pos}/{len(x)}), none of a contrast motif ({n_neg} hits))",
    ]
    check = {
        "pass": ok,
        "best_native_objective": float(native[best]),
        "best_native_element": str(tr.elements["element_id"].iloc[best]),
        "designed_objective": [float(v) for v in result.score],
        "above_best_native": above,
        "best_native_probability_difference": float(native_diff.max()),
        "designed_probability_difference": [float(v) for v in design_diff],
        "motifs": per_motif,
        "sequences_with_task_motif": int(with_pos),
        "contrast_motif_hits": n_neg,
    }
    return check, "\n".join(lines)
