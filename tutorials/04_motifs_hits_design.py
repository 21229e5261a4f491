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
# # 4. Motifs, hits and design
#
# What did the model learn? This tutorial explains the demo model with per-base attributions
# (`model.attribute`), turns them into motifs with TF-MoDISco named against JASPAR
# (`br.motifs`), finds the motif instances the model leans on (`br.hits`), and designs new
# sequences the model predicts open in neurons and closed in progenitors. The demo genome's
# ground truth (which motifs were planted where) checks each step.
#
# **Scale.** `BRAINRESNET_TUTORIAL_SCALE` picks the size, as in tutorial 1: `quick` (the
# default; the demo model trains in under 2 minutes on 2 CPU cores if tutorial 1 has not left it
# in `tutorial_runs/`, and this notebook takes about 2 minutes more), `full`, or `tiny` (what CI runs,
# `tests/test_tutorials.py`: a tiny model after one epoch, fewer regions, integrated gradients
# with 4 steps and 2 design rounds, so motifs may come out unnamed or not at all). Outputs go to
# `tutorial_runs/` in the working directory (`BRAINRESNET_TUTORIAL_DIR` moves it).

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
TINY = SCALE == "tiny"
STEPS = 4 if TINY else 20  # integrated-gradients steps
print(f"scale: {SCALE}; outputs in {DEMO}")

# %% [markdown]
# ## The model
# Tutorial 1's model, or the same one trained here when it is missing (the demo data, the
# demo's config, `br.train`).

# %%
from brainresnet_tf.workflows.demo import tutorial_model

tutorial_model(DEMO, SCALE)
model = br.load_model(DEMO / "run" / "model.keras")
genome = model.genome()
sites = pd.read_csv(DEMO / "data" / "motif_sites.tsv", sep="\t")  # the planted motifs (ground truth)
print(model)

# %% [markdown]
# The regions to explain: the neuron profile's peaks (at `tiny` scale, 60 of them), as a BED
# file.

# %%
TASK, CONTRAST = "iPSC_neuron_ATAC", "NPC_ATAC"
OUT = DEMO / "interpret"
OUT.mkdir(parents=True, exist_ok=True)
peaks = br.read_peaks(DEMO / "data" / "peaks" / f"{TASK}.narrowPeak", genome)
if TINY:
    peaks = peaks.sample(60, random_state=0).sort_index()
regions = OUT / "neuron_peaks.bed"
peaks[["chrom", "start", "end", "name"]].to_csv(regions, sep="\t", header=False, index=False)
print(f"{len(peaks)} regions")

# %% [markdown]
# ## Attributions
# `model.attribute` gives each base's contribution to the logit of a profile: integrated
# gradients by default (`method="ixg"`: input x gradient, `"ism"`: in-silico mutagenesis,
# `"deeplift"`: DeepSHAP), averaged over both strands. `contributions` is (windows, length);
# `hypothetical` (windows, length, 4) is what TF-MoDISco reads.

# %%
attributions = model.attribute(regions=regions, task=TASK, steps=STEPS)
print(attributions.label, attributions.contributions.shape, attributions.hypothetical.shape)

# the window whose contributions are largest, with the motifs planted in it
i = int(np.abs(attributions.contributions).sum(axis=1).argmax())
window = attributions.windows.iloc[i]
inside = sites[(sites["chrom"] == window["chrom"]) & (sites["start"] >= window["start"])]
inside = inside[inside["end"] <= window["end"]]
fig, ax = plt.subplots(figsize=(11, 2.8))
ax.bar(np.arange(len(attributions.contributions[i])), attributions.contributions[i], width=1.0)
for site in inside.itertuples():
    x0 = site.start - window["start"]
    ax.axvspan(x0, x0 + (site.end - site.start), color="orange", alpha=0.3)
    ax.text(x0, ax.get_ylim()[1] * 0.9, site.motif_name, fontsize=8)
ax.set_xlabel(f"position in {window['chrom']}:{window['start']}-{window['end']}")
ax.set_ylabel("contribution")
ax.set_title(f"{TASK}: contributions (planted motifs shaded)")
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# The same as a sequence logo (logomaker) around the strongest stretch: the height of each
# letter is its contribution.

# %%
import logomaker

centre = int(np.convolve(np.abs(attributions.contributions[i]), np.ones(20), "same").argmax())
lo, hi = max(centre - 30, 0), centre + 30
matrix = attributions.one_hot[i, lo:hi] * attributions.contributions[i, lo:hi, None]
fig, ax = plt.subplots(figsize=(11, 2.2))
logomaker.Logo(pd.DataFrame(matrix, columns=list("ACGT")), ax=ax)
ax.set_title(f"bases {lo}-{hi} of the window")
display(fig)
plt.close(fig)

