"""Model builders: Brain-ResNet, the DeepSEA-style baseline, and their losses.

Names are imported lazily (PEP 562), so ``brainresnet_tf.models.specs`` can be read without
importing Keras.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

    from brainresnet_tf.models.specs import BaselineSpec, ResNetSpec

_LAZY = {
    "BaselineSpec": "specs",
    "ResNetSpec": "specs",
    "build_baseline": "baseline",
    "build_resnet": "resnet",
    "build_resnet_encoder": "resnet",
    "MaskedBinaryCrossentropy": "losses",
    "MaskedMeanSquaredError": "losses",
}
__all__ = [*_LAZY, "build_model"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"brainresnet_tf.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'brainresnet_tf.models' has no attribute {name!r}")


def build_model(
    arch: str, input_length: int, n_profiles: int, spec: ResNetSpec | BaselineSpec, target: str = "peaks"
) -> keras.Model:
    """Build ``arch`` ("resnet" or "baseline") for ``n_profiles`` outputs."""
    from brainresnet_tf.models.baseline import build_baseline
    from brainresnet_tf.models.resnet import build_resnet

    if arch == "resnet":
        return build_resnet(input_length, n_profiles, spec, target)
    if arch == "baseline":
        return build_baseline(input_length, n_profiles, spec, target)
    raise ValueError(f"unknown model architecture {arch!r} (expected 'resnet' or 'baseline')")
