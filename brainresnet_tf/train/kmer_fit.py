"""Training the k-mer baseline on a window table (beside the ResNet and the CNN baseline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from brainresnet_tf.data.pipeline import WindowSource
from brainresnet_tf.data.shuffle import shuffled_negatives as shuffle_codes
from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.io.atomic import write_json
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.models.kmer import KmerModel, KmerSpec
from brainresnet_tf.models.saving import ModelMeta, meta_path

MAX_KMER_WINDOWS = 50_000  # a seeded sample of training windows beyond this (features are dense)


def train_kmer(
    genome: Genome,
    table: WindowTable,
    out_dir: Path,
    seed: int = 0,
    spec: KmerSpec = KmerSpec(),
    shuffled_negatives: float = 0.0,
) -> tuple[KmerModel, ModelMeta]:
    """Fit the k-mer model on the train split (at most MAX_KMER_WINDOWS windows); save
    ``out_dir/model.joblib`` and its ``model.json`` (arch ``kmer``).

    ``shuffled_negatives`` r: as the neural models train (``training.shuffled_negatives``),
    dinucleotide shuffles of round(r x positives) positive windows join as negatives of every
    profile (one seeded draw: the k-mer fit has no epochs), so all models see the same classes.
    """
    train = table.of_split("train")
    rows = np.arange(len(train))
    if len(rows) > MAX_KMER_WINDOWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_KMER_WINDOWS, replace=False))
    source = WindowSource(genome, train)
    codes, labels = source.codes(rows), train.labels[rows]
    positives = np.flatnonzero(np.nan_to_num(labels, nan=0.0).max(axis=1, initial=0.0) > 0.5)
    n_shuffled = int(round(shuffled_negatives * len(positives)))
    if n_shuffled and len(positives):
        shuffled = shuffle_codes(codes[positives[np.arange(n_shuffled) % len(positives)]], seed)
        codes = np.concatenate([codes, shuffled])
        labels = np.concatenate([labels, np.zeros((n_shuffled, labels.shape[1]), labels.dtype)])
    model = KmerModel(spec, seed).fit(codes, labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.joblib")
    meta = ModelMeta(
        profiles=list(table.profiles),
        input_length=table.context,
        bin_size=table.bin_size,
        arch="kmer",
        extra={
            "ks": list(spec.ks),
            "training_windows": int(len(rows)),
            "shuffled_negatives": n_shuffled,
        },
    )
    from dataclasses import asdict

    write_json(meta_path(out_dir / "model.joblib"), asdict(meta))
    return model, meta
