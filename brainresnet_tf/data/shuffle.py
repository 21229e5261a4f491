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
