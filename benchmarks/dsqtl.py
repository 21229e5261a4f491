"""Real variants: measured DNase-sensitivity QTL effects (LCLs) predicted by models trained on chr20.

Trains the package's defaults (``train --baseline`` on a sequence-set config: the small-data
recipe) on the GM12878 DNase hypersensitive sites of hg19 chr20 against their matched null
regions (the deltaSVM paper's training set, 581 + 581; valid chr20:40-48 Mb, test 48-63 Mb), for
several seeds, then scores the 5,481 dsQTLs off chr20 from their 100 bp ref/alt sequences
(``score-variants --pairs``) with the ResNet, the CNN baseline and the k-mer baseline and compares
``logit_diff`` (ALT minus REF) with the measured ``beta`` of the ALT allele: Spearman, Pearson and
sign agreement, over all 5,481 and the 550 strong ones of the deltaSVM benchmark, each with
bootstrap 95% intervals and paired differences, beside two anchors: the published genome-wide
deltaSVM (on the 550) and a gkm-SVM trained on the same chr20 regions (its numbers from the
data's README). Also the per-window test AUROCs against the given null regions and against
dinucleotide-shuffled positives. Prints JSON. Data: ../shared/data/real (never copied here).

    python benchmarks/dsqtl.py                      # 3 seeds (about 25 min on 2 idle cores)
    python benchmarks/dsqtl.py --seeds 0 --smoke    # CI scale: 2 epochs, one model each
    python benchmarks/dsqtl.py --cv 5 --seeds 0,1   # recipe choice: K-fold CV of chr20 0-48 Mb

``--cv K`` chooses recipes on the training chromosome region alone (chr20 up to 48 Mb: train and
validation sequences; the test region and the dsQTLs are never read): K seeded folds, one model
per fold trained on the rest (10% of it for early stopping) and scored on its held-out fold, for
the defaults and each ``--variant NAME=KEY=VALUE[,KEY=VALUE]``. Four held-out AUROCs per fold:
against the null regions and against dinucleotide shuffles of the held-out positives, each on the
300 bp sequences and on their central 100 bp alone (N around it, the dsQTL sequences' length);
the selection score is their mean, and the JSON gives each variant's paired differences from the
defaults over the same (seed, fold) pairs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
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
CHROM = "chr20"
VALID = (40_000_001, 48_000_000)  # 1-based inclusive, hg19: the region splits of issue 31
TEST_START = 48_000_001
PROFILE = "GM12878_DHS"
MODELS = {"resnet": "model.keras", "baseline": "baseline/model.keras", "kmer": "kmer/model.joblib"}
# gkm-SVM (lsgkm defaults) trained on the same 581 + 581 chr20 regions, ALT minus REF on the 100 bp
# sequences: the anchor measured in ../shared/data/real/gm12878_dsqtl/README.md
GKMSVM_SAME_DATA = {
    "all": {"n": 5481, "spearman": 0.184, "pearson": 0.190, "sign_agreement": 0.583, "top_half_sign": 0.624},
    "strong": {"n": 550, "spearman": 0.508, "sign_agreement": 0.745},
}
CENTRE = 100  # bp kept by the short-input AUROCs: the dsQTL sequences' length
COMPENDIUM = {"K562_DHS": "K562", "HepG2_DHS": "HepG2"}  # profile -> file prefix in k562_hepg2_dhs/
SEQUENCE_LENGTH = 350  # the model input of the chr20 runs (auto: 300 bp + 2 x 20 bp jitter, to 50)

# realdata.py's paired-difference summary and --variant parser (loaded by path, as its test does)
_spec = importlib.util.spec_from_file_location("realdata_benchmark", Path(__file__).with_name("realdata.py"))
realdata = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(realdata)


def region_split(start: int) -> str:
    """train, valid or test for a 1-based region start on chr20."""
    if VALID[0] <= start <= VALID[1]:
        return "valid"
    return "test" if start >= TEST_START else "train"


def write_sequence_sets(data: Path, work: Path) -> dict[str, tuple[Path, Path]]:
    """FASTA per split and class of the chr20 GM12878 DHS (label 1) and null regions (label -1)."""
    from brainresnet_tf.io.genome import Genome

    regions = pd.read_csv(data / "gm12878_dsqtl" / "gm12878_dhs_training_regions_hg19.tsv", sep="\t")
    regions = regions[regions["chrom"] == CHROM]
    genome = Genome(data / "hg19_chr20" / "hg19.chr20.fa.gz", cache_dir=work / "genome_cache")
    work.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split in ("train", "valid", "test"):
        rows = regions[regions["start_1based"].map(region_split) == split]
        pair = []
        for label, cls in ((1, "pos"), (-1, "neg")):
            part = rows[rows["label"] == label]
            path = work / f"{split}.{cls}.fa"
            path.write_text(
                "".join(
                    f">{name}\n{genome.fetch(CHROM, start - 1, end).upper()}\n"
                    for name, start, end in zip(
                        part["name"], part["start_1based"], part["end_1based_inclusive"]
                    )
                )
            )
            pair.append(path)
        paths[split] = (pair[0], pair[1])
    return paths


def write_config(files: dict[str, tuple[Path, Path]], out: Path, seed: int, smoke: bool) -> Path:
    """A sequence-set config (train, valid and test FASTA pairs) for one seed, beside ``out``."""
    sequences = {split: {"positives": str(p), "negatives": str(n)} for split, (p, n) in files.items()}
    config = {
        "sequences": {**sequences, "profile": PROFILE, "seed": seed},
        "training": {"seed": seed, "tensorboard": False, "progress": False},
        "out_dir": str(out),
    }
    if "valid" not in files:  # CV folds: early stopping on a seeded 10% of the fold's training part
        config["sequences"]["valid_fraction"] = 0.1
    if "test" not in files:  # --all-chr20: a seeded 10% held out for test as well
        config["sequences"]["test_fraction"] = 0.1
    if smoke:
        config["training"].update({"epochs": 2, "min_epochs": 1, "ensemble": 1})
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(config))
    return path


def dsqtl_table(data: Path, work: Path, limit: int | None) -> tuple[Path, pd.DataFrame]:
    """The dsQTL table (``limit`` rows for CI) as scored, and its effects joined with the strong set."""
    table = pd.read_csv(data / "gm12878_dsqtl" / "dsqtl_lcl_offchr20.tsv", sep="\t")
    strong = pd.read_csv(data / "gm12878_dsqtl" / "deltasvm_published_strong_offchr20.tsv", sep="\t")
    if limit:
        table = table.head(limit)
    path = work / "dsqtl_pairs.tsv"
    table.to_csv(path, sep="\t", index=False)
    effects = table[["id", "beta_alt"]].merge(strong[["id", "deltasvm_published"]], on="id", how="left")
    return path, effects


def score_dsqtls(run_dir: Path, pairs: Path, effects: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each model's ``logit_diff`` (ALT minus REF) for every dsQTL, in the table's order."""
    from brainresnet_tf.workflows.score_variants import run_score_pairs

    out = {}
    for name, rel in MODELS.items():
        path = run_dir / f"dsqtl_{name}.tsv"
        run_score_pairs(
            run_dir / rel,
            pairs,
            path,
            columns=("id", "ref_seq_100bp", "alt_seq_100bp"),
            progress=False,
        )
        scores = pd.read_csv(path, sep="\t").set_index("ID")[f"{PROFILE}_logit_diff"]
        out[name] = scores.reindex(effects["id"]).to_numpy(float)
    return out


