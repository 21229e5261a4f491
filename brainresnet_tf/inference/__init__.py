"""Inference on trained models: batched strand-averaged prediction and attributions."""
