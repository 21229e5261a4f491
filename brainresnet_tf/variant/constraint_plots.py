"""Figures of the constraint analysis: annotation distributions per group, MAF by score decile."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from brainresnet_tf.io.atomic import save_figure

if TYPE_CHECKING:
    from brainresnet_tf.variant.constraint import Groups

TOP_COLOUR, RANDOM_COLOUR, REST_COLOUR = "#c0392b", "#7f8c8d", "#2e86c1"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label(name: str, values: np.ndarray) -> str:
    missing = int(np.isnan(values).sum())
    return f"{name}\nn={len(values):,}" + (f"\n({missing:,} no data)" if missing else "")


def plot_distributions(
    values: dict[str, np.ndarray],
    groups: Sequence[Groups],
    comparisons: pd.DataFrame,
    path: Path,
    score_column: str,
) -> None:
    """One violin panel per track: top k and a random k of the rest for each k, then the rest
    (the variants outside the middle k's top).

    Medians are marked; tick labels give each group's n (and how many have no value); the panel
    title gives the Mann-Whitney p and rank-biserial r of the middle k against the rest.
    """
    plt = _pyplot()
    names = list(values)
    n_groups = 2 * len(groups) + 1
    fig, axes = plt.subplots(
        1, len(names), figsize=(max(3.2, 0.85 * n_groups + 1.2) * len(names), 4.4), squeeze=False
    )
    main = groups[len(groups) // 2]
    for ax, name in zip(axes[0], names):
        v = np.asarray(values[name], np.float64)
        sets, labels, colours = [], [], []
        for g in groups:
            for label, idx, colour in (
                (f"top {g.k}", g.top, TOP_COLOUR),
                (f"random {g.k}", g.random, RANDOM_COLOUR),
            ):
                sets.append(v[idx])
                labels.append(_label(label, v[idx]))
                colours.append(colour)
        rest = v[main.rest]
        sets.append(rest)
        labels.append(_label(f"rest (not\ntop {main.k})", rest))
        colours.append(REST_COLOUR)
        positions = np.arange(1, len(sets) + 1)
        finite = [s[np.isfinite(s)] for s in sets]
        drawable = [i for i, s in enumerate(finite) if len(s) > 1 and np.ptp(s) > 0]
        if drawable:
            parts = ax.violinplot(
                [finite[i] for i in drawable], positions[drawable], showmedians=True, showextrema=False
            )
            for body, i in zip(parts["bodies"], drawable):
                body.set_facecolor(colours[i])
                body.set_alpha(0.55)
            parts["cmedians"].set_color("black")
        for i, s in enumerate(finite):
            if len(s) and i not in drawable:
                ax.plot([positions[i]], [np.median(s)], "_", color="black", ms=14)
        ax.set_xticks(positions, labels, fontsize=7)
        ax.set_xlabel(f"variants ranked by |{score_column}|", fontsize=8)
        ax.set_ylabel(name, fontsize=9)
        row = comparisons[
            (comparisons["annotation"] == name)
            & (comparisons["k"] == main.k)
            & (comparisons["versus"] == "rest")
        ]
        sub = ""
        if len(row):
            r = row.iloc[0]
            sub = (
                f"\ntop {main.k} vs rest: p={r['p_value']:.2g} ({r['alternative']}), "
                f"r={r['rank_biserial']:+.2f}"
            )
        ax.set_title(f"{name} distribution{sub}", fontsize=9)
        ax.grid(axis="y", lw=0.3, alpha=0.5)
    fig.tight_layout()
    save_figure(fig, path)


def plot_maf_deciles(table: pd.DataFrame, trend: dict, path: Path, score_column: str) -> None:
    """Mean MAF and fraction rare per score decile (two panels), n per decile on the x axis."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.0))
    x = table["decile"].to_numpy()
    labels = [f"{d}\nn={n - m:,}" for d, n, m in zip(x, table["n"], table["n_missing"])]
    rare = trend["cochran_armitage_rare"]["rare_below"]
    left.bar(x, table["mean_maf"], color="#5d6d7e")
    left.plot(x, table["median_maf"], "o-", color="black", ms=3, lw=0.8, label="median")
    left.set_ylabel("minor allele frequency (mean)")
    left.legend(fontsize=7, frameon=False)
    right.bar(x, table["fraction_rare"], color="#c0392b")
    right.set_ylabel(f"fraction rare (MAF < {rare:g})")
    right.set_ylim(0, 1)
    s, ca = trend["spearman_decile_vs_maf"], trend["cochran_armitage_rare"]
    left.set_title(f"Spearman rho(decile, MAF) {s['rho']:+.3f}, one-sided p={s['p_value']:.2g}", fontsize=9)
    right.set_title(
        f"Cochran-Armitage trend z={ca['z']:+.2f}, one-sided p={ca['p_increasing']:.2g}", fontsize=9
    )
    for ax in (left, right):
        ax.set_xticks(x, labels, fontsize=6)
        ax.set_xlabel(f"|{score_column}| decile (1 = lowest, {int(x.max(initial=1))} = highest)", fontsize=8)
        ax.grid(axis="y", lw=0.3, alpha=0.5)
    fig.tight_layout()
    save_figure(fig, path)
