"""Scoring a variant file on a Dask cluster (``score-variants --workers N`` / ``--scheduler``).

The input is cut into shards (:mod:`brainresnet_tf.io.shards`): row ranges of a plain file, or
regions of a bgzipped, tabix-indexed one (their records counted per contig by the workers). One
task per shard (:func:`~brainresnet_tf.variant.shard_tasks.shard_task`) reads its shard from the
file and writes its scores into ``<out>.shards/``; the client then joins them, in input order,
into the output a single process writes (:mod:`brainresnet_tf.variant.shard_merge`) and removes
the folder.

``<out>.shards/manifest.json`` holds the plan and what it was made for (the input's, model's and
genome's identity, every option that changes a score): a rerun with the same key scores only the
shards without a done marker, and a different key starts afresh. A task is idempotent (every
file atomic, the done marker last), so a task that the scheduler re-runs after its worker died
leaves neither duplicate nor missing rows. A null (``--null``/``--null-vcf``) is scored or reused
once, by the first worker, and cached on disk for the others.

Paths are sent to the workers absolute: a cluster's workers need the same files at the same paths
(a shared disk); the skipped list names the input by its absolute path.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from brainresnet_tf.io.atomic import write_json
from brainresnet_tf.io.identity import file_digest, file_identity
from brainresnet_tf.io.lock import LOCK_NAME, folder_lock
from brainresnet_tf.io.shards import (
    ROWS,
    Shard,
    plan_regions,
    plan_rows,
    preamble_length,
    shard_from_dict,
    shard_kind,
    tabix_contigs,
    tabix_index,
)
from brainresnet_tf.io.variant_files import open_variants
from brainresnet_tf.io.variants import VariantStats
from brainresnet_tf.variant.shard_merge import merge_shards
from brainresnet_tf.variant.shard_tasks import EngineJob, count_task, prepare_task, shard_task

if TYPE_CHECKING:
    from brainresnet_tf.io.genome import Genome

Log = Callable[[str], None]
DEFAULT_SHARD_SIZE = 50_000  # lines per shard: a worker holds one shard's duplicate keys
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class EngineInput:
    """How an input is split: ``kind`` (rows or regions), its format and header length."""

    kind: str
    format: str
    preamble: int


def shard_folder(out: str | os.PathLike) -> Path:
    """``<out>.shards``: the shards of a run, beside its output."""
    out = Path(out)
    return out.with_name(f"{out.name}.shards")


def check_input(
    vcf: str | os.PathLike,
    genome: Genome,
    *,
    strict: bool = False,
    region: str | None = None,
    max_indel: int = 50,
    format: str | None = None,
    orient: bool = False,
    flag: str = "--workers",
) -> EngineInput:
    """Check that ``vcf`` can be split (one-line errors with the bgzip/tabix commands when not)
    and read its header, before any cluster starts."""
    reader = open_variants(vcf, genome, strict, region, None, max_indel, format, orient=orient)
    kind = shard_kind(vcf, reader.format, flag)
    preamble = preamble_length(vcf, lambda text, line: reader.parse_line(text, line) is None)
    return EngineInput(kind, reader.format, preamble)


def _absolute(path: str | os.PathLike | None) -> str | None:
    return None if path is None else str(Path(path).resolve())


def _null_job(null: dict | None) -> dict | None:
    """``null`` with absolute paths (the workers may start elsewhere)."""
    if null is None:
        return None
    fixed = dict(null)
    for key in ("vcf", "cache_dir"):
        fixed[key] = _absolute(fixed.get(key))
    if fixed.get("peaks") is not None:
        fixed["peaks"] = [_absolute(p) for p in fixed["peaks"]]
    return fixed


def manifest_key(job: EngineJob, kind: str, shard_size: int) -> dict:
    """What a run's shards depend on: the files' identities and every option that changes them."""
    options = {k: getattr(job, k) for k in ("format", "suffix", "batch_size", "strict", "region")}
    options.update(max_indel=job.max_indel, orient=job.orient, kind=kind, shard_size=shard_size)
    files = []
    if job.null is not None:
        files = [job.null.get("vcf"), *(job.null.get("peaks") or [])]
    key = {
        "version": MANIFEST_VERSION,
        "input": file_identity(job.input),
        "index": file_identity(tabix_index(job.input)),
        "model": job.model_digest,
        "genome": file_identity(job.genome),
        "options": options,
        "null": {"args": job.null, "files": [file_identity(f) for f in files if f]} if job.null else None,
    }
    return json.loads(json.dumps(key, default=str))


def _plan(client: Any, job: EngineJob, kind: str, shard_size: int) -> list[Shard]:
    """The shards of the manifest made for this job, else a new plan (an old one's files removed)."""
    folder = Path(job.shard_dir)
    manifest = folder / "manifest.json"
    key = manifest_key(job, kind, shard_size)
    if manifest.is_file():
        try:
            saved = json.loads(manifest.read_text())
            if saved.get("key") == key:
                return [shard_from_dict(s) for s in saved["shards"]]
        except (OSError, ValueError, TypeError, KeyError):
            pass
    for path in folder.iterdir():
        if path.name != LOCK_NAME:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if kind == ROWS:
        shards = plan_rows(job.input, job.preamble, shard_size)
    else:
        contigs = tabix_contigs(job.input)
        futures = [client.submit(count_task, job, c, shard_size, pure=False) for c in contigs]
        shards = plan_regions(list(zip(contigs, client.gather(futures))), job.preamble)
    write_json(manifest, {"key": key, "shards": [s.to_dict() for s in shards]})
    return shards


def _run_shards(client: Any, job: EngineJob, shards: list[Shard], progress: bool) -> int:
    """Score the shards not done yet; returns how many were scored now."""
    from distributed import as_completed

    pending = [s for s in shards if not job.done_path(s.index).is_file()]
    tag = uuid.uuid4().hex[:8]
    futures = [client.submit(shard_task, job, s, key=f"score-shard-{s.index:05d}-{tag}") for s in pending]
    bar = tqdm(
        total=sum(s.lines for s in pending),
        unit=" lines",
        desc="scoring shards",
        disable=not progress,
        leave=False,
    )
    scored = 0
    try:
        for future in as_completed(futures, loop=client.loop):
            result = future.result()
            scored += result["scored_now"]
            bar.update(shards[result["index"]].lines)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        bar.close()
    return scored


def score_on_cluster(
    client: Any,
    model_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    vcf: str | os.PathLike,
    out: str | os.PathLike,
    info: EngineInput,
    *,
    batch_size: int = 256,
    strict: bool = False,
    region: str | None = None,
    max_indel: int = 50,
    orient: bool = False,
    null: dict | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    progress: bool = False,
    log: Log | None = None,
    keep_shards: bool = False,
) -> VariantStats:
    """Score ``vcf`` (checked by :func:`check_input`) on the cluster of ``client`` (a
    ``distributed.Client``) into ``out``, as :func:`~brainresnet_tf.variant.scoring.score_variants`
    does in one process. ``null``: :func:`~brainresnet_tf.variant.null.prepare_null`'s keywords
    (n, seed, vcf, peaks, cache_dir) for calibrated scores. ``keep_shards``: leave
    ``<out>.shards/`` in place after the join. ``log`` receives the plan, the null's lines and
    the first skipped alleles worth a look."""
    say = log or (lambda _m: None)
    t0 = time.time()
    out = Path(out).resolve()
    model_path = Path(model_path).resolve()
    job = EngineJob(
        model=str(model_path),
        # the model's content and its model.json (models.saving.meta_path), hashed once here
        model_digest=file_digest(model_path, model_path.with_suffix(".json")),
        genome=str(Path(genome_path).resolve()),
        input=str(Path(vcf).resolve()),
        format=info.format,
        out=str(out),
        shard_dir=str(shard_folder(out)),
        suffix=".parquet" if out.suffix == ".parquet" else ".tsv",
        preamble=info.preamble,
        batch_size=batch_size,
        strict=strict,
        region=region,
        max_indel=max_indel,
        orient=orient,
        null=_null_job(null),
    )
    with folder_lock(job.shard_dir):
        shards = _plan(client, job, info.kind, shard_size)
        done = sum(job.done_path(s.index).is_file() for s in shards)
        workers = len(client.nthreads())
        say(
            f"engine: {len(shards):,} shard(s) ({info.kind}, at most {shard_size:,} lines each) on "
            f"{workers} worker(s)" + (f"; {done:,} done by an earlier run" if done else "")
        )
        if not workers:
            say("engine: the scheduler has no workers yet: the shards wait for them")
        layout = client.submit(prepare_task, job, pure=False).result()
        if null is not None and not Path(layout["null"]["cache"]).is_file():
            job = replace(job, null={**job.null, "cache_dir": str(Path(job.shard_dir) / "null")})
            layout = client.submit(prepare_task, job, pure=False).result()
        for line in layout["log"]:
            say(line)
        scored = _run_shards(client, job, shards, progress)
        engine = {
            "engine": "dask.distributed",
            "workers": workers,
            "split": info.kind,
            "shards": len(shards),
            "shard_size": shard_size,
            "reused": len(shards) - scored,
            "seconds_before_join": round(time.time() - t0, 2),
        }
        stats = merge_shards(job, len(shards), layout, say, engine)
    if not keep_shards:
        shutil.rmtree(job.shard_dir, ignore_errors=True)
    return stats
