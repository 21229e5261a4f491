"""The public API: imported without TensorFlow, every name documented with an example, and the
examples run (as doctests, in a folder holding a tiny saved model, its genome, peaks, variants
and a training config)."""

from __future__ import annotations

import doctest
import importlib
import io
import subprocess
import sys

import pytest

import brainresnet_tf as br

PUBLIC = [name for name in br.__all__ if name != "__version__"]
API_MODULES = ["model", "motifs", "hits", "train"]  # the api modules whose docstrings hold examples
IO_NAMES = ["Genome", "read_peaks", "read_variants"]  # public names defined in io/


def test_import_and_load_model_import_no_tensorflow():
    """The issue's target, measured as it is stated."""
    code = "import brainresnet_tf as br; print(br.load_model.__module__)"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["brainresnet_tf.api.model"]
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "pandas" not in imported  # reaching a name imports the API module, not its dependencies
    assert not [m for m in imported if m.split(".")[0] in ("tensorflow", "keras")]


def test_public_names_are_lazy_listed_and_documented_with_examples():
    assert set(PUBLIC) <= set(dir(br))
    assert br.train is importlib.import_module("brainresnet_tf.api.train").train  # not the subpackage
    from brainresnet_tf.api.model import Model

    documented = [getattr(br, name) for name in PUBLIC]
    documented += [Model.predict, Model.score_variants, Model.attribute]
    missing = [getattr(obj, "__qualname__", obj) for obj in documented if ">>>" not in (obj.__doc__ or "")]
    assert missing == []
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        br.nope  # noqa: B018


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """planted_world's model (open_ATAC leans on CTCF, closed_ATAC on PAX6; 100 bp) and its data,
    two SNVs in CTCF sites (data/variants.vcf) and a one-epoch training config (config.yaml)."""
    import pandas as pd
    import yaml

    from tests.toy_data import other_base, write_vcf
    from tests.toy_models import planted_world

    root = planted_world(tmp_path_factory.mktemp("api"), n_elements=240)  # TF-MoDISco finds CTCF
    data = root / "data"
    fasta = (data / "genome.fa").read_text().split(">")[1:]
    chr1 = "".join(fasta[0].splitlines()[1:])
    sites = pd.read_csv(data / "motif_sites.tsv", sep="\t").query("motif_name == 'CTCF' and chrom == 'chr1'")
    rows = []
    for i, start in enumerate(sites["start"].head(2)):
        pos = int(start) + 9  # 1-based: the 9th base of the site
        rows.append(f"chr1\t{pos}\tv{i}\t{chr1[pos - 1]}\t{other_base(chr1[pos - 1])}")
    write_vcf(data / "variants.vcf", rows)
    profiles = [
        {"name": f"{p}_ATAC", "cell_type": p, "assay": "ATAC", "peaks": f"data/{p}.bed"}
        for p in ("open", "closed")
    ]
    config = {
        "genome": {"fasta": "data/genome.fa"},
        "profiles": profiles,
        "windows": {
            "bin_size": 100,
            "context": 100,
            "valid_chroms": ["chr2"],
            "test_regions": ["chr1:1-4000"],
        },
        "model": {"resnet": {"stem_filters": 8, "stem_kernel": 9, "stage_filters": [8], "head_units": 8}},
        "training": {
            "ensemble": 1,
            "epochs": 1,
            "batch_size": 32,
            "motif_filters": 0,
            "tensorboard": False,
            "progress": False,
        },
        "out_dir": "run",
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def _doctests(target) -> list[doctest.DocTest]:
    found = doctest.DocTestFinder(exclude_empty=True).find(target, extraglobs={"br": br})
    return [t for t in found if t.examples]


@pytest.mark.parametrize("where", API_MODULES + IO_NAMES)
def test_examples_run(where, world, monkeypatch):
    """Each api module's examples, and those of the public names io/ defines, run as written."""
    import pandas as pd

    monkeypatch.chdir(world)
    target = (
        getattr(br, where) if where in IO_NAMES else importlib.import_module(f"brainresnet_tf.api.{where}")
    )
    tests = _doctests(target)
    assert tests, f"{where}: no examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    with pd.option_context("display.width", 100, "display.max_columns", 20):
        for test in tests:
            runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()
