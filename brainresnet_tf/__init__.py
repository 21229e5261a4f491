"""Brain-ResNet: residual CNNs that predict chromatin profiles from DNA sequence.

The Python API (:mod:`brainresnet_tf.api`) is imported lazily (PEP 562): ``import brainresnet_tf
as br`` loads no TensorFlow until a model is loaded or trained::

    import brainresnet_tf as br

    model = br.load_model("runs/demo/model.keras")
    model.predict(regions="peaks.bed", genome="hg38.fa")
"""

import importlib as _importlib
import sys as _sys
import types as _types
import typing as _typing

if _typing.TYPE_CHECKING:
    from brainresnet_tf.api.hits import hits
    from brainresnet_tf.api.model import load_model
    from brainresnet_tf.api.motifs import motifs
    from brainresnet_tf.api.train import train
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.io.intervals import read_bed as read_peaks
    from brainresnet_tf.io.variant_files import read_variants

__version__ = "0.1.0"

_LAZY = {  # public name: (module, attribute)
    "load_model": ("brainresnet_tf.api.model", "load_model"),
    "motifs": ("brainresnet_tf.api.motifs", "motifs"),
    "hits": ("brainresnet_tf.api.hits", "hits"),
    "train": ("brainresnet_tf.api.train", "train"),
    "Genome": ("brainresnet_tf.io.genome", "Genome"),
    "read_peaks": ("brainresnet_tf.io.intervals", "read_bed"),
    "read_variants": ("brainresnet_tf.io.variant_files", "read_variants"),
}
__all__ = ["load_model", "motifs", "hits", "train", "Genome", "read_peaks", "read_variants", "__version__"]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(_importlib.import_module(module), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(_types.ModuleType):
    """This package's module type. ``br.train`` is the API's :func:`~brainresnet_tf.api.train.train`,
    although ``brainresnet_tf.train`` is also a subpackage: importing the subpackage would set the
    attribute to it, so the attribute is a property that always answers the function (the
    subpackage stays importable by name: ``from brainresnet_tf.train import config``)."""

    @property
    def train(self) -> object:
        return __getattr__("train")

    @train.setter
    def train(self, _subpackage: _types.ModuleType) -> None:
        """The import system setting the subpackage: it stays in ``sys.modules`` only."""


_sys.modules[__name__].__class__ = _Package
