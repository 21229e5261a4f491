"""Whole workflows behind the CLI commands: train, evaluate, predict, and the embedded demo."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .config import Config, config_to_dict, load_config
from .distributed import is_chief, worker_dir
from .evaluation import METRIC_COLUMNS, format_table, mean_metric, plot_curves
from .genome import Genome
from .modelio import load_model, save_extractor
from .predict import predict_regions, write_table
from .targets import read_bed
from .training import evaluate_model, open_genome, prepare_windows, train_model
from .windows import WindowTable

# The embedded default. `configs/demo.yaml` is the full setting written out (a test keeps them equal).
DEMO_GENOME = {"quick": {"n_chroms": 8, "chrom_length": 1_000_000, "elements_per_mb": 700},
               "full": {"n_chroms": 12, "chrom_length": 1_250_000, "elements_per_mb": 700}}
DEMO_SETTINGS: dict[str, dict[str, Any]] = {
    "quick": {
        "windows": {"bin_size": 200, "context": 400, "negative_ratio": 1.0,
                    "valid_chroms": ["chr7"], "test_chroms": ["chr8"]},
        "model": {"resnet": {"stem_filters": 32, "stage_filters": [32, 48, 64], "blocks_per_stage": 1,
                             "head_units": 64},
                  "baseline": {"filters": [32, 48, 64], "head_units": 64}},
        "training": {"batch_size": 64, "epochs": 12, "patience": 3, "learning_rate": 0.002},
    },
    "full": {
        "windows": {"bin_size": 200, "context": 1000, "negative_ratio": 1.0,
                    "valid_chroms": ["chr11"], "test_chroms": ["chr12"]},
        "model": {"resnet": {"stem_filters": 48, "stage_filters": [48, 64, 96], "blocks_per_stage": 1,
                             "head_units": 96},
                  "baseline": {"filters": [48, 64, 96], "head_units": 96, "pool_size": 8}},
        "training": {"batch_size": 64, "epochs": 15, "patience": 4, "learning_rate": 0.001},
    },
}


def demo_config_dict(data_dir: Path, profiles: list[dict], quick: bool, out_dir: Path) -> dict:
    """The demo's config as YAML-ready data."""
    settings = json.loads(json.dumps(DEMO_SETTINGS["quick" if quick else "full"]))
    return {"genome": {"fasta": str(data_dir / "genome.fa")}, "profiles": profiles, **settings,
            "out_dir": str(out_dir)}


def run_demo(out: Path, quick: bool = False, seed: int = 0, config_path: str | None = None,
             overrides: dict[str, Any] | None = None) -> pd.DataFrame:
    """Synthetic genome -> ResNet and baseline -> ``metrics.tsv``, curves and a printed table."""
    from .synthetic import generate_synthetic_dataset

    t0 = time.time()
    out = out.resolve()
    size = DEMO_GENOME["quick" if quick else "full"]
    print(f"[demo] generating a synthetic genome ({size['n_chroms']} x {size['chrom_length']:,} bp) "
          f"with planted JASPAR motifs in {out / 'data'}")
    data = generate_synthetic_dataset(out / "data", seed=seed, **size)
    profiles = [{"name": p.name, "cell_type": p.cell_type, "assay": p.assay,
                 "peaks": str(p.peaks), "bigwig": str(p.bigwig)} for p in data.profiles]
    config_dict = demo_config_dict(out / "data", profiles, quick, out)
    config_file = out / "config.yaml"
    config_file.write_text(yaml.safe_dump(config_dict, sort_keys=False))
    if config_path:  # a user's config refines the demo's
        user = yaml.safe_load(Path(config_path).read_text()) or {}
        for section, values in user.items():
            if isinstance(values, dict):
                config_dict.setdefault(section, {}).update(values)
            else:
                config_dict[section] = values
        config_file.write_text(yaml.safe_dump(config_dict, sort_keys=False))
    config = load_config(config_file, overrides)
    metrics = run_train(config, with_baseline=True)
    test = metrics[(metrics["split"] == "test") & (metrics["model"] == "resnet")]
    auroc = mean_metric(test, "auroc")
    from .synthetic_variants import demo_variant_check  # demo VCF -> score -> ASoC-style check
    demo_variant_check(out, Path(config.out_dir) / "model.keras", data, "iPSC_neuron",
                       [*config.windows.valid_chroms, *config.windows.test_chroms], seed)
    print(f"[demo] ResNet mean test AUROC {auroc:.3f} (target >= 0.85: "
          f"{'met' if auroc >= 0.85 else 'NOT met'}); finished in {time.time() - t0:.0f} s")
    print(f"[demo] outputs in {out}: metrics.tsv, metrics.json, curves.png, model.keras; "
          f"re-run with: brainresnet train --config {config_file}")
    return metrics


