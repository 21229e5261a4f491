"""``brainresnet design`` end to end on a planted-motif world, with its check against the truth."""

from __future__ import annotations

import json

import pandas as pd


def test_design_command_beats_natives_and_is_reproducible(tmp_path, capsys):
    from brainresnet_tf.cli import main
    from tests.toy_models import planted_world

    world = planted_world(tmp_path / "w")

    def go(out):
        return main(
            [
                "design",
                "--model",
                str(world / "model.keras"),
                "--task",
                "open_ATAC",
                "--contrast",
                "closed_ATAC",
                "--n",
                "3",
                "--rounds",
                "3",
                "--insert",
                "CTCF",
                "--gc",
                "0.3,0.7",
                "--max-homopolymer",
                "5",
                "--fixed",
                "0-10",
                "--seed",
                "7",
                "--out",
                str(out),
                "--no-progress",
            ]
        )

    assert go(tmp_path / "a") == 0
    printed = capsys.readouterr().out
    assert "design check: PASS" in printed
    assert go(tmp_path / "b") == 0
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "designed.fa").read_text() == (b / "designed.fa").read_text()
    assert (a / "trajectory.tsv").read_text() == (b / "trajectory.tsv").read_text()
    assert (a / "trajectory.png").stat().st_size > 5000
    traj = pd.read_csv(a / "trajectory.tsv", sep="\t")
    assert traj["round"].max() == 3 and traj["gc"].between(0.3, 0.7).all()
    seqs = [line for line in (a / "designed.fa").read_text().splitlines() if not line.startswith(">")]
    assert all(len(s) == 100 for s in seqs)
    summary = json.loads((a / "summary.json").read_text())
    assert summary["check"]["pass"] and summary["check"]["contrast_motif_hits"] == 0
