"""Seconds to fit the k-mer baseline with BLAS on one thread (the package) vs BLAS's default.

Prints JSON. ``KmerModel.fit`` runs on synthetic windows (random sequence, a planted motif in the
positives of each profile), alternating the two settings in one process; ``--busy N`` keeps N
other processes spinning meanwhile, as TensorFlow's training threads or a second test worker do.
The two fits must choose the same regularisation and give the same predictions.
Usage: python benchmarks/kmer.py [--windows 2000] [--context 1000] [--profiles 3] [--busy 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import time

import numpy as np

from brainresnet_tf.models import kmer


def spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def synthetic_windows(n: int, length: int, profiles: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random base codes; profile p's positives (half the rows, drawn per profile) carry motif p."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length), dtype=np.uint8)
    labels = (rng.random((n, profiles)) < 0.5).astype(np.float32)
    for p in range(profiles):
        motif = rng.integers(0, 4, 8, dtype=np.uint8)
        for row in np.flatnonzero(labels[:, p] > 0.5):
            if rng.random() < 0.6:  # not every positive: the task is not trivial
                at = rng.integers(0, length - 8)
                codes[row, at : at + 8] = motif
    return codes, labels


def timed_fit(codes: np.ndarray, labels: np.ndarray, one_thread: bool) -> tuple[float, kmer.KmerModel]:
    limit = kmer.one_blas_thread
    if not one_thread:  # the behaviour before: BLAS's default threads
        kmer.one_blas_thread = contextlib.nullcontext
    try:
        t0 = time.perf_counter()
        model = kmer.KmerModel().fit(codes, labels)
        return time.perf_counter() - t0, model
    finally:
        kmer.one_blas_thread = limit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--windows", type=int, default=2000)
    ap.add_argument("--context", type=int, default=1000)
    ap.add_argument("--profiles", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--busy", type=int, default=2, help="spinning processes beside the fits")
    args = ap.parse_args()

    codes, labels = synthetic_windows(args.windows, args.context, args.profiles)
    stop = multiprocessing.Event()
    busy = [multiprocessing.Process(target=spin, args=(stop,), daemon=True) for _ in range(args.busy)]
    for proc in busy:
        proc.start()
    seconds: dict[str, list[float]] = {"one_thread": [], "default_threads": []}
    try:
        for _ in range(args.rounds):
            s1, one = timed_fit(codes, labels, one_thread=True)
            s2, default = timed_fit(codes, labels, one_thread=False)
            seconds["one_thread"].append(round(s1, 2))
            seconds["default_threads"].append(round(s2, 2))
    finally:
        stop.set()
        for proc in busy:
            proc.join()
    same_c = [float(a[-1].C_[0]) == float(b[-1].C_[0]) for a, b in zip(one.pipelines, default.pipelines)]
    gap = float(np.abs(one.predict(codes[:200]) - default.predict(codes[:200])).max())
    assert all(same_c) and gap < 1e-3, f"the two settings disagree: same C {same_c}, max gap {gap}"
    print(
        json.dumps(
            {
                "benchmark": "kmer_fit",
                "windows": args.windows,
                "context_bp": args.context,
                "profiles": args.profiles,
                "busy_processes": args.busy,
                "seconds": seconds,
                "speedup_one_thread_per_round": [
                    round(d / o, 2) for o, d in zip(seconds["one_thread"], seconds["default_threads"])
                ],
                "same_regularisation": all(same_c),
                "max_prediction_gap": gap,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
