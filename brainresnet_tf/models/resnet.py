"""The Brain-ResNet: a residual encoder (stem, stacked blocks, pooling) plus multi-task heads."""

from __future__ import annotations

import keras
from keras import layers

from brainresnet_tf.models.blocks import BN_MOMENTUM, global_max_mean, residual_block
from brainresnet_tf.models.heads import add_heads
from brainresnet_tf.models.specs import ResNetSpec


def build_resnet_encoder(
    input_length: int, spec: ResNetSpec, name: str = "encoder", prefix: str = ""
) -> keras.Model:
    """One-hot (L, 4) -> pooled feature vector (global max and mean, concatenated).

    ``prefix`` starts every layer (and so variable) name: two encoders in one model (transfer
    learning) keep distinct variable paths.
    """
    inputs = keras.Input((input_length, 4), name="sequence")
    x = layers.Conv1D(
        spec.stem_filters, spec.stem_kernel, padding="same", use_bias=False, name=f"{prefix}stem_conv"
    )(inputs)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{prefix}stem_bn")(x)
    x = layers.Activation("relu", name=f"{prefix}stem_relu")(x)
    for s, filters in enumerate(spec.stage_filters):
        x = layers.MaxPooling1D(spec.pool_size, padding="same", name=f"{prefix}pool{s}")(x)
        for b in range(spec.blocks_per_stage):
            x = residual_block(
                x, filters, spec.kernel_size, 2**b if spec.dilate else 1, name=f"{prefix}stage{s}_block{b}"
            )
    return keras.Model(inputs, global_max_mean(x, prefix), name=name)


def build_resnet(
    input_length: int, n_profiles: int, spec: ResNetSpec = ResNetSpec(), target: str = "peaks"
) -> keras.Model:
    """Brain-ResNet: encoder + dense head with one output per profile (sigmoid for peaks)."""
    inputs = keras.Input((input_length, 4), name="sequence")
    features = build_resnet_encoder(input_length, spec)(inputs)
    outputs = add_heads(features, n_profiles, spec.head_units, spec.dropout, target)
    return keras.Model(inputs, outputs, name="brain_resnet")
