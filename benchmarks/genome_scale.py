"""What a human-sized genome costs: encoding, the window table, tf.data over it, genome-wide tracks.

A synthetic genome with hg38's chromosome names and lengths (3.2 Gb with the alt/random contigs;
random sequence, N at the chromosome ends and a central "centromere" block) and 31 profiles x
100,000 peaks each (narrowPeak, 40% drawn from a shared pool of elements as real cell types
share many peaks) are written once to a cache folder (default /work/scale, never the repository)
and reused. Each stage then runs in its own process, so its peak RSS is its own:

* ``encode``: opening the FASTA (index checked against the file) and encoding it to the
  one-byte-per-base cache (the cache is deleted first, so this is measured every run);
* ``table``: ``build_window_table`` for all profiles on chromosomes 1-22, X, Y (valid chr8, chr9;
  test chr7; 1000 bp context), time, peak RSS, rows, bytes per window; then ``windows.npz``;
* ``pipeline``: the training split through ``make_dataset`` (shuffled, reverse-complement
  augmented, batch 128, consumed inside the TF runtime) for several epochs: windows/s and RSS
  (anonymous and file-backed) after each epoch;
* ``predict``: genome-wide tracks of a tiny 31-profile model on a few chromosomes (default chr21,
  chr22), against raw batched forward passes of the same model on windows of the same chromosome
  already one-hot in memory (both strands, as the tracks are strand-averaged), same process.

Prints one JSON object. Usage (the README's figures: the defaults; a quick check: --scale 0.002
--peaks 2000 --cache /tmp/scale_small):
    nice -n 10 python benchmarks/genome_scale.py [--cache /work/scale] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from brainresnet_tf.io.atomic import atomic_open, write_json

HG38_SIZES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "chrom_sizes"
MAIN = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]
LINE = 60


def _sizes_file() -> Path:
    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "data" / "real" / "chrom_sizes" / "hg38.chromhmm.txt"
        if path.exists():
            return path
    raise SystemExit("hg38 chromosome sizes not found (shared/data/real/chrom_sizes/hg38.chromhmm.txt)")


def memory() -> dict[str, float]:
    """Current and peak RSS of this process (MiB), split into anonymous and file-backed pages."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


