"""Variants: effect scoring and its validation against measured allelic imbalance."""
