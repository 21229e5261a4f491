"""Dinucleotide-preserving shuffles: negatives that keep a sequence's composition exactly.

Written by hand (Altschul & Erickson 1985, the Euler-path algorithm uShuffle and fasta-shuffle-
letters use) because the Python wrappers do not install here (``ushuffle`` fails to build on
Python 3.11) or pull in PyTorch (``tangermeme``). A shuffle keeps every dinucleotide count and the
first and last base; N splits a sequence into runs that are shuffled separately.
"""

from __future__ import annotations

import numpy as np

N_CODE = 4


def _leads_to(last_edge: dict[int, int], target: int) -> bool:
    """Whether following each vertex's chosen last edge reaches ``target`` from every vertex."""
    for start in last_edge:
        v, seen = start, set()
        while v != target:
            if v in seen or v not in last_edge:
                return False
            seen.add(v)
            v = last_edge[v]
    return True


def _shuffle_run(run: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One ACGT-only run (codes 0-3), dinucleotide counts kept (Altschul-Erickson).

    The walk's order of leaving each base is shuffled, except that every base's final exit is
    fixed on a random tree leading to the run's last base, which makes the walk use every edge.
    """
    n = len(run)
    if n < 3:
        return run.copy()
    first, last = int(run[0]), int(run[-1])
    edges: dict[int, list[int]] = {}
    for a, b in zip(run[:-1].tolist(), run[1:].tolist()):
        edges.setdefault(a, []).append(b)
    others = [v for v in edges if v != last]
    while True:  # rejection sampling of the tree: at most 3 choices among 4 letters, quick
        last_edge = {v: edges[v][rng.integers(len(edges[v]))] for v in others}
        if _leads_to(last_edge, last):
            break
    order: dict[int, list[int]] = {}
    for v, out in edges.items():
        out = list(out)
        if v in last_edge:
            out.remove(last_edge[v])
            rng.shuffle(out)
            out.append(last_edge[v])
        else:
            rng.shuffle(out)
        order[v] = out
    position = dict.fromkeys(order, 0)
    result = np.empty(n, np.uint8)
    result[0] = v = first
    for i in range(1, n):
        v_next = order[v][position[v]]
        position[v] += 1
        result[i] = v = v_next
    return result


def dinucleotide_shuffle(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A dinucleotide-preserving shuffle of base codes (L,) (0-3 ACGT, 4 N; N positions kept)."""
    codes = np.asarray(codes, np.uint8)
    out = codes.copy()
    is_base = codes < N_CODE
    bounds = np.flatnonzero(np.diff(np.concatenate([[0], is_base.astype(np.int8), [0]])))
    for start, end in zip(bounds[::2], bounds[1::2]):
        out[start:end] = _shuffle_run(codes[start:end], rng)
    return out


def shuffled_negatives(codes: np.ndarray, seed: int = 0) -> np.ndarray:
    """One dinucleotide shuffle of every row of base codes (N, L), seeded."""
    rng = np.random.default_rng([seed, 1985])
    return np.stack([dinucleotide_shuffle(row, rng) for row in np.asarray(codes)]) if len(codes) else codes


def _runs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, start, end) of every ACGT run (between Ns) in the rows of ``codes`` (N, L)."""
    is_base = np.pad(codes < N_CODE, ((0, 0), (1, 1))).astype(np.int8)
    edges = np.diff(is_base, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    return rows, starts, ends


def _random_last_edges(
    succ: np.ndarray, count: np.ndarray, last: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Per walk and base, the index of its final exit: uniform among its out-edges, redrawn until
    the final exits form a tree leading to the walk's last base (Altschul-Erickson)."""
    choice = np.zeros(count.shape, np.int64)
    todo = np.ones(len(count), bool)
    while todo.any():
        idx = np.flatnonzero(todo)
        draw = (rng.random((len(idx), 4)) * np.maximum(count[idx], 1)).astype(np.int64)
        choice[idx] = draw
        nxt = succ[idx[:, None], np.arange(4)[None], draw].astype(np.int64)
        is_last = np.arange(4)[None] == last[idx, None]
        nxt = np.where(is_last | (count[idx] == 0), last[idx, None], nxt)
        cur = np.broadcast_to(np.arange(4), nxt.shape).copy()
        for _ in range(4):  # pointer jumping: 4 vertices reach the root in at most 4 steps
            cur = np.take_along_axis(nxt, cur, axis=1)
        ok = ((cur == last[idx, None]) | (count[idx] == 0)).all(axis=1)
        todo[idx[ok]] = False
    return choice


