"""The residual block every Brain-ResNet encoder is stacked from."""

from __future__ import annotations

import keras
from keras import layers

# Keras' default (0.99) needs thousands of steps before inference statistics settle; small
# user data sets train for a few hundred, so the moving averages follow faster.
BN_MOMENTUM = 0.9


def residual_block(
    x: keras.KerasTensor, filters: int, kernel_size: int = 5, dilation: int = 1, name: str = "res"
) -> keras.KerasTensor:
    """conv-BN-ReLU-conv-BN plus skip (1x1 projection when channels change), then ReLU."""
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_proj_bn")(shortcut)
    y = layers.Conv1D(
        filters, kernel_size, padding="same", dilation_rate=dilation, use_bias=False, name=f"{name}_conv1"
    )(x)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv1D(
        filters, kernel_size, padding="same", dilation_rate=dilation, use_bias=False, name=f"{name}_conv2"
    )(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def global_max_mean(x: keras.KerasTensor, prefix: str = "") -> keras.KerasTensor:
    """(L, C) -> (2C,): global max and global mean over positions, concatenated."""
    return layers.Concatenate(name=f"{prefix}pooled")(
        [
            layers.GlobalMaxPooling1D(name=f"{prefix}gmax")(x),
            layers.GlobalAveragePooling1D(name=f"{prefix}gavg")(x),
        ]
    )
