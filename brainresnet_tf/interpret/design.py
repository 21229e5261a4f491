"""Design sequences the model predicts open in one profile and closed in another.

The objective of a sequence is ``logit(p_task) - logit(p_contrast)`` (just ``logit(p_task)``
without a contrast), ``p`` the model's output averaged over both strands
(:class:`~brainresnet_tf.inference.predict.Predictor`). Logits, not probabilities: near 0 or 1 a
probability difference stops moving while the logit still ranks sequences.

Each round improves every sequence at once, all candidates of all sequences in shared batches:

* ``greedy``: every single-base substitution at a free position (or ``candidates`` drawn at
  random), plus, with ``insert``, each motif's consensus written at every free offset on both
  strands; the best candidate is taken when it beats the sequence;
* ``evolve``: ``candidates`` offspring per sequence, each with ``n_mutations`` random
  substitutions (or, with ``insert``, one motif insertion in a quarter of them); the best of
  parent and offspring survives (a (1 + lambda) evolution strategy).

Constraints hold for starts and every candidate: GC fraction in ``gc``, no homopolymer run
longer than ``max_homopolymer``, ``fixed`` positions unchanged. Seeded: the same seed, inputs and
model give the same sequences and trajectory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError

METHODS = ("greedy", "evolve")


@dataclass(frozen=True)
class Constraints:
    """GC range (fraction), longest allowed homopolymer (None: any), fixed positions (mask)."""

    gc: tuple[float, float] = (0.0, 1.0)
    max_homopolymer: int | None = None
    fixed: np.ndarray | None = None

    def ok(self, codes: np.ndarray) -> np.ndarray:
        """Which rows of base codes (B, L) satisfy the GC range and homopolymer limit."""
        codes = np.atleast_2d(codes)
        gc = np.isin(codes, (1, 2)).mean(axis=1)
        good = (gc >= self.gc[0] - 1e-9) & (gc <= self.gc[1] + 1e-9)
        k = self.max_homopolymer
        if k is not None and codes.shape[1] > k:
            same = (codes[:, 1:] == codes[:, :-1]).astype(np.int32)  # run of k+1 = k equal steps
            c = np.concatenate([np.zeros((len(codes), 1), np.int32), np.cumsum(same, axis=1)], axis=1)
            good &= ~((c[:, k:] - c[:, :-k]) >= k).any(axis=1)
        return good

    def free(self, length: int) -> np.ndarray:
        """Positions that may change."""
        return np.ones(length, bool) if self.fixed is None else ~np.asarray(self.fixed, bool)


def parse_positions(text: str | None, length: int) -> np.ndarray | None:
    """``"0-20,380-400,199"`` (0-based, half-open ranges) -> a fixed-position mask."""
    if not text:
        return None
    mask = np.zeros(length, bool)
    for part in text.split(","):
        part = part.strip()
        try:
            lo, _, hi = part.partition("-")
            a, b = int(lo), int(hi) if hi else int(lo) + 1
        except ValueError:
            raise InputError(
                f"--fixed {text!r}: expected ranges like 0-20,380-400 (0-based, end excluded)"
            ) from None
        if not 0 <= a < b <= length:
            raise InputError(f"--fixed range {part!r} is outside 0-{length}")
        mask[a:b] = True
    return mask


def random_starts(n: int, length: int, constraints: Constraints, rng: np.random.Generator) -> np.ndarray:
    """``n`` random sequences (codes) meeting the constraints (GC drawn at the middle of the range)."""
    lo, hi = constraints.gc
    gc = (max(lo, 0.0) + min(hi, 1.0)) / 2
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    out = np.empty((n, length), np.uint8)
    for i in range(n):
        for _ in range(10_000):
            seq = rng.choice(4, length, p=p).astype(np.uint8)
            if constraints.ok(seq)[0]:
                out[i] = seq
                break
        else:
            raise InputError(
                f"no random {length} bp sequence met the constraints (GC {lo:g}-{hi:g}, "
                f"homopolymers <= {constraints.max_homopolymer}) in 10,000 draws: relax them"
            )
    return out


def consensus_codes(ppm: np.ndarray) -> np.ndarray:
    """The consensus (argmax per column) of a PPM (W, 4) as base codes."""
    return np.asarray(ppm).argmax(axis=1).astype(np.uint8)


@dataclass
class Objective:
    """Scores base-code batches: logit(task) - logit(contrast), strand-averaged, in batches."""

    predict: Callable[[np.ndarray], np.ndarray]  # codes (B, L) -> probabilities (B, P)
    task: int
    contrast: int | None = None
    batch_size: int = 512
    evaluated: int = field(default=0, init=False)

    def __call__(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(objective (B,), probabilities (B, P))."""
        probs = np.concatenate(
            [self.predict(codes[i : i + self.batch_size]) for i in range(0, len(codes), self.batch_size)]
        )
        self.evaluated += len(codes)
        return self.score(probs), probs

    def score(self, probs: np.ndarray) -> np.ndarray:
        p = np.clip(probs.astype(np.float64), 1e-7, 1 - 1e-7)
        logit = np.log(p) - np.log1p(-p)
        out = logit[:, self.task]
        return out - logit[:, self.contrast] if self.contrast is not None else out


