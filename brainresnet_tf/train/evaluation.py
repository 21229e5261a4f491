"""Per-profile metrics (scikit-learn) and ROC / PR curve plots."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn import metrics  # noqa: E402

from brainresnet_tf.io.atomic import save_figure

METRIC_COLUMNS = [
    "model",
    "profile",
    "split",
    "auroc",
    "auprc",
    "pearson",
    "spearman",
    "n_windows",
    "n_positive",
    "negatives",  # appended (0.1 readers index the columns before it): which negatives the row uses
]


def profile_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, profiles: list[str], target: str = "peaks"
) -> pd.DataFrame:
    """One row per profile: AUROC and AUPRC for peaks (NaN when a split has one class);
    Pearson and Spearman for signal. NaN labels are ignored."""
    rows = []
    for i, name in enumerate(profiles):
        mask = ~np.isnan(y_true[:, i])
        y, p = y_true[mask, i], y_pred[mask, i]
        row = {
            "profile": name,
            "n_windows": int(mask.sum()),
            "auroc": np.nan,
            "auprc": np.nan,
            "pearson": np.nan,
            "spearman": np.nan,
        }
        if target == "peaks":
            row["n_positive"] = int((y > 0.5).sum())
            if 0 < row["n_positive"] < len(y):
                row["auroc"] = metrics.roc_auc_score(y > 0.5, p)
                row["auprc"] = metrics.average_precision_score(y > 0.5, p)
        else:
            row["n_positive"] = int((y > 0).sum())
            if len(y) > 2 and np.std(y) > 0 and np.std(p) > 0:
                row["pearson"] = stats.pearsonr(y, p)[0]
                row["spearman"] = stats.spearmanr(y, p)[0]
        rows.append(row)
    return pd.DataFrame(rows)


SHUFFLED = "shuffled positives"  # the negatives column: dinucleotide shuffles of the split's positives


def shuffled_split(split: str) -> str:
    """The split column of a split's rows against shuffled positives (kept apart from its means)."""
    return f"{split}-shuffled"


HARD_SPLIT = shuffled_split("test")


def negatives_label(table_meta: dict, gc_matched: bool = True) -> str:
    """What the negatives of a window table are, for the ``negatives`` column of metrics."""
    if table_meta.get("source") == "sequence set":
        return "given negatives"
    return "sampled bins (GC-matched)" if gc_matched else "sampled bins"


def shuffled_metrics(
    predict, codes: np.ndarray, labels: np.ndarray, profiles: list[str], seed: int = 0
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """Metrics against hard negatives: each profile's positives vs dinucleotide shuffles of them
    (same composition, motifs broken), so a model that learned only GC or k-mer content scores
    near 0.5. ``predict`` maps base codes (N, L) to probabilities (N, P)."""
    from brainresnet_tf.data.shuffle import shuffled_negatives

    positive = np.nan_to_num(labels, nan=0.0) > 0.5
    rows = positive.any(axis=1)
    pos_codes = codes[rows]
    shuffled = shuffled_negatives(pos_codes, seed)
    p_pos, p_neg = predict(pos_codes), predict(shuffled)
    y_true = np.full((2 * len(pos_codes), len(profiles)), np.nan, np.float32)
    for i in range(len(profiles)):  # each profile: its own positives and their shuffles
        mine = positive[rows, i]
        y_true[: len(pos_codes)][mine, i] = 1.0
        y_true[len(pos_codes) :][mine, i] = 0.0
    y_pred = np.concatenate([p_pos, p_neg])
    return profile_metrics(y_true, y_pred, profiles), (y_true, y_pred)


def mean_metric(table: pd.DataFrame, column: str) -> float:
    """Mean of a metric over profiles, ignoring profiles where it is undefined."""
    values = table[column].to_numpy(dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def plot_curves(
    y_true: np.ndarray,
    predictions: dict[str, np.ndarray],
    profiles: list[str],
    path: str | os.PathLike,
    title: str = "",
) -> None:
    """ROC and PR curves per profile; one line style per model (e.g. resnet vs baseline).

    Each legend entry gives the curve's AUROC / AUPRC; the PR panel shows each profile's no-skill
    line (its positive fraction); ``title`` should say which split (chromosomes, regions) it is.
    """
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(12, 5))
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    styles = ["-", "--", ":", "-."]
    for m, (model_name, y_pred) in enumerate(predictions.items()):
        for i, name in enumerate(profiles):
            mask = ~np.isnan(y_true[:, i])
            y = y_true[mask, i] > 0.5
            if y.all() or not y.any():
                continue
            fpr, tpr, _ = metrics.roc_curve(y, y_pred[mask, i])
            prec, rec, _ = metrics.precision_recall_curve(y, y_pred[mask, i])
            style = dict(color=colors[i % 10], ls=styles[m % 4], lw=1.4)
            auroc = metrics.roc_auc_score(y, y_pred[mask, i])
            auprc = metrics.average_precision_score(y, y_pred[mask, i])
            ax_roc.plot(fpr, tpr, label=f"{model_name} {name} (AUROC {auroc:.3f})", **style)
            ax_pr.plot(rec, prec, label=f"{model_name} {name} (AUPRC {auprc:.3f})", **style)
            if m == 0:
                ax_pr.axhline(y.mean(), color=colors[i % 10], lw=0.8, ls=":")
    ax_roc.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":", label="chance")
    ax_pr.plot([], [], color="grey", lw=0.8, ls=":", label="no skill (positive fraction)")
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax_pr.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.02))
    ax_roc.legend(fontsize=6, loc="lower right")
    ax_pr.legend(fontsize=6, loc="lower left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)


def plot_history(histories: dict[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """Training curves per model: training and validation loss, validation AUPRC, per epoch."""
    fig, (ax_loss, ax_auprc) = plt.subplots(1, 2, figsize=(11, 4))
    for m, (model_name, hist) in enumerate(histories.items()):
        if hist.empty or "epoch" not in hist:
            continue
        color = plt.cm.tab10(m % 10)
        ax_loss.plot(hist["epoch"], hist["loss"], color=color, label=f"{model_name} train")
        if "val_loss" in hist:
            ax_loss.plot(
                hist["epoch"], hist["val_loss"], color=color, ls="--", label=f"{model_name} validation"
            )
        if "val_auprc" in hist:
            ax_auprc.plot(hist["epoch"], hist["val_auprc"], color=color, marker="o", ms=3, label=model_name)
            best = hist["val_auprc"].idxmax()
            ax_auprc.plot(hist["epoch"][best], hist["val_auprc"][best], "*", color=color, ms=10)
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_auprc.set(xlabel="epoch", ylabel="mean validation AUPRC", title="validation AUPRC (star: kept epoch)")
    for ax in (ax_loss, ax_auprc):
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def format_table(metrics_long: pd.DataFrame, split: str = "test") -> str:
    """Side-by-side text tables of AUROC / AUPRC per profile and model for one split, one per
    kind of negatives (each headed by what the negatives are)."""
    sub = metrics_long[metrics_long["split"] == split]
    wide = sub.pivot_table(index="profile", columns="model", values=["auroc", "auprc"], sort=False)
    wide.columns = [f"{model} {metric}" for metric, model in wide.columns]
    wide = wide[sorted(wide.columns, key=lambda c: (c.split()[0] != "resnet", c))]
    mean = wide.mean(numeric_only=True).to_frame("MEAN").T
    return pd.concat([wide, mean]).to_string(float_format=lambda v: f"{v:.3f}")
