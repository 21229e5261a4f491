"""Training: config, preparation, fit (strategies, checkpoints, resume), metrics, reports, transfer."""
