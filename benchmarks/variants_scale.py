"""Population-scale variant scoring: SNVs/s of ``score-variants`` in one process and on the Dask
engine with 1 and 2 local worker processes, in one run; prints JSON.

* ``single_process``: :func:`brainresnet_tf.api.variants.score_variant_file` on the loaded model
  (this process, TensorFlow's default threads: all cores).
* ``dask_1_worker`` / ``dask_2_workers``: the same call with ``scheduler=`` a local cluster of 1 or
  2 worker processes (``--workers N``: TensorFlow threads ``cores // N`` each), row-range shards of
  the plain VCF, joined into one TSV. Every path is warmed first (a small run: TensorFlow imported,
  the model loaded and traced in each process), so the timed runs compare steady-state scoring;
  the cluster's start and the warm-up are reported apart. ``peak_rss_mb_per_worker`` is each worker
  process's peak resident memory; ``join_s`` the client's join of the shards into the output.
* ``gnomad_80M_hours``: ~80M gnomAD SNVs at the 2-worker rate on N machines like this one,
  assuming linear scaling (shards are independent; the join is serial and reported apart).
* ``null``: seconds to score a ``--null`` of N background SNVs (drawn, GC matched) once; later
  runs reuse its cache.
* ``outputs_match_1e-6``: the engine's tables against the single process's (text and values).

The model is the demo's ResNet architecture (``--scale``; untrained: the cost is the same), the
genome random sequence; nothing is downloaded. The machine is shared: rates are contended.
Usage: python benchmarks/variants_scale.py [--variants 1000000] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

GNOMAD_SNVS = 80_000_000
MACHINES = (1, 10, 100)
PROFILES = ["iPSC_neuron_ATAC", "NPC_ATAC", "fetal_brain_ATAC"]


def log(message: str) -> None:
    print(f"[variants_scale] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def build_demo_model(folder: Path, scale: str) -> Path:
    """The demo's Brain-ResNet at ``scale`` (untrained), saved with its model.json."""
    from brainresnet_tf.models import ResNetSpec, build_resnet
    from brainresnet_tf.models.saving import ModelMeta, save_model
    from brainresnet_tf.workflows.demo import DEMO_SETTINGS

    settings = DEMO_SETTINGS[scale]
    spec = settings["model"]["resnet"]
    length = settings["windows"]["context"]
    model = build_resnet(
        length,
        len(PROFILES),
        ResNetSpec(
            stem_filters=spec["stem_filters"],
            stage_filters=tuple(spec["stage_filters"]),
            blocks_per_stage=spec["blocks_per_stage"],
            head_units=spec["head_units"],
        ),
    )
    path = folder / "model.keras"
    save_model(model, path, ModelMeta(PROFILES, length))
    return path


def compare(a: Path, b: Path) -> tuple[bool, float]:
    """(same rows and columns, every value within 1e-6; the largest difference) of two TSVs."""
    import numpy as np
    import pandas as pd

    x, y = pd.read_csv(a, sep="\t"), pd.read_csv(b, sep="\t")
    if list(x.columns) != list(y.columns) or len(x) != len(y):
        return False, float("inf")
    numeric = x.select_dtypes("number").columns
    diff = float(np.nanmax(np.abs(x[numeric].to_numpy(float) - y[numeric].to_numpy(float)), initial=0.0))
    same_text = x.drop(columns=numeric).equals(y.drop(columns=numeric))
    return same_text and diff <= 1e-6, diff


