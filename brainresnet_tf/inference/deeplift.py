"""DeepLIFT (rescale rule) and DeepSHAP for the package's Keras 3 models.

Written here because no maintained implementation covers Keras 3: kundajelab/deeplift stops at
Keras 2.2, shap's DeepExplainer patches TensorFlow's private gradient registry, and captum and
tangermeme are PyTorch only. The rules are those of the reference implementations (DeepLIFT's
rescale rule as tangermeme and captum apply it; checked against tangermeme's ``deep_lift_shap`` by
``benchmarks/deeplift_reference.py``):

* linear layers keep their gradient: Conv1D and Dense (without activation), BatchNormalization
  (inference), Dropout (identity), Add, Concatenate, Average, average pooling (local and global),
  Flatten, Reshape, ZeroPadding1D, Cropping1D and the ensemble's window shifts;
* elementwise nonlinearities (Activation layers such as ReLU, sigmoid, softplus; the activation
  inside a Conv1D or Dense; ReLU, LeakyReLU and ELU layers; an ensemble's logit of its averaged
  probability) take the rescale rule: the multiplier is ``Δout / Δin``, or the gradient at the
  explained input where ``|Δin| < 1e-6``;
* max pooling (MaxPooling1D and GlobalMaxPooling1D) takes DeepLIFT's max rule as captum and
  tangermeme apply it: each window's output change is routed to the winning positions of the
  input and of the reference and divided by each position's input change (the gradient where the
  input does not change).

Any other layer stops with an error that names it: never silently wrong numbers.

How it runs: the explained inputs go through the model once (forward only), recording the input
of every nonlinear layer in call order; then the references go through it under a gradient tape,
each nonlinear layer paired with the recorded activation of its sequence, and one backward pass
gives every pair's multipliers. Linear layers have a constant Jacobian, so back-propagating through
the references' forward pass is exact. Cost per reference: one forward and one backward pass, plus
one forward pass per explained sequence for all its references together. One baseline shared by
all sequences (``--baseline uniform|zeros``) swaps the sides: the baseline's activations are
recorded once and the explained inputs run under the tape, which is one gradient pass. The
multipliers' elementwise work is one fused XLA kernel per nonlinear layer.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from tqdm.auto import tqdm

from brainresnet_tf.data.shuffle import dinucleotide_shuffles
from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.attribution import Target, _baseline, _output_layer
from brainresnet_tf.inference.strands import strand_average
from brainresnet_tf.models.ensemble import ShiftSequence, is_ensemble

DEFAULT_REFERENCES = 20  # dinucleotide shuffles per sequence, as the BPNet family uses
TOLERANCE = 1e-3  # summation-to-delta: |sum of contributions - Δf| <= TOLERANCE * max(|Δf|, 1)
SECANT_EPS = 1e-6  # the rescale rule's fallback threshold (tangermeme's and captum's)
# sequences per reference draw: references never depend on the batch size. Small, so the first
# draw (the only one not hidden behind TensorFlow's work) is short; 32 was also the fastest per
# sequence (the shuffle's arrays stay in cache): 240 sequences x 20 shuffles in 0.24 s, against
# 0.37 s in draws of 240
SHUFFLE_CHUNK = 32

LINEAR_LAYERS = (
    layers.InputLayer,
    layers.BatchNormalization,
    layers.Dropout,
    layers.SpatialDropout1D,
    layers.Add,
    layers.Subtract,
    layers.Concatenate,
    layers.Average,
    layers.AveragePooling1D,
    layers.GlobalAveragePooling1D,
    layers.Flatten,
    layers.Reshape,
    layers.ZeroPadding1D,
    layers.Cropping1D,
    layers.Identity,
    ShiftSequence,
)
ELEMENTWISE_LAYERS = (layers.Activation, layers.ReLU, layers.LeakyReLU, layers.ELU)
WEIGHTED_LAYERS = (layers.Conv1D, layers.Dense)  # linear, then their own activation
NOT_ELEMENTWISE = {"softmax", "log_softmax"}


def _activation_name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


class _Pairing:
    """Nonlinear-layer inputs of one side (the explained inputs, or a shared baseline), recorded
    in call order, then handed back in the same order while the other side runs under the tape.
    Saved row i pairs with taped rows i*k ... i*k+k-1. ``taped_is_x``: which side is taped."""

    def __init__(self, taped_is_x: bool = False):
        self.taped_is_x = taped_is_x
        self.saved: list[tf.Tensor] = []
        self.replaying = False
        self.position = 0

    def pair(self, a: tf.Tensor) -> tf.Tensor | None:
        """None while recording (``a`` is kept); the paired saved activation while replaying."""
        if not self.replaying:
            self.saved.append(a)
            return None
        saved = self.saved[self.position]
        self.position += 1
        return saved


def _sides(taped: tf.Tensor, saved: tf.Tensor, taped_is_x: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """(x, ref) as (n, k, ...) and (n, 1, ...) tensors (taped rows grouped by their saved row):
    the pairs broadcast instead of being copied."""
    k = tf.shape(taped)[0] // tf.shape(saved)[0]
    shape = tf.concat([tf.shape(saved)[:1], [k], tf.shape(saved)[1:]], axis=0)
    taped, saved = tf.reshape(taped, shape), saved[:, None]
    return (taped, saved) if taped_is_x else (saved, taped)


def _slope(fn: Callable, a: tf.Tensor) -> tf.Tensor:
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = fn(a)
    return tape.gradient(y, a)


def _rule(backward: Callable) -> Callable:
    """A rule as layers call it, ``rule(fn, taped, saved)``: ``fn`` of the taped activation, with
    ``backward(g, taped, saved)`` as its gradient."""

    def rule(fn, taped, saved):
        @tf.custom_gradient
        def op(a):
            return fn(a), lambda g: backward(g, a, saved)

        return op(taped)

    return rule


def _rescale(fn: Callable, taped_is_x: bool) -> Callable:
    """The rescale rule: ``fn`` of the taped activation, with the multiplier ``Δout / Δin`` against
    the saved one as its gradient (``fn``'s slope at the explained input where ``|Δin| < 1e-6``)."""

    # one fused XLA kernel: unfused, the dozen elementwise passes over every activation cost
    # more than the model's convolutions
    @tf.function(jit_compile=True)
    def backward(g, taped, saved):
        x, r = _sides(taped, saved, taped_is_x)
        d_in = x - r
        near = tf.abs(d_in) < SECANT_EPS
        secant = (fn(x) - fn(r)) / tf.where(near, tf.ones_like(d_in), d_in)
        m = tf.where(near, _slope(fn, x) * tf.ones_like(d_in), secant)
        return g * tf.reshape(m, tf.shape(taped))

    return _rule(backward)


def _windows(a: tf.Tensor, size: int, padding: str) -> tf.Tensor:
    """(..., L, C) -> (..., W, size, C): the non-overlapping pooling windows; SAME pads with
    -inf as TensorFlow does (the extra position at the end)."""
    length, lead = a.shape[-2], tf.shape(a)[:-2]
    rank = len(a.shape)
    if padding == "same":
        total = -(-length // size) * size - length
        pad = [[0, 0]] * (rank - 2) + [[total // 2, total - total // 2], [0, 0]]
        a = tf.pad(a, pad, constant_values=-np.inf)
    else:
        a = a[..., : length // size * size, :]
    return tf.reshape(a, tf.concat([lead, [a.shape[-2] // size, size, a.shape[-1]]], axis=0))


def _unwindow(w: tf.Tensor, length: int, padding: str) -> tf.Tensor:
    """Inverse of :func:`_windows` (rows, W, size, C) -> (rows, L, C), zero where cropped."""
    flat = tf.reshape(w, [tf.shape(w)[0], w.shape[1] * w.shape[2], w.shape[3]])
    extra = flat.shape[1] - length
    if padding == "same":
        return flat[:, extra // 2 : extra // 2 + length]
    return tf.pad(flat, [[0, 0], [0, -extra], [0, 0]])


def _max_rule(size: int | None, padding: str, taped_is_x: bool) -> Callable:
    """DeepLIFT's max rule (as captum and tangermeme apply it) for max pooling over
    non-overlapping windows of ``size`` (stride = size): per window, the output change is routed to
    the winning position of the explained input and of the reference, then divided by each
    position's input change (the plain gradient where the input does not change). Exact ties share
    a window's change equally (as TensorFlow's max gradient does; torch routes it to the first):
    the sum is the same, and after a ReLU the tied values are zeros whose multiplier is zero."""

    def winners(w, y):  # 1 at each window's maximum (ties share it); size None: one window
        top = tf.cast(tf.equal(w, y[..., None, :]), w.dtype)
        return top / tf.reduce_sum(top, axis=-2, keepdims=True)

    @tf.function(jit_compile=True)  # fused, as in _rescale
    def backward(g, taped, saved):
        length = taped.shape[1]
        width = size or length
        w_x, w_r = _sides(_windows(taped, width, padding), _windows(saved, width, padding), taped_is_x)
        y_x, y_r = tf.reduce_max(w_x, axis=-2), tf.reduce_max(w_r, axis=-2)
        top = tf.maximum(y_x, y_r)
        g = tf.reshape(g, tf.shape(top))
        routed = (
            winners(w_x, y_x) * (g * (top - y_r))[..., None, :]
            + winners(w_r, y_r) * (g * (y_x - top))[..., None, :]
        )
        plain = winners(w_x, y_x) * g[..., None, :] * tf.ones_like(routed)
        shape = tf.concat([[-1], tf.shape(routed)[2:]], axis=0)
        routed = _unwindow(tf.reshape(routed, shape), length, padding)
        plain = _unwindow(tf.reshape(plain, shape), length, padding)
        x, r = _sides(taped, saved, taped_is_x)
        d_in = tf.reshape(x - r, tf.shape(taped))
        zero = tf.equal(d_in, 0.0)
        return tf.where(zero, plain, routed / tf.where(zero, tf.ones_like(d_in), d_in))

    return _rule(backward)  # its forward is the layer's own pooling


def _pool_rule(layer, taped_is_x: bool) -> Callable:
    """The max rule for a MaxPooling1D or GlobalMaxPooling1D layer (the latter as one window)."""
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise _unsupported(layer, "channels_first pooling")
    if isinstance(layer, layers.GlobalMaxPooling1D):
        return _max_rule(None, "valid", taped_is_x)
    size, stride = layer.pool_size[0], layer.strides[0]
    if stride != size:
        raise _unsupported(layer, f"pool size {size} with stride {stride}: overlapping windows")
    return _max_rule(size, layer.padding, taped_is_x)


def _nonlinear(fn: Callable, pairing: _Pairing, rule: Callable | None = None) -> Callable:
    """``fn`` while recording; ``rule`` (default: the rescale rule) against the saved side after."""
    rule = rule or _rescale(fn, pairing.taped_is_x)

    def call(a, *args, **kwargs):
        saved = pairing.pair(a)
        return fn(a) if saved is None else rule(fn, a, saved)

    return call


def _without_activation(layer: keras.layers.Layer) -> Callable:
    """The layer's linear part: its call with the activation switched off while it runs."""

    def linear(a):
        activation = layer.activation
        layer.activation = keras.activations.linear
        try:
            return layer(a)
        finally:
            layer.activation = activation

    return linear


def _layer_fn(layer, pairing: _Pairing, logit_layer) -> Callable:
    """What each layer becomes in a DeepLIFT pass (see the module docstring)."""
    if isinstance(layer, keras.Model):
        return lambda a, *args, **kwargs: _run(layer, a, pairing, logit_layer)
    if isinstance(layer, WEIGHTED_LAYERS):
        activation = _activation_name(layer.activation)
        if layer is logit_layer or activation == "linear":
            return _without_activation(layer)
        if activation in NOT_ELEMENTWISE:
            raise _unsupported(layer, f"activation {activation}")
        linear = _without_activation(layer)
        nonlinear = _nonlinear(layer.activation, pairing)
        return lambda a, *args, **kwargs: nonlinear(linear(a))
    if isinstance(layer, layers.Activation) and _activation_name(layer.activation) in NOT_ELEMENTWISE:
        raise _unsupported(layer, f"activation {_activation_name(layer.activation)}")
    if isinstance(layer, ELEMENTWISE_LAYERS):
        return _nonlinear(lambda a: layer(a), pairing)
    if isinstance(layer, (layers.MaxPooling1D, layers.GlobalMaxPooling1D)):
        return _nonlinear(lambda a: layer(a), pairing, _pool_rule(layer, pairing.taped_is_x))
    if isinstance(layer, LINEAR_LAYERS):
        if isinstance(layer, (layers.BatchNormalization, layers.Dropout, layers.SpatialDropout1D)):
            return lambda a, *args, **kwargs: layer(a, training=False)
        return lambda *args, **kwargs: layer(*args, **{k: v for k, v in kwargs.items() if k != "training"})
    raise _unsupported(layer, "this layer type")


def _unsupported(layer, what: str) -> InputError:
    return InputError(
        f"DeepLIFT has no rule for layer {layer.name!r} ({type(layer).__name__}, {what}); "
        "supported: Conv1D, Dense, BatchNormalization, Dropout, Add, Concatenate, Average, pooling "
        "(max, average, global), elementwise activations; use --method ig for this model"
    )


def _run(model: keras.Model, x: tf.Tensor, pairing: _Pairing, logit_layer=None) -> tf.Tensor:
    """``model(x)`` through its functional graph with every layer mapped by :func:`_layer_fn`.

    Uses Keras' graph walker (``Function._run_through_graph``, what ``Functional.call`` itself
    runs), the one way to replace each layer's computation without rebuilding the model.
    """
    out = model._run_through_graph([x], operation_fn=lambda layer: _layer_fn(layer, pairing, logit_layer))
    return out[0] if isinstance(out, (list, tuple)) else out


def _ensemble_logit(p: tf.Tensor) -> tf.Tensor:
    p = tf.clip_by_value(tf.cast(p, tf.float32), 1e-7, 1 - 1e-7)
    return tf.math.log(p) - tf.math.log1p(-p)


def _explained(target: Target, pairing: _Pairing) -> Callable[[tf.Tensor], tf.Tensor]:
    """x -> the target's scalar per row, computed through the DeepLIFT layer mapping."""
    model = target.model
    logit_layer = None
    ensemble_logit = target.scale == "logit" and is_ensemble(model)
    if target.scale == "logit" and not ensemble_logit:
        layer = _output_layer(model)
        if isinstance(layer, layers.Dense):
            logit_layer = layer
    logit = _nonlinear(_ensemble_logit, pairing)

    def raw(x):
        out = tf.cast(_run(model, x, pairing, logit_layer), tf.float32)
        return logit(out) if ensemble_logit else out

    def scalar(x):
        out = strand_average(raw, x) if target.rc_average else raw(x)
        value = out[:, target.task]
        return value - out[:, target.contrast] if target.contrast is not None else value

    return scalar


def check_supported(target: Target) -> None:
    """InputError naming the first layer DeepLIFT has no rule for (checked before any work)."""

    def visit(model: keras.Model) -> None:
        for layer in model.layers:
            if isinstance(layer, keras.Model):
                visit(layer)
            else:
                _layer_fn(layer, _Pairing(), None)

    visit(target.model)


def _paired_pass(target: Target, saved: tf.Tensor, taped: tf.Tensor, taped_is_x: bool):
    """(f(saved), f(taped), multipliers of the taped rows): ``saved`` runs forward once with its
    nonlinear-layer inputs recorded, then ``taped`` runs under the tape against them."""
    pairing = _Pairing(taped_is_x)
    scalar = _explained(target, pairing)
    f_saved = scalar(saved)
    pairing.replaying = True
    with tf.GradientTape() as tape:
        tape.watch(taped)
        f_taped = scalar(taped)
    return f_saved, f_taped, tape.gradient(f_taped, taped)


def _deeplift_fn(target: Target, k: int):
    """Compiled (x (n, L, 4), refs (n*k, L, 4)) -> (hypothetical (n, L, 4) averaged over each
    sequence's k references, f(x) (n,), f(refs) (n*k,), summed contributions per pair (n*k,)).
    The references run under the tape, each paired with its sequence's recorded activations."""
    length = target.input_length

    @tf.function(input_signature=[target.spec(), target.spec()], reduce_retracing=True)
    def run(x, refs):
        fx, fr, m = _paired_pass(target, x, refs, taped_is_x=False)
        summed = tf.reduce_sum((tf.repeat(x, k, axis=0) - refs) * m, axis=[1, 2])
        hyp = m - tf.reduce_sum(m * refs, axis=-1, keepdims=True)  # each base's hypothetical diff
        return tf.reduce_mean(tf.reshape(hyp, [-1, k, length, 4]), axis=1), fx, fr, summed

    return run


def _shared_baseline_fn(target: Target):
    """Compiled (x (n, L, 4), baseline (1, L, 4)) -> as :func:`_deeplift_fn` with k = 1, for one
    baseline shared by every sequence: the baseline's activations are recorded once and the
    explained inputs run under the tape (one gradient pass, plus one forward row)."""

    @tf.function(input_signature=[target.spec(), target.spec()], reduce_retracing=True)
    def run(x, base):
        fr, fx, m = _paired_pass(target, base, x, taped_is_x=True)
        summed = tf.reduce_sum((x - base) * m, axis=[1, 2])
        hyp = m - tf.reduce_sum(m * base, axis=-1, keepdims=True)
        return hyp, fx, tf.broadcast_to(fr, tf.shape(fx)), summed

    return run


@dataclass
class DeepLiftResult:
    """Hypothetical contributions and the summation-to-delta check of one DeepLIFT/DeepSHAP call.

    ``deltas`` (N, k): per sequence and reference, ``|sum of contributions - (f(x) - f(ref))|``
    divided by ``max(|f(x) - f(ref)|, 1)``; ``output_diff`` (N,): ``f(x) - mean f(refs)``.
    """

    hypothetical: np.ndarray
    deltas: np.ndarray
    output_diff: np.ndarray

    @property
    def max_delta(self) -> float:
        return float(self.deltas.max()) if self.deltas.size else 0.0

    def convergence(self) -> dict:
        """The check as summaries report it."""
        return {
            "max_relative_delta": self.max_delta,
            "tolerance": TOLERANCE,
            "pairs_over_tolerance": int((self.deltas > TOLERANCE).sum()),
            "pairs": int(self.deltas.size),
        }


def _codes(x: np.ndarray) -> np.ndarray:
    """One-hot (n, L, 4) -> base codes (n, L), N (no base) as 4."""
    return np.where(x.sum(-1) > 0, x.argmax(-1), 4).astype(np.uint8)


def shuffled_references(x: np.ndarray, n: int, seed: int = 0, first_chunk: int = 0) -> np.ndarray:
    """``n`` dinucleotide-shuffled references per one-hot sequence (N, L, 4) -> (N, n, L, 4), N
    positions kept; drawn per fixed chunk of sequences (``first_chunk``: the index of ``x``'s first
    chunk in a longer input), so they never depend on a batch size."""
    eye = np.eye(5, 4, dtype=np.float32)
    out = np.empty((len(x), n, *x.shape[1:]), np.float32)
    for c, i in enumerate(range(0, len(x), SHUFFLE_CHUNK), start=first_chunk):
        rng = np.random.default_rng([seed, c, 0xDEE9])
        out[i : i + SHUFFLE_CHUNK] = eye[dinucleotide_shuffles(_codes(x[i : i + SHUFFLE_CHUNK]), n, rng)]
    return out


def deeplift(
    target: Target,
    x: np.ndarray,
    references: int | str | np.ndarray = DEFAULT_REFERENCES,
    *,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> DeepLiftResult:
    """DeepLIFT (rescale rule) of ``target`` at one-hot ``x`` (N, L, 4).

    ``references``: an int ``k`` (DeepSHAP: ``k`` dinucleotide shuffles of each sequence, seeded),
    a baseline ("uniform", "zeros" or an (L, 4) array) or per-sequence references (N, k, L, 4).
    Positions where ``x`` has no base (N, padding) are N in every reference too, so they get zero
    contribution. ``batch_size`` counts model inputs per call (sequences plus their references).
    Returns hypothetical contributions averaged over the references (``(hyp * x).sum(-1)`` is each
    base's contribution) and the summation-to-delta check.
    """
    x = np.asarray(x, np.float32)
    length = target.input_length
    shuffles = isinstance(references, (int, np.integer)) and not isinstance(references, bool)
    if shuffles:
        if references < 1:
            raise InputError(f"--references {references} must be >= 1 (DeepSHAP shuffles per sequence)")
        k = int(references)
    else:
        given = references if isinstance(references, str) else np.asarray(references, np.float32)
        if isinstance(given, np.ndarray) and given.ndim == 4:
            if given.shape[0] != len(x) or given.shape[2:] != (length, 4):
                raise InputError(f"references shape {given.shape} is not ({len(x)}, k, {length}, 4)")
            refs = given
        else:
            refs = np.broadcast_to(_baseline(given, length), (len(x), 1, length, 4))
        k = refs.shape[1]
    check_supported(target)
    has_base = x.sum(-1) > 0
    shared = not shuffles and refs.strides[0] == 0 and has_base.all()
    if shared:  # one baseline for all and no N to mask: record it once
        run = target.compiled("deeplift-shared", lambda: _shared_baseline_fn(target))
        base = np.ascontiguousarray(refs[:1, 0])
        per_call = batch_size
    else:
        run = target.compiled(("deeplift", k), lambda: _deeplift_fn(target, k))
        per_call = max(1, batch_size // (k + 1))

    def chunk_refs(c: int) -> np.ndarray:
        """The references of chunk ``c`` (SHUFFLE_CHUNK sequences), N where the sequence has N."""
        part = slice(c * SHUFFLE_CHUNK, (c + 1) * SHUFFLE_CHUNK)
        if shuffles:
            return shuffled_references(x[part], k, seed, first_chunk=c)
        return np.where(has_base[part, None, :, None], refs[part], 0.0).astype(np.float32)

    hyp = np.empty_like(x)
    deltas = np.empty((len(x), k), np.float32)
    diff = np.empty(len(x), np.float32)
    bar = tqdm(total=len(x), desc="DeepLIFT", disable=not progress, leave=False)
    n_chunks = -(-len(x) // SHUFFLE_CHUNK)
    # references are drawn a chunk ahead on a thread, beside TensorFlow's work, and only the
    # chunks a call needs are held (all of them at once would be N x k x L x 4 floats); calls take
    # ``per_call`` sequences across chunk boundaries
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(chunk_refs, 0) if not shared and n_chunks else None
        held, held_from, next_chunk = np.empty((0, k, length, 4), np.float32), 0, 1
        for i in range(0, len(x), per_call):
            xb = x[i : i + per_call]
            if shared:
                other = base
            else:
                while held_from + len(held) < i + len(xb):
                    held = np.concatenate([held[i - held_from :], pending.result()])
                    held_from = i
                    if next_chunk < n_chunks:
                        pending, next_chunk = pool.submit(chunk_refs, next_chunk), next_chunk + 1
                other = held[i - held_from : i - held_from + len(xb)].reshape(-1, length, 4)
            h, fx, fr, summed = run(xb, other)
            fx, fr = fx.numpy(), fr.numpy().reshape(len(xb), k)
            output_diff = fx[:, None] - fr
            err = np.abs(summed.numpy().reshape(len(xb), k) - output_diff)
            deltas[i : i + len(xb)] = err / np.maximum(np.abs(output_diff), 1.0)
            diff[i : i + len(xb)] = fx - fr.mean(axis=1)
            hyp[i : i + len(xb)] = h.numpy()
            bar.update(len(xb))
    bar.close()
    return DeepLiftResult(hyp, deltas, diff)
