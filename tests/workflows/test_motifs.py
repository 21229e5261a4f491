"""``brainresnet motifs`` end to end (hand-built CTCF model, TF-MoDISco, TOMTOM, report)."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd


def test_motifs_command_end_to_end(ctcf_world, capsys):
    """< 20 s once numba's kernels are cached (the first run in a fresh environment compiles
    modisco-lite's and memelite's kernels, ~1-2 min)."""
    from brainresnet_tf.cli import main

    out = ctcf_world / "motifs"
    t0 = time.time()
    rc = main(
        [
            "motifs",
            "--model",
            str(ctcf_world / "model.keras"),
            "--regions",
            str(ctcf_world / "data" / "peaks.bed"),
            "--task",
            "open_ATAC",
            "--method",
            "ixg",
            "--out",
            str(out),
            "--no-progress",
            "--bigwig",
        ]
    )
    elapsed = time.time() - t0
    assert rc == 0
    table = pd.read_csv(out / "motifs.tsv", sep="\t")
    top = table.iloc[0]
    assert top["sign"] == "+" and top["match1_name"] == "CTCF" and top["match1_q"] < 0.05
    for name in (
        "modisco_results.h5",
        "patterns.meme",
        "jaspar.meme",
        "report.html",
        "contributions.bw",
        "one_hot.npz",
        "hypothetical.npz",
        "regions.tsv",
    ):
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text()
    assert "logos/pos_0.cwm.png" in html and "CTCF" in html
    assert (out / "logos" / "pos_0.cwm.png").stat().st_size > 1000
    assert np.load(out / "hypothetical.npz")["arr_0"].shape == (240, 4, 100)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["check"]["recovery"][0]["named"] is True
    printed = capsys.readouterr().out
    assert "named as top TOMTOM match (q < 0.05): 1/1 = 100% -> PASS" in printed
    print(f"end-to-end motifs run: {elapsed:.1f} s")


def test_motifs_command_rejects_unknown_task(ctcf_world, capsys):
    from brainresnet_tf.cli import main

    rc = main(
        [
            "motifs",
            "--model",
            str(ctcf_world / "model.keras"),
            "--top-k",
            "10",
            "--task",
            "nope",
            "--out",
            str(ctcf_world / "m"),
        ]
    )
    assert rc == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err
