"""Labelled sequence sets end to end: train with every baseline, evaluate, predict sequences."""

import json

import numpy as np
import pandas as pd
import yaml

from brainresnet_tf.cli import main

MOTIF = "TGCTGAGTCAT"  # NFE2's MARE core


def _write(tmp_path, n=240, length=100, seed=0):
    rng = np.random.default_rng(seed)

    def seq(planted):
        s = list(rng.choice(list("ACGT"), length))
        if planted:
            at = int(rng.integers(10, length - 10 - len(MOTIF)))
            s[at : at + len(MOTIF)] = MOTIF
        return "".join(s)

    for name, planted in (("pos", True), ("neg", False)):
        for split, count in (("train", n), ("test", n // 4)):
            path = tmp_path / f"{split}.{name}.fa"
            path.write_text("".join(f">{split}{name}{i}\n{seq(planted)}\n" for i in range(count)))
    config = {
        "sequences": {
            "train": {"positives": "train.pos.fa", "negatives": "train.neg.fa"},
            "test": {"positives": "test.pos.fa", "negatives": "test.neg.fa"},
            "profile": "MARE",
        },
        "model": {
            "resnet": {"stem_filters": 16, "stage_filters": [16], "head_units": 16},
            "baseline": {"filters": [8, 8, 8], "head_units": 8, "pool_size": 2},
        },
        "training": {"epochs": 4, "ensemble": 1, "batch_size": 32, "tensorboard": False, "progress": False},
        "out_dir": "run",
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "config.yaml"


def test_train_evaluate_predict_on_sequence_sets(tmp_path, capsys):
    cfg = _write(tmp_path)
    assert main(["train", "--config", str(cfg), "--baseline"]) == 0
    printed = capsys.readouterr().out
    assert "negatives: given negatives" in printed and "negatives: shuffled positives" in printed
    metrics = pd.read_csv(tmp_path / "run" / "metrics.tsv", sep="\t")
    assert set(metrics["model"]) == {"resnet", "baseline", "kmer"}
    assert set(metrics["split"]) == {"valid", "test", "valid-shuffled", "test-shuffled"}
    test = metrics[metrics["split"] == "test"].set_index("model")
    assert test.loc["kmer", "auroc"] > 0.9  # an 11-mer planted in random sequence: k-mers see it
    assert (test["negatives"] == "given negatives").all()
    summary = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "kmer/test" in summary["mean"] and "resnet/test-shuffled" in summary["mean"]
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["input_length"] == 150  # 95% of 100 bp whole + 2 x 20 jitter, rounded up to 50

    # evaluate finds config.used.yaml beside the model
    assert (
        main(["evaluate", "--model", str(tmp_path / "run" / "model.keras"), "--out", str(tmp_path / "ev")])
        == 0
    )
    assert (tmp_path / "ev" / "metrics.tsv").exists()

    # predict sequences of any length (centred in the model's window)
    (tmp_path / "q.fa").write_text(f">short\nACGT{MOTIF}ACGT\n>long\n{'A' * 400}\n")
    assert (
        main(
            [
                "predict",
                "--model",
                str(tmp_path / "run" / "model.keras"),
                "--fasta",
                str(tmp_path / "q.fa"),
                "--out",
                str(tmp_path / "q.tsv"),
            ]
        )
        == 0
    )
    preds = pd.read_csv(tmp_path / "q.tsv", sep="\t")
    assert preds["name"].tolist() == ["short", "long"] and preds["length"].tolist() == [19, 400]
    assert preds["MARE"].between(0, 1).all()
