"""Model sizes as plain dataclasses (no TensorFlow), so configs are validated before Keras loads."""

from __future__ import annotations

from dataclasses import dataclass

ARCHITECTURES = ("resnet", "baseline")
BASELINE_POOLING = ("flatten", "global")  # DeepSEA's flatten, or global max + mean (as the ResNet)
TRANSFER_MODES = ("none", "frozen", "fine_tune")  # MetaChrom: scratch, frozen or fine-tuned extractor


@dataclass(frozen=True)
class ResNetSpec:
    """Sizes of a Brain-ResNet."""

    stem_filters: int = 64
    stem_kernel: int = 15
    stage_filters: tuple[int, ...] = (64, 96, 128)
    blocks_per_stage: int = 1
    kernel_size: int = 5
    dilate: bool = True  # block i of a stage uses dilation 2**i
    pool_size: int = 4
    head_units: int = 128
    dropout: float = 0.2


@dataclass(frozen=True)
class BaselineSpec:
    """Sizes of the baseline: three conv-BN-ReLU-maxpool-dropout layers, pooling, then dense heads."""

    filters: tuple[int, int, int] = (64, 96, 128)
    kernel_size: int = 8
    pool_size: int = 4
    head_units: int = 128
    dropout: float = 0.2  # before the output layer
    conv_dropout: float = 0.0  # after each conv block (DeepSEA used 0.2; it stalls small data sets)
    # global (as the ResNet, so the two differ in depth and residuals only) beat DeepSEA's flatten
    # in 5-fold CV of the NFE2 training set: +0.0018 AUROC, 7 of 10 seed-fold pairs (README)
    pooling: str = "global"  # one of BASELINE_POOLING
