"""Sequence design throughput (sequences x rounds per second): batched vs one at a time, one run.

Prints JSON. Both paths run the same greedy design (every single-base substitution of every
sequence scored each round, strand-averaged logit(task) - logit(contrast), the best one taken):
* ``batched``: ``interpret.design.design`` as ``brainresnet design`` runs it: all candidates of all
  sequences in shared batches of ``--batch-size`` through ``inference.predict.Predictor`` (one-hot
  and both strands inside one compiled call);
* ``naive``: one sequence at a time, each candidate scored alone by two eager model calls
  (forward, reverse complement): the loop one writes first.
Greedy over all substitutions draws no random numbers, so both choose the same moves; the JSON
says whether they did. The naive path runs fewer sequences and rounds (it is ~100x slower); the
ratio compares rates. Usage: python benchmarks/design.py [--model runs/demo/model.keras]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from brainresnet_tf.inference.predict import Predictor  # noqa: E402
from brainresnet_tf.interpret import design as D  # noqa: E402
from brainresnet_tf.models import ResNetSpec, build_resnet  # noqa: E402
from brainresnet_tf.models.saving import ModelMeta, load_model  # noqa: E402


def naive_predict(model):
    """codes (B, L) -> strand-averaged outputs, one sequence and one strand per model call."""

    def predict(codes: np.ndarray) -> np.ndarray:
        out = []
        for row in codes:
            x = tf.constant(np.eye(5, 4, dtype=np.float32)[row][None])
            fwd = model(x, training=False).numpy()[0]
            rev = model(tf.reverse(x, axis=[1, 2]), training=False).numpy()[0]
            out.append((fwd + rev) / 2)
        return np.stack(out)

    return predict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model.keras (default: a demo --quick sized ResNet, random weights)")
    ap.add_argument("--sequences", type=int, default=16, help="sequences designed in the batched path")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the batched path")
    ap.add_argument(
        "--naive-sequences", type=int, default=1, help="0: batched path only (no speedup, a quick check)"
    )
    ap.add_argument("--naive-rounds", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--length", type=int, default=400, help="input length of the random-weight model")
    args = ap.parse_args()

    if args.model:
        model, meta = load_model(args.model)
        source = args.model
    else:
        meta = ModelMeta(profiles=["p0", "p1", "p2"], input_length=args.length)
        model = build_resnet(
            args.length, 3, ResNetSpec(stem_filters=32, stage_filters=(32, 48, 64), head_units=64)
        )
        source = "random-weight ResNet (demo --quick size)"
    length = meta.input_length
    cons = D.Constraints()
    starts = D.random_starts(args.sequences, length, cons, np.random.default_rng(0))
    candidates = 3 * length

    batched_obj = D.Objective(Predictor(model), 0, 1, args.batch_size)
    D.design(starts[:2], batched_obj, cons, rounds=1)  # warm-up: trace the compiled call
    t = time.perf_counter()
    batched = D.design(starts, D.Objective(Predictor(model), 0, 1, args.batch_size), cons, rounds=args.rounds)
    t_batched = time.perf_counter() - t

    naive = []
    t_naive = 0.0
    if args.naive_sequences > 0:  # ~100 s per sequence-round at 400 bp
        naive_obj = D.Objective(naive_predict(model), 0, 1, batch_size=1)
        naive_obj(starts[:1])  # warm-up
        t = time.perf_counter()
        naive = [
            D.design(
                starts[i : i + 1], D.Objective(naive_predict(model), 0, 1, 1), cons, rounds=args.naive_rounds
            )
            for i in range(args.naive_sequences)
        ]
        t_naive = time.perf_counter() - t

    traj = batched.trajectory
    same = all(
        np.allclose(
            n.trajectory["score"].to_numpy(),
            traj[(traj["sequence"] == i) & (traj["round"] <= args.naive_rounds)]["score"].to_numpy(),
            atol=1e-3,
        )
        and n.trajectory["move"].tolist()
        == traj[(traj["sequence"] == i) & (traj["round"] <= args.naive_rounds)]["move"].tolist()
        for i, n in enumerate(naive)
    )
    rate_b = args.sequences * args.rounds / t_batched
    rate_n = args.naive_sequences * args.naive_rounds / t_naive if naive else None
    result = {
        "benchmark": "greedy design: sequence-rounds/s (all single substitutions per round, strand-averaged)",
        "model": source,
        "params": int(model.count_params()),
        "input_length": length,
        "candidates_per_sequence_round": candidates,
        "batched": {
            "sequences": args.sequences,
            "rounds": args.rounds,
            "batch_size": args.batch_size,
            "seconds": round(t_batched, 2),
            "sequence_rounds_per_s": round(rate_b, 3),
            "candidates_per_s": round(rate_b * candidates, 1),
        },
        "naive_one_at_a_time": {
            "sequences": args.naive_sequences,
            "rounds": args.naive_rounds,
            "seconds": round(t_naive, 2),
            "sequence_rounds_per_s": round(rate_n, 4),
            "candidates_per_s": round(rate_n * candidates, 1),
        }
        if naive
        else None,
        "speedup": round(rate_b / rate_n, 1) if naive else None,
        "same_moves_and_scores": bool(same) if naive else None,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "tensorflow": tf.__version__,
            "load_average": [round(v, 2) for v in os.getloadavg()],
        },
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
