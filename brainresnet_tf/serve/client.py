"""Query any TF Serving gRPC endpoint (ours or ``tensorflow_model_server``) with DNA sequences.

``brainresnet query`` (and its thin wrapper ``python serving/client.py``) calls :func:`query`.
Sequences come from the command line, a FASTA (each record exactly the model's input length) or
a BED + genome (windows centred on each region, as ``brainresnet predict`` cuts them); the result
is one row per sequence and one column per profile.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import grpc
import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import check_dna, one_hot_sequence
from brainresnet_tf.io.sequences import read_fasta_records
from brainresnet_tf.serve.protos import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from brainresnet_tf.serve.tensors import from_proto, to_proto

if TYPE_CHECKING:
    from brainresnet_tf.io.intervals import PeakStats

SIGNATURES = ("predict_dna", "serving_default")  # the ones taking one sequence input


class ServingClient:
    """Thin wrapper over the official stubs for one model on one server."""

    def __init__(self, server: str, model: str, timeout: float = 60.0):
        self.server, self.model, self.timeout = server, model, timeout
        options = [
            ("grpc.max_receive_message_length", 512 << 20),
            ("grpc.max_send_message_length", 512 << 20),
        ]
        self.channel = grpc.insecure_channel(server, options=options)
        self.predictions = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self.models = model_service_pb2_grpc.ModelServiceStub(self.channel)
        self._signatures = None

    def close(self) -> None:
        """Close the channel."""
        self.channel.close()

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as err:
            raise InputError(
                f"server {self.server}, model {self.model}: {err.code().name}: {err.details()}"
            ) from None

    def signatures(self) -> dict:
        """The model's SignatureDefs (GetModelMetadata), cached."""
        if self._signatures is None:
            request = get_model_metadata_pb2.GetModelMetadataRequest(
                model_spec=model_pb2.ModelSpec(name=self.model), metadata_field=["signature_def"]
            )
            response = self._call(self.predictions.GetModelMetadata, request)
            defs = get_model_metadata_pb2.SignatureDefMap()
            response.metadata["signature_def"].Unpack(defs)
            self._signatures = dict(defs.signature_def)
        return self._signatures

    def status(self) -> list[tuple[int, str]]:
        """(version, state name) of each version the server reports."""
        request = get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name=self.model))
        response = self._call(self.models.GetModelStatus, request)
        names = get_model_status_pb2.ModelVersionStatus.State
        return [(s.version, names.Name(s.state)) for s in response.model_version_status]

    def predict(self, signature: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One Predict call; outputs as numpy arrays."""
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(name=self.model, signature_name=signature)
        )
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(to_proto(value))
        response = self._call(self.predictions.Predict, request)
        return {k: from_proto(v) for k, v in response.outputs.items()}

    def input_length(self) -> int | None:
        """Sequence length the model takes (from serving_default's input shape), if known."""
        sdef = self.signatures().get("serving_default")
        if sdef is None or len(sdef.inputs) != 1:
            return None
        dims = next(iter(sdef.inputs.values())).tensor_shape.dim
        return dims[1].size if len(dims) == 3 and dims[1].size > 0 else None

    def profiles(self, n: int) -> list[str]:
        """Profile names from the ``metadata`` signature, else ``profile_<i>``."""
        if "metadata" in self.signatures():
            try:
                names = [p.decode() for p in self.predict("metadata", {})["profiles"].ravel()]
            except InputError as err:  # e.g. a server that cannot run a signature without inputs
                logging.getLogger("brainresnet.query").warning(
                    "no profile names (%s); using profile_<i>", err
                )
                names = []
            if len(names) == n:
                return names
        return [f"profile_{i}" for i in range(n)]

    def predict_sequences(
        self, sequences: list[str], signature: str = "predict_dna", batch_size: int = 64
    ) -> np.ndarray:
        """Per-profile predictions (N, P) for DNA strings, ``batch_size`` per request."""
        if signature not in SIGNATURES:
            raise InputError(f"--signature must be one of {', '.join(SIGNATURES)} (got {signature!r})")
        sdef = self.signatures().get(signature)
        if sdef is None:
            raise InputError(
                f"model {self.model} on {self.server} has no signature {signature!r} "
                f"(it has: {', '.join(sorted(self.signatures()))})"
            )
        if len(sdef.inputs) != 1:
            raise InputError(f"signature {signature} takes {len(sdef.inputs)} inputs; expected one")
        key = next(iter(sdef.inputs))
        output = "probabilities" if "probabilities" in sdef.outputs else sorted(sdef.outputs)[0]
        chunks = []
        for lo in range(0, len(sequences), batch_size):
            batch = sequences[lo : lo + batch_size]
            if signature == "serving_default":
                value = np.stack([one_hot_sequence(s) for s in batch])
            else:
                value = np.array([s.encode() for s in batch], dtype=object)
            chunks.append(self.predict(signature, {key: value})[output])
        return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)


def bed_windows(
    bed: str | os.PathLike, genome_path: str | os.PathLike, length: int, skipped: PeakStats | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Regions of a BED file and the ``length``-bp genome window centred on each.

    ``skipped``: regions on chromosomes the genome lacks are skipped and counted there (see
    :func:`~brainresnet_tf.io.intervals.read_bed`); without it, such a region is an InputError.
    """
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import centred_windows, read_bed

    genome = Genome(genome_path)
    regions = read_bed(bed, genome, skipped=skipped).reset_index(drop=True)
    windows = centred_windows(regions, length)
    seqs = [
        genome.fetch(c, int(s), int(s) + length).upper() for c, s in zip(windows["chrom"], windows["start"])
    ]
    return regions[["chrom", "start", "end", "name"]].copy(), seqs


def query(
    server: str,
    model: str,
    sequences: list[str] | None = None,
    fasta: str | None = None,
    bed: str | None = None,
    genome: str | None = None,
    signature: str = "predict_dna",
    batch_size: int = 64,
    timeout: float = 60.0,
    skipped: PeakStats | None = None,
) -> pd.DataFrame:
    """Predictions table from a TF Serving endpoint: id columns, then one column per profile.

    ``skipped`` (with ``bed``): regions on chromosomes the genome lacks get no row and are
    counted there; without it, such a region is an InputError naming its line.
    """
    if sum(x is not None for x in (sequences, fasta, bed)) != 1:
        raise InputError("give exactly one of --sequences, --fasta, --bed")
    if bed is not None and genome is None:
        raise InputError("--bed needs --genome (the FASTA the regions refer to)")
    client = ServingClient(server, model, timeout)
    try:
        length = client.input_length()
        if bed is not None:
            if length is None:
                raise InputError(f"cannot tell the input length of model {model}; use --fasta")
            table, seqs = bed_windows(bed, genome, length, skipped)
        else:
            records = (
                read_fasta_records(fasta)
                if fasta is not None
                else [(f"seq_{i + 1}", s.strip().upper()) for i, s in enumerate(sequences)]
            )
            for name, seq in records:
                check_dna(seq, f"sequence {name}")
                if length is not None and len(seq) != length:
                    raise InputError(
                        f"sequence {name} is {len(seq)} bp; model {model} takes "
                        f"exactly {length} bp (use --bed with --genome to cut "
                        "centred windows)"
                    )
            table = pd.DataFrame({"name": [n for n, _ in records]})
            seqs = [s for _, s in records]
        if not seqs:
            raise InputError("no sequences to query")
        preds = client.predict_sequences(seqs, signature, batch_size)
        for name, column in zip(client.profiles(preds.shape[1]), preds.T):
            table[name] = column
        return table
    finally:
        client.close()
