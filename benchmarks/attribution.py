"""Attributions/s: integrated gradients batched vs one sequence at a time, and DeepLIFT/DeepSHAP
beside a gradient pass and integrated gradients; same model, one run.

Prints JSON. Every path computes the same thing: strand-averaged integrated gradients of one
profile's logit from the uniform baseline with ``--steps`` steps (``steps + 1`` path points, each
through the model on both strands).
* ``batched``: ``attribution.integrated_gradients`` with ``--batch-size`` model inputs per call
  (``batch_size // (steps + 1)`` sequences and all their path points in one gradient call);
* ``per_sequence``: the same compiled function called on one sequence at a time (its path points
  still in one call);
* ``per_step``: the textbook loop, one eager ``GradientTape`` call per path point of one sequence.
Input x gradient is timed too, for scale. DeepLIFT (``inference/deeplift.py``): one reference
(a uniform baseline shared by all sequences; and one dinucleotide shuffle per sequence) as a ratio
to one input-gradient pass (the forward pass on the reference included), and DeepSHAP with
``--references`` shuffles per sequence (their drawing included) as a throughput ratio to IG with
``--steps`` steps. The best of ``--repeats`` interleaved runs is kept.
Usage: python benchmarks/attribution.py [--model runs/demo/model.keras] [--sequences 256]
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

from brainresnet_tf.inference import attribution as A  # noqa: E402
from brainresnet_tf.inference.deeplift import deeplift  # noqa: E402
from brainresnet_tf.models import ResNetSpec, build_resnet  # noqa: E402
from brainresnet_tf.models.saving import ModelMeta, load_model  # noqa: E402


def per_step_ig(target: A.Target, x: np.ndarray, steps: int) -> np.ndarray:
    """One sequence, one eager gradient call per path point (trapezoid rule)."""
    base = np.full_like(x, 0.25)
    total = np.zeros_like(x)
    for k, alpha in enumerate(np.linspace(0.0, 1.0, steps + 1)):
        point = tf.constant((base + np.float32(alpha) * (x - base))[None])
        with tf.GradientTape() as tape:
            tape.watch(point)
            y = target(point)
        w = (0.5 if k in (0, steps) else 1.0) / steps
        total += w * tape.gradient(y, point).numpy()[0]
    return (x - base) * total


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model.keras (default: a demo-sized ResNet, random weights)")
    ap.add_argument("--sequences", type=int, default=256, help="sequences for the batched path")
    ap.add_argument("--single-sequences", type=int, default=32, help="sequences for the one-at-a-time path")
    ap.add_argument("--step-sequences", type=int, default=2, help="sequences for the per-step loop")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=256, help="model inputs per call (batched)")
    ap.add_argument("--references", type=int, default=20, help="DeepSHAP shuffles per sequence")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    if args.model:
        model, meta = load_model(args.model)
        source = args.model
    else:
        meta = ModelMeta(profiles=["p0", "p1", "p2"], input_length=400)
        model = build_resnet(400, 3, ResNetSpec(stem_filters=32, stage_filters=(32, 48, 64), head_units=64))
        source = "random-weight ResNet (demo --quick size)"
    L = meta.input_length
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (args.sequences, L))]
    target = A.make_target(model, meta.profiles, meta.profiles[0])
    n1, ns, steps = args.single_sequences, args.step_sequences, args.steps

    # warm-up: trace every compiled function for the shapes the timed runs use
    A.integrated_gradients(target, x[:2], steps=steps, batch_size=args.batch_size)
    A.integrated_gradients(target, x[:1], steps=steps, batch_size=args.batch_size)
    A.gradients(target, x[:2], batch_size=args.batch_size)
    per_step_ig(target, x[0], 1)
    k = args.references
    deeplift_runs = {
        "one_shared_baseline": lambda: deeplift(target, x, "uniform", batch_size=args.batch_size),
        "one_shuffle_per_sequence": lambda: deeplift(target, x, 1, batch_size=args.batch_size),
        "deepshap": lambda: deeplift(target, x, k, batch_size=args.batch_size),
    }
    for run in deeplift_runs.values():  # trace every shape, the last partial batch included
        run()

    def batched():
        return A.integrated_gradients(target, x, steps=steps, batch_size=args.batch_size)

    def one_at_a_time():
        return [
            A.integrated_gradients(target, x[i : i + 1], steps=steps, batch_size=steps + 1) for i in range(n1)
        ]

    def per_step():
        return [per_step_ig(target, x[i], steps) for i in range(ns)]

    t_batched = t_single = t_step = t_ixg = float("inf")
    t_dl = dict.fromkeys(deeplift_runs, float("inf"))
    for _ in range(args.repeats):  # interleaved: fair under a shared CPU
        t_batched = min(t_batched, best_time(batched, 1))
        t_single = min(t_single, best_time(one_at_a_time, 1))
        t_step = min(t_step, best_time(per_step, 1))
        t_ixg = min(t_ixg, best_time(lambda: A.gradients(target, x, args.batch_size), 1))
        for name, run in deeplift_runs.items():
            t_dl[name] = min(t_dl[name], best_time(run, 1))

    ig_b = batched()
    ig_1 = np.concatenate(one_at_a_time())
    ig_s = np.stack(per_step())
    result = {
        "benchmark": "integrated gradients attributions/s (strand-averaged, logit, uniform baseline)",
        "model": source,
        "params": int(model.count_params()),
        "input_length": L,
        "steps": steps,
        "path_points_per_sequence": steps + 1,
        "batch_size_model_inputs": args.batch_size,
        "sequences_per_call_batched": max(1, args.batch_size // (steps + 1)),
        "batched": {
            "sequences": args.sequences,
            "seconds": round(t_batched, 3),
            "attributions_per_s": round(args.sequences / t_batched, 2),
        },
        "per_sequence": {
            "sequences": n1,
            "seconds": round(t_single, 3),
            "attributions_per_s": round(n1 / t_single, 2),
        },
        "per_step_eager": {
            "sequences": ns,
            "seconds": round(t_step, 3),
            "attributions_per_s": round(ns / t_step, 3),
        },
        "speedup_batched_vs_per_sequence": round((args.sequences / t_batched) / (n1 / t_single), 2),
        "speedup_batched_vs_per_step": round((args.sequences / t_batched) / (ns / t_step), 1),
        "input_x_gradient_per_s": round(args.sequences / t_ixg, 1),
        "deeplift": {
            "one_reference_seconds": {name: round(t_dl[name], 3) for name in list(t_dl)[:2]},
            "one_reference_vs_gradient_pass": {name: round(t_dl[name] / t_ixg, 2) for name in list(t_dl)[:2]},
            "deepshap_references": k,
            "deepshap_per_s": round(args.sequences / t_dl["deepshap"], 2),
            f"deepshap_{k}_throughput_vs_ig_{steps}": round(t_batched / t_dl["deepshap"], 3),
            "max_relative_delta": deeplift(target, x[:32], k).max_delta,
        },
        "max_abs_diff_batched_vs_per_sequence": float(np.abs(ig_b[:n1] - ig_1).max()),
        "max_abs_diff_batched_vs_per_step": float(np.abs(ig_b[:ns] - ig_s).max()),
        "repeats_best_of": args.repeats,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "tensorflow": tf.__version__,
            "gpu": bool(tf.config.list_physical_devices("GPU")),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
