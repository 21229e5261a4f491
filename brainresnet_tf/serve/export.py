"""Export a trained model as a TF Serving SavedModel: ``serving_dir/<version>/``.

Signatures (all batch-polymorphic; outputs named, never ``output_0``):

- ``serving_default``: ``sequence`` float32 (B, L, 4) one-hot A,C,G,T -> ``probabilities`` (B, P)
  (the Keras model's own output; ``signal`` instead of ``probabilities`` for signal models).
- ``predict_dna``: ``dna`` string (B,) of exactly L bases (ACGTN, any case) -> ``probabilities``,
  one-hot encoded in the graph, forward and reverse complement averaged. Other characters or
  other lengths fail an in-graph assertion (INVALID_ARGUMENT on TF Serving).
- ``variant_effect``: ``ref`` and ``alt`` strings (B,) -> ``ref_probabilities``,
  ``alt_probabilities`` and ``diff`` (alt - ref), each strand-averaged. It takes the two
  windows, each exactly L bp, so it scores SNVs, MNVs and indels alike once the client builds
  the windows by score-variants' convention (``brainresnet_tf.variant.scoring.variant_windows``:
  the variant's first base at index L // 2; a deletion's alt window filled from downstream, an
  insertion's trimmed symmetrically). Raw alleles or windows of another length are answered
  INVALID_ARGUMENT, with that convention in the message (:data:`VARIANT_WINDOW_HINT`).
- ``metadata``: no inputs -> ``profiles`` string (P,) and ``model_json`` string (the ModelMeta),
  so a client of any TF Serving server can label its table.

``assets/profiles.txt`` and ``assets/model.json`` hold the same metadata as files, and
``assets.extra/tf_serving_warmup_requests`` holds one warm-up PredictRequest per signature.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from brainresnet_tf.errors import InputError
from brainresnet_tf.inference.strands import strand_average
from brainresnet_tf.io.atomic import atomic_dir
from brainresnet_tf.models.saving import ModelMeta, load_model

DEFAULT_SIGNATURE = "serving_default"
DNA_SIGNATURE = "predict_dna"
VARIANT_SIGNATURE = "variant_effect"
METADATA_SIGNATURE = "metadata"
WARMUP_FILE = "tf_serving_warmup_requests"
VARIANT_WINDOW_HINT = (
    "variant_effect takes a ref and an alt window of exactly {L} bp each, not alleles: for an "
    "indel or MNV build both as score-variants does (the variant's first base at index {c}; a "
    "deletion's alt window filled from downstream, an insertion's trimmed symmetrically; "
    "brainresnet_tf.variant.scoring.variant_windows)"
)

# Byte -> base code (A=0 C=1 G=2 T=3, N=4, anything else 5 = invalid), both cases.
_BYTE_CODES = np.full(256, 5, dtype=np.int32)
for _i, _b in enumerate("ACGTN"):
    _BYTE_CODES[ord(_b)] = _i
    _BYTE_CODES[ord(_b.lower())] = _i


def output_name(meta: ModelMeta) -> str:
    """Name of the per-profile output: ``probabilities`` (peaks) or ``signal``."""
    return "probabilities" if meta.target == "peaks" else "signal"


def version_dirs(serving_dir: str | os.PathLike) -> dict[int, Path]:
    """Complete version folders (integer name, holding ``saved_model.pb``) under ``serving_dir``."""
    base = Path(serving_dir)
    if not base.is_dir():
        return {}
    return {int(p.name): p for p in base.iterdir() if p.name.isdigit() and (p / "saved_model.pb").exists()}


def _nonempty(x: tf.Tensor, name: str) -> tf.Tensor:
    """``x`` after asserting it has at least one row (an empty batch gets a clear error)."""
    check = tf.debugging.Assert(
        tf.shape(x)[0] > 0, [f"empty batch: input {name} must hold at least one sequence"]
    )
    with tf.control_dependencies([check]):
        return tf.identity(x)


def dna_to_one_hot(dna: tf.Tensor, length: int, name: str = "dna") -> tf.Tensor:
    """float32 one-hot (B, L, 4) of a string tensor (B,); asserts B > 0, length L, only ACGTN."""
    dna = _nonempty(dna, name)
    lengths = tf.strings.length(dna)
    length_ok = tf.debugging.Assert(
        tf.reduce_all(tf.equal(lengths, length)),
        [f"input {name}: every DNA sequence must be exactly {length} bp; got lengths:", lengths],
        summarize=16,
    )
    with tf.control_dependencies([length_ok]):
        raw = tf.io.decode_raw(dna, tf.uint8, fixed_length=length)
    codes = tf.gather(tf.constant(_BYTE_CODES), tf.cast(raw, tf.int32))
    chars_ok = tf.debugging.Assert(
        tf.reduce_all(codes < 5),
        [f"input {name}: DNA sequences may contain only A, C, G, T, N (any case); found another character"],
    )
    with tf.control_dependencies([chars_ok]):
        return tf.one_hot(codes, depth=4, dtype=tf.float32)  # N -> all zeros


def _strand_average(model: keras.Model, x: tf.Tensor) -> tf.Tensor:
    """Mean of the model on ``x`` and on its reverse complement (one call, both halves)."""
    return strand_average(lambda batch: model(batch, training=False), x)


def _warmup_records(meta: ModelMeta, model_name: str) -> list[bytes]:
    """Serialized PredictionLogs: one batch-1 request per data signature."""
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    seq = ("ACGT" * (meta.input_length // 4 + 1))[: meta.input_length]
    alt = ("T" if seq[meta.input_length // 2] != "T" else "A").join(
        [seq[: meta.input_length // 2], seq[meta.input_length // 2 + 1 :]]
    )
    onehot = np.eye(4, dtype=np.float32)[[("ACGT".index(b)) for b in seq]][None]
    requests = {
        DEFAULT_SIGNATURE: {"sequence": onehot},
        DNA_SIGNATURE: {"dna": np.array([seq.encode()], dtype=object)},
        VARIANT_SIGNATURE: {
            "ref": np.array([seq.encode()], dtype=object),
            "alt": np.array([alt.encode()], dtype=object),
        },
    }
    out = []
    for signature, inputs in requests.items():
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature)
        )
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
        log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
        out.append(log.SerializeToString())
    return out


def build_archive(model: keras.Model, meta: ModelMeta) -> keras.export.ExportArchive:
    """An ExportArchive with the four signatures described in this module's docstring."""
    L, P = meta.input_length, len(meta.profiles)
    shape = tuple(model.inputs[0].shape[1:])
    if shape != (L, 4):
        raise InputError(f"model input shape {shape} does not match its metadata ({L}, 4)")
    if model.outputs[0].shape[-1] != P:
        raise InputError(
            f"model has {model.outputs[0].shape[-1]} outputs but its metadata names {P} profiles"
        )
    out = output_name(meta)
    profiles = tf.constant(list(meta.profiles), dtype=tf.string)
    meta_json = tf.constant(json.dumps(asdict(meta)), dtype=tf.string)

    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve_onehot(sequence):
        return {out: model(_nonempty(sequence, "sequence"), training=False)}

    def serve_dna(dna):
        return {out: _strand_average(model, dna_to_one_hot(dna, L))}

    def serve_variant(ref, alt):
        same = tf.debugging.Assert(
            tf.equal(tf.shape(ref)[0], tf.shape(alt)[0]),
            ["ref and alt must have the same number of sequences:", tf.shape(ref)[0], tf.shape(alt)[0]],
        )
        lengths = tf.concat([tf.strings.length(ref), tf.strings.length(alt)], axis=0)
        windows = tf.debugging.Assert(
            tf.reduce_all(tf.equal(lengths, L)),
            [VARIANT_WINDOW_HINT.format(L=L, c=L // 2) + "; got lengths (ref..., alt...):", lengths],
            summarize=16,
        )
        with tf.control_dependencies([same, windows]):
            x = tf.concat([dna_to_one_hot(ref, L, "ref"), dna_to_one_hot(alt, L, "alt")], axis=0)
        ref_p, alt_p = tf.split(_strand_average(model, x), 2, axis=0)
        return {f"ref_{out}": ref_p, f"alt_{out}": alt_p, "diff": alt_p - ref_p}

    def serve_metadata():
        return {"profiles": tf.identity(profiles), "model_json": tf.identity(meta_json)}

    archive.add_endpoint(
        DEFAULT_SIGNATURE, serve_onehot, [tf.TensorSpec((None, L, 4), tf.float32, name="sequence")]
    )
    archive.add_endpoint(DNA_SIGNATURE, serve_dna, [tf.TensorSpec((None,), tf.string, name="dna")])
    archive.add_endpoint(
        VARIANT_SIGNATURE,
        serve_variant,
        [tf.TensorSpec((None,), tf.string, name="ref"), tf.TensorSpec((None,), tf.string, name="alt")],
    )
    archive.add_endpoint(METADATA_SIGNATURE, serve_metadata, [])
    return archive


def _next_version(serving_dir: Path) -> int:
    numbers = [int(p.name) for p in serving_dir.iterdir() if p.name.isdigit()]
    return max(numbers, default=0) + 1


def export_serving(
    model_path_or_model: str | os.PathLike | keras.Model,
    serving_dir: str | os.PathLike,
    version: int | None = None,
    meta: ModelMeta | None = None,
    warmup: bool = True,
) -> Path:
    """Write the model as ``serving_dir/<version>/`` (next integer by default); return that path.

    The SavedModel is written to a hidden temporary folder beside it and renamed into place, so a
    polling server never sees a half-written version. ``meta`` is read from ``model.json`` when a
    path is given; for a bare Keras model it defaults to ``profile_<i>`` names.
    """
    if isinstance(model_path_or_model, keras.Model):
        model = model_path_or_model
        if meta is None:
            meta = ModelMeta(
                [f"profile_{i}" for i in range(model.outputs[0].shape[-1])], int(model.inputs[0].shape[1])
            )
    else:
        model, loaded_meta = load_model(model_path_or_model)
        meta = meta or loaded_meta
    serving_dir = Path(serving_dir)
    serving_dir.mkdir(parents=True, exist_ok=True)
    if version is None:
        version = _next_version(serving_dir)
    elif version < 1:
        raise InputError(f"--version must be a positive integer (got {version})")
    final = serving_dir / str(version)
    if final.exists():
        raise InputError(
            f"{final}: version {version} already exists (omit --version to use {_next_version(serving_dir)})"
        )

    archive = build_archive(model, meta)
    try:
        with atomic_dir(final) as tmp:
            _write_export(archive, tmp, meta, warmup, serving_dir.name)
    except FileExistsError as err:
        raise InputError(f"{final}: cannot move the export into place ({err})") from err
    except OSError as err:
        if final.exists():
            raise InputError(f"{final}: version {version} appeared while exporting") from err
        raise
    return final


def _write_export(
    archive: keras.export.ExportArchive, tmp: Path, meta: ModelMeta, warmup: bool, model_name: str
) -> None:
    """The SavedModel, its assets (profile names, metadata) and TF Serving warm-up requests."""
    archive.write_out(str(tmp), verbose=False)
    assets = tmp / "assets"
    assets.mkdir(exist_ok=True)
    (assets / "profiles.txt").write_text("\n".join(meta.profiles) + "\n")  # inside atomic_dir
    (assets / "model.json").write_text(json.dumps(asdict(meta), indent=2))
    if warmup:
        extra = tmp / "assets.extra"
        extra.mkdir(exist_ok=True)
        with tf.io.TFRecordWriter(str(extra / WARMUP_FILE)) as writer:
            for record in _warmup_records(meta, model_name):
                writer.write(record)
    os.chmod(tmp, 0o755)  # servers in containers must read it
