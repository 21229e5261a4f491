"""The baseline CNN's two heads: DeepSEA's flatten (position-specific) or global pooling."""

import numpy as np
import pytest

from brainresnet_tf.models import build_model
from brainresnet_tf.models.specs import BaselineSpec


def tiny(length: int, pooling: str):
    import keras

    keras.utils.set_random_seed(0)
    spec = BaselineSpec(filters=(4, 4, 4), kernel_size=5, pool_size=2, head_units=8, pooling=pooling)
    return build_model("baseline", length, 2, spec)


def test_global_pooling_does_not_grow_with_the_input_but_flatten_does():
    assert tiny(300, "global").count_params() == tiny(600, "global").count_params()
    assert tiny(600, "flatten").count_params() > tiny(300, "flatten").count_params()


@pytest.mark.parametrize("pooling", ["flatten", "global"])
def test_both_poolings_predict_one_probability_per_profile(pooling):
    model = tiny(300, pooling)
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (3, 300))]
    y = np.asarray(model.predict(x, verbose=0))
    assert y.shape == (3, 2)
    assert np.all((y > 0) & (y < 1))


def test_global_pooling_sees_a_motif_wherever_it_sits():
    """A motif moved across the window (away from the edges) gives the same global maximum
    feature, so the global-pooled CNN cannot depend on the position; the flatten one does."""
    import keras

    outputs = {}
    for pooling in ("flatten", "global"):
        model = tiny(300, pooling)
        features = keras.Model(
            model.input, model.get_layer("pooled" if pooling == "global" else "flatten").output
        )
        base = np.full((2, 300), 0)
        base[0, 100:108] = base[1, 180:188] = [0, 1, 2, 3, 3, 2, 1, 0]  # the same 8-mer, 80 bp apart
        x = np.eye(4, dtype="float32")[base]
        outputs[pooling] = np.asarray(features.predict(x, verbose=0))
    n = outputs["global"].shape[1] // 2  # max half, then mean half
    np.testing.assert_allclose(outputs["global"][0, :n], outputs["global"][1, :n], rtol=1e-5)
    assert not np.allclose(outputs["flatten"][0], outputs["flatten"][1])
