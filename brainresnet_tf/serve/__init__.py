"""Deployment: TF Serving SavedModel export, gRPC server and client, Kipoi components."""
