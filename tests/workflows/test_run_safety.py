"""A run never destroys another: refused without --resume/--overwrite, locked while it trains;
outputs never overwrite inputs; bad arguments fail fast, in one line, before TensorFlow loads."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from brainresnet_tf.cli import main
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.lock import folder_lock
from brainresnet_tf.train.run_dir import claim_run_dir


def test_existing_run_is_refused_and_overwrite_replaces_it(tmp_path):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "model.keras").write_text("old")
    (out / "windows.npz").write_text("cache")
    with (
        pytest.raises(InputError, match=r"already holds a run .*--resume.*--overwrite.*--out"),
        claim_run_dir(out),
    ):
        pass
    assert (out / "model.keras").read_text() == "old"  # nothing touched
    with claim_run_dir(out, resume=True):
        assert (out / "model.keras").exists()
    with claim_run_dir(out, overwrite=True):
        assert not (out / "model.keras").exists() and not (out / "checkpoints").exists()
        assert (out / "windows.npz").exists()  # inputs and caches stay


def test_a_second_process_is_locked_out_with_the_holders_pid(tmp_path):
    code = (
        "import sys, time; from brainresnet_tf.io.lock import folder_lock\n"
        "with folder_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(InputError, match=rf"in use by another brainresnet process \(PID {holder.pid}\)"):
            with folder_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with folder_lock(tmp_path):  # the OS released the dead holder's lock
        pass


def test_train_cli_refuses_a_finished_run(tiny_run, capsys):
    out = Path(tiny_run).parent / "run"
    (out / "checkpoints").mkdir(parents=True)
    assert main(["train", "--config", str(tiny_run)]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["predict", "--model", "m.keras", "--genome", "g.fa", "--regions", "x.bed", "--out", "x.bed"],
            "--out x.bed is also the input --regions",
        ),
        (
            ["predict", "--model", "m.keras", "--genome", "g.fa", "--regions", "x.bed", "--out", "."],
            "is a folder",
        ),
        (
            ["score-variants", "--model", "m.keras", "--genome", "g.fa", "--vcf", "x.bed", "--out", "x.bed"],
            "is also the input --vcf",
        ),
        (["validate-variants", "--scores", "x.bed", "--observed", "x.bed", "--out", "g.fa"], "is a file"),
    ],
)
def test_outputs_never_overwrite_inputs(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    for name in ("x.bed", "g.fa", "m.keras"):
        (tmp_path / name).write_text("keep me\n")
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert (tmp_path / "x.bed").read_text() == "keep me\n"


@pytest.mark.parametrize("command", ["predict", "score-variants"])
def test_batch_size_zero_is_a_usage_error(command, capsys):
    extra = ["--regions", "r.bed"] if command == "predict" else ["--vcf", "v.vcf"]
    with pytest.raises(SystemExit) as stop:
        main([command, "--model", "m", "--genome", "g", *extra, "--out", "o.tsv", "--batch-size", "0"])
    assert stop.value.code == 2
    assert "--batch-size: 0 must be at least 1" in capsys.readouterr().err


@pytest.mark.subprocess
def test_config_errors_answer_fast_and_quietly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("trainng: {epochs: 2}\n")
    missing = tmp_path / "missing.yaml"
    missing.write_text(f"genome: {{fasta: {tmp_path / 'none.fa'}}}\nprofiles: [{{name: a, peaks: a.bed}}]\n")
    for cfg, message in ((bad, "did you mean 'training'"), (missing, "none.fa: file not found")):
        t0 = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "brainresnet_tf.cli", "train", "--config", str(cfg)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.time() - t0
        assert done.returncode == 2 and message in done.stderr
        assert done.stderr.strip().count("\n") == 0, done.stderr  # one line, no TensorFlow chatter
        assert elapsed < 10, elapsed  # no TensorFlow import (2 s on an idle machine; slack for CI load)


@pytest.mark.subprocess
def test_tensorflow_startup_chatter_is_filtered_but_real_errors_show(tmp_path):
    code = (
        "import sys, os; from brainresnet_tf.startup import quiet_tensorflow_import\n"
        "quiet_tensorflow_import(); import tensorflow as tf\n"
        "os.write(2, b'real problem\\n'); print(tf.constant(1).numpy())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "1"
    for chatter in ("cuInit", "oneDNN", "cuda drivers", "absl::InitializeLog"):
        assert chatter not in done.stderr
    assert "real problem" in done.stderr