def variant_metrics(effects: pd.DataFrame, predictions: dict[str, np.ndarray], n_boot: int) -> dict:
    """Quantitative validation on all dsQTLs and on the strong ones (with published deltaSVM)."""
    from brainresnet_tf.variant.quantitative import quantitative_validation

    beta = effects["beta_alt"].to_numpy(float)
    strong = effects["deltasvm_published"].notna().to_numpy()
    out = {"all": quantitative_validation(beta, predictions, n_boot)}
    if strong.any():
        chosen = {k: v[strong] for k, v in predictions.items()}
        chosen["deltasvm_published"] = effects["deltasvm_published"].to_numpy(float)[strong]
        out["strong"] = quantitative_validation(beta[strong], chosen, n_boot)
    return out


def compact(result: dict) -> dict:
    """Per source: n and each metric with its interval (all and top half), and paired differences."""
    out = {}
    for name, source in result["sources"].items():
        entry = {"n": source["n"]}
        for subset, part in source["subsets"].items():
            for metric in ("spearman", "pearson", "sign_agreement"):
                m = part[metric]
                entry[f"{subset}_{metric}"] = [round(m["value"], 4), round(m["lo"], 4), round(m["hi"], 4)]
        if "vs_main" in source:
            entry["main_minus_this"] = {
                f"{subset}_{metric}": [round(v["diff"], 4), round(v["lo"], 4), round(v["hi"], 4)]
                for subset, metrics in source["vs_main"].items()
                for metric, v in metrics.items()
                if isinstance(v, dict) and "diff" in v
            }
        out[name] = entry
    return out


