"""Variant effect scores: VCF reading, REF check, allele windows, streamed per-profile effects.

Data flow: VCF (plain or gzip, streamed line by line) -> one row per ALT allele -> REF checked
against the genome -> windows of the model's input length centred on the variant (the variant
sits at index ``L // 2``; :func:`window_starts`) -> ref and alt, forward and reverse complement,
one model call per batch -> per-profile ``ref``, ``alt``, ``diff = alt - ref`` and
``logit_diff = logit(alt) - logit(ref)`` (``log2fc`` for signal models), averaged over strands ->
rows appended to the output as each batch finishes (TSV, or Parquet in row groups).

What is not scored is never silently dropped: every skipped allele is counted by reason in the
summary (``<out stem>.summary.json``, and printed) and listed with its file and line in
``<out stem>.skipped.tsv``. Counts are per ALT allele: multi-allelic records are split first.
Reading and window gathering (a thread), the model, and building and writing rows (a thread)
overlap, and only a few batches are held at once, so memory does not grow with the VCF.

* REF not matching the genome: skipped and counted (``--strict``: an error).
* Chromosome not in the genome (after ``chr1``/``1`` aliases): skipped and counted
  (``--strict``: an error); if *no* allele could be placed on the genome at all, it is an error
  either way, since that is a naming mismatch, not a few odd contigs.
* Indels, MNVs, symbolic ALTs (``<DEL>``, ``*``, breakends), ALT ``.`` and ALT ``N``: skipped and
  counted (only SNVs are scored); positions past a chromosome end: skipped and counted
  (``--strict``: an error).
* Malformed lines (fewer than 5 columns, bad POS, non-ACGTN REF/ALT): always an error naming
  the file and line.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import queue
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .errors import InputError, input_error
from .genome import Genome, encode, reverse_complement_codes
from .modelio import ModelMeta
from .predict import Predictor

ID_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT"]
SKIP_REASONS = ("ref_mismatch", "unknown_chrom", "past_chrom_end", "indel", "mnv", "symbolic",
                "no_alt", "ambiguous")
_ACGTN = re.compile(r"^[ACGTN]+$")
_EPS = 1e-6


@dataclass(frozen=True)
class Variant:
    """One SNV allele from a VCF: the genome's chromosome name, 0-based position, codes."""

    chrom: str          # as written in the VCF (kept in the output)
    genome_chrom: str   # the genome's name for it
    pos: int            # 1-based, as in the VCF
    id: str
    ref: str
    alt: str
    line: int


@dataclass
class VariantStats:
    """Counts of VCF records and alleles, scored and skipped by reason."""

    records: int = 0
    alleles: int = 0
    scored: int = 0
    outside_region: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: {r: 0 for r in SKIP_REASONS})

    def summary(self) -> str:
        """One line: scored and skipped counts by reason."""
        skipped = ", ".join(f"{k} {v:,}" for k, v in self.skipped.items() if v)
        outside = f" ({self.outside_region:,} outside the region)" if self.outside_region else ""
        text = (f"{self.records:,} records{outside}, {self.alleles:,} alleles: "
                f"{self.scored:,} SNVs scored, "
                f"{sum(self.skipped.values()):,} skipped" + (f" ({skipped})" if skipped else ""))
        if self.skipped["indel"] or self.skipped["mnv"] or self.skipped["symbolic"]:
            text += "; only SNVs are scored (indels, MNVs and symbolic alleles are skipped)"
        return text


@dataclass(frozen=True)
class Region:
    """``chrom:start-end`` (1-based, inclusive, like samtools) or a whole chromosome."""

    chrom: str
    start: int = 1
    end: int = sys.maxsize

    @classmethod
    def parse(cls, text: str) -> "Region":
        """Parse ``chr1``, ``chr1:1000-2000`` or ``chr1:1,000-2,000``."""
        m = re.fullmatch(r"([^:\s]+)(?::([\d,]+)-([\d,]+))?", text.strip())
        if not m:
            raise InputError(f"--region {text!r}: cannot parse (expected chrom or chrom:start-end)")
        if m.group(2) is None:
            return cls(m.group(1))
        start, end = int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
        if start < 1 or end < start:
            raise InputError(f"--region {text!r}: bad range (expected 1 <= start <= end)")
        return cls(m.group(1), start, end)


