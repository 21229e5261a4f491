"""The BrainResNet Kipoi group: install, Kipoi's own CLI (test, predict), config handling, errors."""

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from brainresnet_tf.errors import InputError
from brainresnet_tf.serve.kipoi_group import (
    EXAMPLE_FILES,
    GROUP,
    group_template_dir,
    install_model,
    register_source,
    write_example_files,
)

kipoi = pytest.importorskip("kipoi", reason="kipoi is not installed (pip install -e '.[kipoi]')")

PROFILES = ["iPSC_neuron_ATAC", "NPC_ATAC"]


def test_shipped_example_files_are_what_the_generator_writes(tmp_path):
    written = write_example_files(tmp_path)
    shipped = group_template_dir() / "example_files"
    for name in EXAMPLE_FILES:
        assert filecmp.cmp(written[name], shipped / name, shallow=False), name
    bed = pd.read_csv(shipped / "intervals.bed", sep="\t", header=None)
    assert len(bed) >= 5 and set(bed[0]) == {"chr1", "chr2"}


def _stock_zoo(home: Path) -> dict:
    return {
        "type": "git",
        "remote_url": "https://github.com/kipoi/models.git",
        "local_path": f"{home}/.kipoi/models/",
        "auto_update": True,
        "use_lfs": False,
    }


def test_register_source_keeps_the_users_other_sources(tmp_path):
    home = tmp_path / "home"
    config = home / ".kipoi" / "config.yaml"
    config.parent.mkdir(parents=True)
    mine = {"type": "local", "local_path": "/data/my_models"}
    config.write_text(yaml.safe_dump({"model_sources": {"kipoi": _stock_zoo(home), "mine": mine}}))
    register_source(tmp_path / "group", "kipoi", home)
    sources = yaml.safe_load(config.read_text())["model_sources"]
    assert sources["kipoi"] == {"type": "local", "local_path": str((tmp_path / "group").resolve())}
    assert sources["kipoi_zoo"] == _stock_zoo(home) and sources["mine"] == mine
    assert (config.parent / "config.yaml.bak").exists()
    before = config.read_text()
    register_source(tmp_path / "group", "kipoi", home)  # the same again: nothing changes
    assert config.read_text() == before
    with pytest.raises(InputError, match="--source-name"):  # 'mine' is the user's: never replaced
        register_source(tmp_path / "other", "mine", home)
    register_source(tmp_path / "other", "brainresnet", home)
    sources = yaml.safe_load(config.read_text())["model_sources"]
    assert sources["mine"] == mine and sources["brainresnet"]["local_path"].endswith("other")


def test_register_source_without_a_config_keeps_the_public_zoo(tmp_path):
    home = tmp_path / "home"
    register_source(tmp_path / "group", "kipoi", home)
    sources = yaml.safe_load((home / ".kipoi" / "config.yaml").read_text())["model_sources"]
    assert sources["kipoi"]["type"] == "local"
    assert sources["kipoi_zoo"]["remote_url"].endswith("kipoi/models.git")