def run_train(config: Config, resume: bool = False, with_baseline: bool = False) -> pd.DataFrame:
    """Train the config's model (and optionally the baseline), evaluate, write reports.

    Under multi-worker training only the chief writes ``out_dir`` and evaluates; the other
    workers train alongside it and return an empty table.
    """
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chief = is_chief(config.training.strategy)
    if chief:
        (out / "config.used.yaml").write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False))
    genome = open_genome(config)
    table = _worker_windows(config, genome, out)
    print("[train] windows per split and positives per profile:")
    print(table.summary().to_string(index=False))
    runs = [(config.model.arch, out)]
    if with_baseline and config.model.arch != "baseline":
        runs.append(("baseline", out / "baseline"))
    frames, preds = [], {}
    for arch, run_dir in runs:
        print(f"[train] {arch}: training in {run_dir}")
        result = train_model(config, genome, table, run_dir, arch=arch, resume=resume)
        print(f"[train] {arch}: {result.model.count_params():,} parameters, best epoch {result.best_epoch}")
        if not chief:
            continue
        metrics, p = evaluate_model(result.model, result.meta, genome, table, arch)
        frames.append(metrics)
        preds[arch] = p
    if not chief:
        return pd.DataFrame()
    write_reports(out, pd.concat(frames, ignore_index=True), preds, table.profiles)
    return pd.concat(frames, ignore_index=True)


def _worker_windows(config: Config, genome: Genome, out: Path) -> WindowTable:
    """The window table; a non-chief worker starts from the chief's copy and writes its own."""
    if is_chief(config.training.strategy):
        return prepare_windows(config, genome, out, progress=config.training.progress)
    scratch = worker_dir(out, config.training.strategy)
    if (out / "windows.npz").exists() and not (scratch / "windows.npz").exists():
        shutil.copyfile(out / "windows.npz", scratch / "windows.npz")
    return prepare_windows(config, genome, scratch, progress=False)


def write_reports(out: Path, metrics: pd.DataFrame, preds: dict[str, dict], profiles: list[str]) -> None:
    """``metrics.tsv`` (long), ``metrics.json`` (means), ``curves.png`` (test split); print table."""
    metrics = metrics[[c for c in METRIC_COLUMNS if c in metrics.columns]]
    write_table(metrics, out / "metrics.tsv")
    summary = {f"{model}/{split}": {"mean_auroc": mean_metric(g, "auroc"),
                                     "mean_auprc": mean_metric(g, "auprc")}
               for (model, split), g in metrics.groupby(["model", "split"], sort=False)}
    tmp = out / ".metrics.json.tmp"
    tmp.write_text(json.dumps({"mean": summary, "per_profile": metrics.to_dict("records")},
                              indent=2, default=float))
    os.replace(tmp, out / "metrics.json")
    test = {name: p["test"] for name, p in preds.items() if "test" in p}
    if test:
        y_true = next(iter(test.values()))[0]
        plot_curves(y_true, {k: v[1] for k, v in test.items()}, profiles, out / "curves.png",
                    title="test chromosomes")
    if (metrics["split"] == "test").any() and metrics["auroc"].notna().any():
        print("[evaluate] test chromosomes:")
        print(format_table(metrics, "test"))


