"""Averaging members and shifted windows (test-time shifts of the small-data recipe)."""

import numpy as np
import pytest

from brainresnet_tf.models import build_model
from brainresnet_tf.models.ensemble import build_ensemble, is_ensemble, members, shifts_for
from brainresnet_tf.models.saving import ModelMeta, load_model, save_model
from brainresnet_tf.models.specs import BaselineSpec
from tests.toy_data import shifted_window

LENGTH = 300


def tiny_member(seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    return build_model(
        "baseline", LENGTH, 2, BaselineSpec(filters=(4, 4, 4), kernel_size=5, pool_size=2, head_units=8)
    )


def test_shifts_for():
    assert shifts_for(0) == (0,)
    assert shifts_for(10) == (-10, 0, 10)


def test_one_member_no_shift_is_the_member_itself():
    member = tiny_member(0)
    assert build_ensemble([member]) is member
    assert not is_ensemble(member)


@pytest.mark.parametrize("n_members", [1, 2])
def test_average_over_members_and_shifted_windows_survives_saving(tmp_path, n_members):
    parts = [tiny_member(i) for i in range(n_members)]
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (5, LENGTH))]
    views = [shifted_window(x, s) for s in (-7, 0, 7)]
    expected = np.mean([p.predict(v, verbose=0) for p in parts for v in views], axis=0)
    model = build_ensemble(parts, shifts=(-7, 0, 7))
    assert is_ensemble(model) and len(members(model)) == n_members
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    assert not np.allclose(expected, np.mean([p.predict(x, verbose=0) for p in parts], axis=0))
    save_model(model, tmp_path / "model.keras", ModelMeta(["a", "b"], LENGTH))
    loaded, _ = load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)


def test_members_are_saved_without_their_optimizer():
    """A member compiled with a custom optimizer (transfer's LayerwiseAdam) must not need that
    optimizer's class to load the ensemble: the ensemble only predicts."""
    import json

    import keras

    member = tiny_member(0)
    member.compile(optimizer="adam", loss="binary_crossentropy")
    model = build_ensemble([member], shifts=(-3, 0, 3))
    assert "optimizer" not in json.dumps(keras.saving.serialize_keras_object(model))
