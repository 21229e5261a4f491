"""Attributions on a hand-built model whose filters are motifs: where they peak, ISM vs input x
gradient, integrated-gradients completeness, strand averaging, contrast mode."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference import attribution as A
from brainresnet_tf.io.genome import one_hot_sequence

MOTIF_A = "GATTACA"  # profile "a" fires on it (not palindromic: tests the strands)


MOTIF_B = "CCGGTAA"  # profile "b"


L = 60


def motif_model(length: int = L) -> keras.Model:
    """Conv1D with the motifs' one-hot as kernels (bias: only a full match passes the ReLU),
    global max-pool, Dense 'profiles' (sigmoid): logit_a = 2*match_a - 1, logit_b = 2*match_b - 1."""
    width = len(MOTIF_A)
    inp = keras.Input((length, 4), name="sequence")
    conv = keras.layers.Conv1D(2, width, activation="relu", name="motif_filters")
    x = keras.layers.GlobalMaxPooling1D()(conv(inp))
    dense = keras.layers.Dense(2, activation="sigmoid", name="profiles")
    model = keras.Model(inp, dense(x))
    kernel = np.stack([one_hot_sequence(MOTIF_A), one_hot_sequence(MOTIF_B)], axis=-1)
    conv.set_weights([kernel, np.full(2, -(width - 1), np.float32)])
    dense.set_weights([2.0 * np.eye(2, dtype=np.float32), np.full(2, -1.0, np.float32)])
    return model


def sequence_with(motifs: dict[int, str], length: int = L, seed: int = 0) -> np.ndarray:
    """One-hot (length, 4) of a random sequence without either motif, with motifs at offsets."""
    rng = np.random.default_rng(seed)
    rc = str.maketrans("ACGT", "TGCA")
    both = [m for s in (MOTIF_A, MOTIF_B) for m in (s, s.translate(rc)[::-1])]
    while True:
        seq = "".join(rng.choice(list("ACGT"), length))
        if not any(m in seq for m in both):
            break
    for off, m in motifs.items():
        seq = seq[:off] + m + seq[off + len(m) :]
    return one_hot_sequence(seq)


@pytest.fixture(scope="module")
def model():
    return motif_model()


def test_profile_index_by_name_position_and_error():
    assert A.profile_index(["a", "b"], "b") == 1
    assert A.profile_index(["a", "b"], 0) == 0
    assert A.profile_index(["NPC_ATAC"], "npc_atac") == 0
    with pytest.raises(InputError, match="the model predicts a, b"):
        A.profile_index(["a", "b"], "c")


def test_logit_scale_is_the_pre_activation(model):
    x = np.stack([sequence_with({20: MOTIF_A}), sequence_with({})])
    t = A.make_target(model, ["a", "b"], "a", rc_average=False)
    np.testing.assert_allclose(A.predict_target(t, x), [1.0, -1.0], atol=1e-6)
    t_out = A.make_target(model, ["a", "b"], "a", scale="output", rc_average=False)
    np.testing.assert_allclose(A.predict_target(t_out, x), 1 / (1 + np.exp([-1.0, 1.0])), atol=1e-6)


def test_input_x_gradient_peaks_on_the_motif(model):
    x = sequence_with({20: MOTIF_A})[None]
    t = A.make_target(model, ["a", "b"], "a")
    attr = A.input_x_gradient(t, x).sum(-1)[0]
    # forward strand: d logit / d base = 2 on each motif base; rc strand has no match; averaged: 1
    np.testing.assert_allclose(attr[20:27], 1.0, atol=1e-5)
    assert np.abs(np.delete(attr, np.arange(20, 27))).max() < 1e-6
    assert A.input_x_gradient(t, x)[0, 20:27][one_hot_sequence(MOTIF_A) == 0].sum() == 0


def test_gradients_do_not_depend_on_batch_size(model):
    x = np.stack([sequence_with({5 + i: MOTIF_A}, seed=i) for i in range(5)])
    t = A.make_target(model, ["a", "b"], "a")
    np.testing.assert_allclose(A.gradients(t, x, batch_size=2), A.gradients(t, x, batch_size=64), atol=1e-6)


def test_ism_agrees_in_sign_with_input_x_gradient(model):
    x = np.stack([sequence_with({12: MOTIF_A}, seed=1), sequence_with({40: MOTIF_A}, seed=2)])
    t = A.make_target(model, ["a", "b"], "a")
    ixg = A.input_x_gradient(t, x).sum(-1)
    deltas = A.ism(t, x, batch_size=97)
    importance = A.contributions(A.hypothetical_contributions(deltas), x)  # -mean(delta) per base
    strong = np.abs(ixg) > 1e-3
    assert strong.sum() == 14  # the 7 motif bases of each sequence
    assert (np.sign(importance[strong]) == np.sign(ixg[strong])).all()
    # brute force for one substitution: base 14 of sequence 0 (inside the motif) -> A
    mutant = x[:1].copy()
    mutant[0, 14] = [1, 0, 0, 0] if x[0, 14, 0] == 0 else [0, 1, 0, 0]
    base = int(mutant[0, 14].argmax())
    expected = A.predict_target(t, mutant)[0] - A.predict_target(t, x[:1])[0]
    assert deltas[0, 14, base] == pytest.approx(expected, abs=1e-5)
    assert (deltas[x == 1] == 0).all()


def test_ism_window_limits_the_positions(model):
    x = sequence_with({20: MOTIF_A})[None]
    t = A.make_target(model, ["a", "b"], "a")
    deltas = A.ism(t, x, window=(18, 30))
    assert np.abs(deltas[0, :18]).max() == 0 and np.abs(deltas[0, 30:]).max() == 0
    assert deltas[0, 20:27].min() < 0
    with pytest.raises(InputError):
        A.ism(t, x, window=(10, L + 1))


def test_integrated_gradients_completeness(model):
    x = np.stack([sequence_with({20: MOTIF_A, 40: MOTIF_B}, seed=3), sequence_with({5: MOTIF_A})])
    for task, contrast in (("a", None), ("a", "b")):
        t = A.make_target(model, ["a", "b"], task, contrast)
        for baseline in ("uniform", "zeros"):
            attr = A.integrated_gradients(t, x, baseline, steps=256, batch_size=600)
            b = A._baseline(baseline, L)[None]
            gap = A.predict_target(t, x) - A.predict_target(t, b)[0]
            np.testing.assert_allclose(attr.sum(axis=(1, 2)), gap, rtol=0.02, atol=0.02)


def test_ig_hypothetical_matches_ig_with_uniform_baseline(model):
    x = sequence_with({20: MOTIF_A})[None]
    t = A.make_target(model, ["a", "b"], "a")
    ig, mean_grad = A.integrated_gradients(t, x, steps=16, return_mean_gradient=True)
    hyp = A.attribute(t, x, "ig", steps=16)
    np.testing.assert_allclose(A.contributions(hyp, x), ig.sum(-1), atol=1e-5)
    np.testing.assert_allclose(hyp.sum(-1), 0, atol=1e-5)  # mean-normalised
    assert A.to_modisco(hyp).shape == (1, 4, L)


def test_strand_averaging_maps_the_reverse_strand_back(model):
    x = sequence_with({20: MOTIF_A})[None]
    rc = x[:, ::-1, ::-1].copy()
    t = A.make_target(model, ["a", "b"], "a")
    for method in ("ixg", "ig", "ism"):
        fwd = A.attribute(t, x, method, steps=8)
        rev = A.attribute(t, rc, method, steps=8)
        np.testing.assert_allclose(rev[:, ::-1, ::-1], fwd, atol=1e-5, err_msg=method)
    # one strand only: the reverse complement does not contain the motif, so nothing is explained
    single = A.make_target(model, ["a", "b"], "a", rc_average=False)
    assert np.abs(A.input_x_gradient(single, rc)).max() == 0
    assert np.abs(A.input_x_gradient(single, x)).max() > 0


def test_contrast_mode_signs(model):
    x = sequence_with({10: MOTIF_A, 40: MOTIF_B}, seed=4)[None]
    t = A.make_target(model, ["a", "b"], "a", contrast="b")
    contrib = A.contributions(A.attribute(t, x, "ixg"), x)[0]
    assert contrib[10:17].sum() > 0.5 and contrib[40:47].sum() < -0.5
    with pytest.raises(InputError, match="is the task itself"):
        A.make_target(model, ["a", "b"], "a", contrast="a")
