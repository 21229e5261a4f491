"""``brainresnet motifs`` end to end (hand-built CTCF model, TF-MoDISco, TOMTOM, report)."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest


@pytest.mark.parametrize("method", ["ixg", "deeplift"])
def test_motifs_command_end_to_end(ctcf_world, capsys, method):
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
            method,
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
    assert top["named"] and top["name"] == "CTCF" and top["quality"] == "pass"
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
    if method == "deeplift":  # DeepSHAP: 20 shuffles per window, contributions summing to the delta
        assert summary["references"] == 20 and summary["baseline"] == "shuffled"
        assert summary["convergence"]["max_relative_delta"] < 1e-3
        assert summary["convergence"]["pairs"] == 240 * 20
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


def test_untrained_model_names_nothing(tmp_path, capsys):
    """A model with random weights explains nothing: over the 400 windows it scores highest
    (the issue's `--top-k 400` on a weak model), TF-MoDISco may still cluster seqlets, but no
    pattern passes the quality gates, so none is named, whatever TOMTOM's q."""
    from brainresnet_tf.cli import main
    from tests.toy_models import planted_world

    world = planted_world(tmp_path / "w", untrained=True)
    out = tmp_path / "motifs"
    rc = main(
        ["motifs", "--model", str(world / "model.keras"), "--top-k", "400", "--task", "open_ATAC"]
        + ["--out", str(out), "--no-progress", "--truth", "none"]
    )
    assert rc == 0
    table = pd.read_csv(out / "motifs.tsv", sep="\t")
    assert not table["named"].any()
    assert table["name"].str.startswith("unnamed").all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_named"] == 0 and summary["model_test_auroc"] is None
    assert "model test AUROC unknown" in capsys.readouterr().out


def test_motifs_warns_and_names_nothing_when_the_model_is_near_chance(ctcf_world, capsys):
    from brainresnet_tf.cli import main

    rows = [{"model": "resnet", "profile": "open_ATAC", "split": "test", "auroc": 0.56}]
    (ctcf_world / "metrics.json").write_text(json.dumps({"per_profile": rows}))
    out = ctcf_world / "motifs"
    rc = main(
        [
            "motifs",
            "--model",
            str(ctcf_world / "model.keras"),
            "--regions",
            str(ctcf_world / "data" / "peaks.bed"),
        ]
        + ["--task", "open_ATAC", "--method", "ixg", "--out", str(out), "--no-progress"]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "WARNING: the model is near chance for open_ATAC (model test AUROC 0.560" in printed
    table = pd.read_csv(out / "motifs.tsv", sep="\t")
    assert len(table) and not table["named"].any()
    assert table["name"].iloc[0].startswith("unnamed (model near chance (test AUROC 0.56")
    assert table["match1_name"].iloc[0] == "CTCF"  # TOMTOM's match stays as evidence


def test_motifs_skip_regions_off_a_partial_genome(ctcf_world, capsys):
    from brainresnet_tf.cli import main
    from tests.toy_data import partial_genome_of_world

    fasta, mixed, off, n_on = partial_genome_of_world(ctcf_world)
    out = ctcf_world / "motifs_partial"
    common = ["motifs", "--model", str(ctcf_world / "model.keras"), "--genome", str(fasta)]
    common += ["--task", "open_ATAC", "--method", "ixg", "--no-progress", "--out", str(out)]
    assert main([*common, "--regions", str(mixed)]) == 0
    printed = capsys.readouterr().out
    # printed even with --no-progress: data was left out
    assert [line for line in printed.splitlines() if "not in the genome" in line] == [
        f"[motifs] mixed.bed: skipped 6 of {n_on + 6} peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)"
    ]
    regions = pd.read_csv(out / "regions.tsv", sep="\t")
    assert len(regions) == n_on and set(regions["chrom"]) == {"chr1"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_windows"] == n_on
    assert summary["skipped_regions"] == [
        {"path": str(mixed), "intervals": n_on + 6, "off_genome": {"chr2": 3, "chrEBV": 2, "chrUn_x": 1}}
    ]


def test_motifs_strict_and_no_region_on_the_genome_are_one_line_errors(ctcf_world, capsys):
    from brainresnet_tf.cli import main
    from tests.toy_data import partial_genome_of_world

    fasta, mixed, off, _ = partial_genome_of_world(ctcf_world)
    out = ctcf_world / "never"
    common = ["motifs", "--model", str(ctcf_world / "model.keras"), "--genome", str(fasta)]
    common += ["--task", "open_ATAC", "--method", "ixg", "--no-progress", "--out", str(out)]
    # --strict (here choosing the top windows among the regions): today's error
    assert main([*common, "--regions", str(mixed), "--top-k", "10", "--strict"]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("brainresnet: error:")]
    assert errors == [
        f"brainresnet: error: {mixed}:4: chromosome 'chr2' is not in genome chr1.fa (closest: chr1)"
    ]
    assert "not in the genome" not in captured.out
    assert main([*common, "--regions", str(off)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("brainresnet:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"brainresnet: error: {off}: none of its 6 peaks lies on genome chr1.fa")
    assert not (out / "regions.tsv").exists()
