"""Model builders: Brain-ResNet, the DeepSEA-style baseline, and their losses."""

from __future__ import annotations

import keras

from brainresnet_tf.models.baseline import BaselineSpec, build_baseline
from brainresnet_tf.models.losses import MaskedBinaryCrossentropy, MaskedMeanSquaredError
from brainresnet_tf.models.resnet import ResNetSpec, build_resnet, build_resnet_encoder

__all__ = [
    "BaselineSpec",
    "ResNetSpec",
    "build_baseline",
    "build_resnet",
    "build_resnet_encoder",
    "build_model",
    "MaskedBinaryCrossentropy",
    "MaskedMeanSquaredError",
]


def build_model(
    arch: str, input_length: int, n_profiles: int, spec: ResNetSpec | BaselineSpec, target: str = "peaks"
) -> keras.Model:
    """Build ``arch`` ("resnet" or "baseline") for ``n_profiles`` outputs."""
    if arch == "resnet":
        return build_resnet(input_length, n_profiles, spec, target)
    if arch == "baseline":
        return build_baseline(input_length, n_profiles, spec, target)
    raise ValueError(f"unknown model architecture {arch!r} (expected 'resnet' or 'baseline')")
