"""Variants/s of annotating a scores table from a bigWig (the ``constraint`` command's lookup)
against a naive per-variant pyBigWig ``values()`` loop, in one run; peak memory of the stream.

Prints JSON. The data: a GERP-like per-base bigWig with Ensembl chromosome names (``1`` ... ``8``,
5 Mb each, 40 Mb, gaps without coverage) and a scores table (TSV) whose variants are named
``chr1`` ... (so every lookup goes through the alias resolution), 1M variants by default: about
one per 40 bp, the density of a 1000 Genomes call set.

* ``stream``: :func:`brainresnet_tf.variant.constraint.annotate_table`: the TSV read in chunks of
  200k rows, each chunk's positions sorted per chromosome and read from the bigWig in spans,
  only the score and the values kept; with and without writing annotated.tsv.
* ``naive``: for each variant, ``bw.values(chrom, pos - 1, pos)`` (rows already in memory; the
  first ``--naive`` variants, timed and scaled).
* ``quarter``: the stream on a quarter of the variants: its peak memory is the same (bounded by the
  chunk, not the table).
* ``sparse``: the same two on 20k variants spread over the 40 Mb (one per 2 kb), where spans
  help least.
Peak RSS is the process's high-water mark (VmHWM) reset just before each streamed run
(``/proc/self/clear_refs``), so it is the stream's own peak.

Usage: python benchmarks/constraint.py [--variants 1000000] [--naive 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig

from brainresnet_tf.io.tracks import AnnotationTrack
from brainresnet_tf.variant.constraint import annotate_table

CHROMS = 8
LENGTH = 5_000_000


def write_track(path: Path, seed: int = 0) -> None:
    """Per-base values (2 decimals, GERP's range), one 20 kb gap per Mb without coverage."""
    rng = np.random.default_rng(seed)
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([(str(c + 1), LENGTH) for c in range(CHROMS)], maxZooms=0)
    for c in range(CHROMS):
        for lo in range(0, LENGTH, 1_000_000):
            start = lo + 20_000  # [lo, lo + 20 kb) is a gap
            values = np.round(np.clip(rng.normal(0.3, 2.0, lo + 1_000_000 - start), -12.3, 6.17), 2)
            bw.addEntries(str(c + 1), start, values=values, span=1, step=1)
    bw.close()


def write_scores(path: Path, n: int, seed: int = 1, spread: bool = False) -> None:
    """A score-variants-like TSV of n sorted SNVs on chr1..chr8, written in chunks."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        fh.write("CHROM\tPOS\tID\tREF\tALT\tmax_abs_diff\n")
        per = np.full(CHROMS, n // CHROMS)
        per[: n % CHROMS] += 1
        k = 0
        for c, m in enumerate(per):
            pos = np.sort(rng.choice(LENGTH, m, replace=False)) + 1 if not spread else None
            if spread:
                pos = np.linspace(1, LENGTH, m).astype(np.int64)
            for a in range(0, m, 200_000):
                p = pos[a : a + 200_000]
                df = pd.DataFrame(
                    {
                        "CHROM": f"chr{c + 1}",
                        "POS": p,
                        "ID": [f"v{k + i}" for i in range(len(p))],
                        "REF": "A",
                        "ALT": "G",
                        "max_abs_diff": np.round(rng.random(len(p)), 5),
                    }
                )
                df.to_csv(fh, sep="\t", header=False, index=False)
                k += len(p)


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def stream(scores: Path, track_path: Path, out_tsv: Path | None) -> dict:
    reset = _reset_peak()
    before = _status("VmRSS")
    t0 = time.perf_counter()
    with AnnotationTrack(track_path, "GERP") as track:
        ann = annotate_table(scores, "max_abs_diff", [track], out_tsv=out_tsv)
    dt = time.perf_counter() - t0
    values = ann.values["GERP"]
    return {
        "variants": ann.n_rows,
        "seconds": round(dt, 3),
        "variants_per_s": round(ann.n_rows / dt),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_status("VmHWM"), 1) if reset else None,
        "peak_rss_above_start_mb": round(_status("VmHWM") - before, 1) if reset else None,
        "not_covered": int(np.isnan(values).sum()),
        "_values": values,
    }


def naive(scores: Path, track_path: Path, n: int) -> dict:
    df = pd.read_csv(scores, sep="\t", nrows=n, dtype={"CHROM": str})
    bw = pyBigWig.open(str(track_path))
    names = {f"chr{c}": c for c in bw.chroms()}
    chroms = [names[c] for c in df["CHROM"]]
    pos = df["POS"].to_numpy().tolist()
    t0 = time.perf_counter()
    out = [bw.values(c, p - 1, p)[0] for c, p in zip(chroms, pos)]
    dt = time.perf_counter() - t0
    bw.close()
    return {
        "variants": len(out),
        "seconds": round(dt, 3),
        "variants_per_s": round(len(out) / dt),
        "_values": out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=20_000, help="variants in the naive loop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        track = tmp / "gerp.bw"
        write_track(track)
        scores = tmp / "scores.tsv"
        write_scores(scores, args.variants)
        quarter = tmp / "quarter.tsv"
        write_scores(quarter, args.variants // 4, seed=2)
        sparse = tmp / "sparse.tsv"
        write_scores(sparse, 20_000, spread=True)
        setup = time.perf_counter() - t0

        small = stream(quarter, track, None)
        lookup = stream(scores, track, None)
        full = stream(scores, track, tmp / "annotated.tsv")
        slow = naive(scores, track, args.naive)
        same = np.allclose(lookup["_values"][: slow["variants"]], slow["_values"], equal_nan=True)
        sparse_stream = stream(sparse, track, None)
        sparse_naive = naive(sparse, track, 20_000)
        sparse_same = np.allclose(sparse_stream["_values"], sparse_naive["_values"], equal_nan=True)
        for d in (small, lookup, full, slow, sparse_stream, sparse_naive):
            d.pop("_values")
        result = {
            "benchmark": "constraint annotation: scores table x bigWig",
            "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
            "track": f"per-base bigWig, {CHROMS} x {LENGTH:,} bp, names 1..8; table names chr1..chr8",
            "setup_seconds": round(setup, 1),
            "stream_lookup_only": lookup,
            "stream_lookup_only_quarter_size": small,
            "stream_with_annotated_tsv": full,
            "naive_per_variant_values": slow,
            "ratio_lookup_vs_naive": round(lookup["variants_per_s"] / slow["variants_per_s"], 1),
            "ratio_with_tsv_vs_naive": round(full["variants_per_s"] / slow["variants_per_s"], 1),
            "values_identical_to_naive": bool(same),
            "sparse_20k_one_per_2kb": {
                "stream": sparse_stream,
                "naive": sparse_naive,
                "ratio": round(sparse_stream["variants_per_s"] / sparse_naive["variants_per_s"], 1),
                "values_identical": bool(sparse_same),
            },
            "target_50k_per_s_met": bool(full["variants_per_s"] >= 50_000),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