def pretrain_compendium(data: Path, work: Path, smoke: bool) -> Path:
    """``brainresnet pretrain`` on the K562/HepG2-specific DHS sequences (two profiles, each
    sequence positive for its cell type; chr1 test, chr2 validation as published) with a
    dinucleotide shuffle of every positive as a negative of both; reused when already there."""
    from brainresnet_tf.train.config import load_config
    from brainresnet_tf.workflows.pretrain import run_pretrain

    out = work / "compendium"
    extractor = out / "extractor.keras"
    if extractor.exists():
        return extractor
    work.mkdir(parents=True, exist_ok=True)
    from brainresnet_tf.io.sequences import read_fasta_records

    sequences: dict = {"profile": "unused", "length": SEQUENCE_LENGTH, "seed": 0}
    for split, name in (("train", "training"), ("valid", "validation"), ("test", "test")):
        rows = []
        for profile, prefix in COMPENDIUM.items():
            for rec, seq in read_fasta_records(data / "k562_hepg2_dhs" / f"{prefix}_{name}.fa"):
                rows.append(
                    {"name": f"{prefix}:{rec}", "sequence": seq, **{p: int(p == profile) for p in COMPENDIUM}}
                )
        table = pd.DataFrame(rows)
        if smoke:
            table = table.sample(400, random_state=0)
        path = work / f"compendium.{split}.tsv"
        table.to_csv(path, sep="\t", index=False)
        sequences[split] = {"table": str(path)}
    training = {
        "seed": 0,
        "tensorboard": False,
        "progress": False,
        "shuffled_negatives": 1.0,
        "epochs": 2 if smoke else 12,
    }
    config_path = work / "compendium.yaml"
    config_path.write_text(
        yaml.safe_dump({"sequences": sequences, "training": training, "out_dir": str(out)})
    )
    return run_pretrain(load_config(config_path), overwrite=True)


def all_chr20(files: dict[str, tuple[Path, Path]], work: Path) -> dict[str, tuple[Path, Path]]:
    """--all-chr20: every region of chr20 as training sequences (positives, negatives), as the
    same-data gkm-SVM anchor was trained; the run holds out seeded 10% parts for validation and test."""
    out = []
    for c, cls in enumerate(("pos", "neg")):
        path = work / f"all.{cls}.fa"
        path.write_text("".join(files[split][c].read_text() for split in ("train", "valid", "test")))
        out.append(path)
    return {"train": (out[0], out[1])}


def held_out(args: argparse.Namespace) -> dict:
    """Train the defaults per seed, score the dsQTLs, validate against the measured effects."""
    from brainresnet_tf.train.config import load_config, parse_overrides
    from brainresnet_tf.workflows.train import run_train

    files = write_sequence_sets(args.data, args.work / "sequences")
    if args.all_chr20:
        files = all_chr20(files, args.work / "sequences")
    pairs, effects = dsqtl_table(args.data, args.work, 200 if args.smoke else None)
    windows, seeds, walls = [], {}, {}
    for seed in (int(s) for s in args.seeds.split(",")):
        out = args.work / f"seed{seed}"
        t0 = time.perf_counter()
        config = load_config(write_config(files, out, seed, args.smoke), parse_overrides(args.set))
        metrics = run_train(config, with_baseline=True, overwrite=True)
        windows.append(metrics[metrics["split"].isin(["test", "test-shuffled"])].assign(seed=seed))
        predictions = score_dsqtls(out, pairs, effects)
        seeds[seed] = variant_metrics(effects, predictions, args.bootstrap)
        walls[seed] = round(time.perf_counter() - t0, 1)
        print(f"[dsqtl] seed {seed}: {walls[seed]} s", file=sys.stderr)
    return summarise(args, pd.concat(windows, ignore_index=True), seeds, walls)


