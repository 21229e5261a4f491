"""Kipoi entry point of the BrainResNet group (``defined_as: model.BrainResNetModel``).

The implementation lives in the installed package, so the group and ``brainresnet predict`` share
one code path; see ``brainresnet_tf/serve/kipoi_components.py``.
"""

from brainresnet_tf.serve.kipoi_components import BrainResNetModel  # noqa: F401
