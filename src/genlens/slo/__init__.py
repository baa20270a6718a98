"""SLOs as code: read in three shapes (``spec``), computed from stored spans (``engine``), exported as
Prometheus rules in Sloth's names (``rules``), over the windows and burn-rate pairs of ``windows``."""
