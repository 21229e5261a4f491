"""Real data: ResNet, CNN baseline and k-mer baseline on real ChIP-seq sequence sets (NFE2).

Trains the package's defaults (``brainresnet train --baseline`` on a sequence-set config: the
small-data recipe, a 3-member ensemble each) for several seeds and prints JSON: test AUROC /
AUPRC per model (mean, sd, each seed) against the given GC-matched genomic negatives and against
dinucleotide-shuffled positives, wall time, and gkm-SVM's own scores on the same test set as the
anchor. Data: ../shared/data/real/lsgkm_nfe2 (never copied into the repository).

    python benchmarks/realdata.py                     # 3 seeds (about 20 min on 2 idle cores)
    python benchmarks/realdata.py --seeds 0 --smoke   # CI scale: 2 epochs, one model each
    python benchmarks/realdata.py --cv 5 --seeds 0,1  # recipe choice: k-fold CV, training set only

``--cv K`` chooses recipes without touching the test set: the training sequences are split into K
seeded folds, one model (no ensemble) per fold is trained on the rest and scored on its held-out
fold, for the defaults and for each ``--variant NAME=KEY=VALUE[,KEY=VALUE]``; the k-mer baseline
is trained on the same folds as the reference. The JSON gives each variant's mean held-out AUROC
and its paired differences from the defaults and from the k-mer baseline over the same
(seed, fold) pairs, which cancels most of the fold-to-fold spread. 1,288 held-out sequences per
seed instead of a 128-sequence validation split; about 6 min per variant and seed on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

if TYPE_CHECKING:
    from brainresnet_tf.train.config import Config

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


def config_for(train: tuple[Path, Path], test: tuple[Path, Path], out: Path, seed: int, smoke: bool) -> Path:
    """A sequence-set config ((positives, negatives) FASTA pairs) for one seed, written beside ``out``."""
    config = {
        "sequences": {
            "train": {"positives": str(train[0]), "negatives": str(train[1])},
            "test": {"positives": str(test[0]), "negatives": str(test[1])},
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


def pair(data: Path, split: str) -> tuple[Path, Path]:
    return data / f"{split}.pos.fa", data / f"{split}.neg.fa"


def write_folds(data: Path, work: Path, folds: int) -> list[tuple[tuple[Path, Path], tuple[Path, Path]]]:
    """Split the TRAINING sequences of each class into ``folds`` seeded folds (the test set is
    never read); returns per fold the (train, held-out) (positives, negatives) FASTA pairs."""
    from sklearn.model_selection import KFold

    from brainresnet_tf.io.sequences import read_fasta_records

    def fold_file(k: int, part: str, cls: str) -> Path:
        return work / f"fold{k}.{part}.{cls}.fa"

    work.mkdir(parents=True, exist_ok=True)
    for cls, path in zip(("pos", "neg"), pair(data, "train")):
        records = read_fasta_records(path)
        for k, (keep, held) in enumerate(KFold(folds, shuffle=True, random_state=7).split(records)):
            for part, rows in (("train", keep), ("held", held)):
                fold_file(k, part, cls).write_text(
                    "".join(f">{records[i][0]}\n{records[i][1]}\n" for i in rows)
                )
    return [
        (
            (fold_file(k, "train", "pos"), fold_file(k, "train", "neg")),
            (fold_file(k, "held", "pos"), fold_file(k, "held", "neg")),
        )
        for k in range(folds)
    ]


# --cv compares these when no --variant is given (README, "How the recipe was chosen", gives the
# numbers; the weight decay, dropout and learning-rate rows predate training.mutate)
CV_VARIANTS = [
    "mutate_0=training.mutate=0",
    "mutate_0.1=training.mutate=0.1",
    "weight_decay_0.05=training.weight_decay=0.05",
    "weight_decay_0.1=training.weight_decay=0.1",
    "weight_decay_0.2=training.weight_decay=0.2",
    "dropout_0.4=model.resnet.dropout=0.4",
    "learning_rate_5e-4=training.learning_rate=5e-4",
]


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME=KEY=VALUE[,KEY=VALUE]`` -> (NAME, ["KEY=VALUE", ...]); values may hold commas."""
    name, _, sets = text.partition("=")
    if not name or "=" not in sets:
        sys.exit(
            f"--variant {text!r}: expected NAME=KEY=VALUE[,KEY=VALUE], e.g. wd=training.weight_decay=0.1"
        )
    return name, re.split(r",(?=[\w.]+=)", sets)  # a comma inside a value ([64,64,64]) stays


