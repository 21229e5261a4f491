"""Interpretation: window selection, TF-MoDISco patterns named by TOMTOM against JASPAR, reports, checks."""