def run_pretrain(config: Config, resume: bool = False) -> Path:
    """Train a multi-task model on a compendium; save its trunk as ``extractor.keras``."""
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    genome = open_genome(config)
    table = _worker_windows(config, genome, out)
    print(f"[pretrain] {len(table.profiles)} profiles, {len(table):,} windows")
    result = train_model(config, genome, table, out, arch="resnet", resume=resume)
    if not is_chief(config.training.strategy):  # the chief evaluates and writes the extractor
        return out / "extractor.keras"
    metrics, _ = evaluate_model(result.model, result.meta, genome, table, "compendium")
    write_table(metrics, out / "metrics.tsv")
    path = out / "extractor.keras"
    save_extractor(result.model, path, result.meta)
    test = metrics[metrics["split"] == "test"]
    print(f"[pretrain] mean test AUROC {mean_metric(test, 'auroc'):.3f}, AUPRC "
          f"{mean_metric(test, 'auprc'):.3f} over {len(test)} profiles; extractor: {path}")
    return path


def run_compare_transfer(config: Config, extractor: Path | None, fractions: tuple[float, ...],
                         seeds: tuple[int, ...], out: Path | None = None) -> dict:
    """Scratch vs frozen vs fine-tuned at several data sizes; TSV, plot and a verdict."""
    from .errors import InputError
    from .transfer_comparison import compare_transfer, summarize, transfer_verdict

    extractor = extractor or config.transfer.extractor
    if extractor is None:
        raise InputError("compare-transfer needs --extractor (or transfer.extractor in the config)")
    out = out or Path(config.out_dir) / "compare_transfer"
    genome = open_genome(config)
    table = prepare_windows(config, genome, out, progress=config.training.progress)
    results = compare_transfer(config, genome, table, Path(extractor), out, fractions, seeds)
    verdict = transfer_verdict(results)
    (out / "verdict.json").write_text(json.dumps(verdict, indent=2))
    print("[compare-transfer] mean test AUPRC over seeds (sd):")
    print(summarize(results).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"[compare-transfer] at {verdict['small_fraction']:.0%}: {verdict['best_transfer_mode']} "
          f"beats scratch by {verdict['gain_at_small']:+.3f} AUPRC (seed spread "
          f"{verdict['seed_spread_at_small']:.3f}): "
          f"{'yes' if verdict['beats_scratch_beyond_spread'] else 'NO'}; at "
          f"{verdict['large_fraction']:.0%}: {verdict['difference_at_large']:+.3f} "
          f"({'no worse' if verdict['no_worse_at_large'] else 'WORSE'}); {out / 'comparison.png'}")
    return verdict


def transfer_demo_configs(out: Path, data, quick: bool) -> tuple[Path, dict[str, Path]]:
    """Write the compendium pre-training config and one config per BrainResNet family member."""
    from .synthetic import BRAINRESNET_FAMILY

    settings = json.loads(json.dumps(DEMO_SETTINGS["quick"]))
    family = {c.name for c in BRAINRESNET_FAMILY}
    profile = lambda p: {"name": p.name, "cell_type": p.cell_type, "assay": p.assay,  # noqa: E731
                         "peaks": str(p.peaks), "bigwig": str(p.bigwig)}
    base = {"genome": {"fasta": str(data.fasta), "build": "synthetic-demo"}, **settings}
    (out / "configs" / "brainresnet").mkdir(parents=True, exist_ok=True)
    pretrain = out / "configs" / "pretrain_compendium.yaml"
    pretrain.write_text(yaml.safe_dump({
        **base, "profiles": [profile(p) for p in data.profiles if p.cell_type not in family],
        "training": {**settings["training"], "epochs": 15},
        "out_dir": str(out / "pretrain")}, sort_keys=False))
    members = {}
    for member in BRAINRESNET_FAMILY:
        path = out / "configs" / "brainresnet" / f"{member.name}.yaml"
        path.write_text(yaml.safe_dump({
            **base, "profiles": [profile(p) for p in data.profiles if p.cell_type == member.name],
            "transfer": {"extractor": str(out / "pretrain" / "extractor.keras"), "mode": "frozen",
                         "learning_rate": 0.0002},
            "out_dir": str(out / "BrainResNet" / member.name)}, sort_keys=False))
        members[member.name] = path
    return pretrain, members


