"""What the workers of the distributed engine (:mod:`brainresnet_tf.variant.engine`) run: each
task gets the :class:`EngineJob` (paths and options, a few hundred bytes) and reads what it needs
from the shared disk.

A worker process loads the model, the genome and the null once (:func:`worker_state`, keyed by
the model's path and content hash; :mod:`brainresnet_tf.inference.workers`) and keeps them for
every later task. A shard is scored by
:func:`~brainresnet_tf.variant.scoring.score_variants` into ``<shard dir>/<index>.tsv`` (or
``.parquet``) with its side files, every one written atomically; ``<index>.done.npz`` is written
last: the shard's counts and, per scored row, its line, allele key and identity (what the merge
needs to drop an allele that another shard scored first). A task whose shard is done returns it
without scoring, so a rerun, or the scheduler re-running a task whose worker died, never scores
a shard twice nor leaves a half-written one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from brainresnet_tf.inference import workers
from brainresnet_tf.io.atomic import atomic_path
from brainresnet_tf.io.shards import Shard, ShardReader, count_records, head_lines
from brainresnet_tf.io.variants import VARIANT_TYPES, Variant


@dataclass(frozen=True)
class EngineJob:
    """Everything a task needs, as paths and options (sent with every task)."""

    model: str
    model_digest: str
    genome: str
    input: str
    format: str
    out: str
    shard_dir: str
    suffix: str  # the shards' table format: .tsv or .parquet
    preamble: int  # header lines before the input's first record
    batch_size: int = 256
    strict: bool = False
    region: str | None = None
    max_indel: int = 50
    orient: bool = False
    null: dict | None = None  # prepare_null's keywords (n, seed, vcf, peaks, cache_dir)

    def shard_path(self, index: int, suffix: str | None = None) -> Path:
        """``<shard dir>/<index>`` with ``suffix`` (default: the table's)."""
        return Path(self.shard_dir) / f"{index:05d}{self.suffix if suffix is None else suffix}"

    def done_path(self, index: int) -> Path:
        """The shard's done marker (written last)."""
        return self.shard_path(index, ".done.npz")


def worker_state(job: EngineJob, log=None) -> tuple[Any, Any, Any, Any]:
    """(network, meta, genome, calibration or None) of this worker, loaded at its first task."""
    network, meta = workers.saved_model(job.model, job.model_digest)
    genome = workers.genome(job.genome)
    if job.null is None:
        return network, meta, genome, None

    def make():
        from brainresnet_tf.variant.null import prepare_null

        return prepare_null(
            network,
            meta,
            genome,
            job.model,
            **job.null,
            batch_size=job.batch_size,
            max_indel=job.max_indel,
            log=log,
        )

    key = ("null", job.model_digest, job.genome, json.dumps(job.null, sort_keys=True, default=str))
    return network, meta, genome, workers.cached(key, make)


def prepare_task(job: EngineJob) -> dict:
    """Load this worker's state (scoring or reusing the null once) and describe the output: its
    side files, columns, the null's summary and log lines."""
    workers.quiet_tensorflow()
    from brainresnet_tf.variant.scoring import output_columns, side_paths, swapped_path

    lines: list[str] = []
    _, meta, _, calibration = worker_state(job, lines.append)
    out = Path(job.out)
    skipped, summary = side_paths(out)
    return {
        "skipped": str(skipped),
        "summary": str(summary),
        "swapped": str(swapped_path(out)),
        "columns": output_columns(meta, job.orient, calibration is not None),
        "null": calibration.summary() if calibration is not None else None,
        "log": lines,
    }


def _reader(job: EngineJob, genome, **kwargs):
    from brainresnet_tf.io.variant_files import open_variants

    return open_variants(job.input, genome, job.strict, job.region, None, job.max_indel, job.format, **kwargs)


def count_task(job: EngineJob, contig: str, shard_size: int) -> list[tuple[int, int]]:
    """Runs of at most about ``shard_size`` records of ``contig`` (a tabix input), by POS."""
    from brainresnet_tf.errors import InputError

    reader = _reader(job, workers.genome(job.genome))
    for lineno, line in head_lines(job.input, job.preamble):
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        if text.strip():
            reader.parse_line(text, lineno)

    def position(text: str) -> int | None:
        try:
            record = reader.parse_line(text, 0)
        except InputError:  # scoring names its line
            return None
        return None if record is None else record[1]

    return count_records(job.input, contig, position, shard_size)


def allele_keys(variants: list[Variant], chroms: dict[str, int]) -> np.ndarray:
    """One int64 per allele, equal for the same normalised allele (the reader's duplicate key:
    packed for SNVs, a 63-bit hash, negative, for the rest)."""
    keys = np.empty(len(variants), np.int64)
    for i, v in enumerate(variants):
        if v.kind == "snv":
            keys[i] = (chroms[v.genome_chrom] << 40) | ((v.pos - 1) << 4) | ("ACGT".index(v.ref) << 2)
            keys[i] |= "ACGT".index(v.alt)
        else:
            text = f"{v.genome_chrom}\t{v.pos}\t{v.ref}\t{v.alt}".encode()
            keys[i] = -1 - (int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> 1)
    return keys


def read_done(path: Path) -> dict:
    """A shard's done marker: ``stats`` (a dict) and per-row arrays (line, key, chrom, id, pos,
    ref, alt, kind, swapped)."""
    with np.load(path, allow_pickle=False) as z:
        done = {k: z[k] for k in z.files if k != "stats"}
        done["stats"] = json.loads(str(z["stats"]))
    return done


def _write_done(path: Path, variants: list[Variant], genome, stats) -> None:
    chroms = {name: i for i, name in enumerate(genome.chrom_sizes)}
    with atomic_path(path) as tmp:
        np.savez(
            tmp,
            stats=np.array(json.dumps(asdict(stats))),
            line=np.array([v.line for v in variants], np.int64),
            key=allele_keys(variants, chroms),
            chrom=np.array([v.chrom for v in variants], str),
            id=np.array([v.id for v in variants], str),
            pos=np.array([v.pos for v in variants], np.int64),
            ref=np.array([v.ref for v in variants], str),
            alt=np.array([v.alt for v in variants], str),
            kind=np.array([VARIANT_TYPES.index(v.kind) for v in variants], np.int8),
            swapped=np.array([v.swapped for v in variants], bool),
        )


def shard_task(job: EngineJob, shard: Shard) -> dict:
    """Score ``shard`` unless its done marker exists; returns its counts (``VariantStats`` as a
    dict) and whether it was scored now."""
    workers.quiet_tensorflow()
    from brainresnet_tf.io.variants import Region
    from brainresnet_tf.variant.scoring import score_variants

    done = job.done_path(shard.index)
    if done.is_file():
        return {"index": shard.index, "stats": read_done(done)["stats"], "scored_now": False}
    network, meta, genome, calibration = worker_state(job)
    readers: list[ShardReader] = []

    def open_reader(*args, **kwargs) -> ShardReader:
        from brainresnet_tf.io.variant_files import open_variants

        readers.append(ShardReader(open_variants(*args, **kwargs), shard, job.preamble))
        return readers[-1]

    stats = score_variants(
        network,
        meta,
        genome,
        job.input,
        job.shard_path(shard.index),
        job.batch_size,
        job.strict,
        Region.parse(job.region) if job.region else None,
        False,
        max_indel=job.max_indel,
        format=job.format,
        orient=job.orient,
        calibration=calibration,
        open_reader=open_reader,
    )
    _write_done(done, readers[0].variants, genome, stats)
    return {"index": shard.index, "stats": asdict(stats), "scored_now": True}
