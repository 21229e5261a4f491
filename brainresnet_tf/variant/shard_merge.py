"""Joining the shards of a distributed scoring run (:mod:`brainresnet_tf.variant.engine`) into the
one output a single process writes: the scores table (.tsv, .tsv.gz as BGZF, or .parquet), the
skipped and swapped lists, and the summary, each written atomically.

Shards are joined in input order. Each shard dropped the repeats of an allele within itself; an
allele that an earlier shard scored too (a plain file's repeats far apart, an indel normalised
across a region's edge) is dropped here and listed as a ``duplicate`` at its line, as a single
reader does (its POS, REF and ALT listed as normalised). The counts are the shards' sums, so
the summary equals a single process's.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_open, atomic_path, write_json
from brainresnet_tf.io.tables import TableWriter, open_text_output
from brainresnet_tf.io.variants import VARIANT_TYPES, VariantStats
from brainresnet_tf.variant.shard_tasks import EngineJob, read_done

Log = Callable[[str], None]
NOTABLE = ("ref_mismatch", "unknown_chrom", "past_chrom_end")  # skips shown to the log
MAX_REPORTED = 5


def _sum_stats(parts: list[dict]) -> VariantStats:
    total = VariantStats()
    for part in parts:
        for name, value in part.items():
            if isinstance(value, dict):
                counts = getattr(total, name)
                for k, v in value.items():
                    counts[k] = counts.get(k, 0) + v
            else:
                setattr(total, name, getattr(total, name) + value)
    return total


def repeated_rows(keys: list[np.ndarray]) -> list[np.ndarray]:
    """Per shard, a mask of rows whose allele an earlier row (of an earlier shard) has."""
    if not keys:
        return []
    every = np.concatenate(keys)
    repeated = np.ones(len(every), bool)
    repeated[np.unique(every, return_index=True)[1]] = False
    return np.split(repeated, np.cumsum([len(k) for k in keys])[:-1])


def _data_lines(path: Path) -> Iterator[str]:
    """The lines of a shard's TSV after its header."""
    with open(path, encoding="utf-8", newline="") as fh:
        next(fh, None)
        yield from fh


def _duplicate_entries(job: EngineJob, done: dict, rows: np.ndarray) -> list[tuple[int, str]]:
    """(line, skipped-list line) of the dropped rows, as a reader lists a duplicate."""
    where = str(Path(job.input))
    out = []
    for i in np.flatnonzero(rows):
        line, chrom, pos = int(done["line"][i]), str(done["chrom"][i]), int(done["pos"][i])
        ref, alt, swapped = str(done["ref"][i]), str(done["alt"][i]), bool(done["swapped"][i])
        shown = (alt, ref) if swapped else (ref, alt)
        message = f"{where}:{line}: duplicate of an earlier allele {chrom}:{pos} {ref}>{alt}; scored once"
        fields = [job.input, str(line), chrom, str(pos), str(done["id"][i]), *shown, "duplicate", message]
        out.append((line, "\t".join(fields) + "\n"))
    return out


def _write_table(job: EngineJob, count: int, masks: list[np.ndarray], columns: list[str]) -> None:
    """The shards' rows, in order, without the masked ones, into ``job.out``."""
    out = Path(job.out)
    if job.suffix == ".parquet":
        writer = TableWriter(out)
        try:
            for index in range(count):
                table = pd.read_parquet(job.shard_path(index))
                if len(masks[index]) and masks[index].any():
                    table = table[~masks[index]].reset_index(drop=True)
                if len(table):
                    writer.write(table)
            writer.close(pd.DataFrame({c: [] for c in columns}))
        except BaseException:
            writer.abort()
            raise
        return
    with atomic_path(out) as tmp, open_text_output(tmp) as fh:
        fh.write("\t".join(columns) + "\n")
        for index in range(count):
            drop = masks[index] if len(masks[index]) and masks[index].any() else None
            lines = _data_lines(job.shard_path(index))
            if drop is None:
                fh.write("".join(lines))
            else:
                fh.write("".join(line for line, d in zip(lines, drop) if not d))


def _side_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of a shard's skipped or swapped list, after its header."""
    if path.is_file():
        for text in _data_lines(path):
            yield int(text.split("\t", 2)[1]), text


def merge_shards(
    job: EngineJob, count: int, layout: dict, log: Log | None = None, engine: dict | None = None
) -> VariantStats:
    """Join shards ``0 .. count-1`` of ``job`` into its output and side files (``layout``: the
    workers' :func:`~brainresnet_tf.variant.shard_tasks.prepare_task` answer); returns the counts.
    ``engine`` (workers, shards, time) is added to the summary."""
    dones = [read_done(job.done_path(i)) for i in range(count)]
    masks = repeated_rows([d["key"] for d in dones])
    stats = _sum_stats([d["stats"] for d in dones])
    duplicates: list[list[tuple[int, str]]] = []
    for done, mask in zip(dones, masks):
        duplicates.append(_duplicate_entries(job, done, mask))
        stats.scored -= int(mask.sum())
        stats.skipped["duplicate"] += int(mask.sum())
        stats.oriented -= int(done["swapped"][mask].sum())
        for kind in done["kind"][mask]:
            stats.scored_types[VARIANT_TYPES[kind]] -= 1
    skipped_lists = [job.shard_path(i, ".skipped.tsv") for i in range(count)]
    if stats.alleles and stats.skipped["unknown_chrom"] == stats.alleles:
        first = next(
            text.rstrip("\n").split("\t")[-1] for path in skipped_lists for _, text in _side_lines(path)
        )
        raise InputError(
            f"{Path(job.input)}: no variant's chromosome is in the genome ({first.split(': ', 1)[-1]})"
        )

    _write_table(job, count, masks, layout["columns"])
    shown = 0
    with atomic_open(layout["skipped"], "w") as fh:
        fh.write("file\tline\tCHROM\tPOS\tID\tREF\tALT\treason\tmessage\n")
        for path, extra in zip(skipped_lists, duplicates):
            for _, text in heapq.merge(_side_lines(path), extra, key=lambda e: e[0]):
                fh.write(text)
                fields = text.rstrip("\n").split("\t")
                if log is not None and fields[7] in NOTABLE and shown < MAX_REPORTED:
                    shown += 1
                    log(f"skipped: {fields[8]}")
    if job.orient:
        with atomic_open(layout["swapped"], "w") as fh:
            fh.write("file\tline\tCHROM\tPOS\tID\tREF\tALT\n")
            for index, (done, mask) in enumerate(zip(dones, masks)):
                gone = {
                    (int(done["line"][i]), str(done["ref"][i]))
                    for i in np.flatnonzero(mask & done["swapped"])
                }
                for line, text in _side_lines(job.shard_path(index, ".swapped.tsv")):
                    if (line, text.rstrip("\n").split("\t")[6].upper()) not in gone:
                        fh.write(text)
    _write_summary(job, stats, layout, engine)
    return stats


def _write_summary(job: EngineJob, stats: VariantStats, layout: dict, engine: dict | None) -> None:
    """The first shard's summary with the joined counts and the output's names."""
    summary = json.loads(job.shard_path(0, ".summary.json").read_text())
    counts = {k: v for k, v in stats.__dict__.items() if k != "oriented"}
    summary.update(out=job.out, **counts)
    summary.update(skipped_total=sum(stats.skipped.values()), skipped_list=layout["skipped"])
    if job.orient:
        summary.update(oriented=stats.oriented, swapped_list=layout["swapped"])
    if layout.get("null") is not None:
        summary["null"] = layout["null"]
    if engine:
        summary["engine"] = engine
    write_json(layout["summary"], summary)
