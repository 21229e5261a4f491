"""Sequence files: FASTA records (name, sequence), each checked for non-ACGTN characters."""

from __future__ import annotations

import os
from pathlib import Path

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import check_dna


def read_fasta_records(path: str | os.PathLike) -> list[tuple[str, str]]:
    """(name, sequence) of each FASTA record, sequences checked for non-ACGTN characters."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: FASTA not found")
    records: list[tuple[str, list[str]]] = []
    with open(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.strip()
            if line.startswith(">"):
                records.append((line[1:].split()[0] if line[1:].strip() else f"seq_{len(records) + 1}", []))
            elif line:
                if not records:
                    raise InputError(f"{path}:{lineno}: sequence before the first '>' header")
                records[-1][1].append(line)
    if not records:
        raise InputError(f"{path}: no FASTA records")
    out = [(name, "".join(parts).upper()) for name, parts in records]
    for name, seq in out:
        check_dna(seq, f"{path}: record {name}")
    return out
