# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Quick start: demo data, a model, predictions
#
# This tutorial writes the package's synthetic demo data (a small genome in which real JASPAR
# motifs open chromatin per cell type: NEUROG2 and RFX4 in iPSC-derived neurons, PAX6 and GLI3
# in neural progenitors, both groups in fetal brain, CTCF and YY1 everywhere), trains a
# Brain-ResNet on it with `br.train`, predicts with `br.load_model(...).predict` and plots the
# results. It is what `brainresnet demo` does, step by step, from Python.
#
# **Scale.** `BRAINRESNET_TUTORIAL_SCALE` picks the size: `quick` (the default) is the demo's
# quick setting, an 8 x 1 Mb genome and an 82k-parameter ResNet trained for up to 12 epochs
# (the whole notebook: under 2 minutes on 2 CPU cores; test AUROC about 0.92); `full` is the
# full demo's size (12 x 1.25 Mb, 1000 bp context: several times longer); `tiny` is what CI runs
# (`tests/test_tutorials.py`): a 9 x 100 kb genome, a model of a few thousand parameters and one
# epoch, so every step runs in seconds and the numbers mean little (the model stays near
# chance). Outputs go to `tutorial_runs/` in the working directory
# (`BRAINRESNET_TUTORIAL_DIR` moves it); tutorials 3, 4 and 5 reuse the model trained here.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import brainresnet_tf as br

# %matplotlib inline

SCALE = os.environ.get("BRAINRESNET_TUTORIAL_SCALE", "quick")  # tiny | quick | full
WORK = Path(os.environ.get("BRAINRESNET_TUTORIAL_DIR", "tutorial_runs")).resolve()
DEMO = WORK / f"demo_{SCALE}"
print(f"scale: {SCALE}; outputs in {DEMO}")

# %% [markdown]
# ## The demo data
# `generate_synthetic_dataset` writes real files: a FASTA genome, one narrowPeak and one bigWig
# per profile, and the ground truth (`elements.tsv`, `motif_sites.tsv`). The same arguments give
# the same files, byte for byte.

# %%
from brainresnet_tf.demo.synthetic import generate_synthetic_dataset
from brainresnet_tf.workflows.demo import DEMO_GENOME

data = generate_synthetic_dataset(DEMO / "data", seed=0, **DEMO_GENOME[SCALE])
genome = br.Genome(data.fasta)
print(f"{len(genome.chrom_sizes)} chromosomes, {sum(genome.chrom_sizes.values()):,} bp")
for profile in data.profiles:
    print(f"{profile.name:<18} {profile.cell_type:<12} {profile.peaks.name}")

# %% [markdown]
# `br.read_peaks` reads a BED or narrowPeak file, checking every line against the genome
# (chromosome names, coordinates within it).

# %%
peaks = {p.name: br.read_peaks(p.peaks, genome) for p in data.profiles}
display(peaks["iPSC_neuron_ATAC"].head())

fig, ax = plt.subplots(figsize=(6, 3))
for name, table in peaks.items():
    ax.hist(table["end"] - table["start"], bins=30, histtype="step", label=f"{name} ({len(table)})")
ax.set_xlabel("peak width (bp)")
ax.set_ylabel("peaks")
ax.legend(fontsize=8)
display(fig)
plt.close(fig)

# %% [markdown]
# ## Train
# A run is described by a YAML config: the genome, the profiles (one per peak file), how the
# genome is binned into windows and split (held-out chromosomes), the model and the training
# settings. `tutorial_config` writes the demo's (peaks only; at `tiny` scale a tiny model trained one
# epoch); on your own data you write one by hand (tutorial 2).

# %%
import yaml

from brainresnet_tf.workflows.demo import tutorial_config

config = tutorial_config(data, SCALE, DEMO / "run")
config_path = DEMO / "config.yaml"
config_path.write_text(yaml.safe_dump(config, sort_keys=False))
print(config_path.read_text())