def _open_bytes(path: Path) -> tuple[io.BufferedReader, io.BufferedIOBase]:
    """(raw file for progress, line stream): gzip (and bgzip) detected by magic bytes."""
    raw = open(path, "rb")
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw)
    return raw, raw


class VcfReader:
    """Streams SNV alleles from a VCF, checking each against the genome (see module docstring).

    Iterate to get :class:`Variant` rows; skipped alleles go to ``on_skip(line, row, reason,
    message)`` and are counted in :attr:`stats`.
    """

    def __init__(self, path: str | os.PathLike, genome: Genome, strict: bool = False,
                 region: Region | str | None = None, on_skip=None):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: VCF not found")
        self.genome = genome
        self.strict = strict
        self.region = Region.parse(region) if isinstance(region, str) else region
        self.on_skip = on_skip
        self.stats = VariantStats()
        self.bytes_read = 0
        self.size = self.path.stat().st_size
        self._chroms: dict[str, tuple[str | None, str, int]] = {}
        self._region_chrom = genome.resolve(self.region.chrom) if self.region else None

    def _resolve_quiet(self, chrom: str) -> str | None:
        """The genome's name for ``chrom`` or None (the problem kept for messages); cached."""
        hit = self._chroms.get(chrom)
        if hit is None:
            try:
                name = self.genome.resolve(chrom)
                hit = (name, "", self.genome.offset(name))
            except InputError as err:
                hit = (None, str(err), -1)
            self._chroms[chrom] = hit
        return hit[0]

    def _resolve(self, chrom: str, line: int) -> str | None:
        name = self._resolve_quiet(chrom)
        if name is None and self.strict:
            raise input_error(self.path, line, self._chroms[chrom][1])
        return name

    def _skip(self, line: int, fields: list[str], alt: str, reason: str, message: str,
              fatal: bool = False) -> None:
        if fatal and self.strict:
            raise InputError(message)
        self.stats.skipped[reason] += 1
        if self.on_skip is not None:
            self.on_skip(line, fields, alt, reason, message)

    def __iter__(self) -> Iterator[Variant]:
        raw, stream = _open_bytes(self.path)
        codes = self.genome.codes
        try:
            for lineno, bline in enumerate(stream, start=1):
                if lineno % 4096 == 0:
                    self.bytes_read = raw.tell()
                if bline.startswith(b"#") or not bline.strip():
                    continue
                yield from self._parse(bline, lineno, codes)
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise InputError(f"{self.path}: cannot read VCF ({err})") from err
        finally:
            self.bytes_read = self.size
            raw.close()
        if self.stats.alleles and self.stats.skipped["unknown_chrom"] == self.stats.alleles:
            first = next(msg for name, msg, _ in self._chroms.values() if name is None)
            raise InputError(f"{self.path}: no variant's chromosome is in the genome ({first})")

    def _parse(self, bline: bytes, lineno: int, codes: np.ndarray) -> Iterator[Variant]:
        text = bline.decode("utf-8", errors="replace").rstrip("\r\n")
        fields = text.split("\t", 5)
        if len(fields) < 5:
            fields = text.split(None, 5)
        if len(fields) < 5:
            raise input_error(self.path, lineno, f"malformed VCF line with {len(fields)} column(s)",
                              "tab-separated CHROM POS ID REF ALT ...")
        chrom, pos_text, vid, ref, alts = fields[:5]
        try:
            pos = int(pos_text)
        except ValueError:
            pos = 0
        if pos < 1:
            raise input_error(self.path, lineno, f"bad POS {pos_text!r}", "a 1-based integer")
        ref = ref.upper()
        if not _ACGTN.match(ref):
            raise input_error(self.path, lineno, f"bad REF {fields[3]!r}", "A, C, G, T or N bases")
        self.stats.records += 1
        region = self.region
        if region is not None and not (region.start <= pos <= region.end):
            self.stats.outside_region += 1
            return
        name = None
        if region is not None:
            if chrom != region.chrom and self._resolve_quiet(chrom) != self._region_chrom:
                self.stats.outside_region += 1
                return
        for alt in alts.split(","):
            self.stats.alleles += 1
            alt_u = alt.upper()
            if alt_u == "." or alt_u == ref:
                self._skip(lineno, fields, alt, "no_alt", f"{self.path}:{lineno}: no ALT allele")
                continue
            if alt_u.startswith("<") or alt_u == "*" or "[" in alt_u or "]" in alt_u:
                self._skip(lineno, fields, alt, "symbolic",
                           f"{self.path}:{lineno}: symbolic ALT {alt!r} not scored")
                continue
            if not _ACGTN.match(alt_u):
                raise input_error(self.path, lineno, f"bad ALT {alt!r}",
                                  "A, C, G, T or N bases, or a symbolic allele")
            if len(ref) != len(alt_u):
                self._skip(lineno, fields, alt, "indel",
                           f"{self.path}:{lineno}: indel {ref}>{alt_u} not scored (SNVs only)")
                continue
            if len(ref) > 1:
                self._skip(lineno, fields, alt, "mnv",
                           f"{self.path}:{lineno}: MNV {ref}>{alt_u} not scored (SNVs only)")
                continue
            if "N" in (ref, alt_u):
                self._skip(lineno, fields, alt, "ambiguous",
                           f"{self.path}:{lineno}: N allele {ref}>{alt_u} not scored")
                continue
            if name is None:
                name = self._resolve(chrom, lineno)
            if name is None:
                self._skip(lineno, fields, alt, "unknown_chrom",
                           f"{self.path}:{lineno}: {self._chroms[chrom][1]}")
                continue
            size = self.genome.chrom_sizes[name]
            if pos > size:
                self._skip(lineno, fields, alt, "past_chrom_end", str(input_error(
                    self.path, lineno, f"POS {pos} is past the end of {name}", f"POS <= {size}")),
                    fatal=True)
                continue
            found = "ACGTN"[codes[self._chroms[chrom][2] + pos - 1]]
            if found != ref:
                self._skip(lineno, fields, alt, "ref_mismatch", str(input_error(
                    self.path, lineno, f"REF {ref!r} does not match the genome {found!r} at "
                    f"{chrom}:{pos}", f"REF {found!r}; is the VCF on the genome's build?")),
                    fatal=True)
                continue
            self.stats.scored += 1
            yield Variant(chrom, name, pos, vid, ref, alt_u, lineno)


