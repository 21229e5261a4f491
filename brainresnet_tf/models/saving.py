"""Saving and loading trained models with the metadata every consumer needs."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_path, write_json
from brainresnet_tf.models import losses  # noqa: F401  (registers the custom losses before load_model)
from brainresnet_tf.models.ensemble import members as ensemble_members

ALPHABET = "ACGT"


@dataclass
class ModelMeta:
    """What a saved model predicts and what input it takes."""

    profiles: list[str]
    input_length: int
    bin_size: int = 200
    target: str = "peaks"
    alphabet: str = ALPHABET
    arch: str = "resnet"
    genome: str = ""
    cell_types: list[str] = field(default_factory=list)
    assays: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def meta_path(model_path: str | os.PathLike) -> Path:
    """``model.keras`` -> ``model.json``."""
    return Path(model_path).with_suffix(".json")


def save_model(model: keras.Model, path: str | os.PathLike, meta: ModelMeta) -> None:
    """Write ``path`` (.keras) and its metadata JSON, each atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)
    write_json(meta_path(path), asdict(meta))


EXTRACTOR_KIND = "feature_extractor"


def save_extractor(model: keras.Model, path: str | os.PathLike, meta: ModelMeta) -> None:
    """Save a trained model's encoder as a reusable feature extractor (``.keras`` + ``.json``)."""
    encoder = ensemble_members(model)[0].get_layer("encoder")  # an ensemble lends its first member's
    extra = {
        **meta.extra,
        "kind": EXTRACTOR_KIND,
        "feature_dim": int(encoder.outputs[0].shape[-1]),
        "source_arch": meta.arch,
    }
    save_model(encoder, path, ModelMeta(**{**asdict(meta), "extra": extra}))


def load_extractor(
    path: str | os.PathLike, input_length: int, alphabet: str = ALPHABET, genome_build: str = ""
) -> tuple[keras.Model, ModelMeta]:
    """Load a feature extractor and check it fits the data it will see; clear errors if not."""
    model, meta = load_model(path)
    if meta.extra.get("kind") != EXTRACTOR_KIND:
        raise InputError(f"{path}: not a feature extractor (write one with `brainresnet pretrain`)")
    if meta.input_length != input_length:
        raise InputError(
            f"{path}: extractor takes {meta.input_length} bp windows but the config's are "
            f"{input_length} bp (set windows.context: {meta.input_length}, or for sequence sets "
            f"sequences.length: {meta.input_length})"
        )
    if meta.alphabet != alphabet:
        raise InputError(
            f"{path}: extractor one-hot alphabet {meta.alphabet!r} differs from "
            f"{alphabet!r} (columns would be misread)"
        )
    built = meta.extra.get("genome_build", "")
    if built and genome_build and built != genome_build:
        raise InputError(f"{path}: extractor was trained on {built} but genome.build is {genome_build}")
    return model, meta


def genome_path_for(genome: str | os.PathLike | None, meta: ModelMeta) -> Path:
    """``--genome`` or else the genome the model was trained on (its metadata)."""
    if genome:
        return Path(genome)
    if not meta.genome:
        raise InputError("--genome is required: the model's metadata names no genome")
    path = Path(meta.genome)
    if not path.exists():
        raise InputError(
            f"the genome the model was trained on, {path}, is not there (moved, or a relative path "
            "from another folder): give --genome FASTA"
        )
    return path


def read_meta(path: str | os.PathLike) -> ModelMeta:
    """The ``model.json`` beside a model (or extractor), checked; one-line errors."""
    mpath = meta_path(path)
    if not mpath.exists():
        raise InputError(
            f"{path}: its metadata {mpath.name} is missing (profile names, input length); copy "
            "it from the run folder that wrote the model"
        )
    try:
        data = json.loads(mpath.read_text())
        meta = ModelMeta(**data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{mpath}: not valid JSON ({err})") from None
    except TypeError as err:
        raise InputError(f"{mpath}: not a brainresnet model.json ({err})") from None
    if (
        not isinstance(meta.profiles, list)
        or not meta.profiles
        or not all(isinstance(p, str) for p in meta.profiles)
    ):
        raise InputError(f"{mpath}: 'profiles' must be a non-empty list of names")
    if len(set(meta.profiles)) != len(meta.profiles):
        raise InputError(f"{mpath}: profile names repeat ({meta.profiles})")
    if not isinstance(meta.input_length, int) or meta.input_length < 1:
        raise InputError(f"{mpath}: 'input_length' must be a positive integer")
    return meta


def load_model(path: str | os.PathLike, compile: bool = False) -> tuple[keras.Model, ModelMeta]:
    """Load a ``.keras`` model and its metadata; clear errors when either is missing or off."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: model file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected a model.keras file written by brainresnet train")
    meta = read_meta(path)
    try:
        model = keras.models.load_model(path, compile=compile)
    except Exception as err:  # zip, HDF5, JSON or Keras deserialisation errors: all mean "not a model"
        raise InputError(
            f"{path}: not a readable Keras model ({type(err).__name__}: {str(err).splitlines()[0][:160]}); "
            "expected a complete .keras file written by brainresnet train"
        ) from None
    shape = tuple(model.inputs[0].shape[1:])
    if shape != (meta.input_length, len(meta.alphabet)):
        raise InputError(
            f"{path}: model input shape {shape} does not match its metadata "
            f"({meta.input_length}, {len(meta.alphabet)})"
        )
    n_out = model.outputs[0].shape[-1]
    if meta.extra.get("kind") != EXTRACTOR_KIND and n_out != len(meta.profiles):
        raise InputError(
            f"{meta_path(path)}: names {len(meta.profiles)} profiles but the model has {n_out} outputs; "
            "use the model.json written with this model"
        )
    return model, meta
