"""Brain-ResNet: residual CNNs predicting chromatin profiles from DNA sequence (TensorFlow/Keras 3)."""

from pathlib import Path

from setuptools import find_packages, setup

# Kipoi 0.8.6 imports six, pybedtools and pkg_resources (gone from setuptools 81 on) without
# declaring them.
KIPOI = ["kipoi>=0.8.6", "six", "pybedtools", "setuptools<81"]
TEMPLATE_PACKAGE = "brainresnet_tf.kipoi_template"

setup(
    name="brainresnet_tf",
    version="0.1.0",
    description="Residual CNNs predicting chromatin accessibility from DNA sequence, "
    "with transfer learning, variant scoring, motifs and TF Serving/Kipoi export",
    long_description=Path(__file__).with_name("README.md").read_text(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    # The Kipoi group template stays at kipoi_model/BrainResNet (the design's layout) and ships
    # as the data package brainresnet_tf.kipoi_template, found with importlib.resources.
    packages=[*find_packages(include=["brainresnet_tf", "brainresnet_tf.*"]), TEMPLATE_PACKAGE],
    package_dir={TEMPLATE_PACKAGE: "kipoi_model/BrainResNet"},
    package_data={TEMPLATE_PACKAGE: ["*.yaml", "*.tsv", "*.md", "*.py", "example_files/*"]},
    install_requires=[
        # tensorflow, not tensorflow-cpu: tensorflow-serving-api requires it (it runs on CPU too).
        # No tensorflow-io: its native ops do not load on TF 2.21.
        "tensorflow>=2.21",
        "keras>=3.10",
        "tensorboard>=2.15",  # training logs; not pulled in by tensorflow 2.21
        "numpy>=1.26",
        "pandas>=2.0",
        "scikit-learn>=1.3",
        "threadpoolctl>=3.1",  # one BLAS thread for the k-mer fits (models/kmer.py)
        "scipy>=1.10",
        "pyfaidx>=0.8",
        "pyBigWig>=0.3.22",
        "pyyaml>=6.0",
        "tqdm>=4.60",
        "matplotlib>=3.7",
        "pyjaspar>=4.0",  # JASPAR motifs, shipped offline as SQLite: planted in the demo genome
        "biopython>=1.80",  # pyfaidx reads bgzipped FASTA through it
        "modisco-lite>=3.0",  # TF-MoDISco patterns from attributions
        "memelite>=0.5",  # TOMTOM in Python (no MEME binary)
        "logomaker>=0.8",  # sequence logos in the motif report
        "h5py>=3",
        "tensorflow-serving-api>=2.21",  # TF Serving's gRPC messages and stubs (export, serve, query)
        "grpcio>=1.60",
        # REST API: asyncio HTTP server with a C parser, on the same event loop as grpc.aio
        "aiohttp>=3.9",
        "orjson>=3.8",  # fast JSON for REST bodies (numpy arrays written directly)
        # score-variants --workers/--scheduler: shards on a Dask cluster (local, SLURM, Kubernetes)
        "distributed>=2024.1",
        "pysam>=0.22",  # reads regions of bgzipped, tabix-indexed variant files (engine shards)
    ],
    extras_require={
        "dev": [
            "pytest>=7",
            "pytest-xdist>=3.5",
            "pyarrow>=12",
            "hypothesis>=6.100",
            "ruff>=0.6",
            "import-linter>=2.1",
            # the documentation site (mkdocs.yml; tests/test_docs.py builds it with --strict).
            # Material for MkDocs does not run on MkDocs 2.
            "mkdocs>=1.6,<2",
            "mkdocs-material>=9.5",
            "mkdocstrings[python]>=0.27",
            # the tutorials (tutorials/*.py, jupytext percent format; tests/test_tutorials.py runs
            # them). With Kipoi's attrs<=21.4.0 pin, pip resolves nbformat's jsonschema to 4.17.
            "jupytext>=1.16",
            "nbclient>=0.10",
            "nbformat>=5.10",
            "ipykernel>=6.29",
            *KIPOI,
        ],
        "parquet": ["pyarrow>=12"],
        "kipoi": KIPOI,
    },
    entry_points={"console_scripts": ["brainresnet=brainresnet_tf.cli:main"]},
)
