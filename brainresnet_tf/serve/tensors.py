"""numpy <-> TensorProto conversion for the TF Serving API, without TensorFlow.

Strict where TensorFlow is lenient: the values must fill the declared shape exactly (TensorFlow
pads a short list with its last value, or with zeros when it is empty, so a 60-byte message can
declare a tensor of gigabytes) and dimensions must not be negative.
"""

from __future__ import annotations

import math

import numpy as np

from brainresnet_tf.serve.protos import tensor_pb2, types_pb2

# DataType -> (numpy dtype, the TensorProto field holding its values when tensor_content is empty)
_DTYPES: dict[int, tuple[np.dtype, str]] = {
    types_pb2.DT_FLOAT: (np.dtype(np.float32), "float_val"),
    types_pb2.DT_DOUBLE: (np.dtype(np.float64), "double_val"),
    types_pb2.DT_HALF: (np.dtype(np.float16), "half_val"),
    types_pb2.DT_INT8: (np.dtype(np.int8), "int_val"),
    types_pb2.DT_INT16: (np.dtype(np.int16), "int_val"),
    types_pb2.DT_INT32: (np.dtype(np.int32), "int_val"),
    types_pb2.DT_INT64: (np.dtype(np.int64), "int64_val"),
    types_pb2.DT_UINT8: (np.dtype(np.uint8), "int_val"),
    types_pb2.DT_UINT16: (np.dtype(np.uint16), "int_val"),
    types_pb2.DT_UINT32: (np.dtype(np.uint32), "uint32_val"),
    types_pb2.DT_UINT64: (np.dtype(np.uint64), "uint64_val"),
    types_pb2.DT_BOOL: (np.dtype(np.bool_), "bool_val"),
    types_pb2.DT_STRING: (np.dtype(object), "string_val"),
}
_ENUM_OF = {dtype: enum for enum, (dtype, _) in _DTYPES.items() if dtype != np.dtype(object)}


def numpy_dtype(enum: int) -> np.dtype:
    """numpy dtype of a DataType enum value (object for DT_STRING); ValueError if unsupported."""
    try:
        return _DTYPES[enum][0]
    except KeyError:
        raise ValueError(f"unsupported dtype {dtype_name(enum)}") from None


def dtype_enum(dtype) -> int:
    """DataType enum value of a numpy dtype (bytes, str and object arrays are DT_STRING)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "OSU":
        return types_pb2.DT_STRING
    try:
        return _ENUM_OF[dtype.newbyteorder("=")]
    except KeyError:
        raise ValueError(f"no TensorFlow dtype for numpy {dtype}") from None


def dtype_name(enum: int) -> str:
    """``DT_FLOAT (float32)`` for a DataType enum value."""
    try:
        name = types_pb2.DataType.Name(enum)
    except ValueError:
        return f"dtype {enum}"
    if enum in _DTYPES:
        dtype = _DTYPES[enum][0]
        return f"{name} ({'string' if dtype == np.dtype(object) else dtype.name})"
    return name


def fill_proto(proto: tensor_pb2.TensorProto, array) -> tensor_pb2.TensorProto:
    """Write ``array`` into ``proto`` (raw ``tensor_content`` for numbers, ``string_val`` for strings)."""
    a = np.asarray(array)
    for n in a.shape:
        proto.tensor_shape.dim.add(size=int(n))
    if a.dtype.kind in "OSU":
        proto.dtype = types_pb2.DT_STRING
        proto.string_val.extend(x if isinstance(x, bytes) else str(x).encode() for x in a.ravel())
        return proto
    proto.dtype = dtype_enum(a.dtype)
    proto.tensor_content = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return proto


def to_proto(array) -> tensor_pb2.TensorProto:
    """TensorProto of an array: raw ``tensor_content`` for numbers, ``string_val`` for strings."""
    return fill_proto(tensor_pb2.TensorProto(), array)


def shape_of(proto: tensor_pb2.TensorProto) -> tuple[int, ...] | None:
    """Declared shape of a TensorProto (None when it says unknown rank)."""
    if proto.tensor_shape.unknown_rank:
        return None
    return tuple(d.size for d in proto.tensor_shape.dim)


def from_proto(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """numpy array of a TensorProto; ValueError unless its values fill its declared shape exactly."""
    shape = shape_of(proto)
    if shape is None:
        raise ValueError("tensor has unknown rank")
    if any(n < 0 for n in shape):
        raise ValueError(f"shape {list(shape)} has a negative dimension")
    count = math.prod(shape)
    dtype, field = _DTYPES.get(proto.dtype, (None, None))
    if dtype is None:
        raise ValueError(f"unsupported dtype {dtype_name(proto.dtype)}")
    if proto.dtype == types_pb2.DT_STRING:
        values = proto.string_val
        if len(values) != count:
            raise ValueError(f"{len(values)} strings for shape {list(shape)} ({count} values)")
        out = np.empty(count, dtype=object)
        out[:] = list(values)
        return out.reshape(shape)
    content = proto.tensor_content
    if content:
        if len(content) != count * dtype.itemsize:
            raise ValueError(
                f"{len(content)} bytes of tensor_content for shape {list(shape)} "
                f"({count} values of {dtype.itemsize} bytes)"
            )
        return np.frombuffer(content, dtype=dtype.newbyteorder("<")).reshape(shape)
    values = getattr(proto, field)
    if len(values) != count:
        raise ValueError(f"{len(values)} values in {field} for shape {list(shape)} ({count} values)")
    if proto.dtype == types_pb2.DT_HALF:  # half_val holds the float16 bit patterns
        return np.array(values, dtype=np.uint16).view(np.float16).reshape(shape)
    try:
        return np.array(values, dtype=dtype).reshape(shape)
    except OverflowError as err:
        raise ValueError(f"{field}: {err}") from None
