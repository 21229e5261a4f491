"""Training throughput with 1 vs 2 replicas (MirroredStrategy over logical CPU devices), one run.

Prints JSON. The machine's CPU is split into two logical devices before TensorFlow starts; the
same Brain-ResNet is trained with the custom ``strategy.run`` loop of
``brainresnet_tf.train.distributed`` (the multi-worker code path) on one device and then on both, at
the same global batch (the config semantics: each replica takes half) and at the same
per-replica batch (global batch doubled). Reported: sequences/s over timed steps after warm-up,
and the 2-over-1 ratios. Both logical devices share the host's cores and intra-op thread pool,
so this measures the distribution overhead more than a speed-up; on GPUs or several hosts each
replica brings its own compute.
Usage: python benchmarks/scaling.py [--context 1000] [--batch-size 64] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

N_DEVICES = 2
_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * N_DEVICES)

from brainresnet_tf.data.pipeline import WindowSource  # noqa: E402
from brainresnet_tf.data.windows import WindowTable  # noqa: E402
from brainresnet_tf.io.genome import Genome  # noqa: E402
from brainresnet_tf.train.config import load_config  # noqa: E402
from brainresnet_tf.train.distributed import (  # noqa: E402
    distributed_dataset,
    make_train_step,
    synchronize_batch_norm,
)
from brainresnet_tf.train.fit import build_for_config  # noqa: E402


def write_random_genome(path: Path, n_chroms: int, length: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        for c in range(n_chroms):
            seq = np.array(list("ACGT"))[rng.integers(0, 4, length)].view(f"<U{length}")[0]
            fh.write(f">chr{c + 1}\n")
            for i in range(0, length, 60):
                fh.write(seq[i : i + 60] + "\n")


def measure(config, table, source, devices: list[str], batch_size: int, warmup: int, steps: int) -> dict:
    """Sequences/s of the custom training step on ``devices`` at global ``batch_size``."""
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        model = build_for_config(config, table, "resnet")
    if strategy.num_replicas_in_sync > 1:
        synchronize_batch_norm(model)
    train_step = make_train_step(model, strategy)
    iterator = iter(
        distributed_dataset(strategy, source, batch_size, seed=0, rc_augment=True, epoch=0, repeat=True)
    )
    for _ in range(warmup):
        float(train_step(iterator))
    t = time.perf_counter()
    for _ in range(steps):
        loss = float(train_step(iterator))
    elapsed = time.perf_counter() - t
    return {
        "replicas": len(devices),
        "global_batch": batch_size,
        "per_replica_batch": batch_size // len(devices),
        "steps": steps,
        "seconds": round(elapsed, 3),
        "seq_per_s": round(steps * batch_size / elapsed, 1),
        "ms_per_step": round(1000 * elapsed / steps, 1),
        "last_loss": round(loss, 4),
        "params": model.count_params(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--context", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64, help="global batch of the 1-replica run")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first (tracing)")
    ap.add_argument("--profiles", type=int, default=8)
    args = ap.parse_args()

    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:N_DEVICES]
    n_windows = args.batch_size * 2 * (args.steps + args.warmup) + 1
    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "genome.fa"
        write_random_genome(fasta, n_chroms=2, length=1_000_000)
        genome = Genome(fasta, cache_dir=tmp)
        rng = np.random.default_rng(0)
        chroms = np.array([f"chr{i}" for i in rng.integers(1, 3, n_windows)])
        starts = (rng.integers(args.context, 1_000_000 - 2 * args.context, n_windows) // 200) * 200
        labels = (rng.random((n_windows, args.profiles)) < 0.3).astype(np.float32)
        table = WindowTable(
            [f"p{i}" for i in range(args.profiles)],
            chroms,
            starts,
            labels,
            np.array(["train"] * n_windows),
            200,
            args.context,
        )
        source = WindowSource(genome, table)
        # the demo's quick Brain-ResNet (configs/demo.yaml sizes) at this context
        config = load_config(
            None,
            {
                "windows.context": args.context,
                "model.resnet.stem_filters": 32,
                "model.resnet.stage_filters": [32, 48, 64],
                "model.resnet.head_units": 64,
            },
        )
        runs = {
            "one_replica": measure(
                config, table, source, devices[:1], args.batch_size, args.warmup, args.steps
            ),
            "two_replicas_same_global_batch": measure(
                config, table, source, devices, args.batch_size, args.warmup, args.steps
            ),
            "two_replicas_same_per_replica_batch": measure(
                config, table, source, devices, 2 * args.batch_size, args.warmup, args.steps
            ),
        }
    one = runs["one_replica"]["seq_per_s"]
    print(
        json.dumps(
            {
                "benchmark": "training throughput, 1 vs 2 replicas (MirroredStrategy, logical CPU devices)",
                "loop": "brainresnet_tf.train.distributed custom strategy.run step",
                "host": {
                    "cpu_count": os.cpu_count(),
                    "machine": platform.machine(),
                    "tensorflow": tf.__version__,
                },
                "context": args.context,
                "profiles": args.profiles,
                "runs": runs,
                "ratio_two_over_one_same_global_batch": round(
                    runs["two_replicas_same_global_batch"]["seq_per_s"] / one, 3
                ),
                "ratio_two_over_one_same_per_replica_batch": round(
                    runs["two_replicas_same_per_replica_batch"]["seq_per_s"] / one, 3
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
