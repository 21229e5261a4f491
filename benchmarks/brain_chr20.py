"""Real brain cell types: Nott et al. 2019 ATAC peaks (neuron, astrocyte, oligodendrocyte,
microglia) on hg19 chr20, with the genome-wide peak files as downloaded.

Trains the package's defaults (``train --baseline``: ResNet, CNN baseline, k-mer baseline) on the
four profiles of chr20 (valid chr20:40-48 Mb, test 48-63 Mb; peaks on other chromosomes are
skipped and counted, as ``train`` does), for each seed, and reports per cell type the test AUROC
against the sampled GC-matched negative bins and against dinucleotide shuffles of the test
positives (and the same on the validation region, which recipe choices read). Then ``motifs``
contrasts on the first seed's ResNet over chr20's peaks of both cell types: microglia minus
neuron and oligodendrocyte minus neuron (known biology expects PU.1/ETS, IRF and RUNX for
microglia, SOX10/SOX for oligodendrocytes), with every pattern and its JASPAR name or the gate
that withheld one. Prints JSON. Data: ../shared/data/real (never copied here).

    python benchmarks/brain_chr20.py                   # 1 seed (about 40 min on 2 idle cores)
    python benchmarks/brain_chr20.py --seeds 0,1,2
    python benchmarks/brain_chr20.py --smoke           # CI scale: 1 epoch, tiny models, no motifs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "real"
PEAKS = {  # profile -> (cell type, Nott et al. 2019 IDR ATAC peaks, genome-wide, hg19)
    "neuron_ATAC": ("neuron", "NeuN_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
    "astrocyte_ATAC": ("astrocyte", "LHX2_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
    "oligodendrocyte_ATAC": ("oligodendrocyte", "Olig2_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
    "microglia_ATAC": ("microglia", "PU1_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
}
VALID = "chr20:40000001-48000000"
TEST = "chr20:48000001-63025520"
CONTRASTS = {  # task -> (contrast, parts of the JASPAR names known biology expects, any case)
    "microglia_ATAC": ("neuron_ATAC", ["SPI", "ETS", "ELF", "ETV", "FLI1", "ERG", "GABPA", "IRF", "RUNX"]),
    "oligodendrocyte_ATAC": ("neuron_ATAC", ["SOX"]),
}
TINY = {
    "model.resnet.stem_filters": 8,
    "model.resnet.stage_filters": [8, 8],
    "model.resnet.head_units": 8,
    "model.baseline.filters": [8, 8, 8],
    "model.baseline.head_units": 8,
    "training.epochs": 1,
    "training.min_epochs": 1,
}


def write_config(data: Path, out: Path, seed: int, smoke: bool) -> Path:
    """The four profiles on chr20 with region splits, the package's defaults otherwise."""
    genome = data / "hg19_chr20" / "hg19.chr20.fa.gz"
    peaks_dir = data / "nott2019_brain_celltype_peaks_hg19"
    config: dict = {
        "genome": {"fasta": str(genome), "build": "hg19", "cache_dir": str(out.parent / "genome_cache")},
        "profiles": [
            {"name": name, "cell_type": cell, "assay": "ATAC", "peaks": str(peaks_dir / file)}
            for name, (cell, file) in PEAKS.items()
        ],
        "windows": {"valid_regions": [VALID], "test_regions": [TEST], "seed": seed},
        "training": {"seed": seed, "tensorboard": False, "progress": False},
        "out_dir": str(out),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(config))
    return path


def peak_file(data: Path, profile: str) -> str:
    """The profile's genome-wide peak file as downloaded (``motifs`` skips peaks off chr20)."""
    return str(data / "nott2019_brain_celltype_peaks_hg19" / PEAKS[profile][1])


