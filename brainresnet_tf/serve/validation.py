"""Request checks shared by the gRPC and REST front ends: one set of rules, one set of messages.

A request is checked against the signature before anything is allocated from it: dtype, rank,
fixed dimensions, no negative dimension, at most ``max_rows`` rows; then its values must fill the
declared shape exactly (see tensors.from_proto), rows must agree across inputs, and DNA strings
must have the model's length and only ACGTN.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import numpy as np

from brainresnet_tf.serve.tensors import dtype_name

_VALID_DNA = np.zeros(256, dtype=bool)
_VALID_DNA[np.frombuffer(b"ACGTNacgtn", dtype=np.uint8)] = True


@dataclass(frozen=True)
class Limits:
    """What one request may ask for (``--max-request-rows``, ``--max-message-mb``)."""

    max_rows: int = 4096  # rows (leading dimension) per input of one request
    max_message_bytes: int = 64 << 20  # a gRPC message or an HTTP body


class ServingError(Exception):
    """A request error carrying its gRPC status code (REST maps it to an HTTP status)."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ServingError:
    """An INVALID_ARGUMENT error."""
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


@dataclass(frozen=True)
class InputSpec:
    """One input of a signature: its DataType and shape (None: any size; shape None: any rank)."""

    enum: int
    dtype: np.dtype
    shape: tuple[int | None, ...] | None

    @property
    def batched(self) -> bool:
        """Whether the leading dimension is free (the rows of a request)."""
        return bool(self.shape) and self.shape[0] is None

    def text(self) -> str:
        """``(batch, 120, 4)``."""
        if self.shape is None:
            return "(any rank)"
        dims = (
            "batch" if d is None and i == 0 else "any" if d is None else str(d)
            for i, d in enumerate(self.shape)
        )
        return "(" + ", ".join(dims) + ")"


def check_keys(signature: str, wanted, sent) -> None:
    """The request names exactly the signature's inputs."""
    sent, wanted = set(sent), set(wanted)
    if sent != wanted:
        raise invalid(
            f"signature {signature} takes inputs {{{', '.join(sorted(wanted))}}}, "
            f"got {{{', '.join(sorted(sent))}}} (sent extra: "
            f"{sorted(sent - wanted)}, missing: {sorted(wanted - sent)})"
        )


def check_declared(
    signature: str, key: str, spec: InputSpec, enum: int, shape: tuple[int, ...] | None, limits: Limits
) -> None:
    """Check an input's declared dtype and shape before its values are read."""
    if enum != spec.enum:
        raise invalid(
            f"input {key} of signature {signature} must be {dtype_name(spec.enum)}, got {dtype_name(enum)}"
        )
    if shape is None:
        raise invalid(f"input {key} of signature {signature} has unknown rank; expected {spec.text()}")
    if any(n < 0 for n in shape):
        raise invalid(f"input {key} of signature {signature} has a negative dimension: shape {list(shape)}")
    if spec.shape is not None and (
        len(shape) != len(spec.shape) or any(w is not None and w != n for w, n in zip(spec.shape, shape))
    ):
        raise invalid(f"input {key} of signature {signature} has shape {list(shape)}; expected {spec.text()}")
    if shape and (spec.shape is None or spec.shape[0] is None) and shape[0] > limits.max_rows:
        raise invalid(
            f"input {key} of signature {signature} has {shape[0]} rows; this server takes at most "
            f"{limits.max_rows} per request (--max-request-rows): split the request"
        )


def check_rows(signature: str, specs: dict[str, InputSpec], arrays: dict[str, np.ndarray]) -> int:
    """Rows of a request (1 when no input is batched): non-empty and equal across batched inputs."""
    rows = None
    for key, spec in specs.items():
        if not spec.batched:
            continue
        n = arrays[key].shape[0]
        if n == 0:
            raise invalid(f"empty batch: input {key} of signature {signature} has no rows")
        if rows is not None and n != rows:
            raise invalid(
                f"inputs of signature {signature} must have the same number of rows; "
                f"{key} has {n}, another has {rows}"
            )
        rows = n
    return rows or 1


def check_dna(key: str, array: np.ndarray, length: int, hint: str = "") -> None:
    """Every string is exactly ``length`` bp of ACGTN (either case); ``hint`` explains a wrong length."""
    flat = array.ravel()
    for i, seq in enumerate(flat):
        if len(seq) != length:
            raise invalid(
                f"input {key}, sequence {i}: {len(seq)} bp; the model takes exactly {length} bp"
                + (f" ({hint})" if hint else "")
            )
    codes = np.frombuffer(b"".join(flat), dtype=np.uint8)
    bad = np.flatnonzero(~_VALID_DNA[codes])
    if bad.size:
        pos = int(bad[0])
        char = bytes([codes[pos]]).decode("latin-1")
        raise invalid(
            f"input {key}, sequence {pos // length}: non-ACGTN character {char!r} "
            f"at position {pos % length} (expected only A, C, G, T, N)"
        )
