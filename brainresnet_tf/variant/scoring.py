"""Variant effect scores: allele windows, strand-averaged model calls, streamed per-profile effects.

Data flow: a VCF or a variant table (plain or gzip, streamed line by line) -> one row per ALT
allele -> REF checked against the genome, left-normalised -> windows of the model's input length
(:func:`variant_windows`, convention below) -> ref and alt, forward and reverse complement, one
model call per batch -> per-profile ``ref``, ``alt``, ``diff = alt - ref`` and
``logit_diff = logit(alt) - logit(ref)`` (``log2fc`` for signal models), averaged over strands ->
rows appended to the output as each batch finishes (TSV, or Parquet in row groups).

Window convention (:data:`WINDOW_CONVENTION`, also written to ``<out stem>.summary.json``): the
ref window is the genome's ``L`` bases with the variant's first REF base (POS; for an indel the
anchor base) at index ``L // 2``. The alt window is the genome edited (REF replaced by ALT) and
cut to ``L`` bases with the same start, so a deletion's window is filled from downstream; an
insertion's edited sequence is ``d`` bases longer and is trimmed symmetrically (``d // 2`` from
the left, the rest from the right). The reverse strand scores the reverse complement of the same
two windows. Bases past a chromosome end are N.

Any model kind scores (:func:`brainresnet_tf.inference.predictors.load_predictor`: a ``.keras``
model, or the k-mer baseline, whose canonical k-mers make it strand-symmetric, so it is called on
the forward windows only). ``orient`` (opt-in): an allele given the other way round (ALT is the
genome's) is scored with the genome's allele as REF and reported in the input's orientation: the
ref and alt predictions are exchanged before the effects are computed, so ``diff`` and
``logit_diff``/``log2fc`` are negated exactly and ``ref`` is the probability with the input's REF
(:func:`input_orientation`); a ``SWAPPED`` column flags it and ``<out stem>.swapped.tsv`` lists it.
Sequence pairs without a genome are :mod:`brainresnet_tf.variant.pairs`' (same model call, same
effect columns).

Reading and window gathering (a thread), the model, and building and writing rows (a thread)
overlap, and only a few batches are held at once, so memory does not grow with the input. What
the reader skips (:mod:`brainresnet_tf.io.variants`) is counted by reason in
``<out stem>.summary.json`` and listed with its file and line in ``<out stem>.skipped.tsv``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from brainresnet_tf.inference.predict import prefetch
from brainresnet_tf.inference.predictors import PredictFn, as_predictor
from brainresnet_tf.io.atomic import atomic_open, write_json
from brainresnet_tf.io.genome import N_CODE, Genome, encode, reverse_complement_codes
from brainresnet_tf.io.tables import TableWriter
from brainresnet_tf.io.variant_files import open_variants
from brainresnet_tf.io.variants import (
    DEFAULT_MAX_INDEL,
    ID_COLUMNS,
    Region,
    Variant,
    VariantReader,
    VariantStats,
)
from brainresnet_tf.models.kmer import KmerModel
from brainresnet_tf.models.saving import ModelMeta

_EPS = 1e-6


class Calibration(Protocol):
    """What :class:`VariantScorer` needs of a null (:class:`~brainresnet_tf.variant.null.NullCalibration`)."""

    def annotate(self, table: pd.DataFrame, variants: list[Variant]) -> pd.DataFrame: ...

    def summary(self) -> dict: ...


def window_starts(pos: np.ndarray, length: int) -> np.ndarray:
    """0-based start of the window centred on each 1-based POS: the variant is at index L // 2.

    For L = 8 and POS = 5 (0-based 4) the window is bases [0, 8) and the variant its 5th base
    (index 4): 4 bases to its left, 3 to its right.
    """
    return np.asarray(pos, dtype=np.int64) - 1 - length // 2


WINDOW_CONVENTION = (
    "ref window: L genome bases, the variant's first REF base (POS) at index L//2; alt window: "
    "the genome with REF replaced by ALT, same start, L bases: a deletion is filled from "
    "downstream, an insertion of d extra bases is trimmed symmetrically (d//2 from the left, "
    "d - d//2 from the right); reverse strand: reverse complement of the same windows; "
    "N past chromosome ends"
)


def allele_windows(
    genome: Genome, chroms: np.ndarray, pos: np.ndarray, alts: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
    """(ref codes, alt codes) of SNVs, each (n, length) uint8, centred on 1-based ``pos``; N-padded."""
    ref = genome.codes_at(chroms, window_starts(pos, length), length)
    alt = ref.copy()
    alt[:, length // 2] = np.asarray(alts, dtype=np.uint8)
    return ref, alt


def variant_windows(
    genome: Genome,
    chroms: np.ndarray,
    pos: np.ndarray,
    refs: list[str],
    alts: list[str],
    length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(ref codes, alt codes), each (n, length) uint8, of any alleles (SNV, MNV, indel), by the
    module's window convention; vectorised, SNVs on a fast path."""
    chroms = np.asarray(chroms)
    pos = np.asarray(pos, dtype=np.int64)
    c = length // 2
    ref_w = genome.codes_at(chroms, pos - 1 - c, length)
    alt_w = ref_w.copy()
    r = np.fromiter(map(len, refs), np.int64, len(refs))
    a = np.fromiter(map(len, alts), np.int64, len(alts))
    snv = (r == 1) & (a == 1)
    if snv.all():
        alt_w[:, c] = encode("".join(alts))
        return ref_w, alt_w
    if snv.any():
        alt_w[snv, c] = encode("".join(x for x, s in zip(alts, snv) if s))
    rows = np.flatnonzero(~snv)
    alt_w[rows] = _edited_windows(
        genome, chroms[rows], pos[rows] - 1, r[rows], [alts[i] for i in rows], length
    )
    return ref_w, alt_w


