"""Effect heatmaps: variants x profiles of ``diff`` (or ``logit_diff``), colour centred at zero,
or of the calibrated ``quantile`` (``score-variants --null``) on a 0 to 1 scale.

Rows are the variants of a locus table (credible sets, GWAS loci, elements: grouped, loci
ordered by their largest |effect| or as in the file, variants by position inside a locus) or the
top N by a score column. ``cluster`` orders profiles, and variants inside each locus, by
hierarchical clustering (scipy, average linkage, Euclidean). Long lists are split into pages of
at most ``rows_per_page`` rows that keep loci whole when they fit; every page shares one colour
scale (symmetric about zero) and one profile order, so pages compare. PNG and SVG per page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_path, save_figure, write_json
from brainresnet_tf.io.loci import read_loci
from brainresnet_tf.io.tables import write_table
from brainresnet_tf.io.variant_table import iter_variant_table, table_columns

VALUES = {
    "diff": "alt - ref (probability)",
    "logit_diff": "logit(alt) - logit(ref)",
    "quantile": "quantile of |effect| in the null",
}
UNSIGNED = ("quantile",)  # drawn from 0 (white) up, not centred at zero


def profile_names(columns: Sequence[str], value: str = "diff") -> list[str]:
    """Profiles with a ``<profile>_<value>`` column (and ``<profile>_ref``, as score-variants writes)."""
    if value not in VALUES:
        raise InputError(f"--value {value!r}: expected one of {', '.join(VALUES)}")
    cols = set(columns)
    suffix = f"_{value}"
    return [c[: -len(suffix)] for c in columns if c.endswith(suffix) and f"{c[: -len(suffix)]}_ref" in cols]


@dataclass
class EffectMatrix:
    """Rows to draw: labels, locus per row ('' without loci), values (rows x profiles)."""

    table: pd.DataFrame  # chrom, pos, id, ref, alt, label, locus
    values: np.ndarray
    profiles: list[str]


def _labels(df: pd.DataFrame) -> pd.Series:
    ids = df["id"].where(~df["id"].isin(["", "."]), df["chrom"] + ":" + df["pos"].astype(str))
    dup = ids.duplicated(keep=False)
    return ids.where(~dup, ids + " " + df["ref"] + ">" + df["alt"])


def load_effects(
    scores: str | os.PathLike,
    value: str = "diff",
    loci: pd.DataFrame | None = None,
    top: int | None = None,
    score_column: str = "max_abs_diff",
    chunksize: int = 200_000,
) -> tuple[EffectMatrix, dict]:
    """The rows to draw, read in chunks, and what was asked but not found."""
    columns = table_columns(scores)
    profiles = profile_names(columns, value)
    if not profiles:
        raise InputError(
            f"{scores}: no <profile>_{value} columns with <profile>_ref beside them "
            f"(is it score-variants output? --value is {value}"
            + (
                "; quantiles come from score-variants --null N or --null-vcf FILE)"
                if value in UNSIGNED
                else ")"
            )
        )
    value_cols = [f"{p}_{value}" for p in profiles]
    rank_col = [score_column] if top and score_column not in value_cols else []
    if rank_col and score_column not in columns:
        raise InputError(f"{scores}: no column {score_column!r} to pick the top {top} by (--score-column)")
    wanted = set(loci["variant_id"]) if loci is not None else None
    kept: list[pd.DataFrame] = []
    for _, chunk in iter_variant_table(scores, value_cols + rank_col, chunksize):
        if wanted is not None:
            key = chunk["chrom"] + ":" + chunk["pos"].astype(str) + ":" + chunk["ref"] + ":" + chunk["alt"]
            chunk = chunk.assign(_key=np.where(chunk["id"].isin(wanted), chunk["id"], key))
            chunk = chunk[chunk["_key"].isin(wanted)]
        elif top:
            chunk = chunk.assign(_rank=chunk[score_column].abs()).nlargest(top, "_rank", keep="first")
        kept.append(chunk)
        if top and wanted is None:
            kept = [pd.concat(kept).nlargest(top, "_rank", keep="first")]
    table = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    info: dict = {}
    if wanted is not None:
        found = set(table["_key"]) if len(table) else set()
        missing = [v for v in loci["variant_id"] if v not in found]
        info = {"n_listed": len(loci), "n_missing": len(missing), "missing_first": missing[:20]}
        if not len(table):
            raise InputError(
                f"none of the {len(loci)} variants of the locus table is in {scores} (ids are matched "
                f"to the ID column, or written chrom:pos:ref:alt)"
            )
        table = table.merge(loci.rename(columns={"variant_id": "_key"}), on="_key", how="left")
        file_order = {loc: i for i, loc in reversed(list(enumerate(loci["locus"])))}
        table = table.iloc[np.argsort(table["locus"].map(file_order).to_numpy(), kind="stable")]
    else:
        if not len(table):
            raise InputError(f"{scores}: no variants")
        table["locus"] = ""
    table["label"] = _labels(table)
    values = table[value_cols].to_numpy(np.float64)
    keep = ["chrom", "pos", "id", "ref", "alt", "label", "locus"]
    return EffectMatrix(table[keep].reset_index(drop=True), values, profiles), info


def _leaf_order(x: np.ndarray) -> np.ndarray:
    """Row order of average-linkage clustering (optimal leaf ordering); NaN counts as 0."""
    if len(x) < 3:
        return np.arange(len(x))
    from scipy.cluster import hierarchy

    z = hierarchy.linkage(np.nan_to_num(x), method="average", metric="euclidean", optimal_ordering=True)
    return hierarchy.leaves_list(z)


def arrange(m: EffectMatrix, cluster: bool = False, locus_order: str = "effect") -> EffectMatrix:
    """Order rows (loci, then variants in them) and, with ``cluster``, profiles."""
    if locus_order not in ("effect", "file"):
        raise InputError(f"--locus-order {locus_order!r}: expected effect or file")
    t = m.table.assign(_row=np.arange(len(m.table)), _max=np.nanmax(np.abs(np.nan_to_num(m.values)), axis=1))
    if (t["locus"] == "").all():
        rows = (
            t["_row"].to_numpy()[_leaf_order(m.values)]
            if cluster
            else t.sort_values("_max", ascending=False, kind="stable")["_row"].to_numpy()
        )
    else:
        first = {loc: i for i, loc in reversed(list(enumerate(t["locus"])))}
        strength = t.groupby("locus", sort=False)["_max"].max()
        loci = sorted(first, key=(lambda s: -strength[s]) if locus_order == "effect" else first.get)
        rows_list = []
        for loc in loci:
            sub = t[t["locus"] == loc].sort_values(["chrom", "pos"], kind="stable")
            idx = sub["_row"].to_numpy()
            rows_list.append(idx[_leaf_order(m.values[idx])] if cluster else idx)
        rows = np.concatenate(rows_list)
    cols = _leaf_order(m.values.T) if cluster else np.arange(len(m.profiles))
    return EffectMatrix(
        m.table.iloc[rows].reset_index(drop=True), m.values[rows][:, cols], [m.profiles[c] for c in cols]
    )


def paginate(loci: Sequence[str], rows_per_page: int) -> list[tuple[int, int]]:
    """Row ranges [start, end) of pages of at most ``rows_per_page`` rows; a locus stays on one
    page when it fits on one, and a locus longer than a page fills pages of its own."""
    if rows_per_page < 1:
        raise InputError(f"--rows-per-page {rows_per_page}: expected >= 1")
    loci = list(loci)
    groups = []  # (start, end) of each run of equal loci
    start = 0
    for i in range(1, len(loci) + 1):
        if i == len(loci) or loci[i] != loci[start]:
            groups.append((start, i))
            start = i
    pages: list[tuple[int, int]] = []
    page_start, page_end = 0, 0
    for a, b in groups:
        if b - a > rows_per_page:  # a long locus: its own pages
            if page_end > page_start:
                pages.append((page_start, page_end))
            pages += [(s, min(s + rows_per_page, b)) for s in range(a, b, rows_per_page)]
            page_start = page_end = b
        elif b - page_start > rows_per_page:
            pages.append((page_start, page_end))
            page_start, page_end = a, b
        else:
            page_end = b
    if page_end > page_start:
        pages.append((page_start, page_end))
    return pages


def plot_page(
    m: EffectMatrix, rows: tuple[int, int], paths: Sequence[Path], vmax: float, value: str, title: str
) -> None:
    """One page: the block of rows, locus separators and names, a colour bar; saved to every path.

    Margins are fixed in inches (no tight_layout), so a page is drawn once per format.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = rows
    block = m.values[a:b]
    loci = m.table["locus"].iloc[a:b].tolist()
    grouped = any(loci)
    n_rows, n_cols = block.shape
    label_width = 0.3 + 0.065 * max((len(s) for s in m.table["label"].iloc[a:b]), default=4)
    locus_width = 0.3 + 0.065 * max((len(s) for s in loci), default=0) if grouped else 0.15
    profile_height = 0.2 + 0.045 * max((len(p) for p in m.profiles), default=4)
    left, cell_w, right = label_width + 0.35, 0.42, locus_width + 1.0
    top, cell_h, bottom = 0.5, 0.2, profile_height + 0.35
    width, height = left + cell_w * n_cols + right, top + cell_h * n_rows + bottom
    with plt.rc_context({"svg.fonttype": "none"}):
        fig = plt.figure(figsize=(width, max(height, 2.4)))
        height = max(height, 2.4)
        ax = fig.add_axes((left / width, bottom / height, cell_w * n_cols / width, cell_h * n_rows / height))
        bar_h = min(cell_h * n_rows, 2.5)
        cax = fig.add_axes(
            (
                (width - 0.75) / width,
                (bottom + cell_h * n_rows - bar_h) / height,
                0.12 / width,
                bar_h / height,
            )
        )
        unsigned = value in UNSIGNED
        cmap = plt.get_cmap("Reds" if unsigned else "RdBu_r").with_extremes(bad="#d9d9d9")
        image = ax.imshow(
            np.ma.masked_invalid(block),
            cmap=cmap,
            vmin=0.0 if unsigned else -vmax,
            vmax=vmax,
            aspect="auto",
            interpolation="none",
        )
        ax.set_xticks(np.arange(n_cols), m.profiles, rotation=40, ha="right", fontsize=7)
        ax.set_yticks(np.arange(n_rows), m.table["label"].iloc[a:b], fontsize=7)
        ax.set_xlabel("profile", fontsize=8)
        ax.set_ylabel("variant", fontsize=8)
        if grouped:
            start = 0
            for i in range(1, n_rows + 1):
                if i == n_rows or loci[i] != loci[start]:
                    if i < n_rows:
                        ax.axhline(i - 0.5, color="black", lw=0.9)
                    ax.text(
                        n_cols - 0.3,
                        (start + i - 1) / 2,
                        loci[start],
                        va="center",
                        ha="left",
                        fontsize=7,
                        clip_on=False,
                    )
                    start = i
        bar = fig.colorbar(image, cax=cax)
        bar.set_label(f"{value}: {VALUES[value]}", fontsize=7)
        bar.ax.tick_params(labelsize=6)
        fig.suptitle(title, fontsize=9, x=left / width, ha="left", y=1 - 0.15 / height, va="top")
        for path in paths[:-1]:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=120)
        save_figure(fig, paths[-1])


