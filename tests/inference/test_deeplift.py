"""DeepLIFT / DeepSHAP: summation to delta on every model kind, exact rules on small networks,
zero contribution at N, references that do not depend on the batch, and one-line errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.attribution import explain, make_target, predict_target
from brainresnet_tf.inference.deeplift import SHUFFLE_CHUNK, TOLERANCE, deeplift, shuffled_references
from brainresnet_tf.models import ResNetSpec, build_resnet
from brainresnet_tf.models.ensemble import build_ensemble
from brainresnet_tf.models.resnet import build_resnet_encoder
from brainresnet_tf.models.transfer import build_transfer_model

L = 96
SPEC = ResNetSpec(stem_filters=8, stage_filters=(8, 12), head_units=8, pool_size=4)


def _randomise_batch_norm(model: keras.Model, seed: int) -> None:
    """Inference statistics away from identity, so batch norm is a real affine map."""
    rng = np.random.default_rng(seed)
    stack = [model]
    while stack:
        for layer in stack.pop().layers:
            if isinstance(layer, keras.Model):
                stack.append(layer)
            elif isinstance(layer, keras.layers.BatchNormalization):
                layer.moving_mean.assign(rng.normal(0, 0.2, layer.moving_mean.shape))
                layer.moving_variance.assign(rng.uniform(0.5, 2.0, layer.moving_variance.shape))
                layer.gamma.assign(rng.uniform(0.5, 1.5, layer.gamma.shape))


def _resnet(seed: int = 0, length: int = L) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_resnet(length, 2, SPEC)
    _randomise_batch_norm(model, seed)
    return model


def _sequences(n: int, length: int = L, seed: int = 0) -> np.ndarray:
    """One-hot (n, L, 4), with N runs: padded ends and a gap, as real windows have."""
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, length))]
    for i, cut in enumerate((slice(0, 20), slice(length - 13, length), slice(40, 43))[:n]):
        x[i, cut] = 0.0
    return x


@pytest.fixture(scope="module")
def resnet():
    return _resnet()


def _check_sums(model: keras.Model, x: np.ndarray, references=5, **kw) -> None:
    target = make_target(model, ["a", "b"], "a", **kw)
    result = deeplift(target, x, references)
    assert result.max_delta < TOLERANCE, result.max_delta
    # the deltas compare with f(x) - f(ref) computed by the plain model, not by the DeepLIFT pass
    refs = shuffled_references(x, references) if isinstance(references, int) else None
    if refs is not None:
        fr = predict_target(target, refs.reshape(-1, *x.shape[1:])).reshape(len(x), -1)
        expected = predict_target(target, x) - fr.mean(axis=1)
        np.testing.assert_allclose(result.output_diff, expected, atol=1e-4)
        summed = (result.hypothetical * x).sum(axis=(1, 2))
        assert np.all(np.abs(summed - expected) <= TOLERANCE * np.maximum(np.abs(expected), 1))


def test_contributions_sum_to_the_output_difference_on_the_resnet(resnet):
    _check_sums(resnet, _sequences(6))


@pytest.mark.parametrize("kw", [{"contrast": "b"}, {"scale": "output"}, {"rc_average": False}])
def test_sums_hold_for_contrasts_outputs_and_one_strand(resnet, kw):
    _check_sums(resnet, _sequences(4), **kw)


def test_sums_hold_for_a_transfer_model_and_an_ensemble():
    keras.utils.set_random_seed(1)
    extractor = build_resnet_encoder(L, SPEC)
    transfer = build_transfer_model(extractor, L, 2, SPEC, "frozen")
    _randomise_batch_norm(transfer, 1)
    _check_sums(transfer, _sequences(4))
    ensemble = build_ensemble([_resnet(2), _resnet(3)], shifts=(-3, 0, 3))
    _check_sums(ensemble, _sequences(4))  # logit of the averaged probability, shifted windows


def test_sums_hold_for_the_baseline_cnn_and_a_fixed_baseline():
    from brainresnet_tf.models import BaselineSpec, build_baseline

    keras.utils.set_random_seed(4)
    cnn = build_baseline(L, 2, BaselineSpec(filters=(8, 8, 8), kernel_size=5, pool_size=2, head_units=8))
    _randomise_batch_norm(cnn, 4)
    _check_sums(cnn, _sequences(4))
    x = _sequences(5)
    for baseline in ("uniform", "zeros"):
        _check_sums(cnn, x, references=baseline)


def test_rescale_rule_is_exact_on_a_one_hidden_layer_network():
    """Dense-ReLU-Dense: each hidden unit's multiplier is Δrelu / Δpre, computed by hand."""
    keras.utils.set_random_seed(5)
    inp = keras.Input((4, 4))
    hidden = keras.layers.Dense(6, activation="relu")(keras.layers.Flatten()(inp))
    model = keras.Model(inp, keras.layers.Dense(1, name="profiles")(hidden))
    w1, b1 = model.layers[2].get_weights()
    w2, _ = model.layers[3].get_weights()
    x = _sequences(3, 4, seed=1)
    x[:2] = np.eye(4, dtype=np.float32)[[[0, 1, 2, 3], [3, 3, 0, 1]]]
    ref = np.full((4, 4), 0.25, np.float32)
    target = make_target(model, ["p"], "p", rc_average=False)
    hyp = deeplift(target, x, "uniform").hypothetical
    for i in range(len(x)):
        zx, zr = x[i].ravel() @ w1 + b1, ref.ravel() @ w1 + b1
        slope = np.where(np.abs(zx - zr) < 1e-6, zx > 0, (np.maximum(zx, 0) - np.maximum(zr, 0)) / (zx - zr))
        m = (w1 * slope) @ w2[:, 0]
        expected = ((x[i].ravel() - ref.ravel()) * m).reshape(4, 4).sum(-1)
        base = x[i].sum(-1) > 0
        np.testing.assert_allclose((hyp[i] * x[i]).sum(-1)[base], expected[base], atol=1e-5)


