"""Sequence design: constraints, greedy and evolutionary rounds, seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.interpret import design as D


def _fake_predict(codes: np.ndarray) -> np.ndarray:
    """'task' opens with GC and with the word GATTACA; 'contrast' opens with TT steps."""
    codes = np.asarray(codes)
    gc = np.isin(codes, (1, 2)).mean(axis=1)
    word = np.array([2, 0, 3, 3, 0, 1, 0])
    win = np.lib.stride_tricks.sliding_window_view(codes, 7, axis=1)
    has = (win == word).all(axis=2).any(axis=1)
    tt = ((codes[:, 1:] == 3) & (codes[:, :-1] == 3)).mean(axis=1)
    z_task, z_contrast = 4 * gc - 2 + 3 * has, 8 * tt - 1
    return 1 / (1 + np.exp(-np.stack([z_task, z_contrast], axis=1)))


def test_constraints_and_positions():
    c = D.Constraints(gc=(0.4, 0.6), max_homopolymer=3)
    seqs = np.array([[0, 1, 2, 3] * 5, [0, 0, 0, 0] + [1, 2] * 8, [1] * 20])
    assert c.ok(seqs).tolist() == [True, False, False]
    assert D.Constraints(max_homopolymer=4).ok(seqs[1:2])[0]
    mask = D.parse_positions("0-3,10", 20)
    assert np.flatnonzero(mask).tolist() == [0, 1, 2, 10]
    with pytest.raises(InputError, match="outside"):
        D.parse_positions("15-25", 20)
    with pytest.raises(InputError, match="expected ranges"):
        D.parse_positions("a-b", 20)


@pytest.mark.parametrize("method", ["greedy", "evolve"])
def test_design_improves_keeps_constraints_and_is_seeded(method):
    length = 40
    fixed = D.parse_positions("0-5", length)
    cons = D.Constraints(gc=(0.3, 0.7), max_homopolymer=4, fixed=fixed)
    rng = np.random.default_rng(0)
    starts = D.random_starts(6, length, cons, rng)

    def go():
        obj = D.Objective(_fake_predict, 0, 1, batch_size=64)
        return D.design(
            starts,
            obj,
            cons,
            rounds=5,
            method=method,
            seed=3,
            insert={"GATTACA": np.array([2, 0, 3, 3, 0, 1, 0])},
        )

    a, b = go(), go()
    assert np.array_equal(a.codes, b.codes)
    assert a.trajectory.equals(b.trajectory)
    first = a.trajectory.query("round == 0")["score"].to_numpy()
    assert (a.score >= first).all() and a.score.mean() > first.mean() + 1
    assert cons.ok(a.codes).all()
    assert (a.codes[:, :5] == starts[:, :5]).all()
    per_round = a.trajectory.pivot(index="round", columns="sequence", values="score")
    assert (per_round.diff().dropna() >= 0).all().all()  # a sequence never gets worse
    assert set(a.trajectory.columns) >= {
        "round",
        "sequence",
        "score",
        "task_prob",
        "contrast_prob",
        "gc",
        "move",
    }


def test_starts_that_break_constraints_are_refused():
    obj = D.Objective(_fake_predict, 0, 1)
    with pytest.raises(InputError, match="break the constraints"):
        D.design(np.zeros((1, 20), np.uint8), obj, D.Constraints(max_homopolymer=5), rounds=1)


@pytest.mark.subprocess
def test_design_benchmark_runs_at_tiny_scale():
    """`python benchmarks/design.py` (the README's throughput numbers) at tiny scale: both paths
    choose the same moves."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    args = ["--length", "40", "--sequences", "2", "--rounds", "1", "--batch-size", "64"]

    def benchmark(*extra: str) -> dict:
        run = subprocess.run(
            [sys.executable, str(root / "benchmarks" / "design.py"), *args, *extra],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        return json.loads(run.stdout)

    result = benchmark()
    assert result["same_moves_and_scores"] is True and result["speedup"] > 1
    batched_only = benchmark("--naive-sequences", "0")  # the quick check the README's CI run uses
    assert batched_only["speedup"] is None and batched_only["naive_one_at_a_time"] is None
    assert batched_only["batched"]["sequence_rounds_per_s"] > 0
