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
# # 2. Train on your own peaks: four brain cell types on chr20
#
# Your data is a genome FASTA and one peak file (BED or narrowPeak, plain or gzipped) per
# profile. This tutorial uses real ones: ATAC-seq peaks of sorted human cortex nuclei (Nott et
# al. 2019: NeuN+ neurons, LHX2+ astrocytes, Olig2+ oligodendrocytes, PU.1+ microglia), the
# genome-wide files as downloaded, on hg19 chromosome 20 (63 Mb). It writes a config, trains
# with `br.train`, and checks what the model learned per cell type.
#
# **Data.** The files are in the project's shared folder `shared/data/real/` (beside the
# checkout), found from the working directory or the installed package, or where
# `BRAINRESNET_REAL_DATA` points. They are not part of the package: where they are absent the
# notebook stops at its first cell with the reason (CI then skips it).
#
# **Scale.** `BRAINRESNET_TUTORIAL_SCALE` picks the size: by default (`quick` or `full`) the
# package's own training defaults on every chr20 peak (8,808 training windows, a 320k-parameter
# ResNet; the whole notebook took 8 minutes on 2 CPU cores; with `baseline=True`, which also
# trains the CNN and k-mer baselines, `benchmarks/brain_chr20.py` took 22 minutes); `tiny` (what
# CI runs, `tests/test_tutorials.py`) keeps 60 random peaks per cell type, a model of a few
# thousand parameters and one epoch, so the numbers mean little. Outputs go to
# `tutorial_runs/` in the working directory (`BRAINRESNET_TUTORIAL_DIR` moves it).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import brainresnet_tf as br

# %matplotlib inline

SCALE = os.environ.get("BRAINRESNET_TUTORIAL_SCALE", "quick")  # tiny | quick | full
WORK = Path(os.environ.get("BRAINRESNET_TUTORIAL_DIR", "tutorial_runs")).resolve() / f"brain_chr20_{SCALE}"


def find_real_data() -> Path | None:
    """shared/data/real beside the working directory or the package's checkout (nearest first)."""
    if os.environ.get("BRAINRESNET_REAL_DATA"):
        return Path(os.environ["BRAINRESNET_REAL_DATA"])
    package = Path(br.__file__).resolve().parent
    for folder in [Path.cwd(), *Path.cwd().parents, *package.parents]:
        if (folder / "shared" / "data" / "real").is_dir():
            return folder / "shared" / "data" / "real"
    return None


REAL = find_real_data()
FASTA = REAL / "hg19_chr20" / "hg19.chr20.fa.gz" if REAL else None
PEAK_DIR = REAL / "nott2019_brain_celltype_peaks_hg19" if REAL else None
if FASTA is None or not FASTA.exists() or not PEAK_DIR.is_dir():
    reason = (
        f"SKIPPED: the real chr20 brain data is not here (looked for shared/data/real/hg19_chr20 and "
        f"nott2019_brain_celltype_peaks_hg19 above {Path.cwd()} and the package; found {REAL}). "
        "Set BRAINRESNET_REAL_DATA to that folder, or use your own FASTA and peak files below."
    )
    print(reason)
    raise SystemExit(reason)
print(f"real data: {REAL}; scale: {SCALE}; outputs in {WORK}")

# %% [markdown]
# ## The genome and the peaks
# `br.Genome` opens a FASTA (plain or bgzipped with its index) and encodes it once into a cached
# array of base codes (here in the tutorial's folder; by default beside the FASTA). The peak
# files are genome-wide; the genome has chr20 only. `br.read_peaks` checks every line against
# the genome: with `skipped=PeakStats(...)` peaks on chromosomes the genome lacks are counted and
# skipped (as `train` does) instead of stopping with an error.

# %%
from brainresnet_tf.io.intervals import PeakStats

genome = br.Genome(FASTA, cache_dir=WORK / "genome_cache")
print(genome.chrom_sizes)

