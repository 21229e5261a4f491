"""Tiny Keras models shared by several test files (builders only; fixtures live in conftest.py)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from brainresnet_tf.models import ResNetSpec, build_resnet
from tests.toy_data import SERVING_LENGTH, onehot

SERVING_PROFILES = ["iPSC_neuron_ATAC", "NPC_ATAC", "fetal_brain_ATAC"]
VARIANT_LENGTH = 64
VARIANT_PROFILES = ["p_a", "p_b"]


def serving_model(seed: int) -> tf.keras.Model:
    """A ~1.5k-parameter Brain-ResNet with non-trivial (random) head weights."""
    tf.keras.utils.set_random_seed(seed)
    return build_resnet(
        SERVING_LENGTH, len(SERVING_PROFILES), ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8)
    )


def keras_strand_avg(model, seqs: list[str]) -> np.ndarray:
    """The model's output averaged over both strands of each sequence."""
    x = onehot(seqs)
    return (model(x).numpy() + model(x[:, ::-1, ::-1].copy()).numpy()) / 2


def variant_model() -> keras.Model:
    """The variant tests' tiny Brain-ResNet: 64 bp in, profiles p_a and p_b out (seed 0)."""
    keras.utils.set_random_seed(0)
    return build_resnet(
        VARIANT_LENGTH, len(VARIANT_PROFILES), ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8)
    )


def planted_world(root, n_elements: int = 160, untrained: bool = False):
    """A genome where 'open' elements carry a JASPAR CTCF instance and 'closed' elements a PAX6
    one (truth files beside it, as the demo writes them), and a saved hand-built model: profile
    open_ATAC is CTCF's log-odds filter, closed_ATAC is PAX6's (``untrained``: random weights).

    Returns the folder (data/genome.fa, data/motif_sites.tsv, data/elements.tsv, data/open.bed,
    data/closed.bed, model.keras).
    """
    from pathlib import Path

    import pandas as pd

    from brainresnet_tf.demo.synthetic import jaspar_motif, sample_motif
    from brainresnet_tf.models.saving import ModelMeta, save_model
    from tests.toy_data import write_fasta

    root = Path(root)
    rng = np.random.default_rng(0)
    length, spacing = 100, 150
    motifs = {"CTCF": jaspar_motif("CTCF"), "PAX6": jaspar_motif("PAX6")}
    seqs, sites, elements = {}, [], []
    per_chrom = n_elements // 2
    for c in ("chr1", "chr2"):
        seq = rng.choice(list("ACGT"), 200 + per_chrom * spacing)
        for k in range(per_chrom):
            name = "CTCF" if (k + (c == "chr2")) % 2 == 0 else "PAX6"
            mid, probs = motifs[name]
            start = 200 + k * spacing + int(rng.integers(0, 20))
            sharp = probs**2  # drawn as the demo draws them (sharpness 2)
            inst = sample_motif(rng, sharp / sharp.sum(axis=1, keepdims=True))
            strand = "+" if rng.random() < 0.5 else "-"
            text = inst if strand == "+" else inst[::-1].translate(str.maketrans("ACGT", "TGCA"))
            seq[start : start + len(inst)] = list(text)
            eid = f"{c}_el{k}"
            program = "open" if name == "CTCF" else "closed"
            elements.append(
                {
                    "element_id": eid,
                    "chrom": c,
                    "start": start - 20,
                    "end": start + len(inst) + 20,
                    "program": program,
                    "motifs": name,
                    "open": int(program == "open"),
                    "closed": int(program == "closed"),
                }
            )
            sites.append(
                {
                    "element_id": eid,
                    "chrom": c,
                    "start": start,
                    "end": start + len(inst),
                    "strand": strand,
                    "motif_name": name,
                    "matrix_id": mid,
                    "sequence": inst,
                }
            )
        seqs[c] = "".join(seq)
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    fasta = write_fasta(data / "genome.fa", seqs)
    pd.DataFrame(sites).to_csv(data / "motif_sites.tsv", sep="\t", index=False)
    el = pd.DataFrame(elements)
    el.to_csv(data / "elements.tsv", sep="\t", index=False)
    for program in ("open", "closed"):
        el.loc[el["program"] == program, ["chrom", "start", "end"]].to_csv(
            data / f"{program}.bed", sep="\t", index=False, header=False
        )

    keras.utils.set_random_seed(1)
    inp = keras.Input((length, 4), name="sequence")
    pooled = []
    convs = []
    for name in ("CTCF", "PAX6"):
        conv = keras.layers.Conv1D(1, len(motifs[name][1]))  # linear: design has a gradient
        convs.append(conv)
        pooled.append(keras.layers.GlobalMaxPooling1D()(conv(inp)))
    noise = keras.layers.Conv1D(1, 5)
    pooled.append(keras.layers.GlobalAveragePooling1D()(noise(inp)))
    dense = keras.layers.Dense(2, activation="sigmoid", name="profiles")
    model = keras.Model(inp, dense(keras.layers.Concatenate()(pooled)))
    if not untrained:
        for conv, name in zip(convs, ("CTCF", "PAX6")):
            log_odds = np.log(motifs[name][1] / 0.25).astype(np.float32)
            conv.set_weights([log_odds[:, :, None], np.zeros(1, np.float32)])
        noise.set_weights([rng.normal(0, 1.0, (5, 4, 1)).astype(np.float32), np.zeros(1, np.float32)])
        dense.set_weights(
            [np.array([[0.5, 0.0], [0.0, 0.5], [1.0, 1.0]], np.float32), np.full(2, -4.0, np.float32)]
        )
    save_model(
        model,
        root / "model.keras",
        ModelMeta(["open_ATAC", "closed_ATAC"], length, genome=str(fasta), cell_types=["open", "closed"]),
    )
    return root


