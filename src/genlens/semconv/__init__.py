"""Canonical attribute names, the canonical span model, and one normalizer per foreign convention."""
