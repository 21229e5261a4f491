"""Our DeepLIFT/DeepSHAP against tangermeme's ``deep_lift_shap`` on the same network and references.

The Brain-ResNet (random weights, batch-norm statistics moved off identity) is copied into its
PyTorch mirror (``benchmarks/torch_resnet.py``, as ``benchmarks/training.py`` does) with every
nonlinearity as a module, since tangermeme attaches its rules to modules: ``nn.ReLU`` for each
ReLU (rescale rule in both), ``nn.MaxPool1d`` for the stage poolings and for the global max over
the last stage (DeepLIFT's max rule in both), the head explained on its logit. Everything else is
linear in both (convolutions, batch norm in inference, the residual adds, global mean, the
concatenation, dense layers). Not covered by tangermeme, so left out of this network: Keras'
SAME-padded pooling when the length is not a multiple of the pool size (the input length here
is a multiple of pool_size ** stages), and the strand average (tangermeme explains one strand:
ours runs with ``rc_average=False``). Ties inside a max-pooling window go to the first position
in torch and are shared in ours; after a ReLU they are zeros, whose multiplier is zero in both.

Prints JSON: the largest absolute difference of the contributions and of the hypothetical
contributions, and each side's summation-to-delta. Needs torch and tangermeme (not dependencies):

    pip install torch==2.13.0 "setuptools<81" tangermeme
    python benchmarks/deeplift_reference.py [--sequences 32] [--references 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from tangermeme.deep_lift_shap import deep_lift_shap  # noqa: E402
from torch import nn  # noqa: E402
from torch_resnet import TorchResNet, copy_keras_weights  # noqa: E402

from brainresnet_tf.inference.attribution import make_target  # noqa: E402
from brainresnet_tf.inference.deeplift import deeplift, shuffled_references  # noqa: E402
from brainresnet_tf.models import ResNetSpec, build_resnet  # noqa: E402


class HookableResNet(nn.Module):
    """``TorchResNet``'s computation with every nonlinearity a module of its own, returning the
    head's logits (what tangermeme's hooks and our ``scale="logit"`` explain)."""

    def __init__(self, net: TorchResNet, length: int):
        super().__init__()
        self.net, spec = net, net.spec
        n_blocks = len(net.blocks)
        self.stem_relu = nn.ReLU()
        self.relu1 = nn.ModuleList(nn.ReLU() for _ in range(n_blocks))
        self.relu_out = nn.ModuleList(nn.ReLU() for _ in range(n_blocks))
        self.pools = nn.ModuleList(nn.MaxPool1d(spec.pool_size) for _ in spec.stage_filters)
        self.global_max = nn.MaxPool1d(length // spec.pool_size ** len(spec.stage_filters))
        self.head_relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net, per_stage = self.net, self.net.spec.blocks_per_stage
        x = self.stem_relu(net.stem_bn(net.stem_conv(x)))
        for i, block in enumerate(net.blocks):
            if i % per_stage == 0:
                x = self.pools[i // per_stage](x)
            shortcut = x if block.proj is None else block.proj_bn(block.proj(x))
            y = block.bn2(block.conv2(self.relu1[i](block.bn1(block.conv1(x)))))
            x = self.relu_out[i](shortcut + y)
        pooled = torch.cat([self.global_max(x)[..., 0], x.mean(dim=-1)], dim=1)
        return net.profiles(net.head_dropout(self.head_relu(net.head_dense(pooled))))


def randomise_batch_norm(model: keras.Model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.get_layer("encoder").layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.2, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, layer.moving_variance.shape))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=32)
    ap.add_argument("--references", type=int, default=20)
    ap.add_argument("--length", type=int, default=320, help="a multiple of pool_size ** stages (64)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    spec = ResNetSpec(stem_filters=32, stage_filters=(32, 48, 64), head_units=64)
    keras.utils.set_random_seed(args.seed)
    model = build_resnet(args.length, 2, spec)
    randomise_batch_norm(model, args.seed)
    net = TorchResNet(2, spec)
    copy_keras_weights(net, model)
    hookable = HookableResNet(net, args.length).eval()

    rng = np.random.default_rng(args.seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (args.sequences, args.length))]
    refs = shuffled_references(x, args.references, seed=args.seed)  # (N, k, L, 4): both use these
    target = make_target(model, ["p0", "p1"], "p0", rc_average=False)
    ours = deeplift(target, x, refs)
    ours_contrib = ours.hypothetical * x

    def torch_layout(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2)))

    with torch.no_grad():
        logits_keras = target(x).numpy()
        logits_torch = hookable(torch_layout(x)).numpy()[:, 0]
    common = dict(target=0, references=torch_layout(refs), device="cpu", batch_size=64)
    theirs_contrib = deep_lift_shap(hookable, torch_layout(x), **common).numpy().swapaxes(1, 2)
    theirs_hyp = deep_lift_shap(hookable, torch_layout(x), hypothetical=True, **common).numpy().swapaxes(1, 2)
    with torch.no_grad():
        f_refs = hookable(torch_layout(refs.reshape(-1, args.length, 4))).numpy()[:, 0]
    diff_torch = logits_torch - f_refs.reshape(len(x), -1).mean(axis=1)
    result = {
        "benchmark": "DeepLIFT/DeepSHAP: ours (Keras 3) vs tangermeme deep_lift_shap (PyTorch), same network",
        "network": f"Brain-ResNet {spec}, random weights, {int(model.count_params())} parameters",
        "sequences": args.sequences,
        "references_per_sequence": args.references,
        "input_length": args.length,
        "forward_max_abs_diff_logit": float(np.abs(logits_keras - logits_torch).max()),
        "contributions_max_abs_diff": float(np.abs(ours_contrib - theirs_contrib).max()),
        "hypothetical_max_abs_diff": float(np.abs(ours.hypothetical - theirs_hyp).max()),
        "contributions_max_abs": float(np.abs(theirs_contrib).max()),
        "contributions_max_abs_diff_relative": float(
            np.abs(ours_contrib - theirs_contrib).max() / np.abs(theirs_contrib).max()
        ),
        "ours_max_relative_delta": ours.max_delta,
        "tangermeme_sum_minus_delta_max_abs": float(
            np.abs(theirs_contrib.sum(axis=(1, 2)) - diff_torch).max()
        ),
        "rules": {
            "Conv1D, BatchNormalization, Add, Dense, Concatenate, GlobalAveragePooling1D": "linear (both)",
            "ReLU": "rescale (both)",
            "MaxPooling1D, GlobalMaxPooling1D (torch: MaxPool1d)": "DeepLIFT max rule (both)",
            "Dropout": "identity at inference (both)",
        },
        "torch": torch.__version__,
    }
    result["equal_to_1e-4"] = (
        max(result["contributions_max_abs_diff"], result["hypothetical_max_abs_diff"]) <= 1e-4
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