def summarise(args: argparse.Namespace, windows: pd.DataFrame, seeds: dict, walls: dict) -> dict:
    """The JSON: window AUROCs and variant metrics per seed, their means, anchors and targets."""
    result: dict = {
        "data": str(args.data),
        "splits": (
            {"train": "chr20, all regions: 80%", "valid": "10%, seeded", "test": "10%, seeded"}
            if args.all_chr20
            else {"train": "chr20:1-40000000", "valid": "chr20:40000001-48000000", "test": "chr20:48000001-"}
        ),
        "seeds": sorted(walls),
        "wall_s_per_seed": walls,
        "smoke": args.smoke,
        "overrides": args.set,
        "windows": {},
        "variants": {},
        "anchors": {"gkmsvm_same_data": GKMSVM_SAME_DATA},
    }
    for (model, split), group in windows.groupby(["model", "split"], sort=False):
        key = "given_negatives" if split == "test" else "shuffled_positives"
        result["windows"].setdefault(model, {})[key] = {
            "auroc_mean": round(float(group["auroc"].mean()), 4),
            "auroc_per_seed": [round(float(v), 4) for v in group["auroc"]],
            "auprc_mean": round(float(group["auprc"].mean()), 4),
        }
    for subset in ("all", "strong"):
        per_seed = {s: compact(v[subset]) for s, v in seeds.items() if subset in v}
        if not per_seed:
            continue
        names = next(iter(per_seed.values())).keys()
        means = {
            name: {
                metric: round(float(np.mean([p[name][metric][0] for p in per_seed.values()])), 4)
                for metric in next(iter(per_seed.values()))[name]
                if metric not in ("n", "main_minus_this")
            }
            for name in names
        }
        result["variants"][subset] = {"mean_over_seeds": means, "per_seed": per_seed}
    if "deltasvm_published" in result["variants"].get("strong", {}).get("mean_over_seeds", {}):
        result["anchors"]["deltasvm_published_strong"] = result["variants"]["strong"]["mean_over_seeds"][
            "deltasvm_published"
        ]
    result["targets"] = targets(result)
    return result


def targets(result: dict) -> dict:
    """Issue 31's bars for the ResNet (means over seeds)."""
    v = result["variants"]
    out = {}
    if "all" in v:
        r = v["all"]["mean_over_seeds"]["resnet"]
        out["resnet_sign_at_least_gkmsvm_all"] = (
            r["all_sign_agreement"] >= GKMSVM_SAME_DATA["all"]["sign_agreement"]
        )
        out["resnet_spearman_at_least_gkmsvm_all"] = r["all_spearman"] >= GKMSVM_SAME_DATA["all"]["spearman"]
    if "strong" in v:
        out["resnet_sign_at_least_0.75_strong"] = (
            v["strong"]["mean_over_seeds"]["resnet"]["all_sign_agreement"] >= 0.75
        )
    shuffled = result["windows"].get("resnet", {}).get("shuffled_positives")
    if shuffled:
        out["resnet_shuffled_auroc_at_least_0.80"] = shuffled["auroc_mean"] >= 0.80
    return {k: bool(x) for k, x in out.items()}


def write_folds(files: dict[str, tuple[Path, Path]], work: Path, folds: int) -> list[dict]:
    """K seeded folds of the train + valid sequences (chr20 up to 48 Mb) per class: per fold the
    training part and the held-out part as (positives, negatives) FASTA pairs."""
    from sklearn.model_selection import KFold

    from brainresnet_tf.io.sequences import read_fasta_records

    work.mkdir(parents=True, exist_ok=True)
    out: list[dict] = [{} for _ in range(folds)]
    for c, cls in enumerate(("pos", "neg")):
        records = read_fasta_records(files["train"][c]) + read_fasta_records(files["valid"][c])
        for k, (keep, held) in enumerate(KFold(folds, shuffle=True, random_state=7).split(records)):
            for part, rows in (("train", keep), ("test", held)):
                path = work / f"fold{k}.{part}.{cls}.fa"
                path.write_text("".join(f">{records[i][0]}\n{records[i][1]}\n" for i in rows))
                out[k].setdefault(part, [None, None])[c] = path
    return [{part: tuple(p) for part, p in fold.items()} for fold in out]


def centre_only(codes: np.ndarray, keep: int) -> np.ndarray:
    """Codes with everything but the central ``keep`` bases of each window set to N."""
    out = codes.copy()
    lo = out.shape[1] // 2 - keep // 2
    out[:, :lo] = 4
    out[:, lo + keep :] = 4
    return out


def fold_aurocs(run_dir: Path, held: tuple[Path, Path], seed: int) -> dict:
    """Held-out AUROCs of a run's model: null regions and shuffled positives, whole and centre only."""
    from sklearn.metrics import roc_auc_score

    from brainresnet_tf.data.sequence_sets import centred_codes
    from brainresnet_tf.data.shuffle import shuffled_negatives
    from brainresnet_tf.inference.predictors import load_predictor
    from brainresnet_tf.io.sequences import read_fasta_records

    predict, meta = load_predictor(run_dir / "model.keras")
    pos, neg = ([s for _, s in read_fasta_records(p)] for p in held)
    codes = centred_codes(pos + neg, meta.input_length)
    shuffled = shuffled_negatives(codes[: len(pos)], seed=seed)
    out = {}
    for name, view in (("whole", lambda c: c), ("centre", lambda c: centre_only(c, CENTRE))):
        p = predict(view(codes))[:, 0]
        s = predict(view(shuffled))[:, 0]
        y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        out[f"given_{name}"] = float(roc_auc_score(y, p))
        out[f"shuffled_{name}"] = float(
            roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(s))], np.r_[p[: len(pos)], s])
        )
    out["score"] = float(np.mean(list(out.values())))
    return out


