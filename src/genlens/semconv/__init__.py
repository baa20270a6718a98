"""Canonical attribute names, the canonical span model, and one normalizer per foreign convention.

Layout:

* :mod:`attrs` – attribute names genlens emits and OTel names it reads;
  :mod:`canonical` – the canonical columns and their semantics (the contract);
  :mod:`model` – ``RawSpan`` / ``RawLog`` / ``ContentRecord``.
* :mod:`normalize` – ``normalize_span`` and ``content_from_logs``, the only entry points.
* One key table per convention: :mod:`genlens_ctx` (``app.llm.*``), :mod:`otel_genai`
  (OTel GenAI v1.41 and older names), :mod:`openinference`, :mod:`openllmetry`;
  :mod:`otel_events` reads content carried by span events and log records.
* Private helpers: ``_convert`` (value coercion), ``_messages`` (every message shape
  → OTel parts), ``_flat`` (flattened ``prefix.N.field`` families), ``_finish``
  (rules that need several values: kind, tokens, cost, errors, tenant) and
  ``_content`` (content records).

Priority when one span carries several conventions: genlens, then OTel current
names, OpenInference, OpenLLMetry, then names every convention has retired.
"""
