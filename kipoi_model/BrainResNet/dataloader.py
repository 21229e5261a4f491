"""Kipoi entry point of the BrainResNet dataloader (``dataloader.BrainResNetIntervalDl``).

Kipoi imports ``<module>.<object>`` from the group's folder; the implementation lives in the
installed package: see ``brainresnet_tf/serve/kipoi_components.py``.
"""

from brainresnet_tf.serve.kipoi_components import BrainResNetIntervalDl  # noqa: F401
