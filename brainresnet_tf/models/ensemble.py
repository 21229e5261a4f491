"""Ensembles: several trained members of one architecture, and/or one member seen through
several shifted copies of its input window, their probabilities averaged.

One Keras model (members as nested models named ``member0``, ``member1``...; the averaging layer
named ``profiles``), so everything that takes a model (prediction, attribution, export, serving,
variant scoring) takes an ensemble unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers, ops

ENSEMBLE_OUTPUT = "profiles"


@keras.saving.register_keras_serializable(package="brainresnet")
class ShiftSequence(layers.Layer):
    """Moves a one-hot window (B, L, 4) by ``shift`` bases (positive: towards its end); the bases
    moved in at the edge are N (all zeros), as beyond a sequence set's sequences."""

    def __init__(self, shift: int, **kwargs):
        super().__init__(**kwargs)
        self.shift = int(shift)

    def call(self, x):
        s = self.shift
        if s > 0:
            return ops.pad(x[:, :-s], [[0, 0], [s, 0], [0, 0]])
        if s < 0:
            return ops.pad(x[:, -s:], [[0, 0], [0, -s], [0, 0]])
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "shift": self.shift}


def shifts_for(step: int) -> tuple[int, ...]:
    """``training.test_time_shift`` -> the window offsets averaged: (-step, 0, +step), or (0,)."""
    return (-step, 0, step) if step > 0 else (0,)


def build_ensemble(
    members: list[keras.Model], shifts: Sequence[int] = (0,), name: str = "ensemble"
) -> keras.Model:
    """Average the outputs of ``members`` (same input and output shapes), each on the window moved
    by every offset in ``shifts``; one member and no shift: the member itself."""
    shifts = tuple(int(s) for s in shifts)
    if len(members) == 1 and shifts == (0,):
        return members[0]
    inputs = keras.Input(members[0].inputs[0].shape[1:], name="sequence")
    moved = [
        ShiftSequence(s, name=f"shift_{'m' if s < 0 else 'p'}{abs(s)}")(inputs) if s else inputs
        for s in shifts
    ]
    outputs = []
    for i, member in enumerate(members):
        member.name = f"member{i}"  # unique names: Keras saves nested models by name
        member.trainable = False
        member.compiled = False  # inference only: its optimizer (maybe a custom one) is not saved inside
        outputs.extend(member(x, training=False) for x in moved)
    mean = layers.Average(name=ENSEMBLE_OUTPUT, dtype="float32")(outputs)
    return keras.Model(inputs, mean, name=name)


def members(model: keras.Model) -> list[keras.Model]:
    """The members of an ensemble built by :func:`build_ensemble` (else ``[model]``)."""
    found = [
        layer for layer in model.layers if isinstance(layer, keras.Model) and layer.name.startswith("member")
    ]
    return found or [model]


def is_ensemble(model: keras.Model) -> bool:
    """Whether ``model`` averages several predictions (members, shifted windows or both)."""
    try:
        return isinstance(model.get_layer(ENSEMBLE_OUTPUT), layers.Average)
    except ValueError:
        return False
