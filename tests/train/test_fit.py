"""Training a tiny run: model, history and checkpoints written; resume from a checkpoint."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.models.saving import load_model
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.fit import positive_weights, train_model
from brainresnet_tf.train.preparation import open_genome, prepare_windows


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
    import keras

    config = load_config(tiny_run, {"training.epochs": 1})
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    train_model(config, genome, table, out)
    first = pd.read_csv(out / "history.csv")
    ckpt_model = keras.models.load_model(out / "checkpoints" / "epoch-0001" / "model.keras")  # no model.json
    ckpt_weights = [w.copy() for w in ckpt_model.get_weights()]
    # a kill after history.csv was written but before state.json was replaced leaves an extra row
    pd.concat([first, first.assign(epoch=2)]).to_csv(out / "history.csv", index=False)

    config3 = load_config(tiny_run, {"training.epochs": 3})
    seen = {}

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["weights"] = [w.copy() for w in self.model.get_weights()]
            seen["history"] = pd.read_csv(out / "history.csv")

    train_model(config3, genome, table, out, resume=True, callbacks=[Spy()])
    pd.testing.assert_frame_equal(seen["history"], first)  # the resume dropped the uncommitted row
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert history.loc[0, "loss"] == pytest.approx(first.loc[0, "loss"])  # epoch 1 not re-run
    for a, b in zip(seen["weights"], ckpt_weights):
        np.testing.assert_array_equal(a, b)


def test_positive_weights_are_sqrt_of_class_ratio_clipped():
    n = 1000
    labels = np.zeros((n, 4), dtype=np.float32)
    labels[:250, 0] = 1  # 250 positives, 650 negatives once the last 100 are masked (below)
    labels[:10, 1] = 1  # 1% positives: sqrt(99), just under the clip
    labels[:1, 2] = 1  # 0.1% positives: clipped to 10
    labels[:700, 3] = 1  # more positives than negatives: never below 1
    labels[900:, 0] = np.nan  # masked labels count as neither class
    weights = positive_weights(labels)
    assert weights[0] == pytest.approx(np.sqrt(650 / 250), abs=1e-4)
    assert weights[1] == pytest.approx(np.sqrt(99), abs=1e-4)
    assert weights[2] == 10.0
    assert weights[3] == 1.0
