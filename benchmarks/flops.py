"""FLOPs of a Keras convolutional model counted from its layer shapes, and the machine's peak.

Only convolutions and dense layers are counted (multiply and add = 2 FLOPs); batch norm, ReLU,
pooling and the loss are a few FLOPs per activation, under 2% here, and left out. A training step
costs the forward pass, the weight gradients (as much again) and the input gradients (as much
again, except for layers that read the model input, whose input gradient is never needed).
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf


def _leaf_layers(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def layer_macs(layer: keras.layers.Layer) -> int:
    """Multiply-accumulates per sequence of one Conv1D or Dense layer (0 for any other)."""
    if isinstance(layer, keras.layers.Conv1D):
        k, c_in, c_out = layer.kernel.shape
        return int(layer.output.shape[1]) * k * c_in * c_out
    if isinstance(layer, keras.layers.Dense):
        return int(np.prod(layer.kernel.shape))
    return 0


def reads_model_input(layer: keras.layers.Layer) -> bool:
    """True when the layer's input is an ``keras.Input`` (no gradient needed with respect to it)."""
    history = getattr(layer.input, "_keras_history", None)
    return history is not None and isinstance(history.operation, keras.layers.InputLayer)


def model_flops(model: keras.Model) -> dict[str, int]:
    """Forward and training-step FLOPs per sequence."""
    forward = training = 0
    for layer in _leaf_layers(model):
        macs = layer_macs(layer)
        forward += 2 * macs
        training += 2 * macs * (2 if reads_model_input(layer) else 3)
    return {
        "forward": forward,
        "training_step": training,
        "input_gradient": 2 * forward,
    }  # forward + backward to the input (no weight grads)


def best_rate(fn, work: float, repeats: int) -> float:
    """``work`` (FLOPs, items) per second of ``fn``, best of ``repeats`` after a warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return work / best


def peak_matmul_flops(n: int = 4096, repeats: int = 4) -> dict[str, float]:
    """float32 (n x n) @ (n x n) FLOP/s in TensorFlow, and in PyTorch (or numpy without it).

    Best of ``repeats``; the peak is the fastest library (on a shared machine, call it more than
    once and keep the maximum).
    """
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, n, n), dtype=np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    matmul = tf.function(tf.linalg.matmul)
    flops = 2.0 * n**3
    rates = {"tensorflow": best_rate(lambda: matmul(ta, tb).numpy(), flops, repeats)}
    try:
        import torch
    except ImportError:
        rates["numpy"] = best_rate(lambda: a @ b, flops, repeats)
    else:
        pa, pb = torch.from_numpy(a), torch.from_numpy(b)
        rates["torch"] = best_rate(lambda: pa @ pb, flops, repeats)
    return {**rates, "peak": max(rates.values()), "n": n}
