"""Data: labels from peaks and signal, windows and splits, the tf.data pipeline, the demo generators."""
