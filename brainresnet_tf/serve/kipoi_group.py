"""Package trained models into the BrainResNet Kipoi model group and register it with Kipoi.

``install_model`` copies the group's template (``kipoi_model/BrainResNet``, with its example
files) into a Kipoi folder, exports the model there as a SavedModel (the same export TF Serving
loads), adds its row to ``models.tsv``, and registers the folder as a local source in
``$HOME/.kipoi/config.yaml``, so that ``kipoi predict BrainResNet/<name>`` runs offline.

Kipoi's CLI always asks the source named ``kipoi`` unless told ``--source``. That source is, by
default, a git clone of the public model zoo, which cannot be reached offline. We take the name
``kipoi`` only when it is missing or is that stock zoo entry, and keep the zoo under
``kipoi_zoo`` (``kipoi predict --source kipoi_zoo ...``). Any other entry of the user's is left
alone: installing under its name is an error that says which name to pick instead.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_dir, copy_file, write_text
from brainresnet_tf.io.tables import write_table
from brainresnet_tf.models.saving import load_model
from brainresnet_tf.serve.export import export_serving

GROUP = "BrainResNet"
TEMPLATE_FILES = ("model-template.yaml", "model.py", "dataloader.py", "README.md")
MODELS_TSV_COLUMNS = ("model", "cell_type", "input_length", "n_profiles", "profiles", "trained_on")
ZOO_SOURCE = "kipoi_zoo"
ZOO_URL_SUFFIX = "kipoi/models.git"
EXAMPLE_FILES = ("genome.fa", "intervals.bed")
TEMPLATE_PACKAGE = "brainresnet_tf.kipoi_template"


def group_template_dir() -> Path:
    """The group template (``kipoi_model/BrainResNet``), installed as ``brainresnet_tf.kipoi_template``."""
    try:
        path = Path(str(resources.files(TEMPLATE_PACKAGE)))
    except ModuleNotFoundError:
        path = None
    if path is None or not (path / "model-template.yaml").is_file():
        raise InputError(
            f"the BrainResNet Kipoi group template ({TEMPLATE_PACKAGE}) is not installed; "
            'reinstall brainresnet_tf (pip install -e ".[kipoi]")'
        )
    return path


KIPOI_FIX = 'pip install "setuptools<81" six pybedtools "kipoi>=0.8.6"  (or: pip install -e ".[kipoi]")'


def check_kipoi_environment() -> None:
    """Kipoi 0.8.6 imports ``pkg_resources`` (gone from setuptools 81 on), ``six`` and
    ``pybedtools`` without declaring them; installing another package (e.g. torch) can upgrade
    setuptools past 81 and break every ``kipoi`` command. Say so in one line, with the fix."""
    from importlib.util import find_spec

    missing = [name for name in ("kipoi", "pkg_resources", "six", "pybedtools") if find_spec(name) is None]
    if missing:
        why = (
            " (setuptools 81 and later removed it; Kipoi 0.8.6 still imports it)"
            if "pkg_resources" in missing
            else ""
        )
        raise InputError(f"Kipoi cannot run here: missing {', '.join(missing)}{why}; fix: {KIPOI_FIX}")


def default_kipoi_dir(home: str | os.PathLike | None = None) -> Path:
    """Where installed groups live by default: ``$HOME/.kipoi/brainresnet_models``."""
    return (Path(home) if home else Path.home()) / ".kipoi" / "brainresnet_models"


def write_example_files(dest: str | os.PathLike, seed: int = 0) -> dict[str, Path]:
    """A small synthetic genome and a BED of its peaks, for ``kipoi test`` (written atomically).

    This wrote ``kipoi_model/BrainResNet/example_files`` (a test checks they still match).
    Two 20 kb chromosomes from the demo generator; the intervals are the first iPSC-neuron peaks
    and one region past a chromosome end's last full window (scored with N padding).
    """
    from brainresnet_tf.demo.synthetic import generate_synthetic_dataset

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        data = generate_synthetic_dataset(
            tmp, n_chroms=2, chrom_length=20_000, seed=seed, elements_per_mb=300
        )
        peaks = pd.read_csv(data.profiles[0].peaks, sep="\t", header=None).iloc[:, :3]
        peaks.columns = ["chrom", "start", "end"]
        edge = pd.DataFrame({"chrom": ["chr2"], "start": [19_900], "end": [19_990]})
        regions = pd.concat([peaks.head(9), edge], ignore_index=True)
        regions["name"] = [f"region{i + 1}" for i in range(len(regions))]
        bed = Path(tmp) / "intervals.bed"
        regions.to_csv(bed, sep="\t", header=False, index=False)
        out = {}
        for name, src in (("genome.fa", data.fasta), ("intervals.bed", bed)):
            out[name] = copy_file(src, dest / name)
    return out


def _config_path(home: Path) -> Path:
    return home / ".kipoi" / "config.yaml"


def _is_stock_zoo(entry: dict) -> bool:
    return entry.get("type") in {"git", "git-lfs"} and str(entry.get("remote_url", "")).rstrip("/").endswith(
        ZOO_URL_SUFFIX
    )


def register_source(
    kipoi_dir: str | os.PathLike, source_name: str = "kipoi", home: str | os.PathLike | None = None
) -> Path:
    """Add ``kipoi_dir`` to Kipoi's config as local source ``source_name``; return the config path.

    Other sources are kept as they are; the stock zoo entry moves to ``kipoi_zoo`` when
    ``source_name`` is ``kipoi``. The file is rewritten atomically, with ``config.yaml.bak``
    holding the previous version.
    """
    home = Path(home) if home else Path.home()
    path = _config_path(home)
    ours = {"type": "local", "local_path": str(Path(kipoi_dir).resolve())}
    if path.exists():
        try:
            config = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise InputError(f"{path}: not valid YAML ({err}); fix or move it first") from err
    else:  # what Kipoi itself would write: the public zoo as source 'kipoi'
        config = {
            "model_sources": {
                "kipoi": {
                    "type": "git",
                    "remote_url": f"https://github.com/{ZOO_URL_SUFFIX}",
                    "local_path": str(home / ".kipoi" / "models") + os.sep,
                    "auto_update": True,
                    "use_lfs": False,
                }
            }
        }
    sources = dict(config.get("model_sources") or {})
    current = sources.get(source_name)
    if (
        current is not None
        and current.get("type") == "local"
        and Path(str(current.get("local_path", ""))).resolve() == Path(ours["local_path"])
    ):
        return path
    if current is not None:
        if not (source_name == "kipoi" and _is_stock_zoo(current)):
            raise InputError(
                f"{path}: Kipoi model source {source_name!r} is already in use "
                f"({current}); install under another name with --source-name NAME "
                f"and run `kipoi predict --source NAME ...`"
            )
        if ZOO_SOURCE in sources and sources[ZOO_SOURCE] != current:
            raise InputError(
                f"{path}: both 'kipoi' and {ZOO_SOURCE!r} are taken; install under "
                "another name with --source-name NAME"
            )
        sources[ZOO_SOURCE] = current
    sources = {source_name: ours, **{k: v for k, v in sources.items() if k != source_name}}
    config["model_sources"] = sources
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        copy_file(path, path.with_name("config.yaml.bak"))
    write_text(path, yaml.safe_dump(config, sort_keys=False, default_flow_style=False))
    return path


def _update_models_tsv(group: Path, row: dict) -> pd.DataFrame:
    path = group / "models.tsv"
    table = (
        pd.read_csv(path, sep="\t", comment="#")
        if path.exists()
        else pd.DataFrame(columns=list(MODELS_TSV_COLUMNS))
    )
    table = table[table["model"] != row["model"]]
    table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)[list(MODELS_TSV_COLUMNS)]
    write_table(table, path)
    return table


def install_model(
    model_path: str | os.PathLike,
    name: str,
    kipoi_dir: str | os.PathLike | None = None,
    source_name: str = "kipoi",
    home: str | os.PathLike | None = None,
    cell_type: str | None = None,
) -> Path:
    """Install ``model_path`` (.keras with its .json) as ``BrainResNet/<name>``; return its folder.

    A model already installed under ``name`` is replaced (the new export is written beside it
    and swapped in, so a failure leaves the old one working).
    """
    if not name or "/" in name or name.startswith("."):
        raise InputError(f"--name {name!r}: expected a plain model name such as iPSC_neuron")
    check_kipoi_environment()
    model, meta = load_model(model_path)
    home = Path(home) if home else Path.home()
    kipoi_dir = Path(kipoi_dir) if kipoi_dir else default_kipoi_dir(home)
    group = kipoi_dir / GROUP
    group.mkdir(parents=True, exist_ok=True)
    register_source(kipoi_dir, source_name, home)  # first: a taken name fails before any export
    template = group_template_dir()
    for fname in TEMPLATE_FILES:
        copy_file(template / fname, group / fname)
    (group / "example_files").mkdir(exist_ok=True)
    for fname in EXAMPLE_FILES:
        copy_file(template / "example_files" / fname, group / "example_files" / fname)

    final = group / name
    with atomic_dir(final, replace=True) as staging:
        export_serving(model, staging, version=1, meta=meta, warmup=False)

    cell = cell_type or (meta.cell_types[0] if meta.cell_types else name)
    _update_models_tsv(
        group,
        {
            "model": name,
            "cell_type": cell,
            "input_length": meta.input_length,
            "n_profiles": len(meta.profiles),
            "profiles": ",".join(meta.profiles),
            "trained_on": Path(meta.genome).name or "see model.json",
        },
    )
    return final