# %% [markdown]
# ## Motifs: TF-MoDISco patterns named against JASPAR
# `br.motifs` runs what `brainresnet motifs` runs: attributions over the regions, TF-MoDISco
# (modisco-lite) patterns, each matched by TOMTOM against JASPAR CORE vertebrates and named when
# it passes the quality gates. It writes its files (logos, `motifs.tsv`, `report.html`) and
# returns a result with `table` and `figures`. On the demo genome it also checks which planted
# motifs were recovered (`check`).

# %%
result = br.motifs(
    model, TASK, OUT / "motifs", regions=regions, steps=STEPS, n_leiden=1 if TINY else 2, log=print
)
print(result.text)
columns = ["pattern", "n_seqlets", "name", "named", "quality", "match1_name", "match1_q"]
display(result.table[[c for c in columns if c in result.table.columns]])
print(result.check)

# %%
shown = result.figures[:6]
if shown:
    fig, axes = plt.subplots(len(shown), 1, figsize=(7, 1.8 * len(shown)), squeeze=False)
    for ax, path in zip(axes[:, 0], shown):
        ax.imshow(plt.imread(path))
        ax.set_axis_off()
    fig.tight_layout()
    display(fig)
    plt.close(fig)
else:
    print("no patterns: train a better model (a larger scale) to find motifs")

# %% [markdown]
# ## Hits: motif instances the model leans on
# `br.hits` scans motifs (the named patterns of a motifs run with `motifs_dir`, and/or JASPAR
# matrices by name) over the regions and keeps the matches whose contribution passes a
# false-discovery threshold against shuffled attributions: the instances that matter to the
# model, not every PWM match. `hits.bed` is ready for a genome browser or for
# `brainresnet annotate-variants`.

# %%
hits = br.hits(
    model, TASK, OUT / "hits", regions=regions, jaspar=["NEUROG2", "RFX4", "PAX6", "CTCF"], steps=STEPS
)
print(hits.text)
display(hits.motifs[["motif", "n_hits"]])
display(hits.table.head())
print(hits.check)

ax = hits.motifs.set_index("motif")["n_hits"].plot.bar(figsize=(5, 3), rot=0, title=f"hits in {TASK} peaks")
ax.set_ylabel("hits")
display(ax.figure)
plt.close(ax.figure)

# %% [markdown]
# ## Design: sequences open in neurons, closed in progenitors
# The design step (the `brainresnet design` command; not yet part of `br`, so it comes from
# `brainresnet_tf.interpret.design`) improves random starts round by round: every single-base
# substitution (or `candidates` of them drawn at random) is scored by the model, and the best
# one is taken when it raises the objective `logit(neuron) - logit(progenitor)`. GC content and
# homopolymer runs are constrained.

# %%
from brainresnet_tf.interpret import design as D

task, contrast = model.profiles.index(TASK), model.profiles.index(CONTRAST)
objective = D.Objective(model.predictor(), task, contrast)
constraints = D.Constraints(gc=(0.35, 0.65), max_homopolymer=6)
starts = D.random_starts(3 if TINY else 10, model.meta.input_length, constraints, np.random.default_rng(0))
designed = D.design(
    starts, objective, constraints, rounds=2 if TINY else 20, candidates=100 if TINY else 400, seed=0
)

fig, ax = plt.subplots(figsize=(6, 3.5))
for _, trajectory in designed.trajectory.groupby("sequence"):
    ax.plot(trajectory["round"], trajectory["score"], color="tab:blue", alpha=0.3)
mean = designed.trajectory.groupby("round")["score"].mean()
ax.plot(mean.index, mean.values, color="tab:blue", lw=2.5, label="mean")
ax.set_xlabel("round")
ax.set_ylabel(f"logit({TASK}) - logit({CONTRAST})")
ax.legend()
display(fig)
plt.close(fig)

# %% [markdown]
# The designs, predicted by every profile, and the motifs `br.hits` finds in them (a FASTA of
# sequences of the model's input length instead of regions).

# %%
sequences = {f"design_{n}": s for n, s in enumerate(D.decode(designed.codes))}
display(model.predict(sequences).round(3))

fasta = OUT / "designed.fa"
fasta.write_text("".join(f">{name}\n{seq}\n" for name, seq in sequences.items()))
design_hits = br.hits(
    model,
    TASK,
    OUT / "design_hits",
    fasta=fasta,
    contrast=CONTRAST,
    jaspar=["NEUROG2", "RFX4", "PAX6", "GLI3"],
    steps=STEPS,
)
print(design_hits.text)
display(design_hits.motifs[["motif", "n_hits"]])