def _edited_windows(
    genome: Genome, chroms: np.ndarray, pos0: np.ndarray, r: np.ndarray, alts: list[str], length: int
) -> np.ndarray:
    """Alt windows (n, length): the genome with ``r`` bases at ``pos0`` replaced by each ALT."""
    a = np.fromiter(map(len, alts), np.int64, len(alts))
    d = a - r
    shift = np.where(d > 0, d // 2, 0)  # an insertion is trimmed symmetrically
    k = (pos0 - length // 2 + shift)[:, None] + np.arange(length)  # edited-sequence coordinates
    rel = k - pos0[:, None]
    in_alt = (rel >= 0) & (rel < a[:, None])
    gpos = np.where(rel < 0, k, k - d[:, None])  # genome coordinates outside the ALT bases
    offsets = np.empty(len(chroms), np.int64)
    sizes = np.empty(len(chroms), np.int64)
    for chrom in dict.fromkeys(chroms.tolist()):
        rows = chroms == chrom
        offsets[rows] = genome.offset(chrom)
        sizes[rows] = genome.chrom_sizes[genome.resolve(chrom)]
    inside = (gpos >= 0) & (gpos < sizes[:, None])
    codes = genome.codes
    out = np.full(k.shape, N_CODE, dtype=np.uint8)
    take = inside & ~in_alt
    out[take] = codes[(gpos + offsets[:, None])[take]]
    alt_codes = encode("".join(alts))
    starts = np.concatenate([[0], np.cumsum(a)[:-1]])
    out[in_alt] = alt_codes[(starts[:, None] + rel)[in_alt]]
    return out


def effect_scores(
    ref_f: np.ndarray, alt_f: np.ndarray, ref_r: np.ndarray, alt_r: np.ndarray, target: str = "peaks"
) -> dict[str, np.ndarray]:
    """Per-profile ``ref``, ``alt``, ``diff`` and ``logit_diff`` (``log2fc`` for signal) (n, P).

    Inputs are predictions per strand; every score is the mean of the two strands' scores.
    """
    ref = (ref_f + ref_r) / 2.0
    alt = (alt_f + alt_r) / 2.0
    out = {"ref": ref, "alt": alt, "diff": alt - ref}
    if target == "peaks":

        def logit(p):
            p = np.clip(p.astype(np.float64), _EPS, 1 - _EPS)
            return np.log(p) - np.log1p(-p)

        out["logit_diff"] = ((logit(alt_f) - logit(ref_f)) + (logit(alt_r) - logit(ref_r))) / 2.0
    else:

        def log2(x):
            return np.log2(np.maximum(x.astype(np.float64), 0) + _EPS)

        out["log2fc"] = ((log2(alt_f) - log2(ref_f)) + (log2(alt_r) - log2(ref_r))) / 2.0
    return out


_LAST_PREDICTOR: list = []  # [(model, predictor)]: the last model's, so repeat calls skip tracing

ScoringModel = keras.Model | KmerModel | PredictFn  # a model, or codes (n, L) -> per-window predictions


def _predictor(model: ScoringModel) -> PredictFn:
    """The per-strand predictor of ``model`` (:func:`~brainresnet_tf.inference.predictors.as_predictor`),
    reused while the same model is scored again."""
    if not (_LAST_PREDICTOR and _LAST_PREDICTOR[0][0] is model):
        _LAST_PREDICTOR[:] = [(model, as_predictor(model, rc_average=False))]
    return _LAST_PREDICTOR[0][1]


def with_strands(ref: np.ndarray, alt: np.ndarray) -> np.ndarray:
    """Codes (4n, L): ref, alt, reverse-complement ref, reverse-complement alt windows."""
    stacked = np.concatenate([ref, alt])
    return np.concatenate([stacked, reverse_complement_codes(stacked)])


def input_orientation(preds: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """Predictions (4n, P) of :func:`with_strands` windows with ref and alt exchanged where
    ``swapped`` (n,): every effect then has the input's sign (diff and logit_diff negated
    exactly, ``ref`` the probability with the input's REF)."""
    ref_f, alt_f, ref_r, alt_r = np.split(preds, 4)
    s = np.asarray(swapped, bool)[:, None]
    return np.concatenate(
        [
            np.where(s, alt_f, ref_f),
            np.where(s, ref_f, alt_f),
            np.where(s, alt_r, ref_r),
            np.where(s, ref_r, alt_r),
        ]
    )


def effect_key(meta: ModelMeta) -> str:
    """The signed per-profile effect of ``meta``'s model: ``logit_diff`` (peaks) or ``log2fc`` (signal)."""
    return "logit_diff" if meta.target == "peaks" else "log2fc"


def effect_columns(meta: ModelMeta, preds: np.ndarray) -> dict[str, np.ndarray]:
    """Per-profile score columns and the max-effect summary of :func:`with_strands` predictions."""
    ref_f, alt_f, ref_r, alt_r = np.split(preds.astype(np.float64), 4)
    scores = effect_scores(ref_f, alt_f, ref_r, alt_r, meta.target)
    table: dict[str, np.ndarray] = {}
    for i, name in enumerate(meta.profiles):
        for key, values in scores.items():
            table[f"{name}_{key}"] = values[:, i]
    absdiff = np.abs(scores["diff"])
    best = absdiff.argmax(axis=1)
    table["max_abs_diff"] = absdiff[np.arange(len(best)), best]
    table["max_abs_profile"] = np.asarray(meta.profiles)[best]
    return table


class VariantScorer:
    """Scores batches of variants with one model call each (ref and alt, both strands stacked).

    ``model``: a Keras model, the k-mer baseline, or any codes -> per-window predictions callable
    (:func:`~brainresnet_tf.inference.predictors.load_predictor`). ``orient``: variants read the
    other way round (``Variant.swapped``) are reported in the input's orientation, with a
    ``SWAPPED`` column. ``calibration`` (:class:`~brainresnet_tf.variant.null.NullCalibration`):
    each profile's effect also gets its quantile and empirical p-value in a null of background
    variants. Subclasses change what is scored (:meth:`windows`) and the key columns
    (:meth:`id_columns`, :meth:`columns`); the model call and the scores stay these.
    """

    def __init__(
        self,
        model: ScoringModel,
        meta: ModelMeta,
        genome: Genome | None = None,
        batch_size: int | None = None,
        orient: bool = False,
        calibration: Calibration | None = None,
    ):
        self.meta = meta
        self.genome = genome
        self.batch_size = batch_size
        self.orient = orient
        self.calibration = calibration
        self.predictor = _predictor(model)

    def windows(self, variants: list[Variant]) -> np.ndarray:
        """Codes (4n, L): ref, alt, reverse-complement ref, reverse-complement alt windows."""
        chroms = np.array([v.genome_chrom for v in variants])
        pos = np.fromiter((v.pos for v in variants), np.int64, len(variants))
        refs, alts = [v.ref for v in variants], [v.alt for v in variants]
        return with_strands(*variant_windows(self.genome, chroms, pos, refs, alts, self.meta.input_length))

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """Model predictions (4n, P) for :meth:`windows` output: one call.

        A short last batch is padded to ``batch_size`` so the model keeps one traced shape. A
        strand-symmetric model (the k-mer baseline) is called on the forward windows only and
        its predictions reused for the reverse complements (equal by construction).
        """
        if getattr(self.predictor, "strand_symmetric", False):
            half = self._call(windows[: len(windows) // 2], 2)
            return np.concatenate([half, half])
        return self._call(windows, 4)

    def _call(self, windows: np.ndarray, per_variant: int) -> np.ndarray:
        """The predictor on ``windows``, padded to ``per_variant * batch_size`` rows."""
        n = len(windows)
        full = per_variant * self.batch_size if self.batch_size else n
        if n < full:
            windows = np.concatenate([windows, np.repeat(windows[:1], full - n, axis=0)])
        return np.asarray(self.predictor(windows))[:n]

    def id_columns(self, variants: list[Variant]) -> dict[str, object]:
        """CHROM, POS, ID, REF, ALT (the input's orientation), TYPE [, SWAPPED with ``orient``]."""
        table: dict[str, object] = {
            "CHROM": [v.chrom for v in variants],
            "POS": np.array([v.pos for v in variants], dtype=np.int64),
            "ID": [v.id for v in variants],
            "REF": [v.alt if v.swapped else v.ref for v in variants],
            "ALT": [v.ref if v.swapped else v.alt for v in variants],
            "TYPE": [v.kind for v in variants],
        }
        if self.orient:
            table["SWAPPED"] = np.array([v.swapped for v in variants], dtype=bool)
        return table

    def columns(self) -> list[str]:
        """The output's columns, in order."""
        return output_columns(self.meta, self.orient, self.calibration is not None)

    def table(self, variants: list, preds: np.ndarray) -> pd.DataFrame:
        """Output rows: key columns, per-profile scores [and calibration], the max-effect summary."""
        if self.orient:
            preds = input_orientation(preds, np.array([v.swapped for v in variants], dtype=bool))
        table = pd.DataFrame({**self.id_columns(variants), **effect_columns(self.meta, preds)})
        if self.calibration is None:
            return table
        return self.calibration.annotate(table, variants)[self.columns()]

    def score(self, variants: list) -> pd.DataFrame:
        """One output row per variant (windows -> one model call -> table)."""
        return self.table(variants, self.predict(self.windows(variants)))


def _batches(reader: Iterator[Variant], size: int, scorer: VariantScorer) -> Iterator:
    """(variants, windows) per batch of ``size``."""
    batch: list[Variant] = []
    for variant in reader:
        batch.append(variant)
        if len(batch) == size:
            yield batch, scorer.windows(batch)
            batch = []
    if batch:
        yield batch, scorer.windows(batch)


CALIBRATION_KEYS = ("quantile", "pvalue")  # per profile, after its effect, with a null


def score_columns(meta: ModelMeta, calibrated: bool = False) -> list[str]:
    """Per-profile score columns and the max-effect summary, for ``meta``'s profiles;
    ``calibrated``: each profile's ``quantile`` and ``pvalue`` too, and ``max_quantile``."""
    keys = ["ref", "alt", "diff", effect_key(meta)] + (list(CALIBRATION_KEYS) if calibrated else [])
    summary = ["max_abs_diff", "max_abs_profile"] + (["max_quantile"] if calibrated else [])
    return [f"{p}_{k}" for p in meta.profiles for k in keys] + summary


def output_columns(meta: ModelMeta, orient: bool = False, calibrated: bool = False) -> list[str]:
    """The columns of a scores table for ``meta``'s profiles (``SWAPPED`` with ``orient``,
    quantiles and p-values with ``calibrated``)."""
    return ID_COLUMNS + ["TYPE"] + (["SWAPPED"] if orient else []) + score_columns(meta, calibrated)


def side_paths(out: Path) -> tuple[Path, Path]:
    """(skipped list, summary JSON) written beside a scores file."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.skipped.tsv"), out.with_name(f"{stem}.summary.json")


def swapped_path(out: Path) -> Path:
    """The list of variants whose REF and ALT ``orient`` swapped, beside a scores file."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.swapped.tsv")


def score_variants(
    model: ScoringModel,
    meta: ModelMeta,
    genome: Genome,
    vcf: str | os.PathLike,
    out: str | os.PathLike,
    batch_size: int = 256,
    strict: bool = False,
    region: Region | str | None = None,
    progress: bool = True,
    max_reported: int = 5,
    log: Callable[[str], None] | None = None,
    max_indel: int = DEFAULT_MAX_INDEL,
    format: str | None = None,
    orient: bool = False,
    calibration: Calibration | None = None,
    open_reader: Callable[..., VariantReader] = open_variants,
) -> VariantStats:
    """Score every allele of ``vcf`` (a VCF, BED-like or TSV variant table: ``format`` or
    detected) and stream the rows to ``out`` (.tsv or .parquet).

    Memory is a few batches (reading, the model and writing overlap). Skipped alleles are
    listed in ``<out stem>.skipped.tsv`` (file, line, reason, message) and counted in
    ``<out stem>.summary.json``; the first ``max_reported`` are also given to ``log``.
    ``orient``: alleles given the other way round (ALT is the genome's) are scored with the
    genome's allele as REF and reported in the input's orientation (scores negated, ``ref`` and
    ``alt`` exchanged), flagged in a ``SWAPPED`` column, listed in ``<out stem>.swapped.tsv``
    and counted (``oriented``) in the summary. ``calibration``: quantile and p-value columns per
    profile against its null (:mod:`brainresnet_tf.variant.null`), described in the summary.
    ``open_reader`` (:func:`~brainresnet_tf.io.variant_files.open_variants`'s arguments) reads
    the variants: a shard's reader (:class:`~brainresnet_tf.io.shards.ShardReader`) scores one
    part of ``vcf``.
    """
    out = Path(out)
    skipped_path, summary_path = side_paths(out)
    shown = [0]
    swaps = atomic_open(swapped_path(out), "w") if orient else nullcontext()
    with atomic_open(skipped_path, "w") as skip_fh, swaps as swap_fh:
        skip_fh.write("file\tline\tCHROM\tPOS\tID\tREF\tALT\treason\tmessage\n")

        def on_skip(line, fields, alt, reason, message):
            skip_fh.write(
                f"{vcf}\t{line}\t{fields[0]}\t{fields[1]}\t{fields[2]}\t{fields[3]}"
                f"\t{alt}\t{reason}\t{message}\n"
            )
            if (
                reason in ("ref_mismatch", "unknown_chrom", "past_chrom_end")
                and shown[0] < max_reported
                and log is not None
            ):
                shown[0] += 1
                log(f"skipped: {message}")

        on_swap = None
        if orient:
            swap_fh.write("file\tline\tCHROM\tPOS\tID\tREF\tALT\n")

            def on_swap(line, fields, alt):
                swap_fh.write(f"{vcf}\t{line}\t{fields[0]}\t{fields[1]}\t{fields[2]}\t{fields[3]}\t{alt}\n")

        reader = open_reader(
            vcf, genome, strict, region, on_skip, max_indel, format, orient=orient, on_swap=on_swap
        )
        scorer = VariantScorer(model, meta, genome, batch_size, orient=orient, calibration=calibration)
        score_stream(reader, scorer, TableWriter(out), batch_size, progress)
    stats = reader.stats
    counts = asdict(stats)
    oriented = counts.pop("oriented")
    summary = {
        "input": str(vcf),
        "format": reader.format,
        "vcf": str(vcf),  # the input's old key, kept for readers of 0.1 summaries
        "out": str(out),
        "region": str(region) if region else None,
        "model_input_length": meta.input_length,
        "profiles": meta.profiles,
        "window_convention": WINDOW_CONVENTION,
        "max_indel": max_indel,
        **counts,
        "skipped_total": sum(stats.skipped.values()),
        "skipped_list": str(skipped_path),
    }
    if orient:
        summary.update(
            oriented=oriented,
            swapped_list=str(swapped_path(out)),
            orientation=ORIENT_NOTE,
        )
    if calibration is not None:
        summary["null"] = calibration.summary()
    write_json(summary_path, summary)
    return stats


ORIENT_NOTE = (
    "--orient: where REF did not match the genome but ALT did, the alleles were swapped for "
    "scoring and the effects reported in the input's orientation (diff, logit_diff/log2fc "
    "negated; ref/alt probabilities exchanged so ref is the input REF's); SWAPPED marks them"
)


def score_stream(
    reader: VariantReader, scorer: VariantScorer, writer: TableWriter, batch_size: int, progress: bool
) -> None:
    """Read, score and write every batch; the output is renamed into place only on success."""
    bar = tqdm(
        total=reader.size,
        unit=reader.unit,
        unit_scale=reader.unit == "B",
        desc="scoring variants",
        disable=not progress,
        leave=False,
    )
    done = 0
    # Three stages overlap: reading + window gathering (a thread), the model (here), building
    # and writing rows (a thread); at most a few batches are held at once.
    pool = ThreadPoolExecutor(max_workers=1)
    batches = prefetch(_batches(reader, batch_size, scorer))
    try:
        pending = None
        for batch, windows in batches:
            preds = scorer.predict(windows)
            if pending is not None:
                pending.result()
            pending = pool.submit(lambda b=batch, p=preds: writer.write(scorer.table(b, p)))
            done += len(batch)
            bar.update(reader.bytes_read - bar.n)
            bar.set_postfix(variants=done, refresh=False)
        if pending is not None:
            pending.result()
        bar.update(reader.size - bar.n)
        bar.set_postfix(variants=done)
        writer.close(pd.DataFrame({c: [] for c in scorer.columns()}))
    except BaseException:
        batches.close()  # stops the reading thread before its files are closed
        pool.shutdown(wait=True, cancel_futures=True)
        writer.abort()
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
