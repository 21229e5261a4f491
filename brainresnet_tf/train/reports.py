"""A run's reports: metrics tables (TSV, strict JSON) and ROC / PR curves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from brainresnet_tf.io.atomic import write_json
from brainresnet_tf.io.tables import write_table
from brainresnet_tf.train.evaluation import (
    METRIC_COLUMNS,
    format_table,
    mean_metric,
    plot_curves,
    plot_history,
)


def write_reports(
    out: Path,
    metrics: pd.DataFrame,
    preds: dict[str, dict],
    profiles: list[str],
    test_label: str = "test split",
    histories: dict[str, pd.DataFrame] | None = None,
) -> str:
    """``metrics.tsv`` (long), ``metrics.json`` (means), ``curves.png`` (test split).

    Returns the printable test table ('' when there is no test split with labels).
    """
    metrics = metrics[[c for c in METRIC_COLUMNS if c in metrics.columns]]
    write_table(metrics, out / "metrics.tsv")
    summary = {
        f"{model}/{split}": {"mean_auroc": mean_metric(g, "auroc"), "mean_auprc": mean_metric(g, "auprc")}
        for (model, split), g in metrics.groupby(["model", "split"], sort=False)
    }
    write_json(out / "metrics.json", {"mean": summary, "per_profile": metrics.to_dict("records")})
    test = {name: p["test"] for name, p in preds.items() if "test" in p}
    if test:
        y_true = next(iter(test.values()))[0]
        plot_curves(
            y_true, {k: v[1] for k, v in test.items()}, profiles, out / "curves.png", title=test_label
        )
    if histories:
        plot_history(histories, out / "training_curves.png")
    if (metrics["split"] == "test").any() and metrics["auroc"].notna().any():
        return format_table(metrics, "test")
    return ""