def read_vcf(path: str | os.PathLike, genome: Genome, strict: bool = False,
             region: Region | str | None = None) -> tuple[pd.DataFrame, VariantStats]:
    """All SNV alleles of a (small) VCF as a table, with the counts; for big files use VcfReader."""
    reader = VcfReader(path, genome, strict, region)
    rows = [asdict(v) for v in reader]
    cols = list(Variant.__dataclass_fields__)
    return pd.DataFrame(rows, columns=cols), reader.stats


def window_starts(pos: np.ndarray, length: int) -> np.ndarray:
    """0-based start of the window centred on each 1-based POS: the variant is at index L // 2.

    For L = 8 and POS = 5 (0-based 4) the window is bases [0, 8) and the variant its 5th base
    (index 4): 4 bases to its left, 3 to its right.
    """
    return np.asarray(pos, dtype=np.int64) - 1 - length // 2


def allele_windows(genome: Genome, chroms: np.ndarray, pos: np.ndarray, alts: np.ndarray,
                   length: int) -> tuple[np.ndarray, np.ndarray]:
    """(ref codes, alt codes), each (n, length) uint8, centred on 1-based ``pos``; N-padded."""
    ref = genome.codes_at(chroms, window_starts(pos, length), length)
    alt = ref.copy()
    alt[:, length // 2] = np.asarray(alts, dtype=np.uint8)
    return ref, alt


def effect_scores(ref_f: np.ndarray, alt_f: np.ndarray, ref_r: np.ndarray, alt_r: np.ndarray,
                  target: str = "peaks") -> dict[str, np.ndarray]:
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


_LAST_PREDICTOR: list = []  # [(model, Predictor)]: the last model's, so repeat calls skip tracing


def _predictor(model: keras.Model) -> Predictor:
    """The per-strand Predictor of ``model``, reused while the same model is scored again."""
    if not (_LAST_PREDICTOR and _LAST_PREDICTOR[0][0] is model):
        _LAST_PREDICTOR[:] = [(model, Predictor(model, rc_average=False))]
    return _LAST_PREDICTOR[0][1]


class VariantScorer:
    """Scores batches of SNVs with one model call each (ref and alt, both strands stacked)."""

    def __init__(self, model: keras.Model, meta: ModelMeta, genome: Genome,
                 batch_size: int | None = None):
        self.meta = meta
        self.genome = genome
        self.batch_size = batch_size
        self.predictor = _predictor(model)

    def windows(self, variants: list[Variant]) -> np.ndarray:
        """Codes (4n, L): ref, alt, reverse-complement ref, reverse-complement alt windows."""
        chroms = np.array([v.genome_chrom for v in variants])
        pos = np.array([v.pos for v in variants], dtype=np.int64)
        alts = encode("".join(v.alt for v in variants))
        stacked = np.concatenate(allele_windows(self.genome, chroms, pos, alts,
                                                self.meta.input_length))
        return np.concatenate([stacked, reverse_complement_codes(stacked)])

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """Model predictions (4n, P) for :meth:`windows` output: one call.

        A short last batch is padded to ``batch_size`` so the model keeps one traced shape.
        """
        n = len(windows)
        full = 4 * self.batch_size if self.batch_size else n
        if n < full:
            windows = np.concatenate([windows, np.repeat(windows[:1], full - n, axis=0)])
        return self.predictor(windows)[:n]

    def table(self, variants: list[Variant], preds: np.ndarray) -> pd.DataFrame:
        """Output rows: VCF columns, per-profile scores, the max-effect summary."""
        ref_f, alt_f, ref_r, alt_r = np.split(preds.astype(np.float64), 4)
        scores = effect_scores(ref_f, alt_f, ref_r, alt_r, self.meta.target)
        table: dict[str, object] = {"CHROM": [v.chrom for v in variants],
                                    "POS": np.array([v.pos for v in variants], dtype=np.int64),
                                    "ID": [v.id for v in variants],
                                    "REF": [v.ref for v in variants],
                                    "ALT": [v.alt for v in variants]}
        for i, name in enumerate(self.meta.profiles):
            for key, values in scores.items():
                table[f"{name}_{key}"] = values[:, i]
        absdiff = np.abs(scores["diff"])
        best = absdiff.argmax(axis=1)
        table["max_abs_diff"] = absdiff[np.arange(len(best)), best]
        table["max_abs_profile"] = np.asarray(self.meta.profiles)[best]
        return pd.DataFrame(table)

    def score(self, variants: list[Variant]) -> pd.DataFrame:
        """One output row per variant (windows -> one model call -> table)."""
        return self.table(variants, self.predict(self.windows(variants)))


def _prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Iterate ``items`` in a background thread, ``depth`` ahead (its errors re-raised here)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as err:  # handed to the consumer
            put((done, err))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item, err = q.get()
            if item is done:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


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


class _TableWriter:
    """Appends DataFrames to a temporary TSV or Parquet file; ``close`` renames it into place."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        self.parquet = path.suffix == ".parquet"
        self._writer = None
        self._fh = None
        self._columns: list[str] | None = None

    def write(self, df: pd.DataFrame) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq
            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.tmp, table.schema)
            self._writer.write_table(table.cast(self._writer.schema))
        else:
            if self._fh is None:
                self._fh = open(self.tmp, "w", newline="")
                self._columns = list(df.columns)
                self._fh.write("\t".join(self._columns) + "\n")
            df.to_csv(self._fh, sep="\t", index=False, header=False, float_format="%.6g")

    def close(self, empty: pd.DataFrame) -> None:
        if self._writer is None and self._fh is None:
            self.write(empty)
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        for h in (self._writer, self._fh):
            if h is not None:
                h.close()
        self.tmp.unlink(missing_ok=True)


def output_columns(meta: ModelMeta) -> list[str]:
    """The columns of a scores table for ``meta``'s profiles."""
    keys = ["ref", "alt", "diff", "logit_diff" if meta.target == "peaks" else "log2fc"]
    return ID_COLUMNS + [f"{p}_{k}" for p in meta.profiles for k in keys] + \
        ["max_abs_diff", "max_abs_profile"]


def side_paths(out: Path) -> tuple[Path, Path]:
    """(skipped list, summary JSON) written beside a scores file."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.skipped.tsv"), out.with_name(f"{stem}.summary.json")


def score_variants(model: keras.Model, meta: ModelMeta, genome: Genome,
                   vcf: str | os.PathLike, out: str | os.PathLike, batch_size: int = 256,
                   strict: bool = False, region: Region | str | None = None,
                   progress: bool = True, max_reported: int = 5) -> VariantStats:
    """Score every SNV of ``vcf`` and stream the rows to ``out`` (.tsv or .parquet).

    Memory is a few batches (reading, the model and writing overlap). Skipped alleles are
    listed in ``<out stem>.skipped.tsv`` (file, line, reason, message) and counted in ``<out stem>.summary.json``; the first ``max_reported``
    are also printed.
    """
    out = Path(out)
    skipped_path, summary_path = side_paths(out)
    writer = _TableWriter(out)
    skipped_tmp = skipped_path.with_name(f".{skipped_path.name}.tmp{os.getpid()}")
    skip_fh = open(skipped_tmp, "w")
    skip_fh.write("file\tline\tCHROM\tPOS\tID\tREF\tALT\treason\tmessage\n")
    shown = [0]

    def on_skip(line, fields, alt, reason, message):
        skip_fh.write(f"{vcf}\t{line}\t{fields[0]}\t{fields[1]}\t{fields[2]}\t{fields[3]}\t{alt}"
                      f"\t{reason}\t{message}\n")
        if reason in ("ref_mismatch", "unknown_chrom", "past_chrom_end") \
                and shown[0] < max_reported:
            shown[0] += 1
            print(f"[score-variants] skipped: {message}", file=sys.stderr)

    reader = VcfReader(vcf, genome, strict, region, on_skip)
    scorer = VariantScorer(model, meta, genome, batch_size)
    bar = tqdm(total=reader.size, unit="B", unit_scale=True, desc="scoring variants",
               disable=not progress, leave=False)
    done = 0
    # Three stages overlap: reading + window gathering (a thread), the model (here), building
    # and writing rows (a thread); at most a few batches are held at once.
    pool = ThreadPoolExecutor(max_workers=1)
    batches = _prefetch(_batches(reader, batch_size, scorer))
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
        writer.close(pd.DataFrame({c: [] for c in output_columns(meta)}))
    except BaseException:
        batches.close()  # stops the reading thread before its files are closed
        pool.shutdown(wait=True, cancel_futures=True)
        writer.abort()
        skip_fh.close()
        skipped_tmp.unlink(missing_ok=True)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
    skip_fh.close()
    os.replace(skipped_tmp, skipped_path)
    stats = reader.stats
    summary = {"vcf": str(vcf), "out": str(out), "region": str(region) if region else None,
               "model_input_length": meta.input_length, "profiles": meta.profiles,
               **asdict(stats), "skipped_total": sum(stats.skipped.values()),
               "skipped_list": str(skipped_path)}
    tmp = summary_path.with_name(f".{summary_path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, summary_path)
    print(f"[score-variants] {stats.summary()} -> {out}")
    if sum(stats.skipped.values()):
        print(f"[score-variants] skipped alleles listed in {skipped_path}")
    return stats


def run_score_variants(model_path: str | os.PathLike, genome_path: str | os.PathLike,
                       vcf: str | os.PathLike, out: str | os.PathLike, batch_size: int = 256,
                       strict: bool = False, region: str | None = None,
                       progress: bool = True) -> VariantStats:
    """The ``score-variants`` command: load the model and genome, then :func:`score_variants`."""
    from .modelio import load_model

    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size}: must be at least 1")
    model, meta = load_model(model_path)
    genome = Genome(genome_path)
    return score_variants(model, meta, genome, vcf, out, batch_size, strict,
                          Region.parse(region) if region else None, progress)
