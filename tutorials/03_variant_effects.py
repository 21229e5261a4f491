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
# # 3. Variant effects, validated against measured effects
#
# A model that predicts open chromatin from sequence predicts what a variant does to it: score
# the window with the reference allele and with the alternative, on both strands. This tutorial
# scores the demo's planted variants (SNVs and indels that break or create the motifs that open
# neuron elements, plus neutral ones) with `model.score_variants`, and validates the scores
# against simulated allelic read counts, as `brainresnet validate-variants` does for measured
# allele-specific open chromatin.
#
# **Scale.** `BRAINRESNET_TUTORIAL_SCALE` picks the size, as in tutorial 1: `quick` (the
# default; the demo model trains in under 2 minutes on 2 CPU cores if tutorial 1 has not left it
# in `tutorial_runs/`), `full`, or `tiny` (what CI runs, `tests/test_tutorials.py`: a tiny model
# after one epoch, so the validation numbers mean little). Outputs go to `tutorial_runs/` in the
# working directory (`BRAINRESNET_TUTORIAL_DIR` moves it).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from IPython.display import display

import brainresnet_tf as br

# %matplotlib inline

SCALE = os.environ.get("BRAINRESNET_TUTORIAL_SCALE", "quick")  # tiny | quick | full
WORK = Path(os.environ.get("BRAINRESNET_TUTORIAL_DIR", "tutorial_runs")).resolve()
DEMO = WORK / f"demo_{SCALE}"
print(f"scale: {SCALE}; outputs in {DEMO}")

# %% [markdown]
# ## The model
# Tutorial 1's model, or the same one trained here when it is missing (the demo data, the
# demo's config, `br.train`).

# %%
from brainresnet_tf.workflows.demo import tutorial_model

tutorial_model(DEMO, SCALE)
config = yaml.safe_load((DEMO / "config.yaml").read_text())
model = br.load_model(DEMO / "run" / "model.keras")
genome = model.genome()  # the genome the model was trained on (its model.json names it)
print(model)

# %% [markdown]
# ## The variants
# `make_demo_variants` writes a VCF of variants on the held-out chromosomes (the model never
# trained on them) and a table of what was "measured": allelic read counts simulated from each
# variant's true effect, a binomial p-value and a significance flag. The true class of each
# variant is known: `break` (an SNV in a motif that opens its element: closes it), `create`,
# `buffered` (a motif hit whose element stays open), `neutral`, and the indel classes
# (`break_del`, `create_ins`, `buffered_del`, `neutral_indel`).

# %%
from brainresnet_tf.demo.synthetic_variants import make_demo_variants

VARIANTS = DEMO / "variants"
held_out = [*config["windows"]["valid_chroms"], *config["windows"]["test_chroms"]]
demo = make_demo_variants(
    DEMO / "data", VARIANTS / "demo.vcf", VARIANTS / "observed.tsv", "iPSC_neuron", chroms=held_out
)
print(demo.counts, f"{demo.n_significant} significant")
observed = pd.read_csv(demo.observed, sep="\t")
display(observed.head())

# %% [markdown]
# `br.read_variants` reads a VCF (or a BED-like or TSV variant table), checks every REF allele
# against the genome and left-normalises indels, as `score-variants` does before scoring.

# %%
variants = br.read_variants(demo.vcf, genome)
print(variants.attrs["stats"])
display(variants[["chrom", "pos", "id", "ref", "alt", "kind"]].head())

# %% [markdown]
# ## Scoring
# `model.score_variants` returns one row per allele: per profile the prediction with REF and
# with ALT, `diff` (alt - ref) and `logit_diff`, both strands averaged, then the largest
# absolute difference over profiles and the profile it is in.

# %%
scores = model.score_variants(demo.vcf)
profile = "iPSC_neuron_ATAC"
display(scores.sort_values("max_abs_diff", ascending=False).head(8).round(3))

# %% [markdown]
# The predicted effect on the neuron profile by true class: breaking a motif should lower it,
# creating one raise it, the rest stay near zero.

