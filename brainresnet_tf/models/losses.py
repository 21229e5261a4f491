"""Losses that ignore missing labels (NaN) and can up-weight rare positives per profile."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="brainresnet")
class MaskedBinaryCrossentropy(keras.losses.Loss):
    """Binary cross-entropy averaged over the labelled profiles of each example.

    ``pos_weight`` (one per profile) multiplies the positive term: class weighting for profiles
    whose peaks are rare. Labels that are NaN are masked out.
    """

    def __init__(self, pos_weight: list[float] | None = None, name: str = "masked_bce", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pos_weight = None if pos_weight is None else [float(w) for w in pos_weight]

    def call(self, y_true, y_pred):
        mask = ops.logical_not(ops.isnan(y_true))
        y = ops.where(mask, y_true, 0.0)
        p = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        w = 1.0 if self.pos_weight is None else ops.convert_to_tensor(self.pos_weight, p.dtype)
        loss = -(w * y * ops.log(p) + (1.0 - y) * ops.log(1.0 - p))
        return _masked_mean(loss, mask)

    def get_config(self):
        return {**super().get_config(), "pos_weight": self.pos_weight}


@keras.saving.register_keras_serializable(package="brainresnet")
class MaskedMeanSquaredError(keras.losses.Loss):
    """Mean squared error over the labelled (non-NaN) profiles of each example."""

    def __init__(self, name: str = "masked_mse", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        mask = ops.logical_not(ops.isnan(y_true))
        return _masked_mean(ops.square(ops.where(mask, y_true, 0.0) - y_pred), mask)


def _masked_mean(loss, mask):
    mask = ops.cast(mask, loss.dtype)
    return ops.sum(loss * mask, axis=-1) / ops.maximum(ops.sum(mask, axis=-1), 1.0)
