"""Tiny Keras models shared by several test files (builders only; fixtures live in conftest.py)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from brainresnet_tf.models import ResNetSpec, build_resnet
from tests.toy_data import SERVING_LENGTH, onehot

SERVING_PROFILES = ["iPSC_neuron_ATAC", "NPC_ATAC", "fetal_brain_ATAC"]
VARIANT_LENGTH = 64
VARIANT_PROFILES = ["p_a", "p_b"]


def serving_model(seed: int) -> tf.keras.Model:
    """A ~1.5k-parameter Brain-ResNet with non-trivial (random) head weights."""
    tf.keras.utils.set_random_seed(seed)
    return build_resnet(
        SERVING_LENGTH, len(SERVING_PROFILES), ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8)
    )


def keras_strand_avg(model, seqs: list[str]) -> np.ndarray:
    """The model's output averaged over both strands of each sequence."""
    x = onehot(seqs)
    return (model(x).numpy() + model(x[:, ::-1, ::-1].copy()).numpy()) / 2


def variant_model() -> keras.Model:
    """The variant tests' tiny Brain-ResNet: 64 bp in, profiles p_a and p_b out (seed 0)."""
    keras.utils.set_random_seed(0)
    return build_resnet(
        VARIANT_LENGTH, len(VARIANT_PROFILES), ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8)
    )


def position_model(length: int, n_profiles: int = 2, seed: int = 0) -> keras.Model:
    """sigmoid(Dense(flattened one-hot)) with random weights: every base at every index moves the
    output, so a window off by one base scores differently (for exact window tests). It computes
    in float64, so its outputs do not depend on how a batch is composed (float32 kernels sum in
    batch-dependent order, ~1e-7)."""
    rng = np.random.default_rng(seed)
    inp = keras.Input((length, 4))
    dense = keras.layers.Dense(n_profiles, activation="sigmoid", dtype="float64")
    model = keras.Model(inp, dense(keras.layers.Flatten()(inp)))
    dense.set_weights([rng.normal(0, 0.5, (4 * length, n_profiles)), np.zeros(n_profiles)])
    return model