def position_model(length: int, n_profiles: int = 2, seed: int = 0) -> keras.Model:
    """sigmoid(Dense(flattened one-hot)) with random weights: every base at every index moves the
    output, so a window off by one base scores differently (for exact window tests). It computes
    in float64, so its outputs do not depend on how a batch is composed (float32 kernels sum in
    batch-dependent order, ~1e-7)."""
    rng = np.random.default_rng(seed)
    inp = keras.Input((length, 4))
    dense = keras.layers.Dense(n_profiles, activation="sigmoid", dtype="float64")
    model = keras.Model(inp, dense(keras.layers.Flatten()(inp)))
    dense.set_weights([rng.normal(0, 0.5, (4 * length, n_profiles)), np.zeros(n_profiles)])
    return model


def kmer_model(length: int, n_profiles: int = 2, seed: int = 0):
    """A k-mer baseline (k = 2, 3; 2-fold CV over two strengths) fitted on 200 random windows of
    ``length`` bases whose labels depend on k-mer content (GC-rich; holding a GATA), so its
    coefficients are not zero: a fast stand-in for ``brainresnet train --baseline``'s."""
    from brainresnet_tf.models.kmer import KmerModel, KmerSpec

    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (200, length)).astype(np.uint8)
    text = ["".join("ACGT"[c] for c in row) for row in codes]
    gc = np.isin(codes, (1, 2)).mean(axis=1)
    labels = [gc > np.median(gc), np.array(["GATA" in t or "TATC" in t for t in text])]
    labels = np.stack([labels[i % 2] for i in range(n_profiles)], axis=1).astype(np.float32)
    spec = KmerSpec(ks=(2, 3), c_grid=(0.1, 1.0), folds=2, max_iter=500)
    return KmerModel(spec, seed).fit(codes, labels)


def save_kmer_model(model, folder, profiles: list[str], length: int):
    """``folder/kmer/model.joblib`` and its ``model.json`` (arch ``kmer``), as ``train --baseline``
    writes them; returns the model path."""
    from dataclasses import asdict
    from pathlib import Path

    from brainresnet_tf.io.atomic import write_json
    from brainresnet_tf.models.saving import ModelMeta, meta_path

    path = Path(folder) / "kmer" / "model.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    write_json(meta_path(path), asdict(ModelMeta(list(profiles), length, arch="kmer")))
    return path


def demo_grammar_model(length: int = 200, scale: float = 0.4):
    """A hand-built model of the demo genome's grammar (no training): one filter per demo motif
    holding its JASPAR log-odds matrix, max-pooled over the window, and one sigmoid profile per
    demo cell type (``<cell type>_ATAC``) adding the best scores of its own and the shared motifs,
    plus a small random average-pooled filter, so every base moves the output a little (as in a
    trained model). A stand-in for the demo's trained model where a test cannot spend minutes
    training one."""
    from brainresnet_tf.demo.synthetic import DEFAULT_CELL_TYPES, SHARED_MOTIFS, jaspar_motif

    names = sorted({m for c in DEFAULT_CELL_TYPES for m in c.motifs} | set(SHARED_MOTIFS))
    inp = keras.Input((length, 4), name="sequence")
    pooled, convs = [], []
    for name in names:
        probs = jaspar_motif(name)[1]
        conv = keras.layers.Conv1D(1, len(probs))
        convs.append((conv, np.log(np.maximum(probs, 1e-3) / 0.25).astype(np.float32)))
        pooled.append(keras.layers.GlobalMaxPooling1D()(conv(inp)))
    noise = keras.layers.Conv1D(1, 5)
    pooled.append(keras.layers.GlobalAveragePooling1D()(noise(inp)))
    dense = keras.layers.Dense(len(DEFAULT_CELL_TYPES), activation="sigmoid", name="profiles")
    model = keras.Model(inp, dense(keras.layers.Concatenate()(pooled)))
    for conv, log_odds in convs:
        conv.set_weights([log_odds[:, :, None], np.zeros(1, np.float32)])
    rng = np.random.default_rng(0)
    noise.set_weights([rng.normal(0, 1.0, (5, 4, 1)).astype(np.float32), np.zeros(1, np.float32)])
    uses = [[scale * (m in c.motifs or m in SHARED_MOTIFS) for c in DEFAULT_CELL_TYPES] for m in names]
    weights = np.array(uses + [[1.0] * len(DEFAULT_CELL_TYPES)], np.float32)
    dense.set_weights([weights, np.full(len(DEFAULT_CELL_TYPES), 1.0, np.float32)])
    return model