def dinucleotide_shuffles(codes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` dinucleotide-preserving shuffles of every row of base codes (N, L) -> (N, n, L).

    The same algorithm as :func:`dinucleotide_shuffle` (dinucleotide counts, first and last base of
    each run and the N positions kept), vectorised over all rows and shuffles at once: one numpy
    step per position for the whole batch, where the per-row walk above costs a Python step per
    base per shuffle (DeepSHAP needs 20 references for every explained sequence).
    """
    codes = np.asarray(codes, np.uint8)
    out = np.repeat(codes[:, None], n, axis=1)
    rows, starts, ends = _runs(codes)
    keep = ends - starts >= 3
    rows, starts, ends = rows[keep], starts[keep], ends[keep]
    if not len(rows) or n < 1:
        return out
    lengths = ends - starts
    width = int(lengths.max())
    span = np.arange(width)
    inside = span[None] < lengths[:, None]
    pos = np.minimum(starts[:, None] + span, codes.shape[1] - 1)
    runs = np.where(inside, codes[rows[:, None], pos], 0).astype(np.int64)
    # out-edges of each base in order of occurrence, once per run: succ[r, v, j] is the j-th base
    # after a v (the n shuffles of a run share them)
    is_edge = span[None, :-1] < (lengths - 1)[:, None]
    src, dst = runs[:, :-1], runs[:, 1:]
    onehot = (src[..., None] == np.arange(4)) & is_edge[..., None]
    rank = np.take_along_axis(np.cumsum(onehot, axis=1, dtype=np.int32), src[..., None], axis=2)[..., 0] - 1
    count = onehot.sum(axis=1)
    succ = np.zeros((len(runs), 4, max(int(count.max()), 1)), np.int8)
    r_idx, e_idx = np.nonzero(is_edge)
    succ[r_idx, src[r_idx, e_idx], rank[r_idx, e_idx]] = dst[r_idx, e_idx]
    first, last = runs[:, 0], runs[np.arange(len(runs)), lengths - 1]
    rows, starts, lengths, first, last, count, succ, inside = (
        np.repeat(a, n, axis=0) for a in (rows, starts, lengths, first, last, count, succ, inside)
    )
    copies = np.tile(np.arange(n), len(rows) // n)
    choice = _random_last_edges(succ, count, last, rng)
    # every base's exits in random order, its chosen final exit last (the last base has none)
    keys = rng.random(succ.shape, dtype=np.float32)
    slots = np.arange(succ.shape[2])[None, None]
    has_final = (np.arange(4)[None] != last[:, None]) & (count > 0)
    keys[has_final[..., None] & (slots == choice[..., None])] = 2.0
    keys[slots >= count[..., None]] = 3.0
    succ = np.take_along_axis(succ, np.argsort(keys, axis=2), axis=2)
    # the walk, on flat indices (one gather and one increment per position for every walk)
    width_exits = succ.shape[2]
    flat = succ.reshape(-1)
    used = np.zeros(len(succ) * 4, np.int64)
    base = np.arange(len(succ)) * 4
    result = np.zeros((len(succ), width), np.int8)
    result[:, 0] = v = first
    for i in range(1, width):
        key = base + v
        v = flat[key * width_exits + np.minimum(used[key], width_exits - 1)].astype(np.int64)
        used[key] += 1
        result[:, i] = v
    at = np.broadcast_to
    out[
        at(rows[:, None], inside.shape)[inside],
        at(copies[:, None], inside.shape)[inside],
        (starts[:, None] + span)[inside],
    ] = result[inside]
    return out
