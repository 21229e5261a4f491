"""Dinucleotide shuffles keep every dinucleotide count, the ends and the N positions."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.data.shuffle import dinucleotide_shuffle, shuffled_negatives


def _dinucleotides(codes: np.ndarray) -> np.ndarray:
    counts = np.zeros((5, 5), int)
    np.add.at(counts, (codes[:-1], codes[1:]), 1)
    return counts


@settings(max_examples=2000, deadline=None)
@given(seq=st.lists(st.integers(0, 4), max_size=80), seed=st.integers(0, 2**32 - 1))
def test_counts_ends_and_n_are_kept(seq, seed):
    codes = np.asarray(seq, np.uint8)
    out = dinucleotide_shuffle(codes, np.random.default_rng(seed))
    assert out.shape == codes.shape
    assert (_dinucleotides(out) == _dinucleotides(codes)).all()
    assert (np.flatnonzero(out == 4) == np.flatnonzero(codes == 4)).all()
    if len(codes):
        assert out[0] == codes[0] and out[-1] == codes[-1]


def test_shuffles_really_move_bases_and_are_seeded():
    codes = np.random.default_rng(0).integers(0, 4, (20, 300)).astype(np.uint8)
    a, b = shuffled_negatives(codes, seed=1), shuffled_negatives(codes, seed=1)
    assert (a == b).all()
    assert (a != codes).mean() > 0.5  # not the identity
    assert not (shuffled_negatives(codes, seed=2) == a).all()
