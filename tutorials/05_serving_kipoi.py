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
# # 5. Serving and Kipoi
#
# A trained model leaves Python in two ways: as a TensorFlow Serving SavedModel (any TF Serving
# server, or the package's own gRPC + REST server, answers requests for it) and as a model of the
# Kipoi model group `BrainResNet`. This tutorial exports the demo model, queries the SavedModel
# in-process, through the REST API and through gRPC, and installs it into Kipoi and predicts
# with it.
#
# **Scale.** `BRAINRESNET_TUTORIAL_SCALE` picks the size of the model, as in tutorial 1: `quick`
# (the default; the demo model trains in under 2 minutes on 2 CPU cores if tutorial 1 has not
# left it in `tutorial_runs/`), `full`, or `tiny` (what CI runs, `tests/test_tutorials.py`).
# At `tiny` scale the last step, the `kipoi predict` command line, is skipped (see there why).
# Outputs go to `tutorial_runs/` in the working directory (`BRAINRESNET_TUTORIAL_DIR` moves it).
# Installing into Kipoi registers a model source named `brainresnet_tutorial` in
# `$HOME/.kipoi/config.yaml` (your other sources are left as they are).

# %%
import json
import os
import shutil
import subprocess
import urllib.request
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
# ## The model
# Tutorial 1's model, or the same one trained here when it is missing (the demo data, the
# demo's config, `br.train`).

# %%
from brainresnet_tf.workflows.demo import tutorial_model

tutorial_model(DEMO, SCALE)
MODEL_PATH = DEMO / "run" / "model.keras"
model = br.load_model(MODEL_PATH)
genome = model.genome()
L = model.meta.input_length
print(model)

# a few windows to ask about: centred on the first neuron peaks
peaks = br.read_peaks(DEMO / "data" / "peaks" / "iPSC_neuron_ATAC.narrowPeak", genome).head(16)
starts = ((peaks["start"] + peaks["end"]) // 2 - L // 2).clip(lower=0)
sequences = [genome.fetch(c, s, s + L) for c, s in zip(peaks["chrom"], starts)]
keras_predictions = model.predict(sequences)[model.profiles].to_numpy()

# %% [markdown]
# ## Export a SavedModel
# `export_serving` (the `brainresnet export` command) writes TF Serving's layout:
# `<base>/<version>/saved_model.pb` with the signatures `serving_default` (one-hot input),
# `predict_dna` (DNA strings, strands averaged in the graph), `variant_effect` (ref and alt
# windows) and `metadata`. A new export into the same base becomes the next version, which a
# running server picks up without a restart.

# %%
from brainresnet_tf.serve.export import export_serving

BASE = DEMO / "serving" / "brainresnet_demo"
shutil.rmtree(BASE, ignore_errors=True)
version = export_serving(MODEL_PATH, BASE)
print(version, sorted(p.name for p in version.iterdir()))

# %% [markdown]
# ### In-process
# Any TensorFlow program can load the SavedModel and call a signature, without this package.

# %%
import tensorflow as tf

saved = tf.saved_model.load(str(version))
print(list(saved.signatures))
outputs = saved.signatures["predict_dna"](dna=tf.constant(sequences))
in_process = outputs["probabilities"].numpy()
print(f"max |SavedModel - Keras| = {np.abs(in_process - keras_predictions).max():.2g}")

# %% [markdown]
# ### The server: REST and gRPC
# `ServingServer` (the `brainresnet serve` command) serves the base folder with TF Serving's
# gRPC API (`PredictionService`, `ModelService`) and its REST API, so clients written for TF
# Serving work unchanged. Port 0 lets the system pick free ports.

# %%
from brainresnet_tf.serve.client import ServingClient
from brainresnet_tf.serve.server import ServingServer

server = ServingServer(BASE, "brainresnet_demo", port=0, rest_port=0)
server.start()
try:
    body = json.dumps({"signature_name": "predict_dna", "instances": sequences}).encode()
    url = f"{server.rest_url}/v1/models/brainresnet_demo:predict"
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=60) as response:
        rest = np.array(json.load(response)["predictions"])
    client = ServingClient(server.address, "brainresnet_demo")
    try:
        print("status:", client.status())
        grpc = client.predict_sequences(sequences)
    finally:
        client.close()
finally:
    server.stop()
print(f"REST: {url}; gRPC: {server.address}")
print(f"max |REST - Keras| = {np.abs(rest - keras_predictions).max():.2g}")
print(f"max |gRPC - Keras| = {np.abs(grpc - keras_predictions).max():.2g}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
for ax, (name, values) in zip(axes, {"SavedModel": in_process, "REST": rest, "gRPC": grpc}.items()):
    ax.scatter(keras_predictions.ravel(), values.ravel(), s=10)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax.set_title(name)
    ax.set_xlabel("Keras model.predict")
axes[0].set_ylabel("served")
fig.tight_layout()
display(fig)
plt.close(fig)

# %% [markdown]
# ## Kipoi
# `install_model` (the `brainresnet kipoi-install` command) exports the model into a copy of the
# `BrainResNet` Kipoi group and registers the group's folder as a local Kipoi model source, with
# no network and no conda. Kipoi's Python API then loads it with its dataloader (windows centred
# on the intervals of a BED file, read from a FASTA) and predicts.

# %%
from brainresnet_tf.serve.kipoi_group import install_model

SOURCE = "brainresnet_tutorial"
installed = install_model(MODEL_PATH, "demo", kipoi_dir=DEMO / "kipoi", source_name=SOURCE)
print(installed)

bed = DEMO / "kipoi_regions.bed"
peaks[["chrom", "start", "end", "name"]].to_csv(bed, sep="\t", header=False, index=False)
dataloader_args = {"intervals_file": str(bed), "fasta_file": str(genome.path)}

# %%
import kipoi

kipoi_model = kipoi.get_model("BrainResNet/demo", source=SOURCE)
kipoi_predictions = kipoi_model.pipeline.predict(dataloader_args, batch_size=32)
kipoi_table = pd.DataFrame({name: np.asarray(v) for name, v in kipoi_predictions.items()})
display(kipoi_table.head().round(3))
print(f"max |Kipoi - Keras| = {np.abs(kipoi_table[model.profiles].to_numpy() - keras_predictions).max():.2g}")

# %% [markdown]
# ### The `kipoi` command line
# The same through Kipoi's own command (what a Kipoi user runs):
#
# ```text
# kipoi predict BrainResNet/demo --source brainresnet_tutorial \
#     --dataloader_args='{"intervals_file": "regions.bed", "fasta_file": "genome.fa"}' -o preds.tsv
# ```
#
# At `tiny` scale (CI) this step is skipped: it starts a second Python process that imports
# TensorFlow and Kipoi again (6 s on 2 idle cores, about half of this whole notebook at tiny
# scale, and more on a loaded CI machine) to compute what the Python API call above just did,
# and CI already runs `kipoi test` and `kipoi predict` on an installed model
# (`tests/test_readme.py`).

# %%
if SCALE == "tiny":
    print("skipped at tiny scale: `kipoi predict` repeats the Python API call above in a new process")
else:
    command = [
        "kipoi",
        "predict",
        "BrainResNet/demo",
        "--source",
        SOURCE,
        f"--dataloader_args={json.dumps(dataloader_args)}",
        "-o",
        str(DEMO / "kipoi_preds.tsv"),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    print(done.stderr if done.returncode else "\n".join(s for s in done.stderr.splitlines() if "INFO" in s))
    done.check_returncode()
    display(pd.read_csv(DEMO / "kipoi_preds.tsv", sep="\t").head())
