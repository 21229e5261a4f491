"""Variant effects from pairs of sequences, no genome needed (``score-variants --pairs``).

Each pair (:mod:`brainresnet_tf.io.sequence_pairs`: an id, a ref and an alt sequence of equal
length) is centred in the model's window exactly as ``predict --fasta`` centres a sequence
(:func:`brainresnet_tf.data.sequence_sets.centred_codes`: N-padded on both sides, or cut to its
middle when longer than the window), then scored as genome variants are
(:class:`~brainresnet_tf.variant.scoring.VariantScorer`: ref and alt, both strands, one model call
per batch, rows streamed): per profile ``ref``, ``alt``, ``diff = alt - ref`` and ``logit_diff``
(``log2fc`` for signal models), averaged over strands; ``max_abs_diff`` and its profile.

Key columns (:data:`PAIR_ID_COLUMNS`; there is no genome, so no CHROM and no POS): ``ID`` is the
table's id; ``SEQ_POS`` the 1-based position, in the given sequence, of the first base where ref
and alt differ; ``REF`` and ``ALT`` the bases of the two sequences from the first to the last
difference; ``TYPE`` is ``snv`` when they are one base, else ``mnv``.
``<out stem>.summary.json`` says the same (``key_columns``) and counts the pairs, those longer
than the window (``cut_to_window``, scored on their middle) and those whose differences all fall
outside the window once cut (``differences_outside_window``: their ref and alt windows are equal,
so every effect is 0).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from brainresnet_tf.data.sequence_sets import centred_codes
from brainresnet_tf.io.atomic import write_json
from brainresnet_tf.io.sequence_pairs import PAIR_COLUMNS, SequencePair
from brainresnet_tf.io.tables import TableWriter
from brainresnet_tf.models.saving import ModelMeta
from brainresnet_tf.variant.scoring import (
    ScoringModel,
    VariantScorer,
    score_columns,
    score_stream,
    side_paths,
    with_strands,
)

PAIR_ID_COLUMNS = ["ID", "SEQ_POS", "REF", "ALT", "TYPE"]
PAIR_WINDOW_CONVENTION = (
    "each ref and alt sequence centred in the model's window as `predict --fasta` centres a "
    "sequence: the base at index len//2 of the sequence at index L//2 of the window, N-padded on "
    "both sides, or cut to the middle L bases when longer; reverse strand: reverse complement of "
    "the same windows"
)
KEY_COLUMNS_NOTE = (
    "ID: the table's id; SEQ_POS: 1-based position in the given sequence of the first differing "
    "base; REF, ALT: the bases from the first to the last difference; TYPE: snv (one base) or "
    "mnv; no CHROM or POS (no genome)"
)


@dataclass
class PairStats:
    """Counts of the pairs scored, by type, cut to the window, and differing outside it."""

    pairs: int = 0
    scored: int = 0
    cut_to_window: int = 0
    differences_outside_window: int = 0
    scored_types: dict[str, int] = field(default_factory=lambda: {"snv": 0, "mnv": 0})

    def summary(self) -> str:
        """One line: pairs scored by type, cut, differing outside the window."""
        types = ", ".join(f"{k} {v:,}" for k, v in self.scored_types.items() if v)
        line = f"{self.pairs:,} pairs: {self.scored:,} scored ({types})"
        if self.cut_to_window:
            line += f", {self.cut_to_window:,} longer than the window (cut to their middle)"
        if self.differences_outside_window:
            line += f", {self.differences_outside_window:,} differ only outside the window (effects 0)"
        return line


def pair_keys(pair: SequencePair) -> tuple[int, str, str, str]:
    """(SEQ_POS, REF, ALT, TYPE) of a pair: see the module docstring."""
    start, ref, alt = pair.difference()
    return start + 1, ref, alt, "snv" if len(ref) == 1 else "mnv"


class PairScorer(VariantScorer):
    """:class:`VariantScorer` on sequence pairs: centred windows, the pair's key columns."""

    def __init__(self, model: ScoringModel, meta: ModelMeta, batch_size: int | None = None):
        super().__init__(model, meta, None, batch_size)
        self.unchanged = 0  # pairs whose ref and alt windows are equal (differences cut away)

    def windows(self, pairs: list[SequencePair]) -> np.ndarray:
        """Codes (4n, L): centred ref, alt, and their reverse complements."""
        length = self.meta.input_length
        ref = centred_codes([p.ref for p in pairs], length)
        alt = centred_codes([p.alt for p in pairs], length)
        self.unchanged += int((ref == alt).all(axis=1).sum())
        return with_strands(ref, alt)

    def id_columns(self, pairs: list[SequencePair]) -> dict[str, object]:
        """ID, SEQ_POS, REF, ALT, TYPE."""
        keys = [pair_keys(p) for p in pairs]
        return {
            "ID": [p.id for p in pairs],
            "SEQ_POS": np.array([k[0] for k in keys], dtype=np.int64),
            "REF": [k[1] for k in keys],
            "ALT": [k[2] for k in keys],
            "TYPE": [k[3] for k in keys],
        }

    def columns(self) -> list[str]:
        """The output's columns, in order."""
        return PAIR_ID_COLUMNS + score_columns(self.meta)