def contrast_motifs(run_dir: Path, data: Path, work: Path) -> dict:
    """``motifs --task T --contrast neuron_ATAC`` over both cell types' peaks (those on chr20, the
    genome's one chromosome): every pattern, its name or the gate that withheld one."""
    from brainresnet_tf.workflows.motifs import run_motifs

    out = {}
    for task, (contrast, expected) in CONTRASTS.items():
        folder = work / f"motifs_{task}_vs_{contrast}"
        summary = run_motifs(
            run_dir / "model.keras",
            folder,
            task,
            contrast=contrast,
            regions=[peak_file(data, task), peak_file(data, contrast)],
            progress=False,
        )
        table = pd.read_csv(folder / "motifs.tsv", sep="\t")
        named = table[table["named"].astype(bool)]
        side = {"+": task, "-": contrast}
        out[f"{task}_minus_{contrast}"] = {
            "windows": summary.get("windows"),
            "patterns": int(len(table)),
            "named": int(len(named)),
            "per_pattern": [
                {
                    "pattern": row["pattern"],
                    "favours": side[row["sign"]],
                    "seqlets": int(row["n_seqlets"]),
                    "name": row["name"] if bool(row["named"]) else None,
                    "quality": row["quality"],
                    "best_match": row.get("match1_name"),
                }
                for _, row in table.iterrows()
            ],
            "expected_on_task_side": expected,
            "expected_found": sorted(
                {
                    str(n)
                    for n, s in zip(named["name"], named["sign"])
                    if s == "+" and any(e.lower() in str(n).lower() for e in expected)
                }
            ),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--work", type=Path, default=Path("/tmp/brainresnet_brain_chr20"))
    ap.add_argument("--smoke", action="store_true", help="1 epoch, tiny models, no motifs (CI)")
    ap.add_argument("--no-motifs", action="store_true", help="skip the motifs contrasts")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config overrides")
    args = ap.parse_args()
    if not (args.data / "nott2019_brain_celltype_peaks_hg19").exists():
        sys.exit(f"real data not found under {args.data} (nott2019_brain_celltype_peaks_hg19/, hg19_chr20/)")
    args.work = args.work.resolve()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from brainresnet_tf.train.config import load_config, parse_overrides
    from brainresnet_tf.workflows.train import run_train

    overrides = parse_overrides(args.set)
    if args.smoke:
        overrides = {**TINY, **overrides}
    rows, walls = [], {}
    with contextlib.redirect_stdout(sys.stderr):  # training logs to stderr: stdout is the JSON alone
        seeds = [int(s) for s in args.seeds.split(",")]
        for seed in seeds:
            out = args.work / f"seed{seed}"
            t0 = time.perf_counter()
            metrics = run_train(
                load_config(write_config(args.data, out, seed, args.smoke), overrides),
                with_baseline=True,
                overwrite=True,
            )
            walls[seed] = round(time.perf_counter() - t0, 1)
            rows.append(metrics.assign(seed=seed))
        motifs = None
        if not (args.smoke or args.no_motifs):
            motifs = contrast_motifs(args.work / f"seed{seeds[0]}", args.data, args.work)
    table = pd.concat(rows, ignore_index=True)
    result: dict = {
        "data": str(args.data),
        "splits": {"valid": VALID, "test": TEST},
        "seeds": seeds,
        "wall_s_per_seed_all_models": walls,
        "smoke": args.smoke,
        "overrides": args.set,
        "test_auroc": {},
        "valid_auroc": {},
    }
    names = {"test": "given_negatives", "test-shuffled": "shuffled_positives"}
    for (model, split, profile), group in table.groupby(["model", "split", "profile"], sort=False):
        entry = {
            "mean": round(float(group["auroc"].mean()), 4),
            "per_seed": [round(float(v), 4) for v in group["auroc"]],
        }
        if split in names:
            result["test_auroc"].setdefault(profile, {}).setdefault(model, {})[names[split]] = entry
        else:  # validation region (chr20:40-48 Mb): what recipes are chosen by, never the test region
            result["valid_auroc"].setdefault(profile, {}).setdefault(model, {})[split] = entry["mean"]
    profiles = [p for p in PEAKS if p in result["test_auroc"]]
    auroc = result["test_auroc"]
    result["targets"] = {
        "resnet_shuffled_at_least_0.70_every_cell_type": all(
            auroc[p]["resnet"]["shuffled_positives"]["mean"] >= 0.70 for p in profiles
        ),
    }
    for negatives in ("given_negatives", "shuffled_positives"):  # the bar reads the given ones
        result["targets"][f"resnet_at_least_kmer_every_cell_type_{negatives}"] = all(
            auroc[p]["resnet"][negatives]["mean"] >= auroc[p]["kmer"][negatives]["mean"] for p in profiles
        )
    if motifs is not None:
        result["motifs"] = motifs
    print(json.dumps(result, indent=1, default=lambda v: float(v) if isinstance(v, np.floating) else str(v)))


if __name__ == "__main__":
    main()
