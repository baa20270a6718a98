"""Instrumentation that runs inside the user's application (internal; use ``genlens.*``)."""
