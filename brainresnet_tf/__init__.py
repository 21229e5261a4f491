"""Brain-ResNet: residual CNNs that predict chromatin profiles from DNA sequence."""

__version__ = "0.1.0"
