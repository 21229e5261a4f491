"""The DeepSEA-style baseline CNN every result is compared against."""

from __future__ import annotations

import keras
from keras import layers

from brainresnet_tf.models.blocks import BN_MOMENTUM, global_max_mean
from brainresnet_tf.models.heads import add_heads
from brainresnet_tf.models.specs import BaselineSpec


def build_baseline(
    input_length: int, n_profiles: int, spec: BaselineSpec = BaselineSpec(), target: str = "peaks"
) -> keras.Model:
    """DeepSEA-style CNN (Zhou & Troyanskaya 2015), sized by ``spec``.

    Two changes from DeepSEA: batch normalisation after each convolution (as in Basset), without
    which the plain stack often stalls at a constant output on small data sets; and, by default
    (``spec.pooling="global"``), global max + mean pooling instead of flattening, as the ResNet's
    encoder pools, so the comparison isolates depth and residual connections. ``"flatten"`` keeps
    DeepSEA's position-specific dense layer.
    """
    inputs = keras.Input((input_length, 4), name="sequence")
    x = inputs
    for i, filters in enumerate(spec.filters):
        x = layers.Conv1D(filters, spec.kernel_size, padding="valid", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        if i < len(spec.filters) - 1:
            x = layers.MaxPooling1D(spec.pool_size, name=f"pool{i}")(x)
        if spec.conv_dropout > 0:
            x = layers.Dropout(spec.conv_dropout, name=f"drop{i}")(x)
    if spec.pooling == "global":
        x = global_max_mean(x)
    else:
        x = layers.Flatten(name="flatten")(x)
    outputs = add_heads(x, n_profiles, spec.head_units, spec.dropout, target)
    return keras.Model(inputs, outputs, name="baseline_cnn")
