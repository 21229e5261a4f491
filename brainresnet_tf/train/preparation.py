"""What a run trains on: the config's genome and its labelled window table (cached per run).

The cached ``windows.npz`` carries a fingerprint of everything that made it: the identity (path,
size, modification time) of the genome and of every peak, bigWig and region file, every
``windows`` setting and the profile list. A table whose fingerprint differs from the config's is
rebuilt, and the caller is told which inputs changed. It also records the peaks skipped for
lying on chromosomes the genome lacks: their note is repeated whenever the table is reused, and a
``strict`` run does not reuse a table built by skipping (it rebuilds, and stops at the first one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brainresnet_tf.data.sequence_sets import SequenceGenome, build_sequence_set, check_sequence_splits
from brainresnet_tf.data.splits import REGION
from brainresnet_tf.data.windows import (
    WindowTable,
    build_window_table,
    check_splits,
    skipped_peak_notes,
    table_notes,
)
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.identity import file_identity
from brainresnet_tf.train.config import Config

FINGERPRINT_VERSION = 2  # bump when the way tables are built changes their content


def open_genome(config: Config) -> Genome | SequenceGenome:
    """The config's genome, with its encoded cache; or its sequence sets as an in-memory genome
    (the window table built with it is kept on it, for :func:`prepare_windows`)."""
    if config.sequences.enabled:
        genome, table = build_sequence_set(
            config.sequences, config.training.jitter, str(config.source or "config")
        )
        genome.table = table
        return genome
    if config.genome.fasta is None:
        raise InputError(f"{config.source or 'config'}: genome.fasta is not set")
    return Genome(config.genome.fasta, config.genome.cache_dir)


def resolve_region_files(config: Config) -> Config:
    """``windows.*_regions`` entries that name files, read relative to the config's folder."""
    base = config.source.parent if config.source is not None else Path.cwd()

    def fix(items: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for item in items:
            text = str(item).strip()
            if not REGION.fullmatch(text) and not Path(text).is_absolute() and (base / text).is_file():
                text = str(base / text)
            out.append(text)
        return tuple(out)

    windows = dataclasses.replace(
        config.windows,
        valid_regions=fix(config.windows.valid_regions),
        test_regions=fix(config.windows.test_regions),
    )
    return dataclasses.replace(config, windows=windows)


def windows_fingerprint(config: Config) -> dict[str, Any]:
    """Everything a window table is made of, as plain JSON values."""
    spec = dataclasses.asdict(config.windows)
    regions = {
        key: {item: file_identity(item) for item in spec[key] if Path(item).is_file()}
        for key in ("valid_regions", "test_regions")
    }
    signal = config.windows.target == "signal"
    return {
        "version": FINGERPRINT_VERSION,
        "genome": file_identity(config.genome.fasta),
        "windows": {k: list(v) if isinstance(v, tuple) else v for k, v in spec.items()},
        "region_files": {k: v for k, v in regions.items() if v},
        "profiles": [
            {
                "name": p.name,
                "peaks": file_identity(p.peaks),
                "bigwig": file_identity(p.bigwig) if signal else None,
            }
            for p in config.profiles
        ],
    }


def fingerprint_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, as short phrases (empty when they are equal)."""
    if old is None:
        return ["it has no fingerprint (written by an earlier version)"]
    changes = []
    if old.get("version") != new["version"]:
        changes.append("the way tables are built changed")
    if old.get("genome") != new["genome"]:
        changes.append(f"the genome file changed ({new['genome']['path'] if new['genome'] else 'none'})")
    old_w, new_w = old.get("windows", {}), new["windows"]
    for key in new_w:
        if old_w.get(key) != new_w[key]:
            changes.append(f"windows.{key} {old_w.get(key)!r} -> {new_w[key]!r}")
    if old.get("region_files") != new["region_files"]:
        changes.append("a region file changed")
    old_p = {p["name"]: p for p in old.get("profiles", [])}
    if [p["name"] for p in old.get("profiles", [])] != [p["name"] for p in new["profiles"]]:
        changes.append("the profile list changed")
    else:
        for p in new["profiles"]:
            for kind in ("peaks", "bigwig"):
                if old_p[p["name"]].get(kind) != p[kind]:
                    changes.append(f"profile {p['name']}'s {kind} file changed")
    return changes or ["its fingerprint differs"]


def prepare_windows(
    config: Config,
    genome: Genome,
    out_dir: Path,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    needed: tuple[str, ...] = ("train", "valid"),
    strict: bool = False,
) -> WindowTable:
    """The run's labelled window table: ``windows.npz`` when its fingerprint matches, else built.

    ``log`` receives one line per thing worth knowing: a rebuilt index or stale table (and why),
    one line per profile whose peaks on chromosomes the genome lacks were skipped, bins dropped
    at split boundaries, and warnings about too little data. A split in ``needed`` without
    windows is an InputError naming the keys to change (before any model is built). ``strict``:
    a peak on a chromosome the genome lacks is an InputError naming its line.
    """
    say = log or (lambda _line: None)
    for note in genome.notes:
        say(note)
    if isinstance(genome, SequenceGenome):  # built from the sequence files, fast: not cached
        check_sequence_splits(genome.table, needed)
        return genome.table
    config = resolve_region_files(config)
    fingerprint = windows_fingerprint(config)
    path = out_dir / "windows.npz"
    table = None
    if path.exists():
        try:
            cached = WindowTable.load(path)
        except InputError as err:
            say(f"{err}; rebuilding it")
            cached = None
        if cached is not None:
            old = cached.meta.get("fingerprint")
            if old == fingerprint and strict and cached.meta.get("skipped_peaks"):
                say(
                    f"{path} was built skipping peaks on chromosomes the genome lacks; "
                    "--strict: rebuilding it"
                )
            elif old == fingerprint:
                table = cached
            else:
                why = "; ".join(fingerprint_changes(old, fingerprint))
                say(f"{path} is out of date ({why}): rebuilding it")
    if table is None:
        if not config.profiles:
            raise InputError(
                f"{config.source or 'config'}: no profiles (expected a 'profiles:' list "
                "with name and peaks or bigwig per profile)"
            )
        table = build_window_table(
            genome, list(config.profiles), config.windows, progress=progress, strict=strict
        )
        table.meta["fingerprint"] = fingerprint
        for note in skipped_peak_notes(table):
            say(note)
        check_splits(table, config.windows, needed)
        out_dir.mkdir(parents=True, exist_ok=True)
        table.save(path)
        for note in table_notes(table, config.windows):
            say(note)
    else:
        for note in skipped_peak_notes(table):
            say(note)
        check_splits(table, config.windows, needed)
        for note in table_notes(table, config.windows):
            if note.startswith("warning"):
                say(note)
    return table
