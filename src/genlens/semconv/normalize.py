"""Any LLM attribute convention → one canonical row plus content records.

Every convention module contributes a key table ``key → (slot, priority,
converter, convention bit)``; they are merged once, at import, into one dict.
A span is then read in a single pass over its attributes: a known key is a
dict hit and a conversion; an unknown key costs one ``str.startswith`` against
the flattened families' prefixes and otherwise goes straight to
``attributes``.  When two conventions fill one slot the lower priority number
wins (genlens, OTel, OpenInference, OpenLLMetry, retired names); the losing
key is dropped when it said the same thing and kept in ``attributes`` when it
did not, so nothing is thrown away and nothing is counted twice.  The
semantics every column obeys are written in :mod:`genlens.semconv.canonical`.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import genlens_ctx, openinference, openllmetry, otel_genai
from genlens.semconv._convert import (
    C_GENLENS,
    C_OPENINFERENCE,
    C_OPENLLMETRY,
    C_OTEL,
    jsonable,
)
from genlens.semconv._finish import finish_row
from genlens.semconv.canonical import COLUMN_NAMES
from genlens.semconv.model import ContentRecord, RawLog, RawSpan
from genlens.semconv.otel_events import logs_to_content

__all__ = ["content_from_logs", "normalize_span"]

Spec = tuple[str | None, int, Any, int]


def _merge_tables() -> dict[str, Spec]:
    table: dict[str, Spec] = {}
    for mod in (genlens_ctx, otel_genai, openinference, openllmetry):
        for key, slot, prio, conv, bit in mod.KEYS:
            if key in table:
                raise RuntimeError(f"attribute {key!r} mapped twice")
            table[key] = (slot, prio, conv, bit)
    return table


KEYMAP: dict[str, Spec] = _merge_tables()

# Flattened families: prefix → (parser, convention bit).  ``gen_ai.aggregated_usage.``
# is not content: it only flags the span's usage as aggregated.
AGGREGATED_USAGE = "gen_ai.aggregated_usage."
FAMILIES: dict[str, tuple[Any, int]] = {
    **{p: (openinference.parse_family, C_OPENINFERENCE) for p in openinference.FAMILIES},
    **{p: (openllmetry.parse_family, C_OPENLLMETRY) for p in openllmetry.FAMILIES},
}
FAMILY_KIND: dict[str, str] = {**openinference.FAMILIES, **openllmetry.FAMILIES}
FAMILY_PREFIXES: tuple[str, ...] = (*FAMILIES, AGGREGATED_USAGE)
_INT64 = 1 << 63
_ROW_TEMPLATE: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)


def _keep(v: Any) -> Any:
    t = type(v)
    if t is str or t is float or t is bool or (t is int and -_INT64 <= v < _INT64):
        return v
    return jsonable(v)


def normalize_span(raw: RawSpan, *, default_tenant: str = "default") -> tuple[dict[str, Any], list[ContentRecord]]:
    """One canonical row (keys == canonical.COLUMN_NAMES; json columns hold Python dict/list or None)
    plus the span's content records (messages, tool args/results, documents, raw input/output)."""
    attrs = raw.attributes if type(raw.attributes) is dict else {}
    got: dict[str, tuple[int, Any, str]] = {}
    rest: dict[str, Any] = {}
    fams: dict[str, list[tuple[str, str, Any]]] | None = None
    losers: list[tuple[str, int, Any, str]] | None = None
    bits = 0
    get = KEYMAP.get
    for key, val in attrs.items():
        spec = get(key)
        if spec is None:
            if key.startswith(FAMILY_PREFIXES):
                if fams is None:
                    fams = {}
                for prefix in FAMILY_PREFIXES:
                    if key.startswith(prefix):
                        fams.setdefault(prefix, []).append((key, key[len(prefix):], val))
                        break
            else:
                rest[key] = _keep(val)
            continue
        slot, prio, conv, bit = spec
        bits |= bit
        if slot is None or val is None:
            rest[key] = _keep(val)
            continue
        v = conv(val)
        if v is None:
            rest[key] = _keep(val)
            continue
        cur = got.get(slot)
        if cur is None:
            got[slot] = (prio, v, key)
            continue
        if losers is None:
            losers = []
        if prio < cur[0]:
            got[slot] = (prio, v, key)
            losers.append((slot, *cur))
        else:
            losers.append((slot, prio, v, key))
    if losers:
        for slot, _, v, key in losers:
            # A duplicate that agrees is dropped; one that disagrees is kept.  Content
            # duplicates are never kept: content must not leak into the skeleton.
            if slot[0] != "c" and got[slot][1] != v:
                rest[key] = _keep(attrs[key])
    row = _ROW_TEMPLATE.copy()
    records = finish_row(raw, row, got, rest, fams, default_tenant)
    row["attributes"] = rest or None
    row["convention"] = _convention(bits, fams)
    return row, records


def _convention(bits: int, fams: dict[str, Any] | None) -> str:
    if fams:
        for prefix in fams:
            bits |= FAMILIES.get(prefix, (None, 0))[1]
    if bits & C_GENLENS:
        return "genlens"
    if bits & C_OPENINFERENCE:
        return "openinference"
    if bits & C_OPENLLMETRY:
        return "openllmetry"
    if bits & C_OTEL:
        return "otel"
    return "none"


def content_from_logs(logs: list[RawLog]) -> list[ContentRecord]:
    """GenAI content carried by OTLP log records (OTel semconv 1.28–1.36 events gen_ai.system.message,
    gen_ai.user.message, gen_ai.assistant.message, gen_ai.tool.message, gen_ai.choice; and the newer
    gen_ai.client.inference.operation.details event), grouped per (trace_id, span_id) into
    input_messages / output_messages / system_instructions records in the OTel parts format, in order
    (input messages in the order received, choices by index). Logs that are not GenAI content or have no
    span id → ignored here (return nothing for them). Event name is in RawLog.event_name (which the decoder
    fills from LogRecord.event_name or, for older SDKs, the `event.name` attribute)."""
    return logs_to_content(logs)