def variant_heatmap(
    scores: str | os.PathLike,
    out_dir: str | os.PathLike,
    value: str = "diff",
    loci: str | os.PathLike | None = None,
    top: int | None = None,
    cluster: bool = False,
    rows_per_page: int = 50,
    locus_order: str = "effect",
    vmax: float | None = None,
    max_pages: int = 20,
    score_column: str = "max_abs_diff",
    formats: Sequence[str] = ("png", "svg"),
) -> dict:
    """The ``variant-heatmap`` command: heatmap page(s) as PNG and SVG, heatmap.tsv, heatmap.json."""
    if top is not None and top < 1:
        raise InputError(f"--top {top}: expected >= 1")
    if top is not None and loci is not None:
        raise InputError("--top and --loci: give one (the locus table already chooses the variants)")
    locus_table = read_loci(loci) if loci is not None else None
    m, info = load_effects(scores, value, locus_table, top, score_column)
    m = arrange(m, cluster, locus_order)
    pages = paginate(m.table["locus"].tolist(), rows_per_page)
    if len(pages) > max_pages:
        raise InputError(
            f"{len(m.table):,} variants need {len(pages)} pages of {rows_per_page} rows: choose fewer "
            f"(--top N or --loci) or raise --max-pages"
        )
    finite = np.abs(m.values[np.isfinite(m.values)])
    largest = float(finite.max()) if len(finite) and finite.max() > 0 and value not in UNSIGNED else 1.0
    scale = float(vmax) if vmax else largest
    out = Path(out_dir)
    files, rows = [], []
    for i, (a, b) in enumerate(pages, start=1):
        stem = "heatmap" if len(pages) == 1 else f"heatmap_p{i:02d}"
        paths = [out / f"{stem}.{f}" for f in formats]
        what = f"predicted effect ({value})" + (
            ", grouped by locus" if m.table["locus"].iloc[a:b].any() else ""
        )
        title = what + (f": page {i}/{len(pages)}" if len(pages) > 1 else "")
        plot_page(m, (a, b), paths, scale, value, title)
        files += [p.name for p in paths]
        rows.append(pd.DataFrame({"page": i, "row": np.arange(b - a) + 1}))
    shown = pd.concat([pd.concat(rows, ignore_index=True), m.table.drop(columns="label")], axis=1).rename(
        columns={"chrom": "CHROM", "pos": "POS", "id": "ID", "ref": "REF", "alt": "ALT"}
    )
    shown[[f"{p}_{value}" for p in m.profiles]] = m.values
    write_table(shown, out / "heatmap.tsv")
    summary = {
        "scores": str(scores),
        "value": value,
        "n_variants": int(len(m.table)),
        "n_loci": int(m.table["locus"].nunique()) if loci is not None else 0,
        "profiles": m.profiles,
        "pages": len(pages),
        "rows_per_page": rows_per_page,
        "colour_limit": scale,
        "cluster": bool(cluster),
        "locus_order": locus_order if loci is not None else None,
        "loci": str(loci) if loci is not None else None,
        **info,
        "files": files,
    }
    write_json(out / "heatmap.json", summary)
    return summary
