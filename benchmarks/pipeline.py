"""Windows/s of the tf.data pipeline vs a naive pyfaidx fetch-and-encode loop, in one run.

Prints JSON. Both paths produce the same thing: float32 one-hot windows (context bp) with their
labels; the naive loop reads each window from the FASTA with pyfaidx and one-hot encodes it.
Usage: python benchmarks/pipeline.py [--context 1000] [--batch-size 128] [--windows 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pyfaidx  # noqa: E402
import tensorflow as tf  # noqa: E402

from brainresnet_tf.data.pipeline import WindowSource, make_dataset  # noqa: E402
from brainresnet_tf.data.windows import WindowTable  # noqa: E402
from brainresnet_tf.io.genome import Genome, one_hot_sequence  # noqa: E402


def write_random_genome(path: Path, n_chroms: int, length: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        for c in range(n_chroms):
            seq = np.array(list("ACGT"))[rng.integers(0, 4, length)].view(f"<U{length}")[0]
            fh.write(f">chr{c + 1}\n")
            for i in range(0, length, 60):
                fh.write(seq[i : i + 60] + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--context", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--windows", type=int, default=100000)
    ap.add_argument("--naive-windows", type=int, default=3000)
    ap.add_argument("--profiles", type=int, default=8)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "genome.fa"
        write_random_genome(fasta, n_chroms=5, length=1_000_000)
        genome = Genome(fasta, cache_dir=tmp)
        t = time.perf_counter()
        _ = genome.codes  # one-time encoding, reported separately
        encode_s = time.perf_counter() - t
        rng = np.random.default_rng(0)
        chroms = np.array([f"chr{i}" for i in rng.integers(1, 6, args.windows)])
        starts = (rng.integers(0, 1_000_000 - 200, args.windows) // 200) * 200
        labels = (rng.random((args.windows, args.profiles)) < 0.3).astype(np.float32)
        table = WindowTable(
            [f"p{i}" for i in range(args.profiles)],
            chroms,
            starts,
            labels,
            np.array(["train"] * args.windows),
            200,
            args.context,
        )
        source = WindowSource(genome, table)

        # tf.data pipeline: shuffled, reverse-complement augmented, batched, prefetched
        # Consumed inside the TF runtime (as Keras' training step does), not by a Python loop.
        ds = make_dataset(source, args.batch_size, shuffle=True, rc_augment=True, seed=0)
        count = lambda acc, batch: acc + tf.cast(tf.shape(batch[0])[0], tf.int64)  # noqa: E731
        ds.take(3).reduce(np.int64(0), count)  # warm-up
        t = time.perf_counter()
        n = int(ds.reduce(np.int64(0), count))
        pipe_s = time.perf_counter() - t
        pipeline_rate = n / pipe_s

        # naive loop, common idiom: default pyfaidx.Fasta records, numpy comparison one-hot
        window_start = table.window_start
        fa = pyfaidx.Fasta(str(fasta))
        acgt = np.array(list("ACGT"))
        t = time.perf_counter()
        batch_x = []
        for i in range(args.naive_windows):
            lo = max(int(window_start[i]), 0)
            seq = fa[chroms[i]][lo : lo + args.context].seq.upper()
            batch_x.append((np.array(list(seq))[:, None] == acgt).astype(np.float32))
            if len(batch_x) == args.batch_size:
                np.stack(batch_x), labels[i + 1 - args.batch_size : i + 1]
                batch_x = []
        idiom_rate = args.naive_windows / (time.perf_counter() - t)

        # naive loop, tuned: raw pyfaidx strings, lookup-table one-hot (our own encoder)
        t = time.perf_counter()
        batch_x, batch_y = [], []
        for i in range(args.naive_windows):
            lo = int(window_start[i])
            batch_x.append(one_hot_sequence(genome.fetch(chroms[i], lo, lo + args.context)))
            batch_y.append(labels[i])
            if len(batch_x) == args.batch_size:
                np.stack(batch_x), np.stack(batch_y)
                batch_x, batch_y = [], []
        naive_s = time.perf_counter() - t
        naive_rate = args.naive_windows / naive_s

    print(
        json.dumps(
            {
                "benchmark": "pipeline",
                "context_bp": args.context,
                "batch_size": args.batch_size,
                "profiles": args.profiles,
                "genome_encode_once_s": round(encode_s, 3),
                "pipeline_windows_per_s": round(pipeline_rate, 1),
                "naive_pyfaidx_windows_per_s": round(naive_rate, 1),
                "speedup_vs_naive": round(pipeline_rate / naive_rate, 2),
                "naive_common_idiom_windows_per_s": round(idiom_rate, 1),
                "speedup_vs_common_idiom": round(pipeline_rate / idiom_rate, 2),
                "target_speedup": 20.0,
                "pipeline_windows": n,
                "naive_windows": args.naive_windows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
