"""Second half of normalization: from the slots one pass collected to the finished row.

Here live the rules that need more than one attribute: span kind, provider
normalization, the token semantics of :mod:`canonical` (cache tokens folded into
input the Anthropic way, reasoning inside output, total derived, usage on
agent/workflow spans kept out of the columns), reported cost, error class,
tenant, and the content records.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import attrs as a
from genlens.semconv import openinference as oi
from genlens.semconv import openllmetry as ol
from genlens.semconv import otel_genai as otel
from genlens.semconv._content import span_content
from genlens.semconv._convert import MAX_COUNT, as_count, as_float, as_str, jsonable
from genlens.semconv.canonical import INVALID_USAGE
from genlens.semconv.genlens_ctx import tenant_from_resource
from genlens.semconv.model import ERROR_CLASSES, SPAN_KINDS, ContentRecord, RawLink, RawSpan
from genlens.semconv.otel_events import split_span_events

Got = dict[str, tuple[int, Any, str]]
_NO_RECORDS: list[ContentRecord] = []  # shared, never mutated
_STATUS = {0: "unset", 1: "ok", 2: "error"}
_TOKEN_COLS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
               "reasoning_tokens", "total_tokens")
_TOKEN_SET = frozenset(_TOKEN_COLS)
_USAGE_KINDS = frozenset(("llm", "embedding"))
_AGGREGATING_KINDS = frozenset(("agent", "workflow"))
_COMPLETION_FAMILIES = frozenset((oi.CHOICES, ol.LEGACY_PROMPTS, ol.LEGACY_COMPLETIONS))


# Spans of one batch part share one resource dict: read it once.  Keyed by id()
# with the dict itself kept in the entry, so an id is never reused while cached.
_RES_CACHE: dict[int, tuple[Any, str | None, str | None, str | None, str | None, Any]] = {}
_RES_CACHE_MAX = 256


def _resource_fields(res: Any) -> tuple[Any, str | None, str | None, str | None, str | None, Any]:
    """(resource, service name, version, environment, tenant, JSON-safe resource), once per resource dict."""
    hit = _RES_CACHE.get(id(res))
    if hit is not None and hit[0] is res:
        return hit
    if type(res) is not dict:
        return (res, None, None, None, None, None)
    simple = all(type(v) in (str, float, bool) or (type(v) is int and -(1 << 63) <= v < (1 << 63))
                 for v in res.values())
    entry = (res, as_str(res.get(a.SERVICE_NAME)), as_str(res.get(a.SERVICE_VERSION)),
             as_str(res.get(a.DEPLOYMENT_ENVIRONMENT_NAME)) or as_str(res.get(a.DEPLOYMENT_ENVIRONMENT)),
             tenant_from_resource(res), res if simple else jsonable(res))
    if len(_RES_CACHE) >= _RES_CACHE_MAX:
        _RES_CACHE.clear()
    _RES_CACHE[id(res)] = entry
    return entry


def _restore(rest: dict[str, Any], attrs: dict[str, Any], key: str) -> None:
    rest[key] = jsonable(attrs[key])


# genlens SDK span kinds that are not canonical kinds: a tool call the model asked for (not the tool
# running) and user feedback; each keeps a distinct operation so neither is counted as something else.
_APP_SPECIAL_KINDS: dict[str, tuple[str, str]] = {
    "tool_call": ("tool", "tool_call"),
    "feedback": ("other", "feedback"),
}


def _kind(row: dict[str, Any], got: Got, fams: dict[str, Any] | None, unused: list[str]) -> tuple[str, str | None]:
    """(kind, operation derived from the kind hint or None); unrecognized hints go to ``unused``."""
    hint = got.get("k:app")
    if hint is not None:
        if hint[1] in SPAN_KINDS:
            return hint[1], None
        special = _APP_SPECIAL_KINDS.get(hint[1])
        if special is not None:
            return special
        unused.append(hint[2])
    hint = got.get("k:oi")
    if hint is not None:
        k = oi.SPAN_KIND_MAP.get(hint[1].upper())
        if k is not None:
            if k == "llm" and fams and not _COMPLETION_FAMILIES.isdisjoint(fams):
                return k, a.OP_TEXT_COMPLETION
            return k, otel.KIND_OPERATION.get(k)
        unused.append(hint[2])
    hint = got.get("k:tl")
    if hint is not None:
        k = ol.SPAN_KIND_MAP.get(hint[1].lower())
        if k is not None:
            return k, otel.KIND_OPERATION.get(k)
        unused.append(hint[2])
    op = row["operation"]
    if op is not None:
        k = otel.OPERATION_KIND.get(op.lower())
        if k is not None:
            return k, None
    hint = got.get("k:reqtype")
    if hint is not None:
        pair = ol.REQUEST_TYPE_MAP.get(hint[1].lower())
        if pair is not None:
            return pair[1], pair[0]
        unused.append(hint[2])
    if row["tool_name"] is not None:
        return "tool", a.OP_EXECUTE_TOOL
    if (row["request_model"] is not None or "x:oi_model" in got or row["input_tokens"] is not None
            or row["output_tokens"] is not None):
        return "llm", a.OP_CHAT
    if row["agent_name"] is not None:
        return "agent", a.OP_INVOKE_AGENT
    return "other", None


def _tokens(row: dict[str, Any], got: Got, rest: dict[str, Any], attrs: dict[str, Any]) -> None:
    """Apply the canonical token semantics on an llm/embedding span."""
    inp, out = row["input_tokens"], row["output_tokens"]
    cr, cw, rs = row["cache_read_tokens"], row["cache_write_tokens"], row["reasoning_tokens"]
    cache = (cr or 0) + (cw or 0)
    if inp is not None and cache > inp:  # reported the Anthropic way: cache beside input
        inp = _folded(row, got, rest, attrs, "input_tokens", inp + cache)
    if rs is not None and out is not None and rs > out:  # reasoning reported beside output
        out = _folded(row, got, rest, attrs, "output_tokens", out + rs)
    reported = row["total_tokens"]
    if inp is not None and out is not None:
        total: int | None = inp + out
    elif reported is not None:
        total = reported
    else:
        total = inp if out is None else out
    if reported is not None and reported != total:
        _restore(rest, attrs, got["total_tokens"][2])
    row["total_tokens"] = total


def _folded(row: dict[str, Any], got: Got, rest: dict[str, Any], attrs: dict[str, Any], col: str,
            value: int) -> int | None:
    """A count with its parts added in; above the bound it is refused like a reported one would be."""
    if value <= MAX_COUNT:
        row[col] = value
        return value
    row[col] = None
    _restore(rest, attrs, got[col][2])
    refuse_usage(row, col, value)
    return None


def refuse_usage(row: dict[str, Any], col: str, value: Any) -> None:
    """Note a usage count the span reported but no column may hold (see ``canonical.INVALID_USAGE``)."""
    refused = row.get(INVALID_USAGE)
    if refused is None:
        refused = row[INVALID_USAGE] = {}
    refused.setdefault(col, value)


def _provider(row: dict[str, Any], got: Got) -> None:
    h, s = got.get("x:oi_provider"), got.get("x:oi_system")
    if h is not None or s is not None:
        row["provider"] = oi.provider(h[1] if h else None, s[1] if s else None)


def _invocation_params(row: dict[str, Any], got: Got, params: dict[str, Any], rest: dict[str, Any],
                       attrs: dict[str, Any]) -> None:
    """OpenInference ``llm.invocation_parameters`` (a JSON object) → columns, then request_params."""
    inv = got["x:invocation_params"]
    if type(inv[1]) is not dict:
        _restore(rest, attrs, inv[2])
        return
    for name, v in inv[1].items():
        if name in ("temperature", "top_p"):
            f = as_float(v)
            if f is not None:
                if row[name] is None:
                    row[name] = f
                continue
        elif name in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
            n = as_count(v)
            if n is not None:
                if row["max_tokens"] is None:
                    row["max_tokens"] = n
                continue
        elif name == "model" and type(v) is str and v:
            if row["request_model"] is None:
                row["request_model"] = v
            continue
        params.setdefault(name, jsonable(v))


# Error classes an app declares on a span whose call succeeded (genlens.record_validation_error and
# record_guardrail_rejection): kept whatever the span's status, so they are counted.
_APP_CLASSES = frozenset({"validation", "guardrail"})


def _errors(row: dict[str, Any], got: Got, exc: Any, rest: dict[str, Any], attrs: dict[str, Any]) -> None:
    exc_type = exc_msg = None
    if exc is not None and type(exc.attributes) is dict:
        exc_type = as_str(exc.attributes.get(a.EXCEPTION_TYPE))
        exc_msg = as_str(exc.attributes.get(a.EXCEPTION_MESSAGE))
    if row["error_type"] is None:
        row["error_type"] = exc_type
    declared = got.get("x:error_class")
    if row["status"] != "error" and declared is not None and declared[1] in _APP_CLASSES:
        # the app declared a failed schema or a guardrail rejection on a call that itself succeeded
        row["error_class"] = declared[1]
        return
    if row["status"] != "error":
        row["error_class"] = "none"
        if declared is not None:
            _restore(rest, attrs, declared[2])
        return
    if declared is not None and declared[1] in ERROR_CLASSES and declared[1] != "none":
        row["error_class"] = declared[1]
        return
    if declared is not None:
        _restore(rest, attrs, declared[2])
    text = " ".join(t for t in (row["error_type"], exc_type, exc_msg) if t).lower()
    if "timeout" in text or "timed out" in text or "timedout" in text:
        row["error_class"] = "timeout"
    elif "cancel" in text:
        row["error_class"] = "cancelled"
    else:
        row["error_class"] = "api"


def finish_row(raw: RawSpan, row: dict[str, Any], got: Got, params: dict[str, Any], rest: dict[str, Any],
               fams: dict[str, Any] | None, content_slots: tuple[str, ...], aggregated_usage: bool,
               default_tenant: str) -> list[ContentRecord]:
    """Finish ``row`` (direct columns are already in it) from the collected slots; return content records."""
    attrs = raw.attributes
    row["trace_id"] = raw.trace_id
    row["span_id"] = raw.span_id
    row["parent_span_id"] = raw.parent_span_id or None
    row["name"] = raw.name
    start, end = raw.start_ns, raw.end_ns
    row["start_ns"] = start
    row["end_ns"] = end
    if type(start) is int and type(end) is int and end >= start:
        row["duration_ns"] = end - start
    row["status"] = _STATUS.get(raw.status_code, "unset")
    row["status_message"] = raw.status_message or None
    row["scope_name"] = raw.scope_name or None
    res = raw.resource
    if res:
        svc = _resource_fields(res)
        row["service_name"], row["service_version"], row["environment"] = svc[1], svc[2], svc[3]
        row["resource_attributes"] = svc[5]
        if row["tenant"] is None:
            row["tenant"] = svc[4] or default_tenant
    elif row["tenant"] is None:
        row["tenant"] = default_tenant

    unused: list[str] = []
    kind, op = _kind(row, got, fams, unused)
    row["kind"] = kind
    if row["operation"] is None:
        row["operation"] = op
    if row["provider"] is None:
        _provider(row, got)
    if "x:invocation_params" in got:
        _invocation_params(row, got, params, rest, attrs)
    model = got.get("x:oi_model")  # OpenInference's model name is the response's; the request's if none
    if model is not None:
        if row["response_model"] is None:
            row["response_model"] = model[1]
        if row["request_model"] is None:
            row["request_model"] = model[1]
    row["request_params"] = params or None

    aggregated = False
    if kind in _USAGE_KINDS:
        _tokens(row, got, rest, attrs)
    elif not _TOKEN_SET.isdisjoint(got):
        for col in _TOKEN_COLS:
            if row[col] is not None:
                row[col] = None
                _restore(rest, attrs, got[col][2])
                aggregated = True
    if "x:cost_prompt" in got or "x:cost_completion" in got:
        parts = [got[n] for n in ("x:cost_prompt", "x:cost_completion") if n in got]
        for _, _, key in parts:
            _restore(rest, attrs, key)  # the breakdown has no column: kept
        if row["cost_usd"] is None:
            row["cost_usd"] = sum(v for _, v, _ in parts)
    if row["cost_usd"] is not None:
        if kind in _AGGREGATING_KINDS:  # a sum over children: keep it out of the column
            if "cost_usd" in got:
                _restore(rest, attrs, got["cost_usd"][2])
            row["cost_usd"] = None
            aggregated = True
        else:
            row["cost_source"] = "reported"

    entity = got.get("x:entity_name")
    if entity is not None:
        if kind == "tool" and row["tool_name"] is None:
            row["tool_name"] = entity[1]
        elif kind == "agent" and row["agent_name"] is None:
            row["agent_name"] = entity[1]
        else:
            unused.append(entity[2])
    meta = got.get("x:metadata")
    if meta is not None:
        rest[meta[2]] = jsonable(meta[1])
    for key in unused:
        _restore(rest, attrs, key)

    if raw.events:
        records, row["events"], exc = split_span_events(raw.events, raw.trace_id, raw.span_id)
        _errors(row, got, exc, rest, attrs)
    else:
        records = _NO_RECORDS
        if row["status"] == "error" or "x:error_class" in got:
            _errors(row, got, None, rest, attrs)
        else:
            row["error_class"] = "none"

    if raw.links:
        row["links"] = span_links(raw.links)
    if raw.dropped_links:
        rest[a.APP_LINKS_DROPPED] = raw.dropped_links
    row["usage_aggregated"] = aggregated or aggregated_usage
    if not content_slots and not fams and not records:
        return []
    return span_content(raw, row, got, content_slots, rest, fams, records)


def span_links(links: list[RawLink]) -> list[dict[str, Any]]:
    """The ``links`` column: hex ids, JSON-safe attributes, the W3C trace state only when one was sent."""
    out = []
    for link in links:
        item: dict[str, Any] = {"trace_id": link.trace_id, "span_id": link.span_id,
                                "attributes": jsonable(link.attributes)}
        if link.trace_state:
            item["trace_state"] = link.trace_state
        out.append(item)
    return out
