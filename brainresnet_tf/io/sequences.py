"""Sequence files: FASTA records (name, sequence), each checked for non-ACGTN characters."""

from __future__ import annotations

import os
from pathlib import Path

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.genome import check_dna
from brainresnet_tf.io.text import open_text, text_lines


def read_fasta_records(path: str | os.PathLike) -> list[tuple[str, str]]:
    """(name, sequence) of each FASTA record (plain or gzipped), sequences checked for non-ACGTN.

    A record without a name is called ``seq_<n>``; binary or undecodable files, text before the
    first ``>`` and letters other than ACGTN are InputErrors naming the file (and line).
    """
    path = Path(path)
    records: list[tuple[str, list[str]]] = []
    with open_text(path, "FASTA") as fh:
        for lineno, raw in text_lines(path, fh):
            line = raw.strip()
            if line.startswith(">"):
                words = line[1:].split()
                records.append((words[0] if words else f"seq_{len(records) + 1}", []))
            elif line:
                if not records:
                    raise input_error(path, lineno, "sequence before the first '>' header", "a FASTA file")
                records[-1][1].append(line)
    if not records:
        raise InputError(f"{path}: no FASTA records")
    out = [(name, "".join(parts).upper()) for name, parts in records]
    for name, seq in out:
        check_dna(seq, f"{path}: record {name}")
    return out
