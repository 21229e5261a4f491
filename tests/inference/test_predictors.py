"""One loader for every model kind: .keras (ResNet, CNN baseline) and the k-mer baseline."""

import json

import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.predict import Predictor
from brainresnet_tf.inference.predictors import KmerPredictor, as_predictor, load_predictor
from brainresnet_tf.io.genome import reverse_complement_codes
from tests.toy_models import VARIANT_LENGTH, kmer_model, save_kmer_model

L = VARIANT_LENGTH


@pytest.fixture(scope="module")
def kmer_path(tmp_path_factory):
    model = kmer_model(L)
    return model, save_kmer_model(model, tmp_path_factory.mktemp("run"), ["x", "y"], L)


def _codes(n: int = 6) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 5, (n, L)).astype(np.uint8)


def test_kmer_baseline_loads_as_a_strand_symmetric_predictor(kmer_path):
    model, path = kmer_path
    predict, meta = load_predictor(path)
    assert isinstance(predict, KmerPredictor) and predict.strand_symmetric
    assert meta.arch == "kmer" and meta.profiles == ["x", "y"] and meta.input_length == L
    codes = _codes()
    np.testing.assert_array_equal(predict(codes), model.predict(codes))
    np.testing.assert_array_equal(predict(codes), predict(reverse_complement_codes(codes)))


def test_keras_model_loads_as_a_predictor(tiny_model):
    model, _, path = tiny_model
    predict, meta = load_predictor(path, rc_average=False)
    assert isinstance(predict, Predictor) and not getattr(predict, "strand_symmetric", False)
    codes = _codes()
    np.testing.assert_allclose(predict(codes), Predictor(model, rc_average=False)(codes), atol=1e-6)


def test_as_predictor_dispatches_on_the_object(tiny_model, kmer_path):
    assert isinstance(as_predictor(tiny_model[0]), Predictor)
    assert isinstance(as_predictor(kmer_path[0]), KmerPredictor)
    fn = lambda codes: codes  # noqa: E731
    assert as_predictor(fn) is fn
    with pytest.raises(TypeError):
        as_predictor(3)


def test_kmer_loading_errors_are_one_line(kmer_path, tmp_path):
    _, path = kmer_path
    meta = json.loads(path.with_suffix(".json").read_text())
    wrong = tmp_path / "wrong.joblib"
    wrong.write_bytes(path.read_bytes())
    wrong.with_suffix(".json").write_text(json.dumps({**meta, "profiles": ["x"]}))
    with pytest.raises(InputError, match=r"wrong\.json: names 1 profiles but the k-mer model has 2"):
        load_predictor(wrong)
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle")
    garbage.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"garbage\.joblib: not a readable k-mer model"):
        load_predictor(garbage)
    bare = tmp_path / "bare.joblib"
    bare.write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"bare\.joblib: its metadata bare\.json is missing"):
        load_predictor(bare)