def _run(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A tiny Brain-ResNet installed as BrainResNet/iPSC_neuron in a fresh HOME."""
    import keras

    from brainresnet_tf.models.resnet import ResNetSpec, build_resnet
    from brainresnet_tf.models.saving import ModelMeta, save_model

    root = tmp_path_factory.mktemp("kipoi")
    keras.utils.set_random_seed(3)
    model = build_resnet(
        400, 2, ResNetSpec(stem_filters=8, stem_kernel=9, stage_filters=(8, 16), head_units=8)
    )
    model_path = root / "model.keras"
    save_model(model, model_path, ModelMeta(PROFILES, 400, cell_types=["iPSC_neuron", "NPC"]))
    home = root / "home"
    home.mkdir()
    done = _run(
        [
            sys.executable,
            "-m",
            "brainresnet_tf.cli",
            "kipoi-install",
            "--model",
            str(model_path),
            "--name",
            "iPSC_neuron",
        ],
        home,
        root,
    )
    assert done.returncode == 0, done.stderr
    assert "kipoi predict BrainResNet/iPSC_neuron" in done.stdout
    return root, home, model_path


@pytest.mark.subprocess
def test_kipoi_test_and_predict_equal_brainresnet_predict(installed):
    from brainresnet_tf.workflows.predict import run_predict

    root, home, model_path = installed
    group = home / ".kipoi" / "brainresnet_models" / GROUP
    rows = pd.read_csv(group / "models.tsv", sep="\t")
    assert rows["model"].tolist() == ["iPSC_neuron"] and rows["profiles"][0] == ",".join(PROFILES)
    assert (group / "iPSC_neuron" / "1" / "saved_model.pb").exists()

    done = _run(
        [sys.executable, "-m", "kipoi", "test", f"{GROUP}/iPSC_neuron", "--source", "kipoi"], home, root
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Successfully ran test_predict" in done.stderr + done.stdout

    example = group / "example_files"
    args = json.dumps(
        {"intervals_file": str(example / "intervals.bed"), "fasta_file": str(example / "genome.fa")}
    )
    out_tsv, out_h5 = root / "kipoi.tsv", root / "kipoi.h5"
    for out in (out_tsv, out_h5):  # no --source: plain `kipoi predict BrainResNet/iPSC_neuron`
        done = _run(
            [
                sys.executable,
                "-m",
                "kipoi",
                "predict",
                f"{GROUP}/iPSC_neuron",
                f"--dataloader_args={args}",
                "--keep_metadata",
                "-o",
                str(out),
            ],
            home,
            root,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    run_predict(model_path, example / "genome.fa", example / "intervals.bed", root / "ours.tsv")
    ours = pd.read_csv(root / "ours.tsv", sep="\t")
    theirs = pd.read_csv(out_tsv, sep="\t")
    assert theirs["metadata/ranges/id"].tolist() == ours["name"].tolist()
    assert (theirs["metadata/ranges/end"] - theirs["metadata/ranges/start"] == 400).all()
    import h5py

    with h5py.File(out_h5) as h5:
        for name in PROFILES:
            np.testing.assert_allclose(theirs[f"preds/{name}"], ours[name], atol=1e-5)
            np.testing.assert_allclose(h5[f"preds/{name}"][:], ours[name], atol=1e-5)


@pytest.mark.subprocess
def test_install_under_a_taken_source_name_fails_before_exporting(installed, tmp_path):
    _, _, model_path = installed
    home = tmp_path / "home"
    (home / ".kipoi").mkdir(parents=True)
    (home / ".kipoi" / "config.yaml").write_text(
        yaml.safe_dump({"model_sources": {"mine": {"type": "local", "local_path": "/data/my_models"}}})
    )
    with pytest.raises(InputError, match="--source-name"):
        install_model(model_path, "NPC", kipoi_dir=tmp_path / "k", source_name="mine", home=home)
    assert not (tmp_path / "k" / GROUP / "NPC").exists()


def _predict_error(installed, intervals: Path, fasta: Path) -> str:
    root, home, _ = installed
    args = json.dumps({"intervals_file": str(intervals), "fasta_file": str(fasta)})
    done = _run(
        [
            sys.executable,
            "-m",
            "kipoi",
            "predict",
            f"{GROUP}/iPSC_neuron",
            f"--dataloader_args={args}",
            "-o",
            str(root / "never.tsv"),
        ],
        home,
        root,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert not (root / "never.tsv").exists()
    return done.stderr


@pytest.mark.subprocess
def test_bad_input_through_kipoi_gives_our_one_line_error(installed, tmp_path):
    root, home, _ = installed
    example = home / ".kipoi" / "brainresnet_models" / GROUP / "example_files"
    bed = tmp_path / "missing_chrom.bed"
    bed.write_text("chr1\t100\t300\tok\nchr9\t100\t300\tbad\n")
    err = _predict_error(installed, bed, example / "genome.fa")
    assert f"brainresnet (kipoi): error: {bed}:2: chromosome 'chr9' is not in genome" in err

    locked = tmp_path / "locked"
    locked.mkdir()
    fasta = locked / "genome.fa"
    fasta.write_bytes((example / "genome.fa").read_bytes())
    if os.geteuid() == 0:  # root ignores directory permissions: make the index path unwritable
        (locked / "genome.fa.fai").symlink_to(tmp_path / "no_such_dir" / "genome.fa.fai")
    locked.chmod(0o555)
    try:
        err = _predict_error(installed, example / "intervals.bed", fasta)
    finally:
        locked.chmod(0o755)
    assert f"brainresnet (kipoi): error: {fasta}: the FASTA has no index" in err


def test_missing_pkg_resources_is_one_line_with_the_fix(monkeypatch):
    """torch's install upgrades setuptools past 81, which removes pkg_resources that Kipoi imports."""
    import importlib.util

    from brainresnet_tf.serve.kipoi_group import check_kipoi_environment

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pkg_resources" else real(name, *a)
    )
    with pytest.raises(
        InputError, match=r'missing pkg_resources .*setuptools 81.*pip install "setuptools<81"'
    ):
        check_kipoi_environment()
