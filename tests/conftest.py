"""Shared fixtures: a tiny random genome, peaks on it, and the path to shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def write_fasta(path: Path, seqs: dict[str, str], width: int = 60) -> Path:
    """Write a FASTA file with wrapped lines."""
    with open(path, "w") as fh:
        for name, seq in seqs.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + "\n")
    return path


@pytest.fixture
def tiny_genome(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """chr1 (5 kb, soft-masked stretch and an N run) and chr2 (3 kb) of random sequence."""
    rng = np.random.default_rng(1)
    seqs = {}
    for name, n in (("chr1", 5000), ("chr2", 3000)):
        seqs[name] = "".join(rng.choice(list("ACGT"), size=n))
    s = seqs["chr1"]
    seqs["chr1"] = s[:100] + "N" * 50 + s[150:1000] + s[1000:1200].lower() + s[1200:]
    return write_fasta(tmp_path / "tiny.fa", seqs), seqs


@pytest.fixture
def real_data() -> Path:
    """The shared real-data folder (skip with a reason when it is absent)."""
    if not REAL_DATA.exists():
        pytest.skip(f"shared real data not found at {REAL_DATA}")
    return REAL_DATA
