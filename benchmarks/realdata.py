"""Real data: ResNet, CNN baseline and k-mer baseline on real ChIP-seq sequence sets (NFE2).

Trains the package's defaults (``brainresnet train --baseline`` on a sequence-set config: the
small-data recipe, a 3-member ensemble each) for several seeds and prints JSON: test AUROC /
AUPRC per model (mean, sd, each seed) against the given GC-matched genomic negatives and against
dinucleotide-shuffled positives, wall time, and gkm-SVM's own scores on the same test set as the
anchor. Data: ../shared/data/real/lsgkm_nfe2 (never copied into the repository).

    python benchmarks/realdata.py                     # 3 seeds (about 20 min on 2 idle cores)
    python benchmarks/realdata.py --seeds 0 --smoke   # CI scale: 2 epochs, one model each
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "real" / "lsgkm_nfe2"


def gkmsvm_anchor(data: Path) -> dict:
    """AUROC / AUPRC of lsgkm's own scores on the test set (positives = names in test.pos.fa)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    pos = {
        line[1:].split()[0]
        for line in (data / "test.pos.fa").read_text().splitlines()
        if line.startswith(">")
    }
    scores = pd.read_csv(data / "test.gkmsvm_pred.tsv", sep="\t", header=None, names=["name", "score"])
    y = scores["name"].isin(pos).to_numpy()
    return {
        "auroc": float(roc_auc_score(y, scores["score"])),
        "auprc": float(average_precision_score(y, scores["score"])),
    }


def config_for(data: Path, out: Path, seed: int, smoke: bool) -> Path:
    config = {
        "sequences": {
            "train": {"positives": str(data / "train.pos.fa"), "negatives": str(data / "train.neg.fa")},
            "test": {"positives": str(data / "test.pos.fa"), "negatives": str(data / "test.neg.fa")},
            "profile": "NFE2",
            "seed": seed,
        },
        "training": {"seed": seed, "tensorboard": False, "progress": False},
        "out_dir": str(out),
    }
    if smoke:
        config["training"].update({"epochs": 2, "min_epochs": 1, "ensemble": 1})
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(config))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--work", type=Path, default=Path("/tmp/brainresnet_realdata"))
    ap.add_argument("--smoke", action="store_true", help="2 epochs, no ensembles: checks the script runs")
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config overrides (experiments)"
    )
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"real data not found at {args.data}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from brainresnet_tf.train.config import load_config, parse_overrides
    from brainresnet_tf.workflows.train import run_train

    rows, walls = [], {}
    for seed in (int(s) for s in args.seeds.split(",")):
        out = args.work / f"seed{seed}"
        t0 = time.perf_counter()
        metrics = run_train(
            load_config(config_for(args.data, out, seed, args.smoke), parse_overrides(args.set)),
            with_baseline=True,
            overwrite=True,
        )
        walls[seed] = round(time.perf_counter() - t0, 1)
        metrics = metrics[metrics["split"].isin(["test", "test-shuffled"])].assign(seed=seed)
        rows.append(metrics)
    table = pd.concat(rows, ignore_index=True)
    result: dict = {
        "data": str(args.data),
        "seeds": sorted(walls),
        "wall_s_per_seed_all_models": walls,
        "smoke": args.smoke,
        "overrides": args.set,
        "gkmsvm_anchor": gkmsvm_anchor(args.data),
        "models": {},
    }
    for (model, split), group in table.groupby(["model", "split"], sort=False):
        entry = result["models"].setdefault(model, {})
        entry["given_negatives" if split == "test" else "shuffled_positives"] = {
            "auroc_mean": float(group["auroc"].mean()),
            "auroc_sd": float(group["auroc"].std(ddof=1)) if len(group) > 1 else 0.0,
            "auroc_per_seed": [round(float(v), 4) for v in group["auroc"]],
            "auprc_mean": float(group["auprc"].mean()),
            "auprc_sd": float(group["auprc"].std(ddof=1)) if len(group) > 1 else 0.0,
        }
    given = {m: v["given_negatives"]["auroc_mean"] for m, v in result["models"].items()}
    result["targets"] = {
        "resnet_at_least_kmer": bool(given["resnet"] >= given["kmer"]),
        "resnet_at_least_0.99": bool(given["resnet"] >= 0.99),
        "baseline_at_least_kmer": bool(given["baseline"] >= given["kmer"]),
    }
    print(json.dumps(result, indent=1, default=lambda v: float(v) if isinstance(v, np.floating) else str(v)))


if __name__ == "__main__":
    main()
