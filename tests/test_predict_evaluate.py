import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.io.genome import Genome, one_hot_sequence
from brainresnet_tf.models.saving import load_model
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.evaluation import profile_metrics
from brainresnet_tf.workflows.evaluate import run_evaluate
from brainresnet_tf.workflows.predict import run_predict
from brainresnet_tf.workflows.train import run_train
from tests.test_training import tiny_run  # noqa: F401  (fixture)


@pytest.fixture
def trained(tiny_run):  # noqa: F811
    # 4 epochs: the BN ResNet of 4k parameters is still near chance after 3 on some CPUs
    # (test AUROC 0.69 here with AVX-512 oneDNN kernels) and well above it after 4 (0.99)
    config = load_config(tiny_run, {"training.epochs": 4})
    metrics = run_train(config, with_baseline=True)
    return config, metrics


def test_train_with_baseline_writes_long_metrics(trained):
    config, metrics = trained
    out = Path(config.out_dir)
    table = pd.read_csv(out / "metrics.tsv", sep="\t")
    assert list(table.columns[:5]) == ["model", "profile", "split", "auroc", "auprc"]
    assert set(table["model"]) == {"resnet", "baseline"}
    assert set(table["split"]) == {"valid", "test"}
    summary = json.loads((out / "metrics.json").read_text())
    assert set(summary["mean"]) == {"resnet/valid", "resnet/test", "baseline/valid", "baseline/test"}
    assert (out / "curves.png").stat().st_size > 10_000
    # profile 'a' follows a planted motif: a 4-epoch tiny model ranks it well above chance
    a = table[(table["model"] == "resnet") & (table["profile"] == "a") & (table["split"] == "test")]
    assert a["auroc"].iloc[0] > 0.7


def test_predict_regions_centres_windows_and_averages_strands(trained, tmp_path):
    config, _ = trained
    model_path = Path(config.out_dir) / "model.keras"
    regions = tmp_path / "regions.bed"
    regions.write_text("chr1\t1000\t1200\tr1\n2\t50\t60\tr2\n")  # "2" resolves to chr2; r2 runs off the start
    out = tmp_path / "pred.tsv"
    preds = run_predict(model_path, config.genome.fasta, regions, out)
    table = pd.read_csv(out, sep="\t")
    assert table["name"].tolist() == ["r1", "r2"] and table["chrom"].tolist() == ["chr1", "chr2"]
    model, meta = load_model(model_path)
    g = Genome(config.genome.fasta)
    seq = g.fetch("chr1", 1100 - 100, 1100 + 100)
    x = one_hot_sequence(seq)[None]
    expect = (model.predict(x, verbose=0) + model.predict(x[:, ::-1, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(table.loc[0, ["a", "b"]].to_numpy(float), expect[0], atol=1e-5)
    seq2 = g.fetch("chr2", 55 - 100, 55 + 100)
    assert seq2.startswith("N" * 45)
    x2 = one_hot_sequence(seq2)[None]
    expect2 = (model.predict(x2, verbose=0) + model.predict(x2[:, ::-1, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(preds.loc[1, ["a", "b"]].to_numpy(float), expect2[0], atol=1e-5)
    run_predict(model_path, config.genome.fasta, regions, tmp_path / "pred.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "pred.parquet"), preds, check_dtype=False)


def test_evaluate_command_with_saved_baseline(trained, tmp_path):
    config, _ = trained
    out = Path(config.out_dir)
    metrics = run_evaluate(
        config, out / "model.keras", tmp_path / "eval", str(out / "baseline" / "model.keras")
    )
    assert set(metrics["model"]) == {"resnet", "baseline"}
    assert (tmp_path / "eval" / "metrics.tsv").exists()


def test_predict_cli_bad_region_is_clear(trained, tmp_path):
    config, _ = trained
    regions = tmp_path / "bad.bed"
    regions.write_text("chr1\t10\t20\nchrUn_x\t5\t9\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "brainresnet_tf.cli",
            "predict",
            "--model",
            str(Path(config.out_dir) / "model.keras"),
            "--genome",
            str(config.genome.fasta),
            "--regions",
            str(regions),
            "--out",
            str(tmp_path / "p.tsv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "bad.bed:2: chromosome 'chrUn_x' is not in genome g.fa" in done.stderr


def test_profile_metrics_match_sklearn_and_skip_single_class():
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(0)
    y = np.stack([rng.random(50) < 0.3, np.zeros(50, bool)], axis=1).astype(float)
    y[3, 0] = np.nan
    p = rng.random((50, 2))
    table = profile_metrics(y, p, ["x", "empty"])
    m = ~np.isnan(y[:, 0])
    assert table.loc[0, "auroc"] == pytest.approx(roc_auc_score(y[m, 0], p[m, 0]))
    assert table.loc[0, "auprc"] == pytest.approx(average_precision_score(y[m, 0], p[m, 0]))
    assert table.loc[0, "n_windows"] == 49
    assert np.isnan(table.loc[1, "auroc"])
