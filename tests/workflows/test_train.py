"""``brainresnet train``: metrics with the baseline; killed mid-training and resumed; bad configs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from brainresnet_tf.train.config import load_config
from tests.toy_data import make_partial_genome_run


def test_train_with_baseline_writes_long_metrics(trained):
    config, metrics = trained
    out = Path(config.out_dir)
    table = pd.read_csv(out / "metrics.tsv", sep="\t")
    assert list(table.columns[:5]) == ["model", "profile", "split", "auroc", "auprc"]
    assert set(table["model"]) == {"resnet", "baseline", "kmer"}  # --baseline trains both baselines
    assert set(table["split"]) == {"valid", "test", "valid-shuffled", "test-shuffled"}
    assert set(table.loc[table["split"] == "test", "negatives"]) == {"sampled bins (GC-matched)"}
    shuffled = table["split"].isin(["valid-shuffled", "test-shuffled"])
    assert set(table.loc[shuffled, "negatives"]) == {"shuffled positives"}
    summary = json.loads((out / "metrics.json").read_text())
    assert {
        f"{m}/{s}"
        for m in ("resnet", "baseline", "kmer")
        for s in ("valid", "test", "valid-shuffled", "test-shuffled")
    } == set(summary["mean"])
    assert (out / "curves.png").stat().st_size > 10_000
    # profile 'a' follows a planted motif: a 4-epoch tiny model ranks it well above chance
    a = table[(table["model"] == "resnet") & (table["profile"] == "a") & (table["split"] == "test")]
    assert a["auroc"].iloc[0] > 0.7


@pytest.mark.subprocess
def test_sigkill_mid_training_then_resume(tiny_run):
    cmd = [
        sys.executable,
        "-m",
        "brainresnet_tf.cli",
        "train",
        "--config",
        str(tiny_run),
        "--set",
        "training.epochs=5",
    ]
    out = Path(load_config(tiny_run).out_dir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    state_path = out / "checkpoints" / "state.json"
    deadline = time.time() + 120
    while time.time() < deadline and not state_path.exists():
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert state_path.exists(), "no checkpoint was written before the deadline"
    killed_at = json.loads(state_path.read_text())["epoch"]
    assert killed_at < 5
    # history.csv is written before state.json, so it holds every checkpointed epoch at any kill
    before = pd.read_csv(out / "history.csv").iloc[:killed_at]
    assert before["epoch"].tolist() == list(range(1, killed_at + 1))
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Epoch {killed_at + 1}/5" in done.stdout  # Keras reports the resumed epoch
    assert f"Epoch {killed_at}/5" not in done.stdout
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(history.iloc[: len(before)], before)
    assert (out / "metrics.tsv").exists()


@pytest.mark.subprocess
def test_cli_reports_bad_config_cleanly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: {epochz: 3}\n")
    done = subprocess.run(
        [sys.executable, "-m", "brainresnet_tf.cli", "train", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "unknown config key 'training.epochz'; did you mean 'training.epochs'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_train_notes_peaks_off_the_genome_once_per_profile(tmp_path, capsys):
    from brainresnet_tf.train.preparation import open_genome
    from brainresnet_tf.workflows.train import worker_windows

    config = load_config(make_partial_genome_run(tmp_path))
    table = worker_windows(config, open_genome(config), Path(config.out_dir))
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if "not in the genome" in line]
    assert notes == [
        "windows: a a.bed: skipped 6 of 15 peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)"
    ]
    assert set(table.chrom) == {"chr1"}


@pytest.mark.parametrize(
    "argv",
    [
        ["train"],
        ["evaluate", "--model", "m.keras"],
        ["pretrain"],
        ["compare-transfer"],
        ["launch", "--workers", "2"],
    ],
)
def test_strict_flag_on_every_command_that_builds_windows(argv):
    from brainresnet_tf.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(argv).strict is False
    assert parser.parse_args(argv + ["--strict"]).strict is True


def test_launch_passes_strict_to_its_workers(tmp_path, monkeypatch):
    from brainresnet_tf.train import launcher  # br.train is the API function, not this package
    from brainresnet_tf.workflows.launch import LaunchOptions, run_launch

    seen = []
    monkeypatch.setattr(launcher, "launch", lambda n, worker_args, *a, **k: seen.append(worker_args) or 0)
    cfg = make_partial_genome_run(tmp_path)
    run_launch(LaunchOptions(2, str(cfg)))
    run_launch(LaunchOptions(2, str(cfg), strict=True))
    assert "--strict" not in seen[0] and seen[1][-1] == "--strict"


def test_train_strict_stops_at_the_first_peak_off_the_genome(tmp_path, capsys):
    from brainresnet_tf.cli import main

    cfg = make_partial_genome_run(tmp_path)
    assert main(["train", "--config", str(cfg), "--strict"]) == 2
    captured = capsys.readouterr()
    error = [line for line in captured.err.splitlines() if line.startswith("brainresnet: error:")]
    assert error == [
        f"brainresnet: error: {tmp_path / 'a.bed'}:4: chromosome 'chr2' is not in genome chr1.fa "
        "(closest: chr1)"
    ]
    assert "not in the genome" not in captured.out