def start_cluster(stack: ExitStack, workers: int, model: Path, fasta: Path, warm: Path, tmp: Path, args):
    """A local cluster of ``workers`` (closed with ``stack``), warmed: TensorFlow imported, the
    model loaded and traced in every worker; (client, start seconds, warm-up seconds)."""
    from brainresnet_tf.api.cluster import dask_client
    from brainresnet_tf.api.variants import score_variant_file

    t = time.perf_counter()
    client = stack.enter_context(dask_client(workers))
    start_s = time.perf_counter() - t
    t = time.perf_counter()
    warm_shard = max(1, args.batch_size // 2)  # several small shards: every worker gets some
    out = tmp / f"warm{workers}.tsv"
    score_variant_file(
        model, fasta, warm, out, batch_size=args.batch_size, scheduler=client, shard_size=warm_shard
    )
    warm_s = time.perf_counter() - t
    log(f"dask {workers} worker(s): started in {start_s:.1f} s, warmed in {warm_s:.1f} s")
    return client, start_s, warm_s


def engine_run(client, model: Path, fasta: Path, vcf: Path, out: Path, args) -> dict:
    """Score ``vcf`` on ``client``'s cluster: seconds, rate, shards, join time."""
    from brainresnet_tf.api.variants import score_variant_file

    t = time.perf_counter()
    stats = score_variant_file(
        model, fasta, vcf, out, batch_size=args.batch_size, scheduler=client, shard_size=args.shard_size
    )
    seconds = time.perf_counter() - t
    engine = json.loads(out.with_name(f"{out.stem}.summary.json").read_text())["engine"]
    return {
        "scored": stats.scored,
        "seconds": round(seconds, 2),
        "per_s": round(stats.scored / seconds, 1),
        "shards": engine["shards"],
        "join_s": round(seconds - engine["seconds_before_join"], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variants", type=int, default=1_000_000, help="SNVs to score (default 1,000,000)")
    ap.add_argument("--scale", choices=("tiny", "quick", "full"), default="quick", help="demo model size")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--shard-size", type=int, default=50_000, help="lines per engine shard")
    ap.add_argument("--null", type=int, default=100_000, help="background SNVs of the timed null")
    ap.add_argument("--chroms", type=int, default=5, help="chromosomes of the random genome")
    ap.add_argument("--chrom-length", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=1, help="interleaved timed runs of each path (best kept)")
    ap.add_argument("--smoke", action="store_true", help="a tiny run for CI: every number is meaningless")
    args = ap.parse_args()
    if args.smoke:
        args.variants, args.scale, args.batch_size, args.shard_size = 1_500, "tiny", 64, 400
        args.null, args.chroms, args.chrom_length = 300, 2, 40_000

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from brainresnet_tf.startup import quiet_tensorflow_import

    quiet_tensorflow_import()
    from variants import write_random_genome, write_random_vcf

    from brainresnet_tf.api.cluster import machine_cores
    from brainresnet_tf.api.model import load_model
    from brainresnet_tf.api.variants import score_variant_file
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.variant.null import prepare_null

    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_path = build_demo_model(tmp, args.scale)
        fasta = tmp / "genome.fa"
        write_random_genome(fasta, args.chroms, args.chrom_length)
        genome = Genome(fasta)
        _ = genome.codes
        vcf = tmp / "snvs.vcf"
        n = len(write_random_vcf(vcf, genome, args.variants))
        warm = tmp / "warm.vcf"
        warm.write_text("".join(vcf.read_text().splitlines(True)[: 2 + 4 * args.batch_size]))
        log(f"{n:,} SNVs on a {args.chroms} x {args.chrom_length:,} bp genome, demo model ({args.scale})")

        model = load_model(model_path)
        t = time.perf_counter()
        score_variant_file(model, genome, warm, tmp / "warm.tsv", batch_size=args.batch_size)
        single_warm = time.perf_counter() - t
        with ExitStack() as stack:
            clusters = {w: start_cluster(stack, w, model_path, fasta, warm, tmp, args) for w in (1, 2)}
            single_runs, engine_runs = [], {1: [], 2: []}
            for repeat in range(args.repeats):  # interleaved: each path sees the same load
                t = time.perf_counter()
                stats = score_variant_file(model, genome, vcf, tmp / "single.tsv", batch_size=args.batch_size)
                single_runs.append(stats.scored / (time.perf_counter() - t))
                log(f"run {repeat + 1}: single process {single_runs[-1]:,.1f} SNVs/s")
                for workers, (client, _, _) in clusters.items():
                    run = engine_run(client, model_path, fasta, vcf, tmp / f"dask{workers}.tsv", args)
                    engine_runs[workers].append(run)
                    log(f"run {repeat + 1}: dask {workers} worker(s) {run['per_s']:,} SNVs/s")
            rss = {w: sorted(client.run(peak_rss_mb).values()) for w, (client, _, _) in clusters.items()}
        best = max(single_runs)
        single = {
            "scored": stats.scored,
            "per_s": round(best, 1),
            "per_s_runs": [round(r, 1) for r in single_runs],
            "warmup_s": round(single_warm, 2),
            "peak_rss_mb": peak_rss_mb(),
        }
        runs = {}
        for workers, (_, start_s, warm_s) in clusters.items():
            run = max(engine_runs[workers], key=lambda r: r["per_s"])
            same, diff = compare(tmp / "single.tsv", tmp / f"dask{workers}.tsv")
            runs[workers] = {
                "workers": workers,
                "tf_threads_per_worker": max(1, machine_cores() // workers),
                **run,
                "per_s_runs": [r["per_s"] for r in engine_runs[workers]],
                "ratio_to_single": round(run["per_s"] / best, 3),
                "ratio_runs": [round(r["per_s"] / s, 3) for r, s in zip(engine_runs[workers], single_runs)],
                "cluster_start_s": round(start_s, 2),
                "warmup_s": round(warm_s, 2),
                "peak_rss_mb_per_worker": rss[workers],
                "outputs_match_1e-6": same,
                "max_abs_diff": diff,
            }

        log(f"null of {args.null:,} SNVs: scoring")
        t = time.perf_counter()
        prepare_null(
            model.network,
            model.meta,
            genome,
            model_path,
            n=args.null,
            peaks=[],
            cache_dir=tmp / "null",
            batch_size=args.batch_size,
        )
        null_s = time.perf_counter() - t

    rate = runs[2]["per_s"]
    result = {
        "benchmark": "variants_scale",
        "smoke": args.smoke,
        "variants": n,
        "model": f"demo Brain-ResNet ({args.scale}, untrained), {model.network.count_params():,} params",
        "input_length": model.meta.input_length,
        "batch_size": args.batch_size,
        "shard_size": args.shard_size,
        "cores": os.cpu_count(),
        "single_process": single,
        "dask_1_worker": runs[1],
        "dask_2_workers": runs[2],
        "gnomad_80M_hours": {str(m): round(GNOMAD_SNVS / (rate * m) / 3600, 2) for m in MACHINES},
        "null": {"n": args.null, "seconds": round(null_s, 2)},
        "outputs_match_1e-6": runs[1]["outputs_match_1e-6"] and runs[2]["outputs_match_1e-6"],
        "targets": {"dask_2_workers_ratio_at_least_0.9": runs[2]["ratio_to_single"] >= 0.9},
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": [round(v, 2) for v in load],
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