# -- the synthetic genome and peaks (written once) ----------------------------------------------------
def write_genome(cache: Path, scale: float, seed: int = 0) -> tuple[Path, dict[str, int], float]:
    """FASTA (+ .fai) of hg38's chromosome names and lengths (times ``scale``); reused when present."""
    sizes = {}
    for line in _sizes_file().read_text().splitlines():
        name, length = line.split()[:2]
        sizes[name] = max(int(int(length) * scale), 20_000)
    fasta = cache / ("hg38_synthetic.fa" if scale == 1 else f"hg38_synthetic_x{scale:g}.fa")
    stamp = fasta.with_suffix(".sizes.json")
    if fasta.exists() and stamp.exists() and json.loads(stamp.read_text()) == sizes:
        return fasta, sizes, 0.0
    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", np.uint8)
    fai, offset = [], 0
    chunk_lines = 1 << 20
    with atomic_open(fasta, "wb") as fh:
        for name, size in sizes.items():
            header = f">{name}\n".encode()
            fh.write(header)
            offset += len(header)
            fai.append(f"{name}\t{size}\t{offset}\t{LINE}\t{LINE + 1}\n")
            n_edge = min(10_000, size // 10)
            gaps = [(0, n_edge), (size - n_edge, size)]  # N at the ends, and a central block
            if name in MAIN:
                gaps.append((size // 2 - size // 66, size // 2 + size // 66))
            for lo in range(0, size, chunk_lines * LINE):
                hi = min(lo + chunk_lines * LINE, size)
                seq = letters[rng.integers(0, 4, hi - lo, dtype=np.uint8)]
                for a, b in gaps:
                    if a < hi and b > lo:
                        seq[max(a, lo) - lo : min(b, hi) - lo] = ord("N")
                full = (hi - lo) // LINE
                block = np.empty((full, LINE + 1), np.uint8)
                block[:, :LINE] = seq[: full * LINE].reshape(full, LINE)
                block[:, LINE] = ord("\n")
                fh.write(block.tobytes())
                if full * LINE < hi - lo:
                    fh.write(seq[full * LINE :].tobytes() + b"\n")
            offset += size + -(-size // LINE)
    with atomic_open(Path(f"{fasta}.fai"), "w") as fh:
        fh.writelines(fai)
    write_json(stamp, sizes)
    return fasta, sizes, time.perf_counter() - t


def write_peaks(
    cache: Path, sizes: dict[str, int], n_profiles: int, n_peaks: int, seed: int = 1
) -> list[Path]:
    """``n_profiles`` narrowPeak files of ``n_peaks`` peaks on the main chromosomes (reused)."""
    folder = cache / f"peaks_{n_profiles}x{n_peaks}_{sum(sizes.values())}"
    paths = [folder / f"profile_{i:02d}.narrowPeak" for i in range(n_profiles)]
    if all(p.exists() for p in paths):
        return paths
    rng = np.random.default_rng(seed)
    main = [c for c in MAIN if c in sizes]
    weights = np.array([sizes[c] for c in main], float)
    weights /= weights.sum()

    def draw(n):
        chrom = rng.choice(len(main), n, p=weights)
        size = np.array([sizes[c] for c in main])[chrom]
        width = np.clip(rng.lognormal(np.log(400), 0.5, n), 150, 3000).astype(np.int64)
        start = (rng.random(n) * (size - width - 20_000)).astype(np.int64) + 10_000
        return chrom, start, width

    pool = draw(max(n_peaks * 2, 1000))
    for path in paths:
        shared = rng.choice(len(pool[0]), int(0.4 * n_peaks), replace=False)
        own = draw(n_peaks - len(shared))
        chrom = np.concatenate([pool[0][shared], own[0]])
        start = np.concatenate([pool[1][shared], own[1]])
        width = np.concatenate([pool[2][shared], own[2]])
        order = np.lexsort((start, chrom))
        names = np.array(main)[chrom[order]]
        s, w = start[order], width[order]
        lines = [
            f"{c}\t{a}\t{a + b}\tpeak{j}\t0\t.\t5.0\t-1\t-1\t{b // 2}\n"
            for j, (c, a, b) in enumerate(zip(names, s.tolist(), w.tolist()))
        ]
        with atomic_open(path, "w") as fh:
            fh.writelines(lines)
    return paths


# -- stages (each in its own process) ----------------------------------------------------------------
def stage_encode(args) -> dict:
    from brainresnet_tf.io.genome import Genome

    t = time.perf_counter()
    genome = Genome(args.fasta, cache_dir=args.cache)
    open_s = time.perf_counter() - t
    cache_file = genome._cache_path()
    for path in (cache_file, cache_file.with_suffix(".json")):
        path.unlink(missing_ok=True)  # measured every run
    t = time.perf_counter()
    codes = genome.codes
    encode_s = time.perf_counter() - t
    bases = int(len(codes))
    return {
        "bases": bases,
        "sequences": len(genome.chrom_sizes),
        "open_and_check_index_s": round(open_s, 2),
        "encode_s": round(encode_s, 1),
        "encode_s_per_gb": round(encode_s / (bases / 1e9), 1),
        "cache_bytes": cache_file.stat().st_size,
        "memory_mib": memory(),
    }


def stage_table(args) -> dict:
    from brainresnet_tf.data.targets import Profile
    from brainresnet_tf.data.windows import WindowSpec, build_window_table
    from brainresnet_tf.io.genome import Genome

    genome = Genome(args.fasta, cache_dir=args.cache)
    _ = genome.codes
    before = memory()
    profiles = [Profile(f"profile_{i:02d}", peaks=Path(p)) for i, p in enumerate(args.peaks_files)]
    spec = WindowSpec(context=1000, valid_chroms=("chr8", "chr9"), test_chroms=("chr7",), seed=0)
    t = time.perf_counter()
    table = build_window_table(genome, profiles, spec, progress=False)
    build_s = time.perf_counter() - t
    peak = memory()
    binned = sum(genome.chrom_sizes[c] for c in table.chrom_names)
    in_memory = table.labels.nbytes + table.start.nbytes + table.chrom_code.nbytes + table.split_code.nbytes
    path = Path(args.cache) / "windows.npz"
    t = time.perf_counter()
    table.save(path)
    save_s = time.perf_counter() - t
    counts = np.bincount(table.split_code, minlength=3)
    positives = int(((table.labels > 0).any(axis=1)).sum())
    return {
        "profiles": len(profiles),
        "binned_bases": binned,
        "bins": binned // spec.bin_size,
        "windows": len(table),
        "positive_windows": positives,
        "windows_per_split": dict(zip(("train", "valid", "test"), counts.tolist())),
        "build_s": round(build_s, 1),
        "build_s_per_gb": round(build_s / (binned / 1e9), 1),
        "peak_rss_mib": peak["VmHWM"],
        "rss_before_build_mib": before["VmRSS"],
        "memory_after_build_mib": peak,
        "bytes_per_window_in_memory": round(in_memory / len(table), 1),
        "npz_bytes": path.stat().st_size,
        "npz_bytes_per_window": round(path.stat().st_size / len(table), 1),
        "save_s": round(save_s, 1),
    }


def stage_pipeline(args) -> dict:
    import tensorflow as tf

    from brainresnet_tf.data.pipeline import WindowSource, make_dataset
    from brainresnet_tf.data.windows import WindowTable
    from brainresnet_tf.io.genome import Genome

    genome = Genome(args.fasta, cache_dir=args.cache)
    t = time.perf_counter()
    table = WindowTable.load(Path(args.cache) / "windows.npz")
    load_s = time.perf_counter() - t
    source = WindowSource(genome, table.of_split("train"))
    del table
    ds = make_dataset(source, 128, shuffle=True, rc_augment=True, seed=0)
    count = lambda acc, batch: acc + tf.cast(tf.shape(batch[0])[0], tf.int64)  # noqa: E731
    epochs = []
    start_memory = memory()
    for epoch in range(args.epochs):
        t = time.perf_counter()
        n = int(ds.reduce(np.int64(0), count))
        took = time.perf_counter() - t
        epochs.append(
            {
                "epoch": epoch + 1,
                "windows": n,
                "s": round(took, 1),
                "windows_per_s": round(n / took),
                **memory(),
            }
        )
    anon = [e["RssAnon"] for e in epochs]
    return {
        "train_windows": len(source),
        "load_npz_s": round(load_s, 1),
        "memory_before_mib": start_memory,
        "epochs": epochs,
        "windows_per_s_median": float(np.median([e["windows_per_s"] for e in epochs])),
        "rss_anon_growth_after_epoch_1_mib": round(anon[-1] - anon[0], 1),
        "rss_total_growth_after_epoch_1_mib": round(epochs[-1]["VmRSS"] - epochs[0]["VmRSS"], 1),
    }


def stage_predict(args) -> dict:
    import keras
    import tensorflow as tf

    from brainresnet_tf.inference.genome_wide import predict_genome_wide, window_starts
    from brainresnet_tf.inference.predict import Predictor
    from brainresnet_tf.inference.strands import strand_average
    from brainresnet_tf.io.genome import Genome, one_hot
    from brainresnet_tf.models import ResNetSpec, build_resnet
    from brainresnet_tf.models.saving import ModelMeta, save_model

    genome = Genome(args.fasta, cache_dir=args.cache)
    keras.utils.set_random_seed(0)
    spec = ResNetSpec(stem_filters=16, stage_filters=(16, 16), blocks_per_stage=1, head_units=16)
    model = build_resnet(1000, args.profiles, spec)
    meta = ModelMeta([f"profile_{i:02d}" for i in range(args.profiles)], 1000, bin_size=200)
    model_path = Path(args.cache) / "tiny_model" / "model.keras"
    save_model(model, model_path, meta)
    chroms = [genome.resolve(c) for c in args.predict_chroms.split(",")]

    # raw: the same model on windows of the first chromosome, one-hot already in memory
    size = genome.chrom_sizes[chroms[0]]
    starts = window_starts(-(-size // 200), 200, 1000)
    pick = (len(starts) // 4 + np.arange(args.raw_batches * 256)) % len(starts)
    batches = [
        tf.constant(one_hot(genome.window_codes(chroms[0], starts[idx], 1000)), tf.float32)
        for idx in np.split(pick, args.raw_batches)
    ]
    both = tf.function(lambda x: strand_average(lambda b: model(b, training=False), x))
    one = tf.function(lambda x: model(x, training=False))

    def rate(fn) -> float:
        fn(batches[0]).numpy()
        best = 0.0
        for _ in range(2):
            t = time.perf_counter()
            for x in batches:
                fn(x).numpy()
            best = max(best, len(batches) * 256 / (time.perf_counter() - t))
        return best

    raw_both = rate(both)
    raw_one = rate(one)  # for reference: one strand (the tracks average two)
    x0 = np.concatenate([b.numpy() for b in batches[:16]])
    t = time.perf_counter()
    model.predict(x0, batch_size=256, verbose=0)
    keras_predict = len(x0) / (time.perf_counter() - t)

    # ours, chromosome by chromosome, with the raw rate measured just before and after each:
    # other processes on a shared machine change its speed, so ratios are taken pairwise
    rows, lines = [], []
    predictor = Predictor(model)
    t = time.perf_counter()
    predictor(np.zeros((256, 1000), np.uint8))  # traced once, as in one genome-wide run
    trace_s = time.perf_counter() - t
    # a second baseline: the same Predictor (codes -> one-hot in the graph -> both strands) on
    # the same windows' codes already in memory: what gathering, prefetching and saving cost
    codes = [genome.window_codes(chroms[0], starts[idx], 1000) for idx in np.split(pick, args.raw_batches)]

    def rate_codes() -> float:
        best = 0.0
        for _ in range(2):
            t = time.perf_counter()
            for c in codes:
                predictor(c)
            best = max(best, len(codes) * 256 / (time.perf_counter() - t))
        return best

    raw_before, codes_before = raw_both, rate_codes()
    t = time.perf_counter()
    for chrom in chroms:
        result = predict_genome_wide(
            predictor, meta, genome, Path(args.cache) / "tracks" / chrom, [chrom], batch_size=256,
            model_path=model_path, progress=False, log=lines.append,
        )  # fmt: skip
        raw_after, codes_after = rate(both), rate_codes()
        raw = (raw_before + raw_after) / 2
        in_memory = (codes_before + codes_after) / 2
        rows.append({"chrom": chrom, "windows": result.windows, "s": round(result.seconds, 1),
                     "assemble_s": round(result.assemble_seconds, 1),
                     "windows_per_s": round(result.windows_per_s, 1), "raw_windows_per_s": round(raw, 1),
                     "ratio": round(result.windows_per_s / raw, 3),
                     "codes_in_memory_windows_per_s": round(in_memory, 1),
                     "ratio_to_codes_in_memory": round(result.windows_per_s / in_memory, 3)})  # fmt: skip
        raw_before, codes_before = raw_after, codes_after
    windows = sum(r["windows"] for r in rows)
    seconds = sum(r["s"] for r in rows)
    bases = sum(genome.chrom_sizes[c] for c in chroms)
    main_bases = sum(genome.chrom_sizes[c] for c in MAIN if c in genome.chrom_sizes)
    s_per_gb = seconds / (bases / 1e9)
    raw_mean = float(np.mean([r["raw_windows_per_s"] for r in rows]))
    return {
        "model_params": int(model.count_params()),
        "profiles": args.profiles,
        "batch_size": 256,
        "chroms": chroms,
        "bases": bases,
        "windows": windows,
        "predict_s": round(seconds, 1),
        "trace_once_s": round(trace_s, 2),
        "bigwig_assembly_s": round(sum(r["assemble_s"] for r in rows), 1),
        "windows_per_s": round(windows / seconds, 1),
        "raw_forward_both_strands_windows_per_s": round(raw_mean, 1),
        "raw_forward_one_strand_windows_per_s": round(raw_one, 1),
        "keras_model_predict_one_strand_windows_per_s": round(keras_predict, 1),
        "per_chromosome": rows,
        "ratio_to_raw_forward_both_strands": round(float(np.median([r["ratio"] for r in rows])), 3),
        "ratio_to_predictor_on_codes_in_memory": round(
            float(np.median([r["ratio_to_codes_in_memory"] for r in rows])), 3
        ),
        "ratio_definition": "median over chromosomes of (genome-wide windows/s incl. gathering, one-hot, "
        "both strands, saving) / (the same model's strand-averaged forward on one-hot batches already in "
        "memory, measured just before and after that chromosome)",
        "target_ratio": 0.8,
        "predict_s_per_gb": round(s_per_gb, 1),
        "hg38_main_chromosomes_extrapolated_h": round(s_per_gb * main_bases / 1e9 / 3600, 2),
        "extrapolated": f"from {len(chroms)} chromosomes ({bases / 1e6:.1f} Mb) to {main_bases / 1e9:.2f} Gb",
        "log": lines,
    }


STAGES = {"encode": stage_encode, "table": stage_table, "pipeline": stage_pipeline, "predict": stage_predict}


def run_stage(name: str, args, extra: list[str]) -> dict:
    """One stage in a child process (its own peak RSS); its JSON result."""
    cmd = [sys.executable, __file__, "--stage", name, "--cache", str(args.cache), *extra]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    )
    if done.returncode != 0:
        return {"error": done.stderr[-3000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/work/scale"), help="where the genome is kept")
    ap.add_argument("--scale", type=float, default=1.0, help="chromosome lengths times this")
    ap.add_argument("--profiles", type=int, default=31)
    ap.add_argument("--peaks", type=int, default=100_000, help="peaks per profile")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--predict-chroms", default="chr21,chr22")
    ap.add_argument("--raw-batches", type=int, default=48, help="batches of 256 for the raw forward rate")
    ap.add_argument("--stages", default="encode,table,pipeline,predict")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--fasta", help=argparse.SUPPRESS)
    ap.add_argument("--peaks-files", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args)))
        return

    args.cache.mkdir(parents=True, exist_ok=True)
    fasta, sizes, write_s = write_genome(args.cache, args.scale)
    t = time.perf_counter()
    peaks = write_peaks(args.cache, sizes, args.profiles, args.peaks)
    peaks_s = time.perf_counter() - t
    extra = [
        "--fasta", str(fasta), "--profiles", str(args.profiles), "--epochs", str(args.epochs),
        "--predict-chroms", args.predict_chroms, "--raw-batches", str(args.raw_batches),
        "--peaks-files", *map(str, peaks),
    ]  # fmt: skip
    report = {
        "benchmark": "genome_scale",
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
        },
        "genome": {
            "fasta": str(fasta),
            "sequences": len(sizes),
            "bases": sum(sizes.values()),
            "main_chromosome_bases": sum(sizes[c] for c in MAIN if c in sizes),
            "written_now_s": round(write_s, 1) if write_s else "reused",
            "peak_files": len(peaks),
            "peaks_per_profile": args.peaks,
            "peaks_written_or_checked_s": round(peaks_s, 1),
        },
    }
    for name in args.stages.split(","):
        t = time.perf_counter()
        report[name] = run_stage(name, args, extra)
        report[name]["stage_wall_s"] = round(time.perf_counter() - t, 1)
        print(f"[genome_scale] {name} done in {report[name]['stage_wall_s']} s", file=sys.stderr, flush=True)
    table = report.get("table", {})
    pipe = report.get("pipeline", {})
    pred = report.get("predict", {})
    checks = {  # only for the stages run
        "window_table_under_10_min": ("table", lambda: table["build_s"] < 600),
        "window_table_peak_rss_under_8_gib": ("table", lambda: table["peak_rss_mib"] < 8 * 1024),
        "epoch_memory_flat (anonymous RSS grows < 64 MiB after epoch 1)": (
            "pipeline",
            lambda: abs(pipe["rss_anon_growth_after_epoch_1_mib"]) < 64,
        ),
        "genome_wide_at_least_0.8_of_raw_forward": (
            "predict",
            lambda: pred["ratio_to_raw_forward_both_strands"] >= 0.8,
        ),
    }
    report["targets"] = {
        name: (check() if "error" not in report[stage] else False)
        for name, (stage, check) in checks.items()
        if stage in report
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
