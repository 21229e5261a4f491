"""The k-mer baseline: canonical counts, strand symmetry, one BLAS thread, saving."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.models import kmer
from brainresnet_tf.models.kmer import KmerModel, KmerSpec, canonical_columns, kmer_counts

BASES = "ACGT"


def naive_canonical_counts(seq: str, k: int) -> dict[str, int]:
    """Count each k-mer under the smaller of itself and its reverse complement (k-mers with N skipped)."""
    rc = {"A": "T", "C": "G", "G": "C", "T": "A"}
    out: dict[str, int] = {}
    for i in range(len(seq) - k + 1):
        word = seq[i : i + k]
        if "N" in word:
            continue
        key = min(word, "".join(rc[b] for b in reversed(word)))
        out[key] = out.get(key, 0) + 1
    return out


def codes_of(seq: str) -> np.ndarray:
    return np.array(["ACGTN".index(b) for b in seq], np.uint8)[None, :]


@settings(max_examples=60, deadline=None)
@given(st.text("ACGTN", min_size=0, max_size=40), st.integers(1, 4))
def test_counts_match_a_naive_canonical_count(seq, k):
    counts = kmer_counts(codes_of(seq), k)[0] if seq else kmer_counts(np.zeros((1, 0), np.uint8), k)[0]
    column, n_columns = canonical_columns(k)
    expected = np.zeros(n_columns, np.float32)
    for word, n in naive_canonical_counts(seq, k).items():
        expected[column[int("".join(str(BASES.index(b)) for b in word), 4)]] = n
    np.testing.assert_array_equal(counts, expected)


def planted(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random 120 bp codes; half carry TGACTCA (profile 0); profile 1 has positives only."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, 120), dtype=np.uint8)
    y = np.zeros((n, 2), np.float32)
    y[: n // 2, 0] = 1
    y[:, 1] = 1
    codes[: n // 2, 50:57] = [BASES.index(b) for b in "TGACTCA"]
    return codes, y


def test_fit_learns_a_motif_predicts_both_strands_alike_and_survives_saving(tmp_path):
    codes, y = planted(200)
    model = KmerModel(KmerSpec(ks=(3, 4)), seed=0).fit(codes, y)
    p = model.predict(codes)
    assert p[:100, 0].mean() > p[100:, 0].mean() + 0.3
    assert np.allclose(p[:, 1], 1.0)  # one class only: its frequency
    reverse_complement = (3 - codes[:, ::-1]).astype(np.uint8)
    np.testing.assert_allclose(model.predict(reverse_complement), p, atol=1e-6)
    model.save(tmp_path / "model.joblib")
    np.testing.assert_allclose(KmerModel.load(tmp_path / "model.joblib").predict(codes), p, atol=1e-7)


def test_fit_and_predict_run_blas_on_one_thread(monkeypatch):
    """Many small lbfgs fits spin-wait against other threads with BLAS's default (benchmarks/kmer.py)."""
    from threadpoolctl import threadpool_info

    seen = []
    fit_profile = KmerModel._fit_profile

    def recording(self, x, labels):
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        return fit_profile(self, x, labels)

    monkeypatch.setattr(KmerModel, "_fit_profile", recording)
    codes, y = planted(60)
    KmerModel(KmerSpec(ks=(2,)), seed=0).fit(codes, y)
    assert seen and all(s == {1} for s in seen)
    with kmer.one_blas_thread():
        assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == {1}


@pytest.mark.subprocess
def test_kmer_benchmark_runs_at_tiny_scale():
    """`python benchmarks/kmer.py` at tiny scale: one BLAS thread and the default pick the same
    regularisation and predictions (the benchmark itself stops otherwise)."""
    root = Path(__file__).resolve().parents[2]
    args = ["--windows", "120", "--context", "100", "--profiles", "2", "--rounds", "1", "--busy", "1"]
    run = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "kmer.py"), *args],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["same_regularisation"] is True and result["max_prediction_gap"] < 1e-3
    assert len(result["seconds"]["one_thread"]) == 1 and result["busy_processes"] == 1