# %%
by_class = scores.merge(observed[["variant_id", "class"]], left_on="ID", right_on="variant_id")
order = ["break", "create", "buffered", "neutral", "break_del", "create_ins", "buffered_del", "neutral_indel"]
classes = [c for c in order if c in set(by_class["class"])]
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.boxplot([by_class.loc[by_class["class"] == c, f"{profile}_diff"] for c in classes], showfliers=False)
ax.set_xticks(range(1, len(classes) + 1), classes, rotation=20)
ax.axhline(0, color="grey", lw=0.8)
ax.set_ylabel(f"{profile} alt - ref")
ax.set_title("predicted effect by true class")
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# Sequence pairs score the same way without a genome: a table of `id`, `ref_seq` and `alt_seq`
# (each centred in the model's window), e.g. a reporter construct with and without a mutation:
# here the consensus of NEUROG2 (JASPAR) in a random background, and the same with its central
# base changed.

# %%
from brainresnet_tf.demo.synthetic import jaspar_motif

site = "".join("ACGT"[i] for i in jaspar_motif("NEUROG2")[1].argmax(axis=1))
rng = np.random.default_rng(1)
flank = ["".join(rng.choice(list("ACGT"), 80)) for _ in range(2)]
ref_seq = flank[0] + site + flank[1]
middle = 80 + len(site) // 2
alt_seq = ref_seq[:middle] + {"A": "T", "C": "G", "G": "C", "T": "A"}[ref_seq[middle]] + ref_seq[middle + 1 :]
pairs = pd.DataFrame({"id": ["NEUROG2 site"], "ref_seq": [ref_seq], "alt_seq": [alt_seq]})
display(model.score_variants(pairs)[["ID", "SEQ_POS", "REF", "ALT", f"{profile}_diff"]].round(4))

# %% [markdown]
# ## Validation against measured effects
# `validate_variants` (the `validate-variants` command; not yet part of `br`) joins the scores
# with the observed table and reports whether significant variants are enriched among the
# top-scored ones (Fisher's exact test at several k), the Spearman correlation of predicted and
# observed allelic log ratios, and the sign agreement. The comparators are scored the same way:
# here the other cell types' profiles, which should rank the neuron variants worse.

# %%
from brainresnet_tf.variant.validation import format_summary, validate_variants

scores.to_csv(VARIANTS / "scores.tsv", sep="\t", index=False)
summary = validate_variants(
    VARIANTS / "scores.tsv",
    demo.observed,
    VARIANTS / "validation",
    score_column=f"{profile}_diff",
    comparators=[f"{p}_diff" for p in model.profiles if p != profile],
    profile=profile,
)
print(format_summary(summary))

# %%
enrichment = pd.read_csv(VARIANTS / "validation" / "enrichment.tsv", sep="\t")
joined = pd.read_csv(VARIANTS / "validation" / "joined.tsv", sep="\t")
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
enrichment.pivot_table(index="k", columns="method", values="odds_ratio").plot.bar(ax=axes[0], rot=0)
axes[0].axhline(1, color="grey", lw=0.8)
axes[0].set_ylabel("odds ratio: significant among the top k")
axes[0].set_title("enrichment (Fisher)")
sig = joined["significant"].astype(bool)
axes[1].scatter(joined.loc[~sig, "pred_log_ratio"], joined.loc[~sig, "obs_log_ratio"], s=6, c="lightgrey")
axes[1].scatter(joined.loc[sig, "pred_log_ratio"], joined.loc[sig, "obs_log_ratio"], s=8, label="significant")
axes[1].set_xlabel("predicted log(ref / alt)")
axes[1].set_ylabel("observed log(ref / alt)")
axes[1].legend()
axes[1].set_title(f"Spearman (significant) {summary['spearman_significant']['rho']:.2f}")
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# On measured data the observed table is yours: variant id or chrom/pos/ref/alt, and ref and
# alt read counts (or a log ratio) with a significance flag; quantitative effects (QTL betas)
# go through `effect_column`. The command line does the same:
# `brainresnet score-variants --model M --genome G --vcf V --out scores.tsv`, then
# `brainresnet validate-variants --scores scores.tsv --observed counts.tsv --out validation/`.