def _substitutions(seq: np.ndarray, free: np.ndarray, k: int | None, rng) -> tuple[np.ndarray, list[str]]:
    """All (or ``k`` random) single substitutions at free positions: (C, L) codes, labels."""
    pos = np.repeat(np.flatnonzero(free), 3)
    shift = np.tile(np.arange(1, 4), int(free.sum()))
    if k is not None and k < len(pos):
        pick = np.sort(rng.choice(len(pos), k, replace=False))
        pos, shift = pos[pick], shift[pick]
    cand = np.repeat(seq[None], len(pos), axis=0)
    new = ((seq[pos].astype(np.int64) + shift) % 4).astype(np.uint8)
    cand[np.arange(len(pos)), pos] = new
    labels = [f"{'ACGT'[seq[p]]}{p}{'ACGT'[b]}" for p, b in zip(pos, new)]
    return cand, labels


def _insertions(
    seq: np.ndarray, free: np.ndarray, motifs: dict[str, np.ndarray]
) -> tuple[np.ndarray, list[str]]:
    """Each motif's consensus (both strands) written at every offset whose bases are all free."""
    cands, labels = [], []
    for name, cons in motifs.items():
        w = len(cons)
        ok = np.lib.stride_tricks.sliding_window_view(free, w).all(axis=1)
        for strand, c in (("+", cons), ("-", (3 - cons)[::-1])):
            for off in np.flatnonzero(ok):
                if np.array_equal(seq[off : off + w], c):
                    continue
                cand = seq.copy()
                cand[off : off + w] = c
                cands.append(cand)
                labels.append(f"{name}{strand}@{off}")
    if not cands:
        return np.zeros((0, len(seq)), np.uint8), []
    return np.stack(cands), labels


def _offspring(
    seq: np.ndarray,
    free: np.ndarray,
    n: int,
    n_mutations: int,
    motifs: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[str]]:
    free_pos = np.flatnonzero(free)
    cands, labels = np.repeat(seq[None], n, axis=0), []
    names = list(motifs)
    for i in range(n):
        if names and rng.random() < 0.25:
            name = names[int(rng.integers(len(names)))]
            cons = motifs[name] if rng.random() < 0.5 else (3 - motifs[name])[::-1]
            ok = np.flatnonzero(np.lib.stride_tricks.sliding_window_view(free, len(cons)).all(axis=1))
            if len(ok):
                off = int(ok[rng.integers(len(ok))])
                cands[i, off : off + len(cons)] = cons
                labels.append(f"{name}@{off}")
                continue
        pos = rng.choice(free_pos, min(n_mutations, len(free_pos)), replace=False)
        cands[i, pos] = (cands[i, pos] + rng.integers(1, 4, len(pos))) % 4
        labels.append(",".join(f"{'ACGT'[seq[p]]}{p}{'ACGT'[cands[i, p]]}" for p in sorted(pos)))
    return cands, labels


@dataclass
class DesignResult:
    """Final codes (N, L), their objective and probabilities, and the trajectory (one row per
    sequence per round, round 0 = the starts)."""

    codes: np.ndarray
    score: np.ndarray
    probs: np.ndarray
    trajectory: pd.DataFrame
    evaluated: int