def run_transfer_demo(out: Path, quick: bool = False, seed: int = 0, target: str = "iPSC_neuron") -> dict:
    """Synthetic compendium (50 cell types) -> pretrain -> scratch vs transfer for ``target``."""
    from .synthetic import BRAINRESNET_FAMILY, compendium_cell_types, generate_synthetic_dataset

    t0 = time.time()
    out = out.resolve()
    cell_types = compendium_cell_types(50, seed) + BRAINRESNET_FAMILY
    print(f"[transfer-demo] synthetic genome with {len(cell_types)} cell types "
          f"(50 compendium + BrainResNet family) in {out / 'data'}")
    data = generate_synthetic_dataset(out / "data", cell_types=cell_types, seed=seed,
                                      **DEMO_GENOME["quick"])
    pretrain_cfg, members = transfer_demo_configs(out, data, quick)
    extractor = run_pretrain(load_config(pretrain_cfg))
    fractions = (0.05, 1.0) if quick else (0.05, 0.2, 1.0)
    verdict = run_compare_transfer(load_config(members[target]), extractor, fractions, (0, 1, 2),
                                   out / "compare_transfer" / target)
    print(f"[transfer-demo] finished in {time.time() - t0:.0f} s; family configs in {out / 'configs'}")
    return verdict


def run_evaluate(config: Config, model_path: Path, out: Path | None, baseline: str | None) -> pd.DataFrame:
    """Evaluate a saved model on the config's test split (optionally beside a baseline)."""
    model, meta = load_model(model_path)
    out = out or model_path.parent
    out.mkdir(parents=True, exist_ok=True)
    genome = open_genome(config)
    table_dir = model_path.parent if (model_path.parent / "windows.npz").exists() else out
    table = prepare_windows(config, genome, table_dir, progress=config.training.progress)
    _check_compatible(meta, table, model_path)
    frames, preds = [], {}
    metrics, p = evaluate_model(model, meta, genome, table, meta.arch)
    frames.append(metrics)
    preds[meta.arch] = p
    if baseline:
        if baseline == "train":
            result = train_model(config, genome, table, out / "baseline", arch="baseline")
            b_model, b_meta = result.model, result.meta
        else:
            b_model, b_meta = load_model(Path(baseline))
            _check_compatible(b_meta, table, Path(baseline))
        metrics, p = evaluate_model(b_model, b_meta, genome, table, "baseline")
        frames.append(metrics)
        preds["baseline"] = p
    all_metrics = pd.concat(frames, ignore_index=True)
    write_reports(out, all_metrics, preds, table.profiles)
    return all_metrics


def _check_compatible(meta, table: WindowTable, path: Path) -> None:
    from .errors import InputError
    if meta.profiles != table.profiles:
        raise InputError(f"{path}: model predicts {meta.profiles} but the config's profiles are "
                         f"{table.profiles}")
    if meta.input_length != table.context:
        raise InputError(f"{path}: model takes {meta.input_length} bp windows but the config's "
                         f"windows.context is {table.context}")


def run_predict(model_path: Path, genome_path: Path, regions_path: Path, out: Path,
                batch_size: int = 256) -> pd.DataFrame:
    """Predict every profile for each region; write TSV or Parquet."""
    model, meta = load_model(model_path)
    genome = Genome(genome_path)
    regions = read_bed(regions_path, genome)
    preds = predict_regions(model, meta, genome, regions, batch_size)
    write_table(preds, out)
    print(f"[predict] {len(preds):,} regions x {len(meta.profiles)} profiles -> {out}")
    return preds

