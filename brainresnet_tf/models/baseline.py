"""The DeepSEA-style baseline CNN every result is compared against."""
from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from .heads import add_heads


@dataclass(frozen=True)
class BaselineSpec:
    """Sizes of the baseline: three conv-ReLU-maxpool-dropout layers, then dense heads."""

    filters: tuple[int, int, int] = (64, 96, 128)
    kernel_size: int = 8
    pool_size: int = 4
    head_units: int = 128
    dropout: float = 0.2


def build_baseline(input_length: int, n_profiles: int, spec: BaselineSpec = BaselineSpec(),
                   target: str = "peaks") -> keras.Model:
    """DeepSEA-style CNN (Zhou & Troyanskaya 2015), sized by ``spec``."""
    inputs = keras.Input((input_length, 4), name="sequence")
    x = inputs
    for i, filters in enumerate(spec.filters):
        x = layers.Conv1D(filters, spec.kernel_size, padding="valid", activation="relu",
                          name=f"conv{i}")(x)
        if i < len(spec.filters) - 1:
            x = layers.MaxPooling1D(spec.pool_size, name=f"pool{i}")(x)
        x = layers.Dropout(spec.dropout, name=f"drop{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = add_heads(x, n_profiles, spec.head_units, spec.dropout, target)
    return keras.Model(inputs, outputs, name="baseline_cnn")
