"""numpy <-> TensorProto conversion for the TF Serving gRPC API (fast paths, TF's as fallback)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2


def dtype_name(enum: int) -> str:
    """``DT_FLOAT (float32)`` for a DataType enum value."""
    try:
        return f"{types_pb2.DataType.Name(enum)} ({tf.dtypes.as_dtype(enum).name})"
    except (ValueError, TypeError):
        return f"dtype {enum}"


def _shape_proto(shape: tuple[int, ...]) -> tensor_shape_pb2.TensorShapeProto:
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(n)) for n in shape]
    )


def to_proto(array) -> tensor_pb2.TensorProto:
    """TensorProto of an array: raw ``tensor_content`` for numbers, ``string_val`` for strings."""
    a = np.asarray(array)
    if a.dtype.kind in "OSU":
        proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, tensor_shape=_shape_proto(a.shape))
        proto.string_val.extend(x if isinstance(x, bytes) else str(x).encode() for x in a.ravel())
        return proto
    content = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return tensor_pb2.TensorProto(
        dtype=tf.dtypes.as_dtype(a.dtype).as_datatype_enum,
        tensor_shape=_shape_proto(a.shape),
        tensor_content=content,
    )


def shape_of(proto: tensor_pb2.TensorProto) -> tuple[int, ...] | None:
    """Declared shape of a TensorProto (None when it says unknown rank)."""
    if proto.tensor_shape.unknown_rank:
        return None
    return tuple(d.size for d in proto.tensor_shape.dim)


def from_proto(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """numpy array of a TensorProto; ValueError when its values do not fill its shape."""
    shape = shape_of(proto)
    if shape is None:
        raise ValueError("tensor has unknown rank")
    if proto.dtype == types_pb2.DT_STRING:
        values = list(proto.string_val)
        if len(values) != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{len(values)} strings do not fill shape {list(shape)}")
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    if proto.tensor_content:
        dtype = tf.dtypes.as_dtype(proto.dtype).as_numpy_dtype
        flat = np.frombuffer(proto.tensor_content, dtype=dtype)
        if flat.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{flat.size} values do not fill shape {list(shape)}")
        return flat.reshape(shape)
    try:
        return tf.make_ndarray(proto)  # float_val / int_val / ... encodings
    except Exception as err:  # noqa: BLE001  (TF raises several types for malformed protos)
        raise ValueError(str(err)) from err
