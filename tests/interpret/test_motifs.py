"""JASPAR offline, TOMTOM naming, pattern trimming, the pattern table and MEME files."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.demo.synthetic import jaspar_motif
from brainresnet_tf.interpret import motifs as M
from brainresnet_tf.io.jaspar import jaspar_core_vertebrates


@pytest.fixture(scope="module")
def db():
    return jaspar_core_vertebrates()


def sample_ppm(probs: np.ndarray, n: int = 300, seed: int = 0) -> np.ndarray:
    """PPM (W, 4) of ``n`` instances drawn from ``probs`` (W, 4)."""
    rng = np.random.default_rng(seed)
    idx = (rng.random((n, len(probs), 1)) > np.cumsum(probs, axis=1)[None]).sum(-1).clip(0, 3)
    return np.stack([(idx == b).mean(0) for b in range(4)], axis=1)


def test_jaspar_lookup_is_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    fresh = jaspar_core_vertebrates.__wrapped__("JASPAR2024")
    assert len(fresh) > 500
    i = fresh.index("MA0143.5")
    assert fresh.names[i] == "SOX2"
    assert fresh.pwms[i].shape[0] == 4
    np.testing.assert_allclose(fresh.pwms[i].sum(axis=0), 1.0)
    assert fresh.index("MA0143.9") == i  # another version of the same matrix: by base id


def test_tomtom_names_a_planted_known_motif(db):
    queries = [sample_ppm(jaspar_motif(name)[1], seed=k) for k, name in enumerate(("CTCF", "PAX6"))]
    best = M.match_ppms(queries, db, top_n=3)
    assert [b[0]["id"] for b in best] == ["MA0139.2", "MA0069.1"]
    assert all(b[0]["q"] < 0.05 for b in best)
    assert best[0][0]["q"] <= best[0][1]["q"]
    # the reverse complement is matched on the other strand
    rc = M.match_ppms([queries[0][::-1, ::-1]], db, top_n=1)[0][0]
    assert rc["id"] == "MA0139.2" and rc["strand"] == "-"


def _pattern(name: str, ppm: np.ndarray, n: int = 50) -> M.Pattern:
    flank = np.full((5, 4), 0.25)
    full = np.vstack([flank, ppm, flank])
    cwm = full * np.r_[np.zeros(5), np.ones(len(ppm)), np.zeros(5)][:, None]
    return M.Pattern(
        name,
        1 if name.startswith("pos") else -1,
        n,
        full,
        cwm,
        cwm,
        pd.DataFrame({"example_idx": [], "start": [], "end": [], "is_revcomp": []}),
    )


def test_trimming_keeps_informative_flanks_beyond_the_cwm_core(db):
    """A model leaning on PAX6's central columns: the CWM core alone names PAX9; the bounds
    widened over the PPM's informative flanks give the whole motif, named PAX6."""
    sharp = jaspar_motif("PAX6")[1] ** 2
    pax6 = sharp / sharp.sum(axis=1, keepdims=True)
    flank = np.full((6, 4), 0.25)
    ppm = np.vstack([flank, pax6, flank])
    weight = np.zeros(len(ppm))
    weight[6 + 2 : 6 + 12] = 1.0  # contributions only on columns 2..11
    pattern = M.Pattern(
        "pos_patterns.pattern_0", 1, 300, ppm, ppm * weight[:, None], ppm * weight[:, None], pd.DataFrame()
    )
    core = M.match_ppms([ppm[6 + 2 : 6 + 12]], db, 1)[0][0]
    assert core["name"] == "PAX9"  # what CWM trimming alone would report
    assert pattern.trim_bounds() == (6, 6 + len(pax6))
    assert M.match_ppms([pattern.trimmed_ppm()], db, 1)[0][0]["name"] == "PAX6"


def test_pattern_trimming_table_and_meme_files(db, tmp_path):
    from memelite.io import read_meme

    ctcf = sample_ppm(jaspar_motif("CTCF")[1])
    pats = [
        _pattern("pos_patterns.pattern_0", ctcf),
        _pattern("neg_patterns.pattern_0", sample_ppm(jaspar_motif("PAX6")[1])),
    ]
    assert pats[0].trim_bounds() == (5, 5 + len(ctcf))
    table = M.pattern_table(pats, db)
    assert list(table["match1_name"]) == ["CTCF", "PAX6"]
    assert list(table["sign"]) == ["+", "-"]
    M.write_patterns_meme(pats, tmp_path / "p.meme")
    back = read_meme(str(tmp_path / "p.meme"))
    assert list(back) == ["pos_patterns.pattern_0", "neg_patterns.pattern_0"]
    np.testing.assert_allclose(back["pos_patterns.pattern_0"], ctcf.T, atol=1e-6)
    M.write_db_meme(db, tmp_path / "db.meme")
    assert len(read_meme(str(tmp_path / "db.meme"))) == len(db)


def test_degenerate_contributions_give_no_patterns_not_a_crash(tmp_path):
    """modisco-lite raises on all-positive contributions; that is 'no patterns' for us."""
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (200, 100))]
    hyp = np.abs(rng.normal(size=x.shape)).astype(np.float32) * 0.01
    hyp[:, 40:50] += 1.0
    assert M.run_modisco(x, hyp, tmp_path / "m.h5", isolate=False) == []
    assert (tmp_path / "m.h5").exists()
