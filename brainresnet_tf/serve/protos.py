"""TF Serving's messages and gRPC stubs, importable without starting TensorFlow's runtime.

``tensorflow_serving.apis`` imports ``tensorflow.core.framework.*_pb2``, and importing any
``tensorflow.*`` module first runs ``tensorflow/__init__.py``, which loads the whole runtime
(5 s on an idle 2-core machine, 26 s on a busy one) although the ``_pb2`` modules need only
protobuf. When TensorFlow is not imported yet, this module imports them under a placeholder
``tensorflow`` package whose ``__init__`` is not run, then removes the placeholder: a later
``import tensorflow`` runs normally and reuses these same message classes (``sys.modules`` keeps
the ``tensorflow.core...`` entries). When TensorFlow is already imported, nothing special happens.
"""

from __future__ import annotations

import importlib.util
import sys
import types


def _import_without_tensorflow_runtime() -> None:
    if "tensorflow" in sys.modules:
        return
    spec = importlib.util.find_spec("tensorflow")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        return  # let the imports below fail with the usual ModuleNotFoundError
    placeholder = types.ModuleType("tensorflow")
    placeholder.__path__ = list(spec.submodule_search_locations)
    placeholder.__spec__ = spec
    sys.modules["tensorflow"] = placeholder
    try:
        import tensorflow_serving.apis.get_model_metadata_pb2  # noqa: F401
        import tensorflow_serving.apis.get_model_status_pb2  # noqa: F401
        import tensorflow_serving.apis.model_service_pb2_grpc  # noqa: F401
        import tensorflow_serving.apis.predict_pb2  # noqa: F401
        import tensorflow_serving.apis.prediction_log_pb2  # noqa: F401
        import tensorflow_serving.apis.prediction_service_pb2_grpc  # noqa: F401
    finally:
        if sys.modules.get("tensorflow") is placeholder:
            del sys.modules["tensorflow"]


_import_without_tensorflow_runtime()

from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2  # noqa: E402
from tensorflow.core.protobuf import meta_graph_pb2  # noqa: E402
from tensorflow_serving.apis import (  # noqa: E402
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2_grpc,
    status_pb2,
)

__all__ = [
    "get_model_metadata_pb2",
    "get_model_status_pb2",
    "meta_graph_pb2",
    "model_pb2",
    "model_service_pb2_grpc",
    "predict_pb2",
    "prediction_log_pb2",
    "prediction_service_pb2_grpc",
    "status_pb2",
    "tensor_pb2",
    "tensor_shape_pb2",
    "types_pb2",
]
