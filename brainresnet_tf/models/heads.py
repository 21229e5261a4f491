"""Multi-task output heads shared by every architecture."""

from __future__ import annotations

import keras
from keras import layers


def add_heads(
    features: keras.KerasTensor, n_profiles: int, units: int, dropout: float, target: str = "peaks"
) -> keras.KerasTensor:
    """Dense-ReLU-dropout, then one output per profile (sigmoid for peaks, softplus for signal)."""
    x = layers.Dense(units, activation="relu", name="head_dense")(features)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    activation = "sigmoid" if target == "peaks" else "softplus"
    return layers.Dense(n_profiles, activation=activation, name="profiles", dtype="float32")(x)
