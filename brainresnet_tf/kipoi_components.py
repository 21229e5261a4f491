"""Deprecated location of the Kipoi components, kept for one release.

BrainResNet groups installed into ``~/.kipoi`` by earlier versions import
``brainresnet_tf.kipoi_components``; the code now lives in :mod:`brainresnet_tf.serve.kipoi_components`.
"""

from brainresnet_tf.serve.kipoi_components import BrainResNetIntervalDl, BrainResNetModel

__all__ = ["BrainResNetIntervalDl", "BrainResNetModel"]
