"""``brainresnet demo``: synthetic genome -> ResNet and baseline -> metrics -> variant checks."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brainresnet_tf.workflows.common import add_config_args, for_terminal

if TYPE_CHECKING:
    import pandas as pd

    from brainresnet_tf.demo.synthetic import SyntheticDataset

NAME = "demo"

# The embedded default. `configs/demo.yaml` is the full setting written out (a test keeps them equal).
DEMO_GENOME = {
    "tiny": {"n_chroms": 9, "chrom_length": 100_000, "elements_per_mb": 700},  # CI scale: a minute
    "quick": {"n_chroms": 8, "chrom_length": 1_000_000, "elements_per_mb": 700},
    "full": {"n_chroms": 12, "chrom_length": 1_250_000, "elements_per_mb": 700},
}
DEMO_SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {  # checks that everything runs; its numbers mean little
        "windows": {
            "bin_size": 200,
            "context": 400,
            "negative_ratio": 1.0,
            "valid_chroms": ["chr7"],
            "test_chroms": ["chr8"],
        },
        "model": {
            "resnet": {
                "stem_filters": 16,
                "stage_filters": [16, 24],
                "blocks_per_stage": 1,
                "head_units": 16,
            },
            "baseline": {"filters": [16, 24, 32], "head_units": 16},
        },
        "training": {
            "batch_size": 32,
            "epochs": 2,
            "min_epochs": 1,
            "patience": 1,
            "ensemble": 1,
            "learning_rate": 0.002,
        },
    },
    "quick": {
        "windows": {
            "bin_size": 200,
            "context": 400,
            "negative_ratio": 1.0,
            "valid_chroms": ["chr7"],
            "test_chroms": ["chr8"],
        },
        "model": {
            "resnet": {
                "stem_filters": 32,
                "stage_filters": [32, 48, 64],
                "blocks_per_stage": 1,
                "head_units": 64,
            },
            "baseline": {"filters": [32, 48, 64], "head_units": 64},
        },
        "training": {"batch_size": 64, "epochs": 12, "patience": 3, "learning_rate": 0.002},
    },
    "full": {
        "windows": {
            "bin_size": 200,
            "context": 1000,
            "negative_ratio": 1.0,
            "valid_chroms": ["chr11"],
            "test_chroms": ["chr12"],
        },
        "model": {
            "resnet": {
                "stem_filters": 48,
                "stage_filters": [48, 64, 96],
                "blocks_per_stage": 1,
                "head_units": 96,
            },
            "baseline": {"filters": [48, 64, 96], "head_units": 96, "pool_size": 8},
        },
        "training": {"batch_size": 64, "epochs": 15, "patience": 4, "learning_rate": 0.001},
    },
}


def demo_scale(quick: bool = False, tiny: bool = False) -> str:
    """``tiny``, ``quick`` or ``full``: the key of DEMO_GENOME and DEMO_SETTINGS."""
    return "tiny" if tiny else "quick" if quick else "full"


def demo_config_dict(data_dir: Path, profiles: list[dict], scale: str, out_dir: Path) -> dict:
    """The demo's config as YAML-ready data."""
    settings = json.loads(json.dumps(DEMO_SETTINGS[scale]))
    return {
        "genome": {"fasta": str(data_dir / "genome.fa")},
        "profiles": profiles,
        **settings,
        "out_dir": str(out_dir),
    }


def demo_profiles(data: SyntheticDataset, bigwig: bool = True) -> list[dict]:
    """The demo dataset's profiles as config entries (peak file, and its bigWig with ``bigwig``)."""
    return [
        {
            "name": p.name,
            "cell_type": p.cell_type,
            "assay": p.assay,
            "peaks": str(p.peaks),
            **({"bigwig": str(p.bigwig)} if bigwig else {}),
        }
        for p in data.profiles
    ]


