"""Scratch vs frozen vs fine-tuned transfer at several training-set sizes: TSV and plot.

Every run trains on a seeded fraction of the target's training windows (validation and test
stay whole, so every run is judged on the same windows). Finished runs are kept and skipped
when the command is run again, so a killed comparison loses only the run in progress.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from brainresnet_tf.data.windows import WindowTable  # noqa: E402
from brainresnet_tf.io.atomic import atomic_path, save_figure, write_json  # noqa: E402
from brainresnet_tf.io.genome import Genome  # noqa: E402
from brainresnet_tf.train.config import Config  # noqa: E402
from brainresnet_tf.train.evaluation import mean_metric  # noqa: E402
from brainresnet_tf.train.fit import evaluate_model, train_model  # noqa: E402

MODE_LABELS = {"none": "scratch", "frozen": "frozen", "fine_tune": "fine-tuned"}


def subsample_train(table: WindowTable, fraction: float, seed: int) -> WindowTable:
    """The table with only a seeded ``fraction`` of its training rows (at least one batch's worth)."""
    train = np.flatnonzero(table.split == "train")
    n = max(32, int(round(fraction * len(train))))
    keep_train = np.random.default_rng([seed, int(fraction * 1e6)]).choice(
        train, min(n, len(train)), replace=False
    )
    mask = table.split != "train"
    mask[keep_train] = True
    return table.subset(mask)


def batch_size_for(n_train: int, requested: int) -> int:
    """``requested``, or for a small subsample a power of two giving at least four steps per epoch
    (at least 8): 5% of a small table can hold fewer windows than one batch."""
    if n_train >= 4 * requested:
        return requested
    return max(8, min(requested, 2 ** int(np.log2(max(n_train // 4, 1)))))


def compare_transfer(
    config: Config,
    genome: Genome,
    table: WindowTable,
    extractor: Path,
    out_dir: Path,
    fractions: tuple[float, ...] = (0.05, 0.2, 1.0),
    seeds: tuple[int, ...] = (0, 1, 2),
    modes: tuple[str, ...] = ("none", "frozen", "fine_tune"),
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Train every (mode, fraction, seed); write ``comparison.tsv`` and ``comparison.png``.

    ``log`` receives one line per run as it starts; finished runs (``result.json``) are reused.
    """
    log = log or (lambda line: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for fraction in fractions:
        for seed in seeds:
            sub = subsample_train(table, fraction, seed)
            for mode in modes:
                run_dir = out_dir / "runs" / f"{mode}_f{fraction:g}_s{seed}"
                done = run_dir / "result.json"
                if done.exists():
                    rows.append(json.loads(done.read_text()))
                    continue
                n_train = int((sub.split == "train").sum())
                run_config = dataclasses.replace(
                    config,
                    transfer=dataclasses.replace(config.transfer, extractor=extractor, mode=mode),
                    training=dataclasses.replace(
                        config.training,
                        seed=seed,
                        batch_size=batch_size_for(n_train, config.training.batch_size),
                    ),
                    out_dir=run_dir,
                )
                log(
                    f"[compare-transfer] {MODE_LABELS[mode]}, {fraction:.0%} of training windows "
                    f"({int((sub.split == 'train').sum())}), seed {seed}"
                )
                result = train_model(run_config, genome, sub, run_dir, arch="resnet")
                metrics, _ = evaluate_model(result.model, result.meta, genome, table, mode, splits=("test",))
                row = {
                    "mode": mode,
                    "label": MODE_LABELS[mode],
                    "fraction": fraction,
                    "seed": seed,
                    "n_train": int((sub.split == "train").sum()),
                    "test_auprc": mean_metric(metrics, "auprc"),
                    "test_auroc": mean_metric(metrics, "auroc"),
                    "best_epoch": result.best_epoch,
                }
                write_json(done, row)
                rows.append(row)
    results = pd.DataFrame(rows)
    with atomic_path(out_dir / "comparison.tsv") as tmp:
        results.to_csv(tmp, sep="\t", index=False, float_format="%.4f")
    summary = summarize(results)
    with atomic_path(out_dir / "comparison_summary.tsv") as tmp:
        summary.to_csv(tmp, sep="\t", index=False, float_format="%.4f")
    plot_comparison(results, out_dir / "comparison.png", title=", ".join(table.profiles))
    return results


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and range of test AUPRC over seeds per (mode, fraction)."""
    g = results.groupby(["fraction", "mode", "label"], sort=True)["test_auprc"]
    out = g.agg(["mean", "std", "min", "max", "count"]).reset_index()
    return out.rename(
        columns={
            "mean": "auprc_mean",
            "std": "auprc_sd",
            "min": "auprc_min",
            "max": "auprc_max",
            "count": "seeds",
        }
    )


def transfer_verdict(results: pd.DataFrame, transfer_mode: str = "frozen") -> dict:
    """Does transfer beat scratch by more than the seed-to-seed spread (smallest fraction), and is
    it no worse at the largest? Spread = the larger of the two modes' max-min ranges."""
    s = summarize(results).set_index(["fraction", "mode"])
    small, large = results["fraction"].min(), results["fraction"].max()
    best = max(
        (m for m in ("frozen", "fine_tune") if (small, m) in s.index),
        key=lambda m: s.loc[(small, m), "auprc_mean"],
        default=transfer_mode,
    )
    gain = s.loc[(small, best), "auprc_mean"] - s.loc[(small, "none"), "auprc_mean"]
    spread = max(
        s.loc[(small, best), "auprc_max"] - s.loc[(small, best), "auprc_min"],
        s.loc[(small, "none"), "auprc_max"] - s.loc[(small, "none"), "auprc_min"],
    )
    at_full = s.loc[(large, best), "auprc_mean"] - s.loc[(large, "none"), "auprc_mean"]
    full_spread = max(
        s.loc[(large, best), "auprc_max"] - s.loc[(large, best), "auprc_min"],
        s.loc[(large, "none"), "auprc_max"] - s.loc[(large, "none"), "auprc_min"],
    )
    return {
        "best_transfer_mode": best,
        "small_fraction": float(small),
        "gain_at_small": float(gain),
        "seed_spread_at_small": float(spread),
        "beats_scratch_beyond_spread": bool(gain > spread),
        "large_fraction": float(large),
        "difference_at_large": float(at_full),
        "seed_spread_at_large": float(full_spread),
        "no_worse_at_large": bool(at_full >= -full_spread),
    }


def plot_comparison(results: pd.DataFrame, path: Path, title: str = "") -> None:
    """Test AUPRC against training-set size: mean line, one dot per seed, per mode."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    colors = {"none": "#7f7f7f", "frozen": "#1f77b4", "fine_tune": "#d62728"}
    for mode, group in results.groupby("mode", sort=False):
        mean = group.groupby("n_train")["test_auprc"].mean()
        ax.plot(mean.index, mean.values, "-o", color=colors.get(mode), label=MODE_LABELS[mode], lw=2)
        ax.scatter(group["n_train"], group["test_auprc"], color=colors.get(mode), s=12, alpha=0.5)
    ax.set_xscale("log")
    ax.set(
        xlabel="training windows (log scale)",
        ylabel="mean test AUPRC",
        title=f"transfer vs scratch{': ' + title if title else ''}",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
