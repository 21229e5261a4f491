"""Every saved model kind behind one call: base codes (n, L) uint8 -> probabilities (n, P).

The one place that tells model kinds apart. A Keras model (``model.keras``: the Brain-ResNet, the
CNN baseline, ensembles and transfer models) is called through
:class:`~brainresnet_tf.inference.predict.Predictor`; the k-mer baseline (``model.joblib`` with
its ``model.json``, arch ``kmer``, written by ``brainresnet train --baseline``) through
:class:`KmerPredictor`. Consumers (variant scoring) take the callable and never ask which it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.predict import Predictor
from brainresnet_tf.models.kmer import KmerModel
from brainresnet_tf.models.saving import ModelMeta, load_model, meta_path, read_meta

PredictFn = Callable[[np.ndarray], np.ndarray]  # codes (n, L) uint8 -> probabilities (n, P)
KMER_ARCH = "kmer"


class KmerPredictor:
    """The k-mer baseline with the Predictor call: codes (n, L) -> probabilities (n, P).

    Canonical k-mers make it strand-symmetric (a window and its reverse complement have the same
    features, so the same prediction): ``strand_symmetric`` lets a caller score one strand only.
    """

    strand_symmetric = True

    def __init__(self, model: KmerModel):
        self.model = model

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        return self.model.predict(np.asarray(codes, np.uint8))


def as_predictor(model: keras.Model | KmerModel | PredictFn, rc_average: bool = True) -> PredictFn:
    """``model`` as a codes -> probabilities callable (a callable is returned as it is)."""
    if isinstance(model, keras.Model):
        return Predictor(model, rc_average=rc_average)
    if isinstance(model, KmerModel):
        return KmerPredictor(model)
    if callable(model):
        return model
    raise TypeError(f"cannot predict with a {type(model).__name__}")


def load_kmer(path: str | os.PathLike) -> tuple[KmerModel, ModelMeta]:
    """A k-mer baseline (``model.joblib``) and its ``model.json``, checked; one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: k-mer model file not found")
    meta = read_meta(path)
    try:
        model = KmerModel.load(path)
    except Exception as err:  # pickle / joblib errors all mean "not a k-mer model"
        raise InputError(
            f"{path}: not a readable k-mer model ({type(err).__name__}); expected the model.joblib "
            "that brainresnet train --baseline writes in <run>/kmer/"
        ) from None
    if len(model.pipelines) != len(meta.profiles):
        raise InputError(
            f"{meta_path(path)}: names {len(meta.profiles)} profiles but the k-mer model has "
            f"{len(model.pipelines)}; use the model.json written with this model"
        )
    return model, meta


def load_saved(path: str | os.PathLike) -> tuple[keras.Model | KmerModel, ModelMeta]:
    """Any saved model (``.keras``, or the k-mer baseline's ``.joblib`` / arch ``kmer``) and its
    metadata, checked; one-line errors."""
    path = Path(path)
    is_kmer = path.suffix == ".joblib" or (path.is_file() and read_meta(path).arch == KMER_ARCH)
    return load_kmer(path) if is_kmer else load_model(path)


def load_predictor(path: str | os.PathLike, rc_average: bool = True) -> tuple[PredictFn, ModelMeta]:
    """Any saved model (:func:`load_saved`) as a codes -> probabilities callable, and its
    metadata. ``rc_average``: Keras models average the two strands of each window (the k-mer
    model's prediction is the same on both)."""
    model, meta = load_saved(path)
    return as_predictor(model, rc_average=rc_average), meta
