"""Any LLM attribute convention → one canonical row plus content records.

Every convention module contributes a key table ``key → (slot, priority,
converter, convention bit)``; they are merged once, at import, into one dict.
An instrumentation emits the same attribute keys span after span, so the work
that depends only on the keys — which slot each key fills, which of two
conventions wins a slot, how flattened ``prefix.N.field`` keys group into
lists, which keys go straight to ``attributes`` — is done once per key shape
and cached as a read plan (:mod:`genlens.semconv._plan`; bounded, a flood of new shapes empties it and
is counted).  Per span what remains is one dict lookup per key, a type check,
and the rules that need values (tokens, kind, errors, content).

When two conventions fill one slot the lower priority number wins (genlens,
OTel, OpenInference, OpenLLMetry, retired names); the losing key is dropped
when it said the same thing and kept in ``attributes`` when it did not, so
nothing is thrown away and nothing is counted twice.  The ``convention``
column names the span's native convention: genlens when ``app.llm.*`` is
present, else OpenInference or OpenLLMetry when their own keys are, else
OTel when ``gen_ai.*`` is, else none.  The semantics every column obeys are
written in :mod:`genlens.semconv.canonical`.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv._convert import (
    C_GENLENS,
    C_OPENINFERENCE,
    C_OPENLLMETRY,
    C_OTEL,
    MAX_COUNT,
    as_bool,
    as_count,
    jsonable,
)
from genlens.semconv._finish import finish_row, refuse_usage
from genlens.semconv._flat import materialize
from genlens.semconv._plan import (
    CODE_ANY,
    CODE_COUNT,
    CODE_KEEP,
    CODE_STR,
    FLOAT_MAX,
    PLANS,
    ROW_TEMPLATE,
    SIMPLE_TYPES,
    STATS,
    TO_COLUMN,
    TO_PARAM,
    TO_TRACKED,
    keep,
    plan_for,
)
from genlens.semconv.canonical import INVALID_USAGE, USAGE_COLUMNS
from genlens.semconv.model import ContentRecord, RawLog, RawSpan
from genlens.semconv.otel_events import logs_to_content

__all__ = ["content_from_logs", "normalize_span", "stats"]

_USAGE_SLOTS = frozenset(USAGE_COLUMNS)
_USAGE_KINDS = frozenset(("llm", "embedding"))


def stats() -> dict[str, int]:
    """Counters for /metrics: cached attribute shapes, how often a flood of new shapes emptied the
    cache, and how many oversized spans were planned without caching."""
    return {"plans_cached": len(PLANS), **STATS}


def _convert(val: Any, code: int, conv: Any) -> Any:
    t = type(val)
    if code == CODE_STR:
        return val if t is str and val else None
    if code == CODE_COUNT:
        return val if t is int and 0 <= val <= MAX_COUNT else conv(val)
    if code == CODE_ANY:
        return val
    if code == CODE_KEEP:
        return None
    return conv(val)


def normalize_span(raw: RawSpan, *, default_tenant: str = "default") -> tuple[dict[str, Any], list[ContentRecord]]:
    """One canonical row (keys == canonical.COLUMN_NAMES; json columns hold Python dict/list or None)
    plus the span's content records (messages, tool args/results, documents, raw input/output).

    An llm/embedding row whose span reported a usage count no column may hold also carries
    ``canonical.INVALID_USAGE`` (read and removed by the pricing stage)."""
    attrs = raw.attributes if type(raw.attributes) is dict else {}
    plan = plan_for(tuple(attrs))
    got: dict[str, tuple[int, Any, str]] = {}
    row = ROW_TEMPLATE.copy()
    params: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, slot in plan.str_cols:
        val = attrs[key]
        if type(val) is str and val:
            row[slot] = val
        else:
            rest[key] = keep(val)
    for key, slot, prio in plan.counts:
        val = attrs[key]
        if type(val) is not int or not 0 <= val <= MAX_COUNT:
            val = as_count(val)
            if val is None:
                rest[key] = keep(attrs[key])
                if slot in _USAGE_SLOTS:
                    refuse_usage(row, slot, rest[key])
                continue
        row[slot] = val
        got[slot] = (prio, val, key)
    for key, slot, lo, conv in plan.floats:
        val = attrs[key]
        if type(val) is float and lo <= val <= FLOAT_MAX:  # NaN fails every comparison
            row[slot] = val
        else:
            v = conv(val)
            if v is None:
                rest[key] = keep(val)
            else:
                row[slot] = v
    for key, slot in plan.bools:
        val = attrs[key]
        if type(val) is bool:
            row[slot] = val
        else:
            v = as_bool(val)
            if v is None:
                rest[key] = keep(val)
            else:
                row[slot] = v
    for key, name, conv in plan.params:
        val = attrs[key]
        t = type(val)
        if t is str or t is float or t is bool:
            params[name] = val
        else:
            v = conv(val)
            if v is None:
                rest[key] = keep(val)
            else:
                params[name] = v
    for key, slot, prio in plan.anys:
        val = attrs[key]
        if val is None:
            rest[key] = None
        else:
            got[slot] = (prio, val, key)
    for slot, key, code, conv, dest, prio in plan.singles:
        val = attrs[key]
        t = type(val)
        # The common converters inlined: this loop runs once per known attribute of every span.
        if code == CODE_STR:
            v = val if t is str and val else None
        elif code == CODE_COUNT:
            v = val if t is int and 0 <= val <= MAX_COUNT else conv(val)
        elif code == CODE_ANY:
            v = val
        elif code == CODE_KEEP:
            v = None
        else:
            v = conv(val)
        if v is None:
            rest[key] = val if t is str or t is float or t is bool else keep(val)
        elif dest == TO_COLUMN:
            row[slot] = v
        elif dest == TO_TRACKED:
            row[slot] = v
            got[slot] = (prio, v, key)
        elif dest == TO_PARAM:
            params[slot[2:]] = v
        else:
            got[slot] = (prio, v, key)
    for slot, steps in plan.multi:
        win = None
        for key, code, conv, dest, prio in steps:
            val = attrs[key]
            v = _convert(val, code, conv)
            if v is None:
                rest[key] = keep(val)
            elif win is None:
                win = v
                got[slot] = (prio, v, key)
                if dest == TO_COLUMN or dest == TO_TRACKED:
                    row[slot] = v
                elif dest == TO_PARAM:
                    params[slot[2:]] = v
            elif slot[0] != "c" and v != win:
                # A duplicate that agrees is dropped; one that disagrees is kept.  Content
                # duplicates are never kept: content must not leak into the skeleton.
                rest[key] = keep(val)
        if win is None and slot in _USAGE_SLOTS:  # every candidate was refused
            refuse_usage(row, slot, rest[steps[0][0]])
    for key in plan.unknown:
        val = attrs[key]
        t = type(val)
        rest[key] = val if t is str or t is float or t is bool else keep(val)
    fams = None
    if plan.fams:
        src = attrs
        if not SIMPLE_TYPES.issuperset(map(type, map(attrs.__getitem__, plan.family_keys))):
            src = {k: jsonable(attrs[k]) for k in plan.family_keys}  # bytes/kvlist leaves made JSON-safe
        fams = {p: materialize(template, src) for p, template in plan.fams}
    records = finish_row(raw, row, got, params, rest, fams, plan.content, plan.aggregated, default_tenant)
    if INVALID_USAGE in row and row["kind"] not in _USAGE_KINDS:
        del row[INVALID_USAGE]  # not priced: the values are in attributes like any other usage there
    row["attributes"] = rest or None
    row["convention"] = _convention(plan.bits)
    return row, records


def _convention(bits: int) -> str:
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
