"""Training the k-mer baseline on a window table (beside the ResNet and the CNN baseline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from brainresnet_tf.data.pipeline import WindowSource
from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.io.atomic import write_json
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.models.kmer import KmerModel, KmerSpec
from brainresnet_tf.models.saving import ModelMeta, meta_path

MAX_KMER_WINDOWS = 50_000  # a seeded sample of training windows beyond this (features are dense)


def train_kmer(
    genome: Genome, table: WindowTable, out_dir: Path, seed: int = 0, spec: KmerSpec = KmerSpec()
) -> tuple[KmerModel, ModelMeta]:
    """Fit the k-mer model on the train split (at most MAX_KMER_WINDOWS windows); save
    ``out_dir/model.joblib`` and its ``model.json`` (arch ``kmer``)."""
    train = table.of_split("train")
    rows = np.arange(len(train))
    if len(rows) > MAX_KMER_WINDOWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_KMER_WINDOWS, replace=False))
    source = WindowSource(genome, train)
    model = KmerModel(spec, seed).fit(source.codes(rows), train.labels[rows])
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.joblib")
    meta = ModelMeta(
        profiles=list(table.profiles),
        input_length=table.context,
        bin_size=table.bin_size,
        arch="kmer",
        extra={"ks": list(spec.ks), "training_windows": int(len(rows))},
    )
    from dataclasses import asdict

    write_json(meta_path(out_dir / "model.joblib"), asdict(meta))
    return model, meta
