"""Attributions of one prediction to each base: input x gradient, integrated gradients, ISM.

Every method explains one scalar per sequence, built by :func:`make_target`: a profile's logit
(the pre-activation of the ``profiles`` layer; or the output itself), or in contrast mode
profile A minus profile B, averaged over both strands::

    F(x) = (f(x) + f(rc(x))) / 2,   rc(x) = x reversed along positions and bases (A,C,G,T -> T,G,C,A)

Attributing ``F`` is exactly attributing each strand and mapping the reverse-complement strand's
attributions back (reverse both axes) before averaging, in one gradient call.

Layouts: inputs and outputs are (N, L, 4) (A, C, G, T) like the model's inputs;
:func:`to_modisco` gives the (N, 4, L) arrays modisco-lite's files use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.strands import strand_average
from brainresnet_tf.models.ensemble import is_ensemble

SCALES = ("logit", "output")
# input x gradient, integrated gradients, in-silico mutagenesis, DeepLIFT/DeepSHAP (deeplift.py)
METHODS = ("ixg", "ig", "ism", "deeplift")
BASELINES = ("shuffled", "uniform", "zeros")  # DeepLIFT references: per-sequence shuffles or one


def profile_index(profiles: Sequence[str], name: str | int) -> int:
    """Index of a profile given by name (or position); InputError listing the names otherwise."""
    profiles = list(profiles)
    if isinstance(name, (int, np.integer)) or (
        isinstance(name, str) and name.isdigit() and name not in profiles
    ):
        i = int(name)
        if 0 <= i < len(profiles):
            return i
    elif name in profiles:
        return profiles.index(name)
    else:
        lowered = [p.lower() for p in profiles]
        if str(name).lower() in lowered:
            return lowered.index(str(name).lower())
    raise InputError(f"unknown profile {name!r}: the model predicts {', '.join(profiles)}")


def _output_layer(model: keras.Model) -> keras.layers.Layer:
    try:
        return model.get_layer("profiles")
    except ValueError:
        return model.layers[-1]


def _logit_function(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """x -> pre-activation outputs, when the output layer is a Dense (else the outputs).

    For an ensemble (members' probabilities averaged) it is the logit of the averaged probability.
    """
    if is_ensemble(model):

        def ensemble_logits(x):
            p = tf.clip_by_value(tf.cast(model(x, training=False), tf.float32), 1e-7, 1 - 1e-7)
            return tf.math.log(p) - tf.math.log1p(-p)

        return ensemble_logits
    layer = _output_layer(model)
    if not isinstance(layer, keras.layers.Dense) or layer.get_config().get("activation") == "linear":
        return lambda x: model(x, training=False)
    features = keras.Model(model.inputs, layer.input)

    def logits(x):
        h = features(x, training=False)
        z = tf.matmul(tf.cast(h, tf.float32), tf.convert_to_tensor(layer.kernel))
        return z + tf.convert_to_tensor(layer.bias) if layer.use_bias else z

    return logits


class Target:
    """The scalar explained per sequence: ``F(x)`` (B,) for one-hot ``x`` (B, L, 4).

    ``task`` and ``contrast`` are output indices; ``scale`` is "logit" (pre-activation of the
    output layer) or "output" (the model's output, e.g. a probability).
    """

    def __init__(
        self,
        model: keras.Model,
        task: int,
        contrast: int | None = None,
        scale: str = "logit",
        rc_average: bool = True,
    ):
        if scale not in SCALES:
            raise InputError(f"unknown scale {scale!r} (expected one of {', '.join(SCALES)})")
        self.model, self.task, self.contrast = model, task, contrast
        self.scale, self.rc_average = scale, rc_average
        self.input_length = int(model.inputs[0].shape[1])
        self._raw = _logit_function(model) if scale == "logit" else (lambda x: model(x, training=False))
        self._compiled: dict = {}  # traced tf.functions, reused by every call on this target

    def compiled(self, key, build: Callable[[], Callable]) -> Callable:
        """The tf.function stored under ``key``, built once (so repeated calls do not retrace)."""
        if key not in self._compiled:
            self._compiled[key] = build()
        return self._compiled[key]

    def spec(self) -> tf.TensorSpec:
        """Input signature: any batch of (input_length, 4) one-hot rows."""
        return tf.TensorSpec([None, self.input_length, 4], tf.float32)

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        x = tf.cast(x, tf.float32)
        if self.rc_average:
            out = strand_average(self._raw, x)
        else:
            out = self._raw(x)
        value = out[:, self.task]
        if self.contrast is not None:
            value = value - out[:, self.contrast]
        return value


def make_target(
    model: keras.Model,
    profiles: Sequence[str],
    task: str | int,
    contrast: str | int | None = None,
    scale: str = "logit",
    rc_average: bool = True,
) -> Target:
    """The explained scalar for profile ``task`` (minus profile ``contrast``), strands averaged."""
    t = profile_index(profiles, task)
    c = None if contrast is None else profile_index(profiles, contrast)
    if c == t:
        raise InputError(f"--contrast {contrast!r} is the task itself: choose another profile")
    return Target(model, t, c, scale, rc_average)


def _grad_fn(target: Target):
    """Compiled x -> (F(x), dF/dx); one trace for any batch size."""

    def build():
        @tf.function(input_signature=[target.spec()])
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = target(x)
            return y, tape.gradient(y, x)

        return run

    return target.compiled("grad", build)


def _predict_fn(target: Target):
    return target.compiled("predict", lambda: tf.function(target, input_signature=[target.spec()]))


def _batches(n: int, size: int, progress: bool, desc: str):
    return tqdm(range(0, n, size), total=-(-n // size), desc=desc, disable=not progress, leave=False)


def predict_target(target: Target, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """F(x) (N,) in batches."""
    run = _predict_fn(target)
    x = np.asarray(x, np.float32)
    return np.concatenate(
        [run(x[i : i + batch_size]).numpy() for i in range(0, len(x), batch_size)]
        or [np.zeros(0, np.float32)]
    )


def gradients(target: Target, x: np.ndarray, batch_size: int = 128, progress: bool = False) -> np.ndarray:
    """dF/dx (N, L, 4) at the one-hot inputs ``x`` (N, L, 4)."""
    run = _grad_fn(target)
    x = np.asarray(x, np.float32)
    out = np.empty_like(x)
    for i in _batches(len(x), batch_size, progress, "gradients"):
        out[i : i + batch_size] = run(x[i : i + batch_size])[1].numpy()
    return out


def input_x_gradient(
    target: Target, x: np.ndarray, batch_size: int = 128, progress: bool = False
) -> np.ndarray:
    """Input x gradient (N, L, 4): nonzero only at each sequence's own bases."""
    return np.asarray(x, np.float32) * gradients(target, x, batch_size, progress)


def _baseline(baseline: str | np.ndarray, length: int) -> np.ndarray:
    if isinstance(baseline, str):
        if baseline == "uniform":
            return np.full((length, 4), 0.25, np.float32)
        if baseline == "zeros":
            return np.zeros((length, 4), np.float32)
        raise InputError(f"unknown baseline {baseline!r} (expected uniform, zeros or an array)")
    b = np.asarray(baseline, np.float32)
    if b.shape != (length, 4):
        raise InputError(f"baseline shape {b.shape} is not ({length}, 4)")
    return b


def integrated_gradients(
    target: Target,
    x: np.ndarray,
    baseline: str | np.ndarray = "uniform",
    steps: int = 32,
    batch_size: int = 256,
    progress: bool = False,
    return_mean_gradient: bool = False,
):
    """Integrated gradients (N, L, 4) from ``baseline`` to ``x``, trapezoid rule over ``steps``.

    ``batch_size`` counts model inputs per call: ``batch_size // (steps + 1)`` sequences (at least
    one) with all their path points go through the model together. Completeness: the sum of a
    sequence's attributions is ``F(x) - F(baseline)`` up to the quadrature error.
    With ``return_mean_gradient`` also returns the path-averaged gradient (N, L, 4); with the
    uniform baseline, that gradient minus its mean over bases is IG's hypothetical contribution.
    """
    if steps < 1:
        raise InputError(f"steps must be >= 1, got {steps}")
    x = np.asarray(x, np.float32)
    length = x.shape[1]
    base = _baseline(baseline, length)
    per_call = max(1, batch_size // (steps + 1))
    run = target.compiled(("ig", steps, base.tobytes()), lambda: _ig_fn(target, base, steps))
    mean_grad = np.empty_like(x)
    for i in _batches(len(x), per_call, progress, "integrated gradients"):
        mean_grad[i : i + per_call] = run(x[i : i + per_call]).numpy()
    attr = (x - base[None]) * mean_grad
    return (attr, mean_grad) if return_mean_gradient else attr


def _ig_fn(target: Target, baseline: np.ndarray, steps: int):
    """Compiled x (n, L, 4) -> path-averaged gradient (n, L, 4), all n x (steps + 1) path points
    in one model call (trapezoid weights)."""
    length = target.input_length
    b = tf.constant(baseline)
    alphas = tf.constant(np.linspace(0.0, 1.0, steps + 1), tf.float32)
    weights = np.full(steps + 1, 1.0 / steps, np.float32)
    weights[[0, -1]] /= 2.0
    weights = tf.constant(weights)

    @tf.function(input_signature=[target.spec()])
    def run(xb):
        n = tf.shape(xb)[0]
        path = b[None, None] + alphas[None, :, None, None] * (xb - b)[:, None]  # (n, S, L, 4)
        flat = tf.reshape(path, [-1, length, 4])
        with tf.GradientTape() as tape:
            tape.watch(flat)
            y = target(flat)
        g = tf.reshape(tape.gradient(y, flat), [n, steps + 1, length, 4])
        return tf.einsum("s,nslc->nlc", weights, g)

    return run


def ism(
    target: Target,
    x: np.ndarray,
    batch_size: int = 512,
    window: tuple[int, int] | None = None,
    progress: bool = False,
) -> np.ndarray:
    """In-silico saturation mutagenesis: ``F(x with base j at l) - F(x)`` as (N, L, 4).

    Zero at each sequence's own base (and outside ``window`` = (start, end) when given). All
    4 x L variants of a sequence, batched ``batch_size`` per model call.
    """
    x = np.asarray(x, np.float32)
    n, length, _ = x.shape
    lo, hi = window or (0, length)
    if not 0 <= lo < hi <= length:
        raise InputError(f"ISM window {lo}-{hi} is outside 0-{length}")
    run = _predict_fn(target)
    ref = predict_target(target, x, batch_size)
    pos = np.repeat(np.arange(lo, hi), 4)
    base = np.tile(np.arange(4), hi - lo)
    out = np.zeros_like(x)
    bar = tqdm(total=n, desc="ISM", disable=not progress, leave=False)
    for s in range(n):
        deltas = np.empty(len(pos), np.float32)
        for k in range(0, len(pos), batch_size):
            p, c = pos[k : k + batch_size], base[k : k + batch_size]
            mutants = np.repeat(x[s : s + 1], len(p), axis=0)
            rows = np.arange(len(p))
            mutants[rows, p, :] = 0.0
            mutants[rows, p, c] = 1.0
            deltas[k : k + len(p)] = run(mutants).numpy() - ref[s]
        out[s, lo:hi] = deltas.reshape(hi - lo, 4)
        out[s][x[s] == 1.0] = 0.0
        bar.update(1)
    bar.close()
    return out


def hypothetical_contributions(scores: np.ndarray) -> np.ndarray:
    """Mean-normalised per-base scores (N, L, 4): what each base would contribute if present.

    For gradients this is the usual gradient-minus-mean (it equals IG's attributions with the
    uniform baseline); for ISM deltas, the delta minus its mean over the four bases.
    """
    scores = np.asarray(scores, np.float32)
    return scores - scores.mean(axis=-1, keepdims=True)


@dataclass
class Explanation:
    """Hypothetical contributions (N, L, 4) and, for DeepLIFT, its summation-to-delta check."""

    hypothetical: np.ndarray
    convergence: dict | None = None


def explain(
    target: Target,
    x: np.ndarray,
    method: str = "ixg",
    *,
    steps: int = 32,
    references: int = 20,
    baseline: str = "shuffled",
    batch_size: int = 256,
    progress: bool = False,
) -> Explanation:
    """Hypothetical contributions (N, L, 4) of ``x`` by ``method`` (ixg, ig, ism or deeplift).

    ``(hyp * x).sum(-1)`` is each base's contribution: for "ig" exactly the IG attributions
    (uniform baseline), for "ixg" the gradient at the base minus the mean gradient, for "ism" minus
    the mean effect of mutating the base, for "deeplift" the DeepLIFT contribution (DeepSHAP over
    ``references`` dinucleotide shuffles per sequence, or one ``baseline``: uniform or zeros).
    """
    if method == "deeplift":
        from brainresnet_tf.inference.deeplift import deeplift  # deeplift builds on this module

        if baseline not in BASELINES:
            raise InputError(f"unknown baseline {baseline!r} (expected {', '.join(BASELINES)})")
        refs = references if baseline == "shuffled" else baseline
        result = deeplift(target, x, refs, batch_size=batch_size, progress=progress)
        return Explanation(result.hypothetical, result.convergence())
    if method == "ixg":
        scores = gradients(target, x, batch_size, progress)
    elif method == "ig":
        _, scores = integrated_gradients(
            target, x, "uniform", steps, batch_size, progress, return_mean_gradient=True
        )
    elif method == "ism":
        scores = ism(target, x, batch_size, progress=progress)
    else:
        raise InputError(f"unknown attribution method {method!r} (expected {', '.join(METHODS)})")
    return Explanation(hypothetical_contributions(scores))


def attribute(target: Target, x: np.ndarray, method: str = "ixg", **settings) -> np.ndarray:
    """The hypothetical contributions of :func:`explain` alone."""
    return explain(target, x, method, **settings).hypothetical


def contributions(hypothetical: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-base contribution (N, L): the hypothetical contribution of each observed base."""
    return (np.asarray(hypothetical) * np.asarray(x)).sum(axis=-1)


def to_modisco(array: np.ndarray) -> np.ndarray:
    """(N, L, 4) -> (N, 4, L) float32, the layout of modisco-lite's ``-s`` / ``-a`` files."""
    return np.ascontiguousarray(np.asarray(array, np.float32).transpose(0, 2, 1))


@dataclass(frozen=True)
class AttributionSpec:
    """What to explain and how: the task (and contrast), the method and its settings."""

    task: str
    contrast: str | None = None
    method: str = "ig"
    steps: int = 20
    scale: str = "logit"
    batch_size: int = 256
    references: int = 20
    baseline: str = "shuffled"

    def target(self, model: keras.Model, profiles: Sequence[str]) -> Target:
        """The scalar to attribute (see :func:`make_target`)."""
        return make_target(model, profiles, self.task, self.contrast, self.scale)

    def explain(self, target: Target, x: np.ndarray, progress: bool = False) -> Explanation:
        """Hypothetical contributions (N, L, 4) of ``x`` and any check (see :func:`explain`)."""
        return explain(
            target,
            x,
            self.method,
            steps=self.steps,
            references=self.references,
            baseline=self.baseline,
            batch_size=self.batch_size,
            progress=progress,
        )

    def run(self, target: Target, x: np.ndarray, progress: bool = False) -> np.ndarray:
        """Hypothetical contributions (N, L, 4) of ``x`` (see :func:`explain`)."""
        return self.explain(target, x, progress).hypothetical

    def settings(self) -> dict:
        """The method's own settings, as summaries report them."""
        if self.method == "ig":
            return {"steps": self.steps}
        if self.method == "deeplift":
            shuffled = self.baseline == "shuffled"
            return {"baseline": self.baseline, "references": self.references if shuffled else 1}
        return {}

    def convergence_note(self, explanation: Explanation) -> str | None:
        """A warning line when DeepLIFT's summation-to-delta check failed, else None."""
        c = explanation.convergence
        if not c or c["pairs_over_tolerance"] == 0:
            return None
        return (
            f"warning: DeepLIFT contributions miss f(x) - f(reference) by up to "
            f"{c['max_relative_delta']:.2g} (relative) in {c['pairs_over_tolerance']} of {c['pairs']} "
            f"sequence-reference pairs, over the {c['tolerance']:g} tolerance: a layer without an "
            "exact rule; compare with --method ig"
        )