def design(
    starts: np.ndarray,
    objective: Objective,
    constraints: Constraints,
    *,
    rounds: int = 10,
    method: str = "greedy",
    candidates: int | None = None,
    n_mutations: int = 2,
    insert: dict[str, np.ndarray] | None = None,
    seed: int = 0,
    progress: Callable[[int, np.ndarray], None] | None = None,
) -> DesignResult:
    """Improve ``starts`` (codes (N, L)) for ``rounds`` rounds; see the module docstring."""
    if method not in METHODS:
        raise InputError(f"unknown design method {method!r} (expected {', '.join(METHODS)})")
    if rounds < 0:
        raise InputError(f"--rounds {rounds} must be >= 0")
    rng = np.random.default_rng(seed)
    codes = np.array(starts, np.uint8, copy=True)
    bad = ~constraints.ok(codes)
    if bad.any():
        raise InputError(
            f"start sequence(s) {', '.join(map(str, np.flatnonzero(bad)[:5]))} break the constraints "
            f"(GC {constraints.gc[0]:g}-{constraints.gc[1]:g}, homopolymers <= "
            f"{constraints.max_homopolymer}): relax them or give other starts"
        )
    free = constraints.free(codes.shape[1])
    insert = insert or {}
    score, probs = objective(codes)
    edits = np.zeros(len(codes), int)
    rows = _rows(0, score, probs, objective, codes, edits, [""] * len(codes))
    if method == "evolve" and candidates is None:
        candidates = 64
    for r in range(1, rounds + 1):
        blocks, owners, labels = [], [], []
        for i, seq in enumerate(codes):
            if method == "greedy":
                c, lab = _substitutions(seq, free, candidates, rng)
                if insert:
                    ci, li = _insertions(seq, free, insert)
                    c, lab = np.concatenate([c, ci]), lab + li
            else:
                c, lab = _offspring(seq, free, candidates, n_mutations, insert, rng)
            keep = constraints.ok(c) if len(c) else np.zeros(0, bool)
            blocks.append(c[keep])
            labels.extend(np.asarray(lab, dtype=object)[keep].tolist())
            owners.append(np.full(int(keep.sum()), i))
        cand = np.concatenate(blocks) if blocks else np.zeros((0, codes.shape[1]), np.uint8)
        owner = np.concatenate(owners) if owners else np.zeros(0, int)
        moves = [""] * len(codes)
        if len(cand):
            c_score, c_probs = objective(cand)
            for i in range(len(codes)):
                idx = np.flatnonzero(owner == i)
                if not len(idx):
                    continue
                j = idx[np.argmax(c_score[idx])]
                if c_score[j] > score[i]:
                    edits[i] += int((cand[j] != codes[i]).sum())
                    codes[i], score[i], probs[i], moves[i] = cand[j], c_score[j], c_probs[j], labels[j]
        rows += _rows(r, score, probs, objective, codes, edits, moves)
        if progress is not None:
            progress(r, score)
    return DesignResult(codes, score, probs, pd.DataFrame(rows), objective.evaluated)


def _rows(r, score, probs, objective, codes, edits, moves) -> list[dict]:
    gc = np.isin(codes, (1, 2)).mean(axis=1)
    out = []
    for i in range(len(codes)):
        row = {
            "round": r,
            "sequence": i,
            "score": float(score[i]),
            "task_prob": float(probs[i, objective.task]),
        }
        if objective.contrast is not None:
            row["contrast_prob"] = float(probs[i, objective.contrast])
        row.update(gc=round(float(gc[i]), 4), edits=int(edits[i]), move=moves[i])
        out.append(row)
    return out


def decode(codes: np.ndarray) -> list[str]:
    """Base codes (N, L) -> DNA strings."""
    letters = np.frombuffer(b"ACGTN", np.uint8)
    return [letters[row].tobytes().decode() for row in np.asarray(codes)]


def plot_trajectory(
    trajectory: pd.DataFrame,
    path,
    title: str,
    reference: float | None = None,
    reference_label: str = "",
) -> None:
    """Objective per round: one thin line per sequence, their mean, and a reference line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from brainresnet_tf.io.atomic import save_figure

    fig, ax = plt.subplots(figsize=(6, 4))
    for _, g in trajectory.groupby("sequence"):
        ax.plot(g["round"], g["score"], color="tab:blue", alpha=0.25, lw=0.8)
    mean = trajectory.groupby("round")["score"].mean()
    ax.plot(mean.index, mean.values, color="tab:blue", lw=2.2, label="designed (mean)")
    if reference is not None:
        ax.axhline(reference, color="tab:red", ls="--", lw=1.2, label=reference_label)
    ax.set_xlabel("round")
    ax.set_ylabel("objective (logit difference)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)


def motif_consensus(names: Sequence[str], db) -> dict[str, np.ndarray]:
    """Consensus codes of JASPAR motifs by name or id (for insertion moves)."""
    from brainresnet_tf.interpret.hits import motifs_from_jaspar

    return {m.name: consensus_codes(m.ppm) for m in motifs_from_jaspar(list(names), db)}
