"""Benchmark-only PyTorch mirror of the Brain-ResNet (``brainresnet_tf.models.build_resnet``).

Same layers, shapes, names and parameter count as the Keras model built from the same
:class:`~brainresnet_tf.models.ResNetSpec`; channels-first (N, 4, L) as PyTorch convolutions
expect. ``copy_keras_weights`` loads a Keras model's weights so both compute the same function
(the benchmark checks this). Not part of the package: torch is not a dependency.
"""

from __future__ import annotations

import keras
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from brainresnet_tf.models import ResNetSpec
from brainresnet_tf.models.blocks import BN_MOMENTUM

BN_EPSILON = 1e-3  # Keras' default epsilon (PyTorch's is 1e-5)


def batch_norm(channels: int) -> nn.BatchNorm1d:
    """BatchNorm1d with Keras' epsilon and momentum convention (torch momentum = 1 - keras)."""
    return nn.BatchNorm1d(channels, eps=BN_EPSILON, momentum=1.0 - BN_MOMENTUM)


def max_pool_same(x: torch.Tensor, size: int) -> torch.Tensor:
    """Keras ``MaxPooling1D(size, padding="same")``: TF's SAME padding (extra pad at the end)."""
    length = x.shape[-1]
    total = max((-(-length // size) - 1) * size + size - length, 0)
    x = F.pad(x, (total // 2, total - total // 2), value=float("-inf"))
    return F.max_pool1d(x, size)


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus skip (1x1 projection when channels change), then ReLU."""

    def __init__(self, channels_in: int, filters: int, kernel_size: int, dilation: int):
        super().__init__()
        self.proj = nn.Conv1d(channels_in, filters, 1, bias=False) if channels_in != filters else None
        self.proj_bn = batch_norm(filters) if self.proj is not None else None
        self.conv1 = nn.Conv1d(
            channels_in, filters, kernel_size, padding="same", dilation=dilation, bias=False
        )
        self.bn1 = batch_norm(filters)
        self.conv2 = nn.Conv1d(filters, filters, kernel_size, padding="same", dilation=dilation, bias=False)
        self.bn2 = batch_norm(filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.proj is None else self.proj_bn(self.proj(x))
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(shortcut + y)


class TorchResNet(nn.Module):
    """The Brain-ResNet for one-hot input (N, 4, L): sigmoid (peaks) or softplus (signal) outputs."""

    def __init__(self, n_profiles: int, spec: ResNetSpec = ResNetSpec(), target: str = "peaks"):
        super().__init__()
        self.spec, self.target = spec, target
        self.stem_conv = nn.Conv1d(4, spec.stem_filters, spec.stem_kernel, padding="same", bias=False)
        self.stem_bn = batch_norm(spec.stem_filters)
        blocks, channels = [], spec.stem_filters
        for filters in spec.stage_filters:
            for b in range(spec.blocks_per_stage):
                blocks.append(ResidualBlock(channels, filters, spec.kernel_size, 2**b if spec.dilate else 1))
                channels = filters
        self.blocks = nn.ModuleList(blocks)
        self.head_dense = nn.Linear(2 * channels, spec.head_units)
        self.head_dropout = nn.Dropout(spec.dropout)
        self.profiles = nn.Linear(spec.head_units, n_profiles)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem_bn(self.stem_conv(x)))
        per_stage = self.spec.blocks_per_stage
        for i, block in enumerate(self.blocks):
            if i % per_stage == 0:
                x = max_pool_same(x, self.spec.pool_size)
            x = block(x)
        pooled = torch.cat([x.amax(dim=-1), x.mean(dim=-1)], dim=1)
        z = self.profiles(self.head_dropout(F.relu(self.head_dense(pooled))))
        return torch.sigmoid(z) if self.target == "peaks" else F.softplus(z)


def masked_bce(y_pred: torch.Tensor, y_true: torch.Tensor, pos_weight: torch.Tensor | None) -> torch.Tensor:
    """``MaskedBinaryCrossentropy``: clipped BCE over labelled profiles, averaged over the batch."""
    mask = ~torch.isnan(y_true)
    y = torch.where(mask, y_true, torch.zeros_like(y_true))
    p = y_pred.clamp(1e-7, 1.0 - 1e-7)
    w = 1.0 if pos_weight is None else pos_weight
    loss = -(w * y * torch.log(p) + (1.0 - y) * torch.log(1.0 - p))
    m = mask.to(loss.dtype)
    return ((loss * m).sum(-1) / m.sum(-1).clamp(min=1.0)).mean()


def _keras_layer_names(spec: ResNetSpec) -> dict[str, str]:
    """torch module path -> Keras layer name, in the order ``build_resnet`` names them."""
    names = {
        "stem_conv": "stem_conv",
        "stem_bn": "stem_bn",
        "head_dense": "head_dense",
        "profiles": "profiles",
    }
    i, channels = 0, spec.stem_filters
    for s, filters in enumerate(spec.stage_filters):
        for b in range(spec.blocks_per_stage):
            part = ["conv1", "bn1", "conv2", "bn2"] + (["proj", "proj_bn"] if channels != filters else [])
            names.update({f"blocks.{i}.{p}": f"stage{s}_block{b}_{p}" for p in part})
            i, channels = i + 1, filters
    return names


def copy_keras_weights(net: TorchResNet, model: keras.Model) -> None:
    """Load the weights of ``build_resnet(..., spec)`` into ``net`` (same spec)."""
    encoder = model.get_layer("encoder")
    modules = dict(net.named_modules())
    with torch.no_grad():
        for path, name in _keras_layer_names(net.spec).items():
            layer = (
                encoder.get_layer(name) if name not in ("head_dense", "profiles") else model.get_layer(name)
            )
            module = modules[path]
            if isinstance(module, nn.Conv1d):
                module.weight.copy_(torch.from_numpy(np.transpose(layer.kernel.numpy(), (2, 1, 0)).copy()))
            elif isinstance(module, nn.Linear):
                module.weight.copy_(torch.from_numpy(layer.kernel.numpy().T.copy()))
                module.bias.copy_(torch.from_numpy(layer.bias.numpy()))
            else:
                for dst, src in (
                    (module.weight, layer.gamma),
                    (module.bias, layer.beta),
                    (module.running_mean, layer.moving_mean),
                    (module.running_var, layer.moving_variance),
                ):
                    dst.copy_(torch.from_numpy(src.numpy()))


def parameter_count(net: nn.Module) -> int:
    """Trainable parameters plus BN running statistics (as Keras' ``count_params`` counts them)."""
    return sum(p.numel() for p in net.parameters()) + sum(
        b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked")
    )
