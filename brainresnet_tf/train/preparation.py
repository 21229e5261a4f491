"""What a run trains on: the config's genome and its labelled window table (cached per run)."""

from __future__ import annotations

from pathlib import Path

from brainresnet_tf.data.windows import WindowTable, build_window_table
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.train.config import Config


def open_genome(config: Config) -> Genome:
    """The config's genome, with its encoded cache."""
    if config.genome.fasta is None:
        raise InputError(f"{config.source or 'config'}: genome.fasta is not set")
    return Genome(config.genome.fasta, config.genome.cache_dir)


def prepare_windows(config: Config, genome: Genome, out_dir: Path, progress: bool = True) -> WindowTable:
    """The run's labelled window table: read ``windows.npz`` if present, else build and save it."""
    path = out_dir / "windows.npz"
    if path.exists():
        table = WindowTable.load(path)
        if table.profiles == [p.name for p in config.profiles] and table.context == config.windows.context:
            return table
    if not config.profiles:
        raise InputError(
            f"{config.source or 'config'}: no profiles (expected a 'profiles:' list "
            "with name and peaks or bigwig per profile)"
        )
    table = build_window_table(genome, list(config.profiles), config.windows, progress=progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    table.save(path)
    return table
