"""Multi-worker training: 2 local workers on 127.0.0.1 vs one process; SIGKILL and resume.

The workers are real processes started by ``brainresnet launch`` (TF_CONFIG on loopback ports,
MultiWorkerMirroredStrategy, the custom loop). Every subprocess has a timeout; the launcher's
workers die with it (PR_SET_PDEATHSIG), so a hung run cannot outlive its test.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.distributed import WORKER_DIR_ENV, worker_info
from brainresnet_tf.train.fit import read_checkpoint_state, train_model
from brainresnet_tf.train.launcher import tf_config
from brainresnet_tf.train.preparation import open_genome, prepare_windows
from tests.toy_data import make_tiny_run

EPOCHS = 3
# dropout off: with it each replica draws its own masks, so only the no-dropout model computes
# exactly what one process computes (everything else is shared: data order, strands, BN stats).
# The package's default learning rate, not the tiny run's 0.005: at 0.005 (and 0.002) the loss
# spikes in epoch 3, which turns float32 summation-order noise (2 replicas' gradients vs one
# batch's; 1e-7 relative in epoch 2) into 2e-4 to 2e-3 in the loss; at 0.001 it stays ~1e-7.
# a random stem: the JASPAR stem trains the same in both (losses equal to 1e-4) but its sharper
# scores put one tiny-run AUPRC 1.2e-3 apart through ranking ties
SETTINGS = {
    "training.epochs": EPOCHS,
    "model.resnet.dropout": 0.0,
    "training.learning_rate": 0.001,
    "training.motif_filters": 0,
}
RUN_TIMEOUT = 150  # seconds per launch; the whole module takes ~2 min on 2 idle cores
TEST_BUDGET = 170  # seconds: a test's subprocesses all together, whatever happens


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.time())


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def _launch_cmd(config: Path, out: Path, *extra: str) -> list[str]:
    sets = [a for k, v in SETTINGS.items() for a in ("--set", f"{k}={v}")]
    return [
        sys.executable,
        "-m",
        "brainresnet_tf.cli",
        "launch",
        "--workers",
        "2",
        "--config",
        str(config),
        "--out",
        str(out),
        *sets,
        *extra,
    ]


def _weights(path: Path) -> list[np.ndarray]:
    return keras.models.load_model(path).get_weights()


def _ckpt(out: Path, epoch: int) -> Path:
    return out / "checkpoints" / f"epoch-{epoch:04d}" / "model.keras"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """One uninterrupted 2-worker run (non-chief checkpoints kept for comparison)."""
    base = tmp_path_factory.mktemp("dist")
    config = make_tiny_run(base)  # the tiny_run data, built once for the module
    out, keep = base / "two_workers", base / "worker_dirs"
    t0 = time.time()
    done = subprocess.run(
        _launch_cmd(config, out),
        capture_output=True,
        text=True,
        env=_env(**{WORKER_DIR_ENV: str(keep)}),
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "[launch] all 2 workers finished" in done.stdout
    return {
        "config": config,
        "out": out,
        "stdout": done.stdout,
        "seconds": time.time() - t0,
        "worker1": keep / "worker-1" / Path(os.path.abspath(out)).relative_to("/"),
    }


@pytest.mark.subprocess
def test_two_workers_match_each_other_and_one_process(two_workers, tmp_path):
    out = two_workers["out"]
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))
    assert (out / "model.keras").exists() and (out / "metrics.tsv").exists()  # chief's outputs
    # both workers report the same (all-reduced) epoch logs: "[worker i] 29/29 - 2s - loss: ..."
    logs = {
        i: [
            ln.split(" - ", 2)[2]
            for ln in two_workers["stdout"].splitlines()
            if ln.startswith(f"[worker {i}] ") and "loss:" in ln
        ]
        for i in (0, 1)
    }
    assert len(logs[0]) == EPOCHS and logs[0] == logs[1]

    # identical weights on both workers: the non-chief's own (throwaway) checkpoint, bit for bit
    chief = _weights(_ckpt(out, EPOCHS))
    other = _weights(_ckpt(two_workers["worker1"], EPOCHS))
    for a, b in zip(chief, other):
        np.testing.assert_array_equal(a, b)

    # one process, same config (global batch 16 = 2 workers x 8), plain Keras fit
    config = load_config(
        two_workers["config"],
        {**SETTINGS, "training.strategy": "default", "out_dir": str(tmp_path / "single")},
    )
    genome = open_genome(config)
    table = prepare_windows(config, genome, Path(config.out_dir), progress=False)
    single = train_model(config, genome, table, Path(config.out_dir))
    np.testing.assert_allclose(history["loss"], single.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(history["val_loss"], single.history["val_loss"], rtol=1e-3)
    np.testing.assert_allclose(history["val_auprc"], single.history["val_auprc"], atol=1e-3)
    for a, b in zip(chief, _weights(_ckpt(Path(config.out_dir), EPOCHS))):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.subprocess
def test_sigkill_a_worker_then_resume(two_workers, tmp_path):
    config, out = two_workers["config"], tmp_path / "killed"
    budget = time.time() + TEST_BUDGET
    cmd = _launch_cmd(config, out)
    state_path = out / "checkpoints" / "state.json"
    log = open(tmp_path / "launch.log", "w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=_env())
    try:
        deadline = min(time.time() + RUN_TIMEOUT, budget - 70)
        while time.time() < deadline and not state_path.exists() and proc.poll() is None:
            time.sleep(0.05)
        assert state_path.exists(), "no checkpoint before the deadline"
        log.seek(0)
        pid = int(next(ln.split()[4] for ln in log if ln.startswith("[launch] worker 1 pid")))
        os.kill(pid, signal.SIGKILL)  # the non-chief, mid-way through epoch 2
        code = proc.wait(timeout=min(60, _left(budget)))  # the launcher stops the chief
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log.seek(0)
    text = log.read()
    assert code != 0 and "[launch] worker 1 failed (killed by SIGKILL)" in text, text[-3000:]
    killed_at = read_checkpoint_state(out)["epoch"]
    assert 1 <= killed_at < EPOCHS
    before = pd.read_csv(out / "history.csv")
    assert len(before) == killed_at

    done = subprocess.run(
        cmd + ["--resume"], capture_output=True, text=True, env=_env(), timeout=_left(budget)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"[worker 0] Epoch {killed_at + 1}/{EPOCHS}" in done.stdout  # continues, ...
    assert f"[worker 0] Epoch {killed_at}/{EPOCHS}" not in done.stdout  # ... loses no epoch
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))
    pd.testing.assert_frame_equal(history.iloc[:killed_at], before)
    # the resumed run continued from the checkpoint (weights, optimizer state, data order):
    # it ends exactly where the uninterrupted run ended
    reference = two_workers["out"]
    pd.testing.assert_frame_equal(history, pd.read_csv(reference / "history.csv"))
    resumed, uninterrupted = (
        keras.models.load_model(_ckpt(out, EPOCHS)),
        keras.models.load_model(_ckpt(reference, EPOCHS)),
    )
    assert int(resumed.optimizer.iterations.numpy()) == int(uninterrupted.optimizer.iterations.numpy())
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_custom_loop_resume_continues_from_checkpoint(tiny_run):
    """One process, ``training.loop: custom``: the resumed run starts from the checkpoint."""
    config = load_config(tiny_run, {"training.epochs": 1, "training.loop": "custom"})
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    train_model(config, genome, table, out)
    first = pd.read_csv(out / "history.csv")
    ckpt = keras.models.load_model(_ckpt(out, 1))
    seen = {}

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["weights"] = [w.copy() for w in self.model.get_weights()]
            seen["iterations"] = int(self.model.optimizer.iterations.numpy())

    config2 = load_config(tiny_run, {"training.epochs": 2, "training.loop": "custom"})
    result = train_model(config2, genome, table, out, resume=True, callbacks=[Spy()])
    assert result.history["epoch"].tolist() == [1, 2]
    assert result.history.loc[0, "loss"] == pytest.approx(first.loc[0, "loss"])
    for a, b in zip(seen["weights"], ckpt.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert seen["iterations"] == int(ckpt.optimizer.iterations.numpy()) > 0


MIRRORED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from pathlib import Path
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.fit import choose_strategy, train_model
from brainresnet_tf.train.preparation import open_genome, prepare_windows
config = load_config(sys.argv[1], json.loads(sys.argv[2]))
genome = open_genome(config)
out = Path(config.out_dir)
result = train_model(config, genome, prepare_windows(config, genome, out, progress=False), out)
print("RESULT", json.dumps({"replicas": choose_strategy("mirrored").num_replicas_in_sync,
                            "history": result.history.to_dict("list")}))
"""


