"""Transfer learning: the extractor file, frozen vs fine-tuned weights, mismatches, resume."""

import json
from pathlib import Path

import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.models.ensemble import members as ensemble_members
from brainresnet_tf.models.saving import load_extractor, load_model
from brainresnet_tf.models.transfer import EXTRACTOR_NAME
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.fit import train_model
from brainresnet_tf.train.preparation import open_genome, prepare_windows
from brainresnet_tf.workflows.pretrain import run_pretrain


@pytest.fixture
def extractor(tiny_run):
    config = load_config(tiny_run, {"training.epochs": 1, "out_dir": str(tiny_run.parent / "pre")})
    return run_pretrain(config), tiny_run


def _weights(model):
    return {v.path: np.array(v) for v in model.weights}


def _train_with(tiny_run, extractor_path, mode, out, lr=1e-3, epochs=1):
    config = load_config(
        tiny_run,
        {
            "transfer.extractor": extractor_path and str(extractor_path),
            "transfer.mode": mode,
            "transfer.learning_rate": lr,
            "training.epochs": epochs,
            "out_dir": str(out),
        },
    )
    genome = open_genome(config)
    table = prepare_windows(config, genome, Path(config.out_dir), progress=False)
    return train_model(config, genome, table, Path(config.out_dir))


def test_extractor_file_has_metadata(extractor):
    path, _ = extractor
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["extra"]["kind"] == "feature_extractor"
    assert meta["input_length"] == 200 and meta["profiles"] == ["a", "b"]
    model, _ = load_extractor(path, 200)
    assert model.outputs[0].shape[-1] == meta["extra"]["feature_dim"]


@pytest.mark.parametrize(
    "mode, lr, should_change", [("frozen", 1e-3, False), ("fine_tune", 1e-3, True), ("fine_tune", 0.0, False)]
)
def test_frozen_keeps_and_fine_tune_changes_extractor_weights(extractor, tmp_path, mode, lr, should_change):
    path, cfg = extractor
    before = _weights(load_extractor(path, 200)[0])
    result = _train_with(cfg, path, mode, tmp_path / mode, lr=lr)
    after_model = ensemble_members(result.model)[0].get_layer(EXTRACTOR_NAME)  # under the shift average
    after = _weights(after_model)
    assert before.keys() == after.keys()
    kernels = [k for k in before if k.endswith("kernel")]
    changed = [k for k in kernels if not np.array_equal(before[k], after[k])]
    if should_change:
        assert changed, "fine_tune left every extractor kernel unchanged"
    else:
        assert not changed, f"extractor kernels changed: {changed}"
    if mode == "frozen":  # batch-norm statistics too
        assert all(np.array_equal(before[k], after[k]) for k in before)
    # the new encoder trained in every mode
    new_kernel = next(v for v in result.model.weights if v.path.startswith("new_stem_conv"))
    assert np.abs(np.array(new_kernel)).sum() > 0
    saved, meta = load_model(Path(result.out_dir) / "model.keras")
    assert meta.extra["transfer_mode"] == mode


def test_extractor_mismatch_is_a_clear_error(extractor, tmp_path):
    path, cfg = extractor
    with pytest.raises(
        InputError,
        match=r"extractor takes 200 bp windows but the config's are 300 bp \(set windows.context: 200, "
        r"or for sequence sets sequences.length: 200\)",
    ):
        load_extractor(path, 300)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["alphabet"] = "ACTG"
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"one-hot alphabet 'ACTG' differs from 'ACGT'"):
        _train_with(cfg, path, "frozen", tmp_path / "x")


def test_not_an_extractor_and_missing_extractor(tiny_run, tmp_path):
    config = load_config(tiny_run, {"training.epochs": 1})
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    train_model(config, genome, table, out)
    with pytest.raises(InputError, match="not a feature extractor"):
        load_extractor(out / "model.keras", 200)
    with pytest.raises(InputError, match="transfer.extractor is not set"):
        _train_with(tiny_run, None, "frozen", tmp_path / "y")


def test_transfer_resume_keeps_layerwise_optimizer(extractor, tmp_path):
    path, cfg = extractor
    _train_with(cfg, path, "fine_tune", tmp_path / "ft", lr=0.0, epochs=1)
    config = load_config(
        cfg,
        {
            "transfer.extractor": str(path),
            "transfer.mode": "fine_tune",
            "transfer.learning_rate": 0.0,
            "training.epochs": 2,
            "out_dir": str(tmp_path / "ft"),
        },
    )
    genome = open_genome(config)
    table = prepare_windows(config, genome, tmp_path / "ft", progress=False)
    before = _weights(load_extractor(path, 200)[0])
    result = train_model(config, genome, table, tmp_path / "ft", resume=True)
    assert result.history["epoch"].tolist() == [1, 2]
    after = _weights(ensemble_members(result.model)[0].get_layer(EXTRACTOR_NAME))
    kernels = [k for k in before if k.endswith("kernel")]
    assert all(np.array_equal(before[k], after[k]) for k in kernels)  # multiplier 0 survived the reload