PEAKS = {  # profile: (cell type, peak file)
    "neuron_ATAC": ("neuron", "NeuN_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
    "astrocyte_ATAC": ("astrocyte", "LHX2_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
    "oligodendrocyte_ATAC": ("oligodendrocyte", "Olig2_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
    "microglia_ATAC": ("microglia", "PU1_optimal_peak_IDR_ENCODE.ATAC.bed.gz"),
}
peaks = {}
for name, (_, file) in PEAKS.items():
    stats = PeakStats(PEAK_DIR / file)
    peaks[name] = br.read_peaks(PEAK_DIR / file, genome, skipped=stats)
    print(f"{name:<22} {len(peaks[name]):>5} peaks on chr20; {stats.summary()}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
for name, table in peaks.items():
    axes[0].hist((table["end"] - table["start"]).clip(upper=2000), bins=40, histtype="step", label=name)
    axes[1].hist(table["start"] / 1e6, bins=63, histtype="step", label=name)
axes[0].set_xlabel("peak width (bp, clipped at 2 kb)")
axes[1].set_xlabel("position on chr20 (Mb)")
axes[0].set_ylabel("peaks")
axes[1].legend(fontsize=8)
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# ## The config
# One profile per peak file; held-out regions of chr20 for validation (40-48 Mb: the best
# epoch is chosen there) and test (48-63 Mb: reported). `windows` bins the genome into 200 bp
# bins with 1000 bp of sequence context; bins overlapping a peak are positives, and as many
# GC-matched background bins are sampled as negatives. Everything not set takes the package's
# defaults (which adapt to the data's size: small data sets get longer training, an ensemble,
# augmentations). At `tiny` scale the peak files are cut to 60 random peaks each, written into
# the tutorial's folder.

# %%
import yaml

WORK.mkdir(parents=True, exist_ok=True)
profiles = []
for name, (cell_type, file) in PEAKS.items():
    path = PEAK_DIR / file
    if SCALE == "tiny":
        path = WORK / f"{name}.tiny.bed"
        peaks[name].sample(60, random_state=0).sort_values("start").to_csv(
            path, sep="\t", header=False, index=False
        )
    profiles.append({"name": name, "cell_type": cell_type, "assay": "ATAC", "peaks": str(path)})

config = {
    "genome": {"fasta": str(FASTA), "build": "hg19", "cache_dir": str(WORK / "genome_cache")},
    "profiles": profiles,
    "windows": {"valid_regions": ["chr20:40000001-48000000"], "test_regions": ["chr20:48000001-63025520"]},
    "training": {"seed": 0, "tensorboard": False, "progress": False},
    "out_dir": str(WORK / "run"),
}
if SCALE == "tiny":
    config["model"] = {"resnet": {"stem_filters": 8, "stage_filters": [8, 8], "head_units": 8}}
    config["training"].update(epochs=1, min_epochs=1, ensemble=1, motif_filters=0, test_time_shift=0)
config_path = WORK / "config.yaml"
config_path.write_text(yaml.safe_dump(config, sort_keys=False))
print(config_path.read_text())

# %% [markdown]
# ## Train
# `br.train` does what `brainresnet train --config config.yaml` does: it builds the windows,
# trains, evaluates on the test region and writes the run folder. `baseline=True` adds the
# DeepSEA-style CNN and a k-mer baseline, side by side; `overrides` sets dotted config keys
# (`{"training.epochs": 5}`), as `--set` does.

# %%
run = br.train(config_path, overwrite=True, log=print)

# %% [markdown]
# Per cell type, the test AUROC against GC-matched background bins (`test`) and against
# dinucleotide shuffles of the test peaks (`test-shuffled`). At the default scale this notebook's
# ResNet measured 0.73-0.80 against background and 0.96-0.99 against shuffles (the Real data page
# of the docs has the baselines beside it, from `benchmarks/brain_chr20.py`); at `tiny` scale,
# expect chance.

# %%
metrics = run.metrics
display(metrics[["model", "split", "profile", "n_positive", "auroc", "auprc"]].round(3))

test = metrics[metrics["split"].isin(["test", "test-shuffled"])]
table = test.pivot_table(index="profile", columns="split", values="auroc")
ax = table.plot.barh(figsize=(6, 3), xlim=(0.4, 1.0), title="test AUROC (chr20:48-63 Mb)")
ax.axvline(0.5, color="grey", lw=0.8, ls="--")
display(ax.figure)
plt.close(ax.figure)

# %% [markdown]
# ## Cell-type specificity
# The held-out peaks of each cell type, predicted by every profile: a model that learned the cell
# types' sequence differences puts the highest value of each row on the diagonal.

# %%
model = run.load_model()
test_peaks = {
    name: table[(table["start"] >= 48_000_000)].head(300 if SCALE != "tiny" else 50)
    for name, table in peaks.items()
}
rows = {
    f"{name} peaks": model.predict(regions=table, genome=genome)[model.profiles].mean()
    for name, table in test_peaks.items()
}
specificity = pd.DataFrame(rows).T
display(specificity.round(3))

fig, ax = plt.subplots(figsize=(5.5, 4))
image = ax.imshow(specificity.to_numpy(), cmap="viridis")
ax.set_xticks(range(len(model.profiles)), model.profiles, rotation=30, ha="right")
ax.set_yticks(range(len(specificity)), specificity.index)
fig.colorbar(image, ax=ax, label="mean probability")
ax.set_title("held-out peaks (rows) x profiles (columns)")
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# ## On your own data
# Replace the FASTA and the peak files (any assembly: the names in the peak files are matched to
# the genome's, `1` and `chr1` alike), and the held-out regions or chromosomes
# (`windows.valid_chroms` / `windows.test_chroms`, or `valid_fraction` / `test_fraction` for
# random blocks). The same config runs from the command line: `brainresnet train --config
# config.yaml --baseline`. Tutorial 4 shows how to read the motifs a model learned, e.g.
# `br.motifs(model, "microglia_ATAC", out, contrast="neuron_ATAC", regions=[...])`.