def cross_validate(args: argparse.Namespace) -> dict:
    """--cv: held-out-fold AUROCs of one model per fold, for the defaults and each variant."""
    from brainresnet_tf.train.config import load_config, parse_overrides
    from brainresnet_tf.workflows.train import run_train

    files = write_sequence_sets(args.data, args.work / "sequences")
    folds = write_folds(files, args.work / "folds", args.cv)
    variants = [("defaults", [])] + [realdata.parse_variant(v) for v in args.variant or []]
    if args.extractor is not None:  # --pretrain: the MetaChrom modes beside the defaults
        variants += [
            (f"transfer_{mode}", [f"transfer.extractor={args.extractor}", f"transfer.mode={mode}"])
            for mode in ("frozen", "fine_tune")
        ]
    if args.smoke:
        variants = variants[:1]
    fixed = [*args.set, "training.ensemble=1"]
    scores: dict[str, list[dict]] = {}
    walls: dict[str, float] = {}
    for name, sets in variants:
        t0 = time.perf_counter()
        for seed in (int(s) for s in args.seeds.split(",")):
            for k, fold in enumerate(folds):
                out = args.work / "cv" / name / f"seed{seed}" / f"fold{k}"
                config = write_config({"train": fold["train"], "test": fold["test"]}, out, seed, args.smoke)
                run_train(load_config(config, parse_overrides([*fixed, *sets])), overwrite=True)
                row = fold_aurocs(out, fold["test"], seed)
                scores.setdefault(name, []).append(row)
                shown = json.dumps({a: round(b, 4) for a, b in row.items()})
                print(f"[cv] {name} seed {seed} fold {k}: {shown}", file=sys.stderr)
        walls[name] = round(time.perf_counter() - t0, 1)
    keys = list(scores["defaults"][0])
    base = {key: np.array([r[key] for r in scores["defaults"]]) for key in keys}
    result: dict = {
        "mode": "cv",
        "folds": args.cv,
        "seeds": args.seeds,
        "overrides": args.set,
        "variants": {},
    }
    for name, sets in variants:
        values = {key: np.array([r[key] for r in scores[name]]) for key in keys}
        result["variants"][name] = {
            "overrides": sets,
            "mean": {key: round(float(v.mean()), 4) for key, v in values.items()},
            "paired_diff_vs_defaults": realdata.paired_summary(values["score"] - base["score"]),
            "wall_s": walls[name],
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--work", type=Path, default=Path("/tmp/brainresnet_dsqtl"))
    ap.add_argument(
        "--smoke", action="store_true", help="2 epochs, one model, 200 dsQTLs: checks the script runs"
    )
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config overrides")
    ap.add_argument(
        "--all-chr20",
        action="store_true",
        help="train on all 581 + 581 chr20 regions (seeded 10%% validation and 10%% test held out) "
        "instead of the region splits, as the same-data gkm-SVM anchor was trained",
    )
    ap.add_argument("--cv", type=int, default=0, metavar="K", help="K-fold CV of chr20 up to 48 Mb")
    ap.add_argument("--variant", action="append", metavar="NAME=KEY=VALUE[,KEY=VALUE]", help="--cv: a recipe")
    ap.add_argument(
        "--pretrain",
        choices=("frozen", "fine_tune"),
        help="pre-train on the K562/HepG2 DHS compendium first and train with transfer in this mode "
        "(with --cv: both modes are compared with the defaults)",
    )
    args = ap.parse_args()
    if not (args.data / "gm12878_dsqtl").exists() or not (args.data / "hg19_chr20").exists():
        sys.exit(f"real data not found under {args.data} (gm12878_dsqtl/, hg19_chr20/)")
    if args.cv == 1 or args.cv < 0:
        sys.exit(f"--cv {args.cv}: give 2 or more folds (or 0 for the held-out test region)")
    args.work = args.work.resolve()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with contextlib.redirect_stdout(sys.stderr):  # training logs to stderr: stdout is the JSON alone
        args.extractor = pretrain_compendium(args.data, args.work, args.smoke) if args.pretrain else None
        if args.extractor is not None and not args.cv:
            args.set = [*args.set, f"transfer.extractor={args.extractor}", f"transfer.mode={args.pretrain}"]
        result = cross_validate(args) if args.cv else held_out(args)
    print(json.dumps(result, indent=1, default=lambda v: float(v) if isinstance(v, np.floating) else str(v)))


if __name__ == "__main__":
    main()