def test_max_rule_routes_the_change_to_the_winners():
    """Global max of one channel: the change max(x) - max(r) goes to the two winning positions."""
    inp = keras.Input((6, 4))
    conv = keras.layers.Conv1D(1, 1, use_bias=False)
    model = keras.Model(inp, keras.layers.GlobalMaxPooling1D(name="profiles")(conv(inp)))
    conv.set_weights([np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32)])
    x = np.eye(4, dtype=np.float32)[[[0, 3, 1, 0, 0, 2]]]  # values 1 4 2 1 1 3: max 4 at 1
    ref = np.eye(4, dtype=np.float32)[[2, 0, 0, 0, 0, 2]]  # values 3 1 1 1 1 3: max 3 at 0 (first)
    target = make_target(model, ["p"], "p", rc_average=False)
    result = deeplift(target, x, ref[None, None])
    contrib = (result.hypothetical * x).sum(-1)[0]
    assert contrib.sum() == pytest.approx(1.0, abs=1e-6)  # 4 - 3
    # x's winner (position 1) gets 4 - max(x, r at 1 ...): routed through the rule, the rest 0
    assert np.count_nonzero(np.abs(contrib) > 1e-6) <= 3
    assert contrib[2:5] == pytest.approx([0, 0, 0], abs=1e-6)


def test_n_positions_get_zero_contribution(resnet):
    x = _sequences(3)
    target = make_target(resnet, ["a", "b"], "a")
    for references in (4, "uniform"):
        contrib = (deeplift(target, x, references).hypothetical * x).sum(-1)
        assert np.all(contrib[0, :20] == 0) and np.all(contrib[1, -13:] == 0)
        assert np.all(contrib[2, 40:43] == 0)
        assert np.abs(contrib[0, 20:]).sum() > 0


def test_references_are_seeded_and_do_not_depend_on_the_batch(resnet):
    x = _sequences(SHUFFLE_CHUNK + 5)  # two reference draws; calls of 2, 3 and all cross them
    target = make_target(resnet, ["a", "b"], "a")
    a = deeplift(target, x, 3, batch_size=8).hypothetical
    for batch_size in (12, 1000):
        np.testing.assert_allclose(deeplift(target, x, 3, batch_size=batch_size).hypothetical, a, atol=1e-5)
    c = deeplift(target, x, 3, seed=1).hypothetical
    assert np.abs(a - c).max() > 1e-4
    refs = shuffled_references(x, 3)
    assert refs.shape == (len(x), 3, L, 4)
    n_at = np.broadcast_to((x.sum(-1) == 0)[:, None], refs.shape[:3])
    assert np.all(refs.sum(-1)[n_at] == 0) and np.all(refs.sum(-1)[~n_at] == 1)  # N kept in place


def test_shared_baseline_matches_the_same_baseline_given_per_sequence(resnet):
    x = _sequences(5)[3:]  # no N: the shared path
    target = make_target(resnet, ["a", "b"], "a")
    shared = deeplift(target, x, "uniform")
    given = deeplift(target, x, np.full((len(x), 1, L, 4), 0.25, np.float32))
    np.testing.assert_allclose(shared.hypothetical, given.hypothetical, atol=1e-5)
    np.testing.assert_allclose(shared.output_diff, given.output_diff, atol=1e-5)


def test_bad_input_is_one_line(resnet):
    target = make_target(resnet, ["a", "b"], "a")
    with pytest.raises(InputError, match=r"--references 0 must be >= 1"):
        deeplift(target, _sequences(2), 0)
    with pytest.raises(InputError, match="unknown baseline 'ones'"):
        explain(target, _sequences(2), "deeplift", baseline="ones")
    with pytest.raises(InputError, match="unknown attribution method 'shap'"):
        explain(target, _sequences(2), "shap")
    inp = keras.Input((L, 4))
    lstm = keras.layers.LSTM(4, name="recurrent")(inp)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid", name="profiles")(lstm))
    with pytest.raises(InputError) as err:
        deeplift(make_target(model, ["p"], "p"), _sequences(2), 2)
    assert "'recurrent' (LSTM" in str(err.value) and "--method ig" in str(err.value)
    assert "\n" not in str(err.value)