class _PairSource:
    """The pairs as :func:`~brainresnet_tf.variant.scoring.score_stream` reads a variant file:
    progress counts pairs (``bytes_read`` of ``size``)."""

    unit = "pairs"

    def __init__(self, pairs: list[SequencePair]):
        self.pairs = pairs
        self.size = len(pairs)
        self.bytes_read = 0

    def __iter__(self) -> Iterator[SequencePair]:
        for i, pair in enumerate(self.pairs):
            self.bytes_read = i
            yield pair
        self.bytes_read = self.size


def score_pairs(
    model: ScoringModel,
    meta: ModelMeta,
    pairs: list[SequencePair],
    out: str | os.PathLike,
    batch_size: int = 256,
    progress: bool = True,
    table: str | os.PathLike = "",
    columns: tuple[str, str, str] = PAIR_COLUMNS,
    log: Callable[[str], None] | None = None,
) -> PairStats:
    """Score checked ``pairs`` (:func:`~brainresnet_tf.io.sequence_pairs.read_sequence_pairs`)
    and stream the rows to ``out`` (.tsv or .parquet); ``<out stem>.summary.json`` beside it.

    ``table`` and ``columns`` (id, ref, alt) are only recorded in the summary.
    """
    out = Path(out)
    scorer = PairScorer(model, meta, batch_size)
    score_stream(_PairSource(pairs), scorer, TableWriter(out), batch_size, progress)
    stats = PairStats(pairs=len(pairs), scored=len(pairs))
    stats.cut_to_window = sum(len(p.ref) > meta.input_length for p in pairs)
    stats.differences_outside_window = scorer.unchanged
    for pair in pairs:
        stats.scored_types[pair_keys(pair)[3]] += 1
    if log is not None and stats.differences_outside_window:
        log(
            f"{stats.differences_outside_window:,} pairs differ only outside the model's "
            f"{meta.input_length} bp window once cut to their middle: their effects are 0"
        )
    write_json(
        side_paths(out)[1],
        {
            "input": str(table),
            "format": "pairs",
            "columns": dict(zip(("id", "ref", "alt"), columns)),
            "out": str(out),
            "model_input_length": meta.input_length,
            "profiles": meta.profiles,
            "window_convention": PAIR_WINDOW_CONVENTION,
            "key_columns": KEY_COLUMNS_NOTE,
            "pairs": stats.pairs,
            "scored": stats.scored,
            "scored_types": stats.scored_types,
            "cut_to_window": stats.cut_to_window,
            "differences_outside_window": stats.differences_outside_window,
        },
    )
    return stats
