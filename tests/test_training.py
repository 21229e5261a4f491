import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from brainresnet_tf.models.saving import load_model
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.fit import train_model
from brainresnet_tf.train.preparation import open_genome, prepare_windows
from tests.conftest import write_fasta

MOTIF = "TGACGTCA"


@pytest.fixture
def tiny_run(tmp_path):
    """Three 150 kb chromosomes; profile 'a' open where MOTIF is planted (twice), 'b' at random."""
    rng = np.random.default_rng(0)
    seqs, peaks_a, peaks_b = {}, [], []
    for c in ("chr1", "chr2", "chr3"):
        s = list(rng.choice(list("ACGT"), size=150000))
        for start in range(200, 149500, 400):
            if rng.random() < 0.5:
                s[start + 60 : start + 60 + len(MOTIF)] = MOTIF
                s[start + 120 : start + 120 + len(MOTIF)] = MOTIF
                peaks_a.append((c, start, start + 200))
            if rng.random() < 0.3:
                peaks_b.append((c, start, start + 200))
        seqs[c] = "".join(s)
    fasta = write_fasta(tmp_path / "g.fa", seqs)
    for name, peaks in (("a", peaks_a), ("b", peaks_b)):
        (tmp_path / f"{name}.bed").write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in peaks))
    cfg = {
        "genome": {"fasta": str(fasta)},
        "profiles": [
            {"name": "a", "cell_type": "x", "assay": "ATAC", "peaks": str(tmp_path / "a.bed")},
            {"name": "b", "cell_type": "y", "assay": "ATAC", "peaks": str(tmp_path / "b.bed")},
        ],
        "windows": {"context": 200, "valid_chroms": ["chr2"], "test_chroms": ["chr3"]},
        "model": {
            "resnet": {"stem_filters": 16, "stem_kernel": 9, "stage_filters": [8, 16], "head_units": 8},
            "baseline": {"filters": [8, 8, 8], "head_units": 8},
        },
        "training": {
            "epochs": 3,
            "batch_size": 16,
            "tensorboard": False,
            "progress": False,
            "learning_rate": 0.005,
            "patience": 10,
        },
        "out_dir": str(tmp_path / "run"),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_train_writes_model_history_and_checkpoints(tiny_run):
    config = load_config(tiny_run)
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    result = train_model(config, genome, table, out)
    assert (out / "model.keras").exists() and (out / "model.json").exists()
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert {"loss", "val_loss", "val_auprc", "val_auroc"} <= set(history.columns)
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 3 and state["best_epoch"] == result.best_epoch
    model, meta = load_model(out / "model.keras")
    assert meta.profiles == ["a", "b"] and meta.input_length == 200
    assert model.count_params() < 100_000
    x = np.zeros((2, 200, 4), np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), result.model.predict(x, verbose=0), atol=1e-6)


def test_resume_continues_from_checkpoint(tiny_run):
    config = load_config(tiny_run, {"training.epochs": 1})
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    train_model(config, genome, table, out)
    first = pd.read_csv(out / "history.csv")
    ckpt_model, _ = load_model(out / "checkpoints" / "epoch-0001" / "model.keras")
    ckpt_weights = [w.copy() for w in ckpt_model.get_weights()]

    config3 = load_config(tiny_run, {"training.epochs": 3})
    seen = {}

    import keras

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["weights"] = [w.copy() for w in self.model.get_weights()]

    train_model(config3, genome, table, out, resume=True, callbacks=[Spy()])
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert history.loc[0, "loss"] == pytest.approx(first.loc[0, "loss"])  # epoch 1 not re-run
    for a, b in zip(seen["weights"], ckpt_weights):
        np.testing.assert_array_equal(a, b)


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
    before = pd.read_csv(out / "history.csv")
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Epoch {killed_at + 1}/5" in done.stdout  # Keras reports the resumed epoch
    assert f"Epoch {killed_at}/5" not in done.stdout
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(history.iloc[: len(before)], before)
    assert (out / "metrics.tsv").exists()


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