# %% [markdown]
# `br.train` trains the model into the config's `out_dir`, evaluates it on the held-out
# chromosomes and returns the run (`baseline=True` also trains the CNN and k-mer baselines beside
# it, as `brainresnet train --baseline` does). `log=print` shows what the command would print.
# `overwrite=True` replaces an earlier run in the same folder.

# %%
run = br.train(config_path, overwrite=True, log=print)
print(run.model_path)

# %% [markdown]
# `run.metrics` has one row per model, split and profile. `test` scores the held-out
# chromosome's peaks against GC-matched background bins; `test-shuffled` against dinucleotide
# shuffles of the same peaks (harder: the composition is the same, only the motifs are broken).

# %%
metrics = run.metrics
display(metrics[["model", "split", "profile", "auroc", "auprc"]].round(3))

test = metrics[metrics["split"].isin(["test", "test-shuffled"])]
table = test.pivot_table(index="profile", columns="split", values="auroc")
ax = table.plot.bar(figsize=(6, 3), rot=0, ylim=(0.4, 1.0), title="test AUROC per profile")
ax.axhline(0.5, color="grey", lw=0.8, ls="--")
display(ax.figure)
plt.close(ax.figure)

# %% [markdown]
# ## Predict
# `br.load_model` loads a saved model with its metadata. `predict` takes sequences (each centred
# in the model's window) or regions on a genome, and returns a table; both strands are averaged.

# %%
model = br.load_model(run.model_path)
print(model)
print(model.profiles)

# %% [markdown]
# Predictions for the peaks of each cell type on the test chromosome: each profile should be
# highest on its own cell type's peaks.

# %%
test_chrom = config["windows"]["test_chroms"][0]
rows = []
for name, table in peaks.items():
    held_out = table[table["chrom"] == test_chrom]
    predicted = model.predict(regions=held_out, genome=genome)
    rows.append(predicted[model.profiles].mean().rename(f"{name} peaks"))
mean_prediction = pd.DataFrame(rows)
display(mean_prediction.round(2))

fig, ax = plt.subplots(figsize=(5, 3.5))
image = ax.imshow(mean_prediction.to_numpy(), cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(len(model.profiles)), model.profiles, rotation=30, ha="right")
ax.set_yticks(range(len(mean_prediction)), mean_prediction.index)
ax.set_title(f"mean prediction on {test_chrom} (held out)")
fig.colorbar(image, ax=ax, label="probability")
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# Sequences: a random background, and the same with two consensus sites of the neuron motifs
# (NEUROG2, RFX4) and of the progenitor motifs (PAX6, GLI3) written into it. A model that learned
# the grammar opens the neuron profile for the first pair and the progenitor profile for the
# second.

# %%
from brainresnet_tf.demo.synthetic import jaspar_motif


def consensus(name: str) -> str:
    return "".join("ACGT"[i] for i in jaspar_motif(name)[1].argmax(axis=1))


rng = np.random.default_rng(0)
length = model.meta.input_length
background = "".join(rng.choice(list("ACGT"), length))


def with_motifs(names: list[str]) -> str:
    seq, middle = background, length // 2
    for offset, name in zip((-40, 20), names):
        site = consensus(name)
        start = middle + offset
        seq = seq[:start] + site + seq[start + len(site) :]
    return seq


sequences = {
    "background": background,
    "NEUROG2 + RFX4": with_motifs(["NEUROG2", "RFX4"]),
    "PAX6 + GLI3": with_motifs(["PAX6", "GLI3"]),
}
predicted = model.predict(sequences)
display(predicted.round(3))

ax = predicted.set_index("name")[model.profiles].plot.bar(figsize=(6, 3), rot=0, ylim=(0, 1))
ax.set_ylabel("probability")
display(ax.figure)
plt.close(ax.figure)

# %% [markdown]
# Next: tutorial 2 trains on real peaks, tutorial 3 scores variants with this model, tutorial 4
# explains it (motifs, hits, designed sequences) and tutorial 5 serves it.
