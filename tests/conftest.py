"""Fixtures shared across the layers: a tiny random genome, the shared real data, tiny training runs,
a hand-built CTCF model, a small genome and model for variants, and an exported model with a server.

Heavy libraries are imported inside the fixtures, so collecting the light tests stays fast.
Plain helpers are in tests/toy_data.py and tests/toy_models.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.toy_data import make_tiny_run, write_fasta

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# ../shared/data/real beside the checkout (a git worktree may sit deeper: the nearest one up)
REAL_DATA = next(
    (
        p / "shared" / "data" / "real"
        for p in Path(__file__).resolve().parents[1:]
        if (p / "shared" / "data" / "real").is_dir()
    ),
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real",
)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``longest`` first (a stable sort keeps the rest in order)."""
    items.sort(key=lambda item: item.get_closest_marker("longest") is None)


@pytest.fixture
def tiny_genome(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """chr1 (5 kb, soft-masked stretch and an N run) and chr2 (3 kb) of random sequence."""
    rng = np.random.default_rng(1)
    seqs = {}
    for name, n in (("chr1", 5000), ("chr2", 3000)):
        seqs[name] = "".join(rng.choice(list("ACGT"), size=n))
    s = seqs["chr1"]
    seqs["chr1"] = s[:100] + "N" * 50 + s[150:1000] + s[1000:1200].lower() + s[1200:]
    return write_fasta(tmp_path / "tiny.fa", seqs), seqs


@pytest.fixture
def genome(tiny_genome, tmp_path):
    """The tiny genome opened as a Genome (its cache under tmp_path)."""
    from brainresnet_tf.io.genome import Genome

    return Genome(tiny_genome[0], cache_dir=tmp_path / "cache")


@pytest.fixture
def real_data() -> Path:
    """The shared real-data folder (skip with a reason when it is absent)."""
    if not REAL_DATA.exists():
        pytest.skip(f"shared real data not found at {REAL_DATA}")
    return REAL_DATA


# -- training -------------------------------------------------------------------------------------
@pytest.fixture
def tiny_run(tmp_path):
    """Three 150 kb chromosomes; profile 'a' open where MOTIF is planted (twice), 'b' at random."""
    return make_tiny_run(tmp_path)


@pytest.fixture
def trained(tiny_run):
    """tiny_run trained by ``run_train`` with the baseline: (config, metrics)."""
    from brainresnet_tf.train.config import load_config
    from brainresnet_tf.workflows.train import run_train

    # 4 epochs: the BN ResNet of 4k parameters is still near chance after 3 on some CPUs
    # (test AUROC 0.69 here with AVX-512 oneDNN kernels) and well above it after 4 (0.99)
    config = load_config(tiny_run, {"training.epochs": 4})
    metrics = run_train(config, with_baseline=True)
    return config, metrics


# -- motifs ---------------------------------------------------------------------------------------
@pytest.fixture
def ctcf_world(tmp_path):
    """A genome with JASPAR CTCF instances planted at 240 sites, their truth files, and a saved
    hand-built model whose one filter is CTCF's log-odds matrix."""
    import keras
    import pandas as pd

    from brainresnet_tf.demo.synthetic import jaspar_motif
    from brainresnet_tf.models.saving import ModelMeta, save_model

    mid, probs = jaspar_motif("CTCF")
    rng = np.random.default_rng(0)
    width, length, n_sites = len(probs), 100, 240
    seqs, rows = {}, []
    for c in ("chr1", "chr2"):
        seq = rng.choice(list("ACGT"), 15_000)
        for start in np.arange(150, 15_000 - 150, 120):
            if len(rows) >= n_sites:
                break
            idx = (rng.random((width, 1)) > np.cumsum(probs, axis=1)).sum(-1).clip(0, 3)
            inst = "".join("ACGT"[i] for i in idx)
            seq[start : start + width] = list(inst)
            rows.append(
                {
                    "element_id": f"{c}_{start}",
                    "chrom": c,
                    "start": int(start),
                    "end": int(start + width),
                    "strand": "+",
                    "motif_name": "CTCF",
                    "matrix_id": mid,
                    "sequence": inst,
                }
            )
        seqs[c] = "".join(seq)
    data = tmp_path / "data"
    data.mkdir()
    fasta = write_fasta(data / "genome.fa", seqs)
    sites = pd.DataFrame(rows)
    sites.to_csv(data / "motif_sites.tsv", sep="\t", index=False)
    elements = sites[["element_id", "chrom", "start", "end"]].assign(
        program="open", motifs="CTCF", open=1, closed=0
    )
    elements.to_csv(data / "elements.tsv", sep="\t", index=False)
    sites[["chrom", "start", "end"]].to_csv(data / "peaks.bed", sep="\t", index=False, header=False)

    inp = keras.Input((length, 4), name="sequence")
    conv = keras.layers.Conv1D(1, width, activation="relu")
    noise = keras.layers.Conv1D(1, 5)  # small random weights: attributions are never all zero
    x = keras.layers.Concatenate()(
        [keras.layers.GlobalMaxPooling1D()(conv(inp)), keras.layers.GlobalAveragePooling1D()(noise(inp))]
    )
    dense = keras.layers.Dense(2, activation="sigmoid", name="profiles")
    model = keras.Model(inp, dense(x))
    log_odds = np.log(probs / 0.25).astype(np.float32)
    conv.set_weights([log_odds[:, :, None], np.array([-4.0], np.float32)])
    noise.set_weights([rng.normal(0, 1.0, (5, 4, 1)).astype(np.float32), np.zeros(1, np.float32)])
    dense.set_weights([np.array([[0.5, -0.5], [1.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    save_model(
        model,
        tmp_path / "model.keras",
        ModelMeta(["open_ATAC", "closed_ATAC"], length, genome=str(fasta), cell_types=["open", "closed"]),
    )
    return tmp_path


# -- variants -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def genome_seqs(tmp_path_factory):
    """A Genome of random chr1 (3 kb) and chr2 (1.2 kb), and its sequences."""
    from brainresnet_tf.io.genome import Genome

    rng = np.random.default_rng(7)
    seqs = {"chr1": "".join(rng.choice(list("ACGT"), 3000)), "chr2": "".join(rng.choice(list("ACGT"), 1200))}
    d = tmp_path_factory.mktemp("vgenome")
    return Genome(write_fasta(d / "g.fa", seqs), cache_dir=d), seqs


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """The variant tests' tiny Brain-ResNet (64 bp, profiles p_a, p_b): (model, meta, saved path)."""
    from brainresnet_tf.models.saving import ModelMeta, save_model
    from tests.toy_models import VARIANT_LENGTH, VARIANT_PROFILES, variant_model

    model = variant_model()
    assert model.count_params() < 20_000
    meta = ModelMeta(profiles=VARIANT_PROFILES, input_length=VARIANT_LENGTH)
    path = tmp_path_factory.mktemp("vmodel") / "model.keras"
    save_model(model, path, meta)
    return model, meta, path


# -- serving --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """(keras model, model.keras path, model base path with version 1)."""
    from brainresnet_tf.models.saving import ModelMeta, save_model
    from brainresnet_tf.serve.export import export_serving
    from tests.toy_data import SERVING_LENGTH
    from tests.toy_models import SERVING_PROFILES, serving_model

    root = tmp_path_factory.mktemp("serving")
    model = serving_model(0)
    path = root / "model.keras"
    save_model(
        model,
        path,
        ModelMeta(SERVING_PROFILES, SERVING_LENGTH, cell_types=["iPSC_neuron", "NPC", "fetal_brain"]),
    )
    base = root / "models" / "tiny"
    export_serving(path, base)
    return model, path, base


@pytest.fixture(scope="session")
def server(exported):
    """Our server on free loopback ports (port 0 = the OS picks), gRPC and REST, batching on."""
    from brainresnet_tf.serve.server import BatchingOptions, ServingServer

    srv = ServingServer(
        exported[2],
        "tiny",
        host="127.0.0.1",
        port=0,
        batching=BatchingOptions(True, max_batch_size=16, batch_timeout_ms=20),
        poll_seconds=0.2,
        rest_port=0,
    )
    srv.start()
    yield srv
    srv.stop(grace=0)
