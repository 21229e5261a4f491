"""Dinucleotide shuffles keep every dinucleotide count, the ends and the N positions."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.data.shuffle import dinucleotide_shuffle, dinucleotide_shuffles, shuffled_negatives


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


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(st.integers(0, 4), min_size=30, max_size=30), min_size=1, max_size=6),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_vectorised_shuffles_keep_counts_ends_and_n(rows, n, seed):
    codes = np.asarray(rows, np.uint8)
    out = dinucleotide_shuffles(codes, n, np.random.default_rng(seed))
    assert out.shape == (len(codes), n, codes.shape[1])
    for row, shuffles in zip(codes, out):
        for s in shuffles:
            assert (_dinucleotides(s) == _dinucleotides(row)).all()
            assert (np.flatnonzero(s == 4) == np.flatnonzero(row == 4)).all()
            runs = np.flatnonzero(np.diff(np.r_[0, (row < 4).astype(int), 0]))  # run starts/ends
            for start, end in zip(runs[::2], runs[1::2]):
                assert s[start] == row[start] and s[end - 1] == row[end - 1]


def test_vectorised_shuffles_draw_like_the_per_row_walk():
    """The same distribution over shuffles as the per-row walk (all 132 of a short sequence)."""
    from collections import Counter

    from scipy.stats import chi2_contingency

    seq = np.array([0, 1, 0, 2, 1, 0, 3, 2, 0, 1, 3, 0], np.uint8)
    many = Counter(map(bytes, dinucleotide_shuffles(seq[None], 20_000, np.random.default_rng(0))[0]))
    rng = np.random.default_rng(1)
    single = Counter(bytes(dinucleotide_shuffle(seq, rng)) for _ in range(20_000))
    keys = sorted(set(many) | set(single))
    assert len(keys) == 132
    assert chi2_contingency([[many[k] for k in keys], [single[k] for k in keys]]).pvalue > 1e-3
