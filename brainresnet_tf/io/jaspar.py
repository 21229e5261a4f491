"""JASPAR CORE vertebrate matrices, read offline from the SQLite files bundled inside pyjaspar."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

JASPAR_RELEASE = "JASPAR2024"
PSEUDOCOUNT = 0.01


@dataclass(frozen=True)
class MotifDB:
    """Motifs to match against: ids, names and (4, L) probability matrices (A, C, G, T rows)."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    pwms: tuple[np.ndarray, ...]
    source: str

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, matrix_id: str) -> int:
        """Index of a matrix id, by base id (``MA0143``) when the version differs."""
        if matrix_id in self.ids:
            return self.ids.index(matrix_id)
        base = matrix_id.split(".")[0]
        for i, m in enumerate(self.ids):
            if m.split(".")[0] == base:
                return i
        raise KeyError(matrix_id)


@functools.lru_cache(maxsize=4)
def jaspar_core_vertebrates(release: str = JASPAR_RELEASE) -> MotifDB:
    """JASPAR CORE vertebrate motifs (latest version of each) from pyjaspar's bundled SQLite."""
    from pyjaspar import jaspardb

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        motifs = jaspardb(release=release).fetch_motifs(
            collection="CORE", tax_group=["vertebrates"], all_versions=False
        )
    if not motifs:
        raise RuntimeError(f"pyjaspar returned no CORE vertebrate motifs for {release}")
    pwms = []
    for m in motifs:
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float) + PSEUDOCOUNT
        pwms.append(counts / counts.sum(axis=0, keepdims=True))
    return MotifDB(
        tuple(m.matrix_id for m in motifs),
        tuple(m.name for m in motifs),
        tuple(pwms),
        f"{release} CORE vertebrates",
    )
