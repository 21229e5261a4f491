"""The BrainResNet Kipoi group template, shipped as package data (brainresnet_tf.kipoi_template)."""
