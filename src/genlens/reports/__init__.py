"""Command-line reports over stored spans (``genlens report cost``, ``genlens detect cost``)."""
