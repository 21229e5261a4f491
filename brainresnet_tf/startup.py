"""Quiet TensorFlow start-up for the command line.

On CPU-only machines TensorFlow writes a dozen lines of absl/CUDA chatter to stderr at import
(``oneDNN custom operations are on``, ``Could not find cuda drivers``, ``failed call to cuInit``),
before ``TF_CPP_MIN_LOG_LEVEL`` takes effect, so no environment variable hides them. The CLI
installs :func:`quiet_tensorflow_import`: the first ``import tensorflow`` (from our code or from
Keras) runs with file descriptor 2 captured, the GPU probe runs once inside the capture, and every
captured line that is not known start-up chatter is written back to stderr, so real warnings and
errors still show. Commands that never import TensorFlow pay nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

CHATTER = re.compile(
    "|".join(
        [
            r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
            r"oneDNN custom operations are on",
            r"Could not find cuda drivers on your machine",
            r"failed call to cuInit",
            r"Unable to register cu(DNN|FFT|BLAS) factory",
            r"computation placer already registered",
            r"TF-TRT Warning",
            r"This TensorFlow binary is optimized to use available CPU instructions",
            r"rebuild TensorFlow with the appropriate compiler flags",
            r"cudart_stub\.cc",
        ]
    )
)


@contextmanager
def filtered_stderr() -> Iterator[None]:
    """Capture fd 2 for the block; write back every line that is not start-up chatter."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [
                line
                for line in capture.read().decode("utf-8", "replace").splitlines()
                if line.strip() and not CHATTER.search(line)
            ]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        with filtered_stderr():
            self.loader.exec_module(module)
            module.config.list_physical_devices("GPU")  # the CUDA probe, once, while captured
        module.get_logger().addFilter(_drop_retracing_hints)


def _drop_retracing_hints(record) -> bool:
    """TensorFlow's "triggered tf.function retracing" hint: about our code, nothing a user can act on."""
    return "triggered tf.function retracing" not in record.getMessage()


class _QuietFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow_import() -> None:
    """Make the process's first ``import tensorflow`` quiet (no-op if it was imported already)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
