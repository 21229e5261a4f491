"""Sequence logos (logomaker) and the HTML report of a ``brainresnet motifs`` run."""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.interpret.motifs import Pattern, column_information
from brainresnet_tf.io.atomic import save_figure, write_text
from brainresnet_tf.io.jaspar import MotifDB

LOGO_FLANK = 4  # bases shown either side of the trimmed core, as modisco-lite's report does


def information_logo(ppm: np.ndarray) -> np.ndarray:
    """Heights (W, 4) of an information-content logo: probability x the column's bits."""
    ppm = np.asarray(ppm, float)
    return ppm * np.clip(column_information(ppm), 0, None)[:, None]


def plot_logo(heights: np.ndarray, path: str | os.PathLike, title: str = "", ylabel: str = "") -> None:
    """A logomaker sequence logo of ``heights`` (W, 4; columns A, C, G, T) saved as PNG."""
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = pd.DataFrame(np.asarray(heights, float), columns=list("ACGT"))
    fig, ax = plt.subplots(figsize=(max(2.5, 0.32 * len(df) + 0.8), 1.8))
    logomaker.Logo(df, ax=ax, color_scheme="classic")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_xticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    lo = min(0.0, float(df.clip(upper=0).sum(axis=1).min()))
    hi = max(float(df.clip(lower=0).sum(axis=1).max()), 1e-6)
    ax.set_ylim(lo, hi)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)


def write_logos(
    patterns: list[Pattern],
    table: pd.DataFrame,
    db: MotifDB,
    out_dir: str | os.PathLike,
    progress: bool = True,
) -> pd.DataFrame:
    """Per pattern: CWM logo (trimmed + flanks), PPM information logo and the best JASPAR match's
    logo (reverse-complemented when TOMTOM aligned it that way). Returns relative paths."""
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    logo_dir = out_dir / "logos"
    logo_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    best = table.set_index("pattern")
    for p in tqdm(patterns, desc="logos", disable=not progress, leave=False):
        lo, hi = p.trim_bounds()
        lo, hi = max(lo - LOGO_FLANK, 0), min(hi + LOGO_FLANK, len(p.cwm))
        tag = p.name.replace("_patterns.pattern_", "_")
        paths = {"cwm_logo": f"logos/{tag}.cwm.png", "ppm_logo": f"logos/{tag}.ppm.png", "match_logo": ""}
        plot_logo(p.cwm[lo:hi], out_dir / paths["cwm_logo"], f"{p.name} CWM", "contribution")
        plot_logo(
            information_logo(p.trimmed_ppm()),
            out_dir / paths["ppm_logo"],
            f"{p.name} PPM ({p.n_seqlets} seqlets)",
            "bits",
        )
        mid = best.loc[p.name, "match1_id"] if p.name in best.index else None
        if isinstance(mid, str) and mid:
            pwm = db.pwms[db.index(mid)].T
            reverse = best.loc[p.name, "match1_strand"] == "-"
            if reverse:
                pwm = pwm[::-1, ::-1]
            paths["match_logo"] = f"logos/{mid}.{'rc' if reverse else 'fwd'}.png"
            if not (out_dir / paths["match_logo"]).exists():
                plot_logo(
                    information_logo(pwm),
                    out_dir / paths["match_logo"],
                    f"{mid} {best.loc[p.name, 'match1_name']}",
                    "bits",
                )
        rows.append({"pattern": p.name, **paths})
    return pd.DataFrame(rows, columns=["pattern", "cwm_logo", "ppm_logo", "match_logo"])


def _name_cell(r: dict) -> str:
    """The pattern's name after the quality gates, with its core's information."""
    name = r.get("name")
    if not isinstance(name, str):
        return ""
    bits = r.get("bits_per_column")
    detail = (
        f"<br>{r['width']} bp, {bits:.2f} bits/column, {r['total_bits']:.1f} bits"
        if isinstance(bits, (int, float)) and not pd.isna(bits)
        else ""
    )
    label = f"<b>{html.escape(name)}</b>" if r.get("named") else f"<i>{html.escape(name)}</i>"
    return label + detail


def _img(path: str) -> str:
    return f'<img src="{html.escape(path)}" height="90">' if path else ""


def write_html(
    table: pd.DataFrame,
    logos: pd.DataFrame,
    path: str | os.PathLike,
    title: str,
    summary: str = "",
    check: str = "",
) -> None:
    """An HTML page: the run's summary, one row per pattern with its logos and JASPAR matches,
    and the ground-truth check when there is one."""
    merged = table.merge(logos, on="pattern", how="left")
    match_ns = sorted({int(c[5]) for c in table.columns if c.startswith("match") and c.endswith("_id")})
    head = (
        "<tr><th>pattern</th><th>sign</th><th>seqlets</th><th>name</th><th>CWM</th><th>PPM</th>"
        "<th>best JASPAR match</th>"
        + "".join(f"<th>match {i}{' (TOMTOM)' if i == 1 else ''}</th>" for i in match_ns)
        + "</tr>"
    )
    body = []
    for r in merged.itertuples(index=False):
        r = r._asdict()
        cells = [
            html.escape(r["pattern"]),
            r["sign"],
            str(r["n_seqlets"]),
            _name_cell(r),
            _img(r["cwm_logo"]),
            _img(r["ppm_logo"]),
            _img(r["match_logo"]),
        ]
        for i in match_ns:
            mid = r.get(f"match{i}_id")
            if isinstance(mid, str):
                cells.append(
                    f"{html.escape(mid)} <b>{html.escape(str(r[f'match{i}_name']))}</b><br>"
                    f"q={r[f'match{i}_q']:.2g} p={r[f'match{i}_p']:.2g} "
                    f"({r[f'match{i}_strand']})"
                )
            else:
                cells.append("")
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 6px;vertical-align:middle;font-size:13px}}
pre{{background:#f6f6f6;padding:8px}}</style></head><body>
<h1>{html.escape(title)}</h1>
<pre>{html.escape(summary)}</pre>
<table>{head}{"".join(body)}</table>
{"<h2>Ground-truth check</h2><pre>" + html.escape(check) + "</pre>" if check else ""}
<p>A pattern is named after its best TOMTOM match only when it passes the quality gates
(trimmed core: >= 0.5 bits per column and >= 6 bits in total, <= 30 bp wide; >= 30 seqlets;
the model's test AUROC >= 0.6 where known); otherwise it is "unnamed (reason)" and TOMTOM's
matches are shown only as evidence.</p>
<p>Files: motifs.tsv, modisco_results.h5, patterns.meme, jaspar.meme (database used),
one_hot.npz and hypothetical.npz (the arrays TF-MoDISco read), regions.tsv.</p>
</body></html>
"""
    write_text(path, page)