@pytest.mark.subprocess
def test_mirrored_two_local_replicas_match_one_process(tiny_run, tmp_path):
    """MirroredStrategy over 2 logical CPU devices (custom loop) = one process, same config."""
    settings = {
        **SETTINGS,
        "training.epochs": 2,
        "training.strategy": "mirrored",
        "training.loop": "custom",
        "out_dir": str(tmp_path / "mirrored"),
    }
    done = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(tiny_run), json.dumps(settings)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    mirrored = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert mirrored["replicas"] == 2
    config = load_config(
        tiny_run,
        {
            **settings,
            "training.strategy": "default",
            "training.loop": "fit",
            "out_dir": str(tmp_path / "single"),
        },
    )
    genome = open_genome(config)
    single = train_model(
        config,
        genome,
        prepare_windows(config, genome, Path(config.out_dir), progress=False),
        Path(config.out_dir),
    )
    np.testing.assert_allclose(mirrored["history"]["loss"], single.history["loss"], rtol=1e-3)
    np.testing.assert_allclose(mirrored["history"]["val_auprc"], single.history["val_auprc"], atol=1e-2)


def test_worker_info_reads_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert worker_info().n_workers == 1 and worker_info().is_chief
    monkeypatch.setenv("TF_CONFIG", tf_config(["127.0.0.1:1", "127.0.0.1:2"], 1))
    info = worker_info()
    assert (info.n_workers, info.rank, info.is_chief) == (2, 1, False)
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps(
            {"cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "worker", "index": 0}}
        ),
    )
    assert (worker_info().rank, worker_info().is_chief) == (1, False)
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(InputError, match="TF_CONFIG is not valid"):
        worker_info()
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps({"cluster": {"ps": ["a:1"], "worker": ["b:1"]}, "task": {"type": "worker", "index": 0}}),
    )
    with pytest.raises(InputError, match=r"\['ps'\] are not used"):
        worker_info()
