"""Ensembles: several trained members of one architecture, their probabilities averaged.

One Keras model (members as nested models named ``member0``, ``member1``...; the averaging layer
named ``profiles``), so everything that takes a model (prediction, attribution, export, serving,
variant scoring) takes an ensemble unchanged.
"""

from __future__ import annotations

import keras
from keras import layers

ENSEMBLE_OUTPUT = "profiles"


def build_ensemble(members: list[keras.Model], name: str = "ensemble") -> keras.Model:
    """Average the outputs of ``members`` (same input and output shapes); one member: itself."""
    if len(members) == 1:
        return members[0]
    inputs = keras.Input(members[0].inputs[0].shape[1:], name="sequence")
    outputs = []
    for i, member in enumerate(members):
        member.name = f"member{i}"  # unique names: Keras saves nested models by name
        member.trainable = False
        outputs.append(member(inputs, training=False))
    mean = layers.Average(name=ENSEMBLE_OUTPUT, dtype="float32")(outputs)
    return keras.Model(inputs, mean, name=name)


def members(model: keras.Model) -> list[keras.Model]:
    """The members of an ensemble built by :func:`build_ensemble` (else ``[model]``)."""
    found = [
        layer for layer in model.layers if isinstance(layer, keras.Model) and layer.name.startswith("member")
    ]
    return found or [model]


def is_ensemble(model: keras.Model) -> bool:
    """Whether ``model`` averages several members."""
    return len(members(model)) > 1