def cross_validate(args: argparse.Namespace) -> dict:
    """--cv: held-out-fold AUROC of one model per fold, for the defaults and each variant."""
    from brainresnet_tf.train.config import load_config, parse_overrides
    from brainresnet_tf.workflows.train import run_train

    folds = write_folds(args.data, args.work / "folds", args.cv)
    variants = [("defaults", [])] + [parse_variant(v) for v in (args.variant or CV_VARIANTS)]
    if args.smoke:  # CI: the defaults only (the variants are still parsed above)
        variants = variants[:1]
    fixed = [*args.set, "training.ensemble=1", f"model.arch={args.arch}"]
    scores: dict[str, dict[str, list[float]]] = {}
    walls: dict[str, float] = {}
    for name, sets in variants:
        t0 = time.perf_counter()
        for seed in (int(s) for s in args.seeds.split(",")):
            for k, (train, held) in enumerate(folds):
                out = args.work / name / f"seed{seed}" / f"fold{k}"
                config = config_for(train, held, out, seed, args.smoke)
                metrics = run_train(
                    load_config(config, parse_overrides([*fixed, *sets])),
                    with_baseline=False,
                    overwrite=True,
                )
                row = metrics[(metrics["model"] == args.arch) & (metrics["split"] == "test")]
                scores.setdefault(name, {}).setdefault(str(seed), []).append(float(row["auroc"].iloc[0]))
                print(f"[cv] {name} seed {seed} fold {k}: {scores[name][str(seed)][-1]:.4f}", file=sys.stderr)
                if name == "defaults":  # the k-mer baseline on the same fold, as the reference
                    kmer = kmer_fold_auroc(load_config(config, parse_overrides(fixed)), out)
                    scores.setdefault("kmer", {}).setdefault(str(seed), []).append(kmer)
                    print(f"[cv] kmer seed {seed} fold {k}: {kmer:.4f}", file=sys.stderr)
        walls[name] = round(time.perf_counter() - t0, 1)
    base = np.concatenate([scores["defaults"][s] for s in sorted(scores["defaults"])])
    kmer = np.concatenate([scores["kmer"][s] for s in sorted(scores["kmer"])])
    result: dict = {
        "mode": "cv",
        "data": str(args.data),
        "arch": args.arch,
        "folds": args.cv,
        "overrides": args.set,
        "variants": {},
    }
    for name, sets in variants:
        auroc = np.concatenate([scores[name][s] for s in sorted(scores[name])])
        diff = auroc - base
        result["variants"][name] = {
            "overrides": sets,
            "cv_auroc_mean": float(auroc.mean()),
            "auroc_per_seed_fold": {s: [round(v, 4) for v in f] for s, f in scores[name].items()},
            "paired_diff_vs_defaults": paired_summary(diff),
            "paired_diff_vs_kmer": paired_summary(auroc - kmer),
            "wall_s": walls[name],
        }
    result["kmer_reference"] = {
        "cv_auroc_mean": float(kmer.mean()),
        "auroc_per_seed_fold": {s: [round(v, 4) for v in f] for s, f in scores["kmer"].items()},
    }
    return result


def paired_summary(diff: np.ndarray) -> dict:
    """Mean, sd and wins of paired (seed, fold) differences."""
    return {
        "mean": float(diff.mean()),
        "sd": float(diff.std(ddof=1)) if len(diff) > 1 else 0.0,
        "wins": int((diff > 0).sum()),
        "pairs": int(len(diff)),
    }


def kmer_fold_auroc(config: Config, run_dir: Path) -> float:
    """Held-out-fold AUROC of the package's k-mer baseline trained on the fold's training part,
    saved in ``run_dir/kmer`` (the window table is the one the run wrote to ``run_dir``)."""
    from brainresnet_tf.train.fit import evaluate_model
    from brainresnet_tf.train.kmer_fit import train_kmer
    from brainresnet_tf.train.preparation import open_genome
    from brainresnet_tf.workflows.train import worker_windows

    genome = open_genome(config)
    table = worker_windows(config, genome, run_dir)
    model, meta = train_kmer(genome, table, run_dir / "kmer", seed=config.training.seed)
    metrics, _ = evaluate_model(model, meta, genome, table, "kmer", splits=("test",), hard_negatives=False)
    return float(metrics["auroc"].iloc[0])


def held_out(args: argparse.Namespace) -> dict:
    """The package's defaults (``train --baseline``) per seed, scored on the held-out test set."""
    from brainresnet_tf.train.config import load_config, parse_overrides
    from brainresnet_tf.workflows.train import run_train

    rows, walls = [], {}
    for seed in (int(s) for s in args.seeds.split(",")):
        out = args.work / f"seed{seed}"
        t0 = time.perf_counter()
        metrics = run_train(
            load_config(
                config_for(pair(args.data, "train"), pair(args.data, "test"), out, seed, args.smoke),
                parse_overrides(args.set),
            ),
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
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--work", type=Path, default=Path("/tmp/brainresnet_realdata"))
    ap.add_argument("--smoke", action="store_true", help="2 epochs, no ensembles: checks the script runs")
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config overrides (experiments)"
    )
    ap.add_argument("--cv", type=int, default=0, metavar="K", help="K-fold CV of the training set")
    ap.add_argument(
        "--variant", action="append", metavar="NAME=KEY=VALUE[,KEY=VALUE]", help="--cv: a recipe to compare"
    )
    ap.add_argument("--arch", default="resnet", choices=("resnet", "baseline"), help="--cv: the model")
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"real data not found at {args.data}")
    if args.cv == 1 or args.cv < 0:
        sys.exit(f"--cv {args.cv}: give 2 or more folds (or 0 for the held-out test set)")
    args.work = args.work.resolve()  # config paths are read relative to each config's folder
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with contextlib.redirect_stdout(sys.stderr):  # training logs to stderr: stdout is the JSON alone
        result = cross_validate(args) if args.cv else held_out(args)
    print(json.dumps(result, indent=1, default=lambda v: float(v) if isinstance(v, np.floating) else str(v)))


if __name__ == "__main__":
    main()