def tutorial_config(data: SyntheticDataset, scale: str, out_dir: Path) -> dict:
    """The demo's config as the tutorials train it: peaks only, no TensorBoard or progress bars,
    and at ``tiny`` scale (CI) a tiny model trained one epoch."""
    config = demo_config_dict(Path(data.fasta).parent, demo_profiles(data, bigwig=False), scale, out_dir)
    config["training"].update(tensorboard=False, progress=False)
    if scale == "tiny":
        config["model"]["resnet"].update(stem_filters=8, stage_filters=[8, 8], head_units=8)
        config["training"].update(epochs=1, min_epochs=1, motif_filters=0, test_time_shift=0)
    return config


def tutorial_model(directory: Path, scale: str) -> Path:
    """Tutorial 1's model, ``directory/run/model.keras``: its demo data, ``config.yaml`` and
    training done here first when it is missing (tutorials 3-5 stand alone)."""
    import yaml

    from brainresnet_tf.api.train import train
    from brainresnet_tf.demo.synthetic import generate_synthetic_dataset

    model = directory / "run" / "model.keras"
    if not model.exists():
        print("tutorial 1's model is missing: training it now")
        data = generate_synthetic_dataset(directory / "data", seed=0, **DEMO_GENOME[scale])
        config = directory / "config.yaml"
        config.write_text(yaml.safe_dump(tutorial_config(data, scale, directory / "run"), sort_keys=False))
        train(config, overwrite=True)
    return model


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``demo`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="synthetic genome -> train ResNet and baseline -> metrics")
    p.add_argument("--out", default="runs/demo", help="output directory")
    p.add_argument("--quick", action="store_true", help="small data and model (about 6 min on 2 cores)")
    p.add_argument(
        "--tiny",
        action="store_true",
        help="CI scale: checks that every step runs (2 min); its numbers mean little",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="replace a demo already in --out")
    add_config_args(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    from brainresnet_tf.train.config import parse_overrides

    run_demo(
        Path(args.out),
        quick=args.quick,
        tiny=args.tiny,
        seed=args.seed,
        config_path=args.config,
        overrides=parse_overrides(args.set),
        overwrite=args.overwrite,
    )
    return 0


def run_demo(
    out: Path,
    quick: bool = False,
    seed: int = 0,
    tiny: bool = False,
    config_path: str | None = None,
    overrides: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Synthetic genome -> ResNet and baseline -> ``metrics.tsv``, curves and a printed table."""
    import yaml

    from brainresnet_tf.demo.synthetic import generate_synthetic_dataset
    from brainresnet_tf.errors import InputError
    from brainresnet_tf.io.atomic import write_text
    from brainresnet_tf.train.config import load_config
    from brainresnet_tf.train.evaluation import mean_metric
    from brainresnet_tf.train.run_dir import existing_run
    from brainresnet_tf.workflows.train import run_train

    t0 = time.time()
    out = out.resolve()
    user = load_config(config_path, overrides).source and yaml.safe_load(Path(config_path).read_text())
    if existing_run(out) and not overwrite:  # before minutes of work, not after
        raise InputError(
            f"{out} already holds a demo run: add --overwrite to replace it, or give another --out"
        )
    scale = demo_scale(quick, tiny)
    size = DEMO_GENOME[scale]
    print(
        f"[demo] generating a synthetic genome ({size['n_chroms']} x {size['chrom_length']:,} bp) "
        f"with planted JASPAR motifs in {out / 'data'}"
    )
    data = generate_synthetic_dataset(out / "data", seed=seed, **size)
    config_dict = demo_config_dict(out / "data", demo_profiles(data), scale, out)
    config_file = out / "config.yaml"
    write_text(config_file, yaml.safe_dump(config_dict, sort_keys=False))
    if user:  # a user's config (validated above) refines the demo's
        for section, values in user.items():
            if isinstance(values, dict):
                config_dict.setdefault(section, {}).update(values)
            else:
                config_dict[section] = values
        write_text(config_file, yaml.safe_dump(config_dict, sort_keys=False))
    config = for_terminal(load_config(config_file, overrides))
    metrics = run_train(config, with_baseline=True, overwrite=overwrite)
    test = metrics[(metrics["split"] == "test") & (metrics["model"] == "resnet")]
    auroc = mean_metric(test, "auroc")
    demo_variant_check(
        out,
        Path(config.out_dir) / "model.keras",
        data,
        "iPSC_neuron",
        [*config.windows.valid_chroms, *config.windows.test_chroms],
        seed,
    )
    demo_constraint_check(out, data, seed)
    verdict = (
        "tiny scale: not a measurement"
        if tiny
        else f"target >= 0.85: {'met' if auroc >= 0.85 else 'NOT met'}"
    )
    print(f"[demo] ResNet mean test AUROC {auroc:.3f} ({verdict}); finished in {time.time() - t0:.0f} s")
    print(
        f"[demo] outputs in {out}: metrics.tsv, metrics.json, curves.png, model.keras; "
        f"re-run with: brainresnet train --config {config_file}"
    )
    return metrics


def demo_variant_check(
    out: str | Path,
    model_path: str | Path,
    data: SyntheticDataset | str | Path,
    cell_type: str = "iPSC_neuron",
    chroms: list[str] | None = None,
    seed: int = 0,
) -> dict:
    """The demo's variant step: demo VCF -> score-variants -> validate-variants -> printed check.

    Writes ``out/variants/`` and returns the validation summary with ``targets_met``. Targets (the
    issue's): odds ratio > 3 with Fisher p < 1e-3 at every k, and sign agreement > 80% on
    significant variants; and the same enrichment among the planted indels alone (deletions of
    motif sites, insertions of motifs, background indels): ``indel_targets_met``.
    """
    from brainresnet_tf.demo.synthetic_variants import dataset_paths, make_demo_variants
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.models.saving import load_model
    from brainresnet_tf.variant.scoring import score_variants
    from brainresnet_tf.variant.validation import format_summary, validate_variants

    vdir = Path(out) / "variants"
    demo = make_demo_variants(data, vdir / "demo.vcf", vdir / "observed.tsv", cell_type, seed, chroms)
    print(
        f"[demo] variants for {cell_type} on {', '.join(chroms or ['all chromosomes'])}: "
        f"{demo.counts} ({demo.n_significant} significant) -> {demo.vcf}"
    )
    model, meta = load_model(model_path)
    profile = next((p for p in meta.profiles if p.startswith(cell_type)), None)
    score_variants(model, meta, Genome(dataset_paths(data)[0]), demo.vcf, vdir / "scores.tsv", progress=False)
    comparators = [f"{p}_diff" for p in meta.profiles]
    summary = validate_variants(
        vdir / "scores.tsv", demo.observed, vdir / "validation", comparators=comparators, profile=profile
    )
    print("[demo] variant validation:\n" + format_summary(summary))
    enrich_ok = all(r["odds_ratio"] > 3 and r["p_value"] < 1e-3 for r in summary["enrichment"])
    sign = summary["sign_agreement_significant"]["fraction"]
    met = bool(enrich_ok and sign > 0.8)
    rho = summary["spearman_significant"]["rho"]
    indels = summary.get("by_type", {}).get("indel", {"n": 0, "n_significant": 0, "enrichment": []})
    indel_ok = bool(indels["enrichment"]) and all(
        r["odds_ratio"] > 3 and r["p_value"] < 1e-3 for r in indels["enrichment"]
    )
    ks = "; ".join(
        f"top {r['k']}: {r['sig_top']}/{r['k']} significant, odds ratio {r['odds_ratio']:.1f}, "
        f"p {r['p_value']:.2g}"
        for r in indels["enrichment"]
    )
    print(
        f"[demo] indel check ({indels['n']} indels, {indels['n_significant']} significant; "
        f"odds ratio > 3 with p < 1e-3 at every k): {'met' if indel_ok else 'NOT met'}; {ks}"
    )
    print(
        f"[demo] variant targets (odds ratio > 3 with p < 1e-3 at every k; sign agreement "
        f"> 80%): {'met' if met else 'NOT met'}; Spearman {rho:.2f} (paper ~0.4); "
        f"outputs in {vdir}"
    )
    summary["targets_met"] = met and indel_ok
    summary["indel_targets_met"] = indel_ok
    return summary


def demo_constraint_check(out: str | Path, data: SyntheticDataset | str | Path, seed: int = 0) -> dict:
    """The demo's constraint step, after :func:`demo_variant_check`: conservation and allele
    frequency of the top-scored demo variants, and an effect heatmap grouped by element.

    Reads ``out/variants/{scores.tsv, demo.vcf, observed.tsv}`` and the data's conservation
    bigWig; writes ``out/variants/constraint/`` and ``out/variants/heatmap/``. Targets (the
    issue's): conservation of the top 100 above the rest (one-sided Mann-Whitney p < 1e-3), and
    MAF falling over score deciles (Spearman rho < 0, one-sided p < 0.01) with the top 100's MAF
    below the rest's (p < 0.01). Returns the constraint summary with ``targets_met``.
    """
    import pandas as pd

    from brainresnet_tf.demo.synthetic import CONSERVATION_FILE, SyntheticDataset
    from brainresnet_tf.io.tables import write_table
    from brainresnet_tf.variant.constraint import AlleleFrequencySource, constraint_analysis
    from brainresnet_tf.variant.heatmap import variant_heatmap

    vdir = Path(out) / "variants"
    if isinstance(data, SyntheticDataset) and data.conservation is not None:
        conservation = data.conservation
    else:
        conservation = (
            Path(data.fasta.parent if isinstance(data, SyntheticDataset) else data) / CONSERVATION_FILE
        )
    summary = constraint_analysis(
        vdir / "scores.tsv",
        vdir / "constraint",
        [("conservation", conservation)],
        AlleleFrequencySource(vcf=vdir / "demo.vcf", key="AF"),
        top_k=(50, 100, 200),
        seed=seed,
    )
    rows = {(r["annotation"], r["k"], r["versus"]): r for r in summary["comparisons"]}
    k = 100 if 100 in summary["top_k"] else max(summary["top_k"])  # a tiny demo has few variants
    cons, maf = rows[("conservation", k, "rest")], rows[("MAF", k, "rest")]
    trend = summary["allele_frequency"]["trend"]["spearman_decile_vs_maf"]
    deciles = summary["allele_frequency"]["deciles"]
    print(
        f"[demo] conservation (GERP-like) of the top {k} vs the rest: median {cons['median_top']:.2f} vs "
        f"{cons['median_other']:.2f}, Mann-Whitney p {cons['p_value']:.2g}, rank-biserial "
        f"{cons['rank_biserial']:+.2f}; MAF: mean {maf['mean_top']:.4f} vs {maf['mean_other']:.4f} "
        f"(p {maf['p_value']:.2g})"
    )
    print(
        "[demo] mean MAF by score decile (1 = lowest): "
        + " ".join(f"{d['mean_maf']:.3f}" for d in deciles)
        + f"; Spearman rho(decile, MAF) {trend['rho']:+.3f} (one-sided p {trend['p_value']:.2g})"
    )
    met = bool(
        cons["p_value"] < 1e-3
        and cons["rank_biserial"] > 0
        and maf["p_value"] < 0.01
        and trend["rho"] < 0
        and trend["p_value"] < 0.01
    )
    observed = pd.read_csv(vdir / "observed.tsv", sep="\t", keep_default_na=False)
    loci = observed.loc[observed["element_id"] != "", ["variant_id", "element_id"]]
    write_table(loci, vdir / "element_loci.tsv")
    heat = variant_heatmap(
        vdir / "scores.tsv", vdir / "heatmap", loci=vdir / "element_loci.tsv", rows_per_page=60
    )
    print(
        f"[demo] constraint targets (conservation top {k} > rest, p < 1e-3; MAF lower and falling over "
        f"deciles): {'met' if met else 'NOT met'}; heatmap of {heat['n_variants']} variants in "
        f"{heat['n_loci']} elements ({heat['pages']} pages); outputs in {vdir / 'constraint'}, "
        f"{vdir / 'heatmap'}"
    )
    summary["targets_met"] = met
    summary["heatmap"] = heat
    return summary
