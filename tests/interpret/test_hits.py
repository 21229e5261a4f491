"""Hit calling: dinucleotide shuffles, PWM scans, and the two calibrated tests."""

from __future__ import annotations

import numpy as np
import pytest

from brainresnet_tf.demo.synthetic import jaspar_motif
from brainresnet_tf.errors import InputError
from brainresnet_tf.interpret import hits as H


def test_pwm_scores_equal_a_direct_sum_on_both_strands():
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (3, 30))]
    pwm = rng.normal(size=(6, 4))
    s = H.pwm_scores(x, pwm)
    i, o = 1, 7
    fwd = sum(pwm[j] @ x[i, o + j] for j in range(6))
    rev = sum(pwm[::-1, ::-1][j] @ x[i, o + j] for j in range(6))
    np.testing.assert_allclose(s[i, o], [fwd, rev], rtol=1e-5)
    with pytest.raises(InputError, match="longer than"):
        H.pwm_scores(x[:, :5], pwm)


def _world(seed: int = 0, n: int = 60, length: int = 120):
    """Random windows; CTCF consensus planted in the first half (with contribution), PAX6's in
    the second half (no contribution): only CTCF instances are hits."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length))
    contrib = rng.normal(0, 0.05, (n, length))
    planted = {}
    for i in range(n):
        name = "CTCF" if i < n // 2 else "PAX6"
        cons = jaspar_motif(name)[1].argmax(axis=1)
        off = int(rng.integers(0, length - len(cons)))
        if rng.random() < 0.5:
            cons = (3 - cons)[::-1]
        codes[i, off : off + len(cons)] = cons
        if name == "CTCF":
            contrib[i, off : off + len(cons)] += 1.0
        planted[i] = (name, off)
    return np.eye(4, dtype=np.float32)[codes], contrib, planted


def test_hits_are_matches_the_model_leans_on():
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

    x, contrib, planted = _world()
    motifs = H.motifs_from_jaspar(["CTCF", "MA0069.1"], jaspar_core_vertebrates())
    assert [m.name for m in motifs] == ["CTCF", "PAX6"]
    assert motifs[0].jaspar_id == "MA0139.2"  # the classic CTCF: the lowest id of that name
    calls = H.call_hits(x, contrib, motifs, seed=1)
    hits = calls.hits
    assert set(hits["name"]) == {"CTCF"}  # PAX6 matches perfectly but carries no contribution
    found = {(int(w), int(o)) for w, o in zip(hits["window"], hits["offset"])}
    expected = {(i, off) for i, (name, off) in planted.items() if name == "CTCF"}
    assert len(found & expected) >= 0.9 * len(expected)
    assert len(found - expected) <= 1
    summary = calls.summary.set_index("motif")
    assert summary.loc["PAX6", "match_candidates"] >= 25 and summary.loc["PAX6", "n_hits"] == 0
    # a pattern of negative sign needs negative contributions: the same instances are no hits
    negative = H.ScanMotif("CTCF-", "", motifs[0].ppm, -1, "neg")
    assert H.call_hits(x, contrib, [negative]).hits.empty


def test_no_hits_in_random_sequence():
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

    rng = np.random.default_rng(3)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (80, 150))]
    contrib = rng.normal(0, 1.0, (80, 150))
    motifs = H.motifs_from_jaspar(["CTCF", "PAX6", "YY1"], jaspar_core_vertebrates())
    assert len(H.call_hits(x, contrib, motifs).hits) <= 1


def test_unknown_jaspar_name_is_one_line():
    from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

    with pytest.raises(InputError, match="no such JASPAR id or name"):
        H.motifs_from_jaspar(["NOTAFACTOR"], jaspar_core_vertebrates())
