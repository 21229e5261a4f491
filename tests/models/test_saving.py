"""Models saved before the package moved into layers (v0.1 layout) still load and predict."""

from pathlib import Path

import numpy as np

from brainresnet_tf.inference.predict import Predictor
from brainresnet_tf.models.saving import load_model

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "model_v0_1"


def test_model_saved_before_the_move_loads_and_predicts_identically():
    model, meta = load_model(FIXTURE / "model.keras")
    assert meta.profiles == ["cellA_ATAC", "cellB_ATAC"] and meta.input_length == 64
    expected = np.load(FIXTURE / "expected.npz")
    x = expected["x"].astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected["y"], rtol=0, atol=1e-6)
    # the package's own strand-averaged path runs on it too
    codes = x.argmax(-1).astype(np.uint8)
    assert Predictor(model)(codes).shape == (5, 2)
