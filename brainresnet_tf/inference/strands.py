"""The one strand-averaging rule: a prediction is the mean over the forward strand and the reverse
complement, computed in one call on the two stacked halves."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def reverse_complement_one_hot(x: tf.Tensor) -> tf.Tensor:
    """One-hot (B, L, 4) in A, C, G, T order -> its reverse complement (reverse both axes)."""
    return tf.reverse(x, axis=[1, 2])


def strand_average(fn: Callable[[tf.Tensor], tf.Tensor], x: tf.Tensor) -> tf.Tensor:
    """``(fn(x) + fn(rc(x))) / 2`` with one call of ``fn`` on the stacked batch (2B, L, 4).

    ``fn`` maps one-hot (B, L, 4) to (B, ...) and may be a Keras model, a SavedModel signature
    wrapped in a lambda, or any TensorFlow function; the mean is taken in TensorFlow, so it also
    works inside traced graphs (the exported signatures, gradient tapes).
    """
    both = fn(tf.concat([x, reverse_complement_one_hot(x)], axis=0))
    forward, reverse = tf.split(both, 2, axis=0)
    return (forward + reverse) / 2.0
