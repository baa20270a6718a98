"""Any LLM attribute convention → one canonical row plus content records.

Every convention module contributes a key table ``key → (slot, priority,
converter, convention bit)``; they are merged once, at import, into one dict.
An instrumentation emits the same attribute keys span after span, so the work
that depends only on the keys — which slot each key fills, which of two
conventions wins a slot, how flattened ``prefix.N.field`` keys group into
lists, which keys go straight to ``attributes`` — is done once per key shape
and cached as a :class:`_Plan` (bounded; a flood of new shapes empties it and
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

from genlens.semconv import genlens_ctx, openinference, openllmetry, otel_genai
from genlens.semconv._convert import (
    C_GENLENS,
    C_OPENINFERENCE,
    C_OPENLLMETRY,
    C_OTEL,
    MAX_COUNT,
    as_bool,
    as_count,
    as_float,
    as_nonneg_float,
    as_str,
    jsonable,
    present,
)
from genlens.semconv._finish import finish_row
from genlens.semconv._flat import layout, materialize
from genlens.semconv.canonical import COLUMN_NAMES
from genlens.semconv.model import ContentRecord, RawLog, RawSpan
from genlens.semconv.otel_events import logs_to_content

__all__ = ["content_from_logs", "normalize_span", "stats"]

Spec = tuple[str, int, int, Any, int, int]
_STR, _COUNT, _ANY, _KEEP, _CALL, _FLOAT, _NNFLOAT, _BOOL = range(8)
_FLOAT_MAX = 1.7976931348623157e308
# Where a slot's value goes: a column; a column whose source key later stages need (``got``);
# request_params; or ``got`` only (kind hints, content, convention-specific inputs).
_COLUMN, _TRACKED, _PARAM, _OTHER = range(4)
_COLUMNS = frozenset(COLUMN_NAMES)
_TRACKED_COLUMNS = frozenset(("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                              "reasoning_tokens", "total_tokens", "cost_usd"))
_CODES = {as_str: _STR, as_count: _COUNT, present: _ANY, None: _KEEP, as_float: _FLOAT,
          as_nonneg_float: _NNFLOAT, as_bool: _BOOL}


def _merge_tables() -> dict[str, Spec]:
    table: dict[str, Spec] = {}
    for mod in (genlens_ctx, otel_genai, openinference, openllmetry):
        for key, slot, prio, conv, bit in mod.KEYS:
            if key in table:
                raise RuntimeError(f"attribute {key!r} mapped twice")
            if slot in _COLUMNS:
                dest = _TRACKED if slot in _TRACKED_COLUMNS else _COLUMN
            else:
                dest = _PARAM if slot and slot[:2] == "p:" else _OTHER
            table[key] = (slot or "", prio, _CODES.get(conv, _CALL), conv, bit, dest)
    return table


KEYMAP: dict[str, Spec] = _merge_tables()

# Flattened families: prefix → (parser, convention bit).  ``gen_ai.aggregated_usage.``
# is not content: it only flags the span's usage as aggregated.
AGGREGATED_USAGE = "gen_ai.aggregated_usage."
FAMILIES: dict[str, tuple[Any, int, Any]] = {
    **{p: (openinference.parse_family, C_OPENINFERENCE, openinference.nested_prefixes) for p in openinference.FAMILIES},
    **{p: (openllmetry.parse_family, C_OPENLLMETRY, openllmetry.nested_prefixes) for p in openllmetry.FAMILIES},
}
_MAX_FAMILY_DOTS = max(p.count(".") for p in FAMILIES)


def _family_of(key: str) -> str | None:
    """The flattened family a key belongs to (its shortest matching prefix), if any; plan time only."""
    cut = -1
    for _ in range(_MAX_FAMILY_DOTS):
        cut = key.find(".", cut + 1)
        if cut < 0:
            return None
        if key[:cut + 1] in FAMILIES:
            return key[:cut + 1]
    return None
_INT64 = 1 << 63
_ROW_TEMPLATE: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
_SIMPLE_TYPES = frozenset((str, float, bool))  # ints may exceed int64: they take the jsonable path


def _keep(v: Any) -> Any:
    """A value for ``attributes``: JSON-safe (bytes, nested kvlists, ints beyond int64 converted)."""
    t = type(v)
    if t is str or t is float or t is bool or (t is int and -_INT64 <= v < _INT64):
        return v
    return jsonable(v)


class _Plan:
    """How to read one attribute-key shape; instrumentations repeat their shapes, so plans are cached.

    ``singles``: keys that are alone in their slot (the common case).  ``multi``:
    slots two conventions fill, candidates in priority order.  ``unknown``: keys
    that go straight to ``attributes``.  ``fams``: flattened families, their key
    parsing done here once (:func:`genlens.semconv._flat.layout`).
    """

    __slots__ = ("str_cols", "counts", "floats", "bools", "params", "anys", "singles", "multi", "unknown", "fams", "family_keys", "bits", "content", "aggregated")

    def __init__(self, keys: tuple[str, ...]) -> None:
        slots: dict[str, list[tuple[int, str, Spec]]] = {}
        unknown: list[str] = []
        fams: dict[str, list[tuple[str, str]]] = {}
        bits = 0
        self.aggregated = False
        for key in keys:
            spec = KEYMAP.get(key)
            if spec is not None:
                bits |= spec[4]
                slots.setdefault(spec[0] or key, []).append((spec[1], key, spec))
                continue
            prefix = _family_of(key)
            if prefix is not None:
                fams.setdefault(prefix, []).append((key, key[len(prefix):]))
                bits |= FAMILIES[prefix][1]
            else:
                unknown.append(key)
                self.aggregated = self.aggregated or key.startswith(AGGREGATED_USAGE)
        singles = []
        multi = []
        for slot, cands in slots.items():
            cands.sort(key=lambda c: c[0])
            steps = tuple((key, spec[2], spec[3], spec[5], spec[1]) for _, key, spec in cands)
            if len(steps) == 1:
                singles.append((slot, *steps[0]))
            else:
                multi.append((slot, steps))
        # The two commonest shapes get loops of their own: string columns, and token counts.
        self.str_cols = tuple((key, slot) for slot, key, code, _, dest, _ in singles
                              if code == _STR and dest == _COLUMN)
        self.counts = tuple((key, slot, prio) for slot, key, code, _, dest, prio in singles
                            if code == _COUNT and dest == _TRACKED)
        self.floats = tuple((key, slot, 0.0 if code == _NNFLOAT else -_FLOAT_MAX, conv)
                            for slot, key, code, conv, dest, _ in singles
                            if code in (_FLOAT, _NNFLOAT) and dest == _COLUMN)
        self.bools = tuple((key, slot) for slot, key, code, _, dest, _ in singles if code == _BOOL and dest == _COLUMN)
        self.params = tuple((key, slot[2:], conv) for slot, key, _, conv, dest, _ in singles if dest == _PARAM)
        self.anys = tuple((key, slot, prio) for slot, key, code, _, dest, prio in singles
                          if code == _ANY and dest == _OTHER)
        self.singles = tuple(x for x in singles if not ((x[2] == _STR and x[4] == _COLUMN)
                                                        or (x[2] == _COUNT and x[4] == _TRACKED)
                                                        or (x[2] in (_FLOAT, _NNFLOAT, _BOOL) and x[4] == _COLUMN)
                                                        or x[4] == _PARAM or (x[2] == _ANY and x[4] == _OTHER)))
        self.multi = tuple(multi)
        layouts = []
        for p, items in fams.items():
            template, bad = layout(items, FAMILIES[p][2](p))
            unknown.extend(bad)
            layouts.append((p, template))
        self.fams = tuple(layouts)
        bad_keys = set(unknown)
        self.family_keys = tuple(k for items in fams.values() for k, _ in items if k not in bad_keys)
        self.unknown = tuple(unknown)
        self.bits = bits
        self.content = tuple(slot for slot in slots if slot[:2] == "c:")


_PLANS: dict[tuple[str, ...], _Plan] = {}
_PLANS_MAX = 1024
_PLAN_MAX_KEYS = 256  # a span with more attributes than this is planned but not cached
_STATS = {"plan_cache_resets": 0, "uncached_plans": 0}


def _plan(keys: tuple[str, ...]) -> _Plan:
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _Plan(keys)
        if len(keys) > _PLAN_MAX_KEYS:
            _STATS["uncached_plans"] += 1
            return plan
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
            _STATS["plan_cache_resets"] += 1
        _PLANS[keys] = plan
    return plan


def stats() -> dict[str, int]:
    """Counters for /metrics: cached attribute shapes, how often a flood of new shapes emptied the
    cache, and how many oversized spans were planned without caching."""
    return {"plans_cached": len(_PLANS), **_STATS}


def _convert(val: Any, code: int, conv: Any) -> Any:
    t = type(val)
    if code == _STR:
        return val if t is str and val else None
    if code == _COUNT:
        return val if t is int and 0 <= val <= MAX_COUNT else conv(val)
    if code == _ANY:
        return val
    if code == _KEEP:
        return None
    return conv(val)


def normalize_span(raw: RawSpan, *, default_tenant: str = "default") -> tuple[dict[str, Any], list[ContentRecord]]:
    """One canonical row (keys == canonical.COLUMN_NAMES; json columns hold Python dict/list or None)
    plus the span's content records (messages, tool args/results, documents, raw input/output)."""
    attrs = raw.attributes if type(raw.attributes) is dict else {}
    plan = _plan(tuple(attrs))
    got: dict[str, tuple[int, Any, str]] = {}
    row = _ROW_TEMPLATE.copy()
    params: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, slot in plan.str_cols:
        val = attrs[key]
        if type(val) is str and val:
            row[slot] = val
        else:
            rest[key] = _keep(val)
    for key, slot, prio in plan.counts:
        val = attrs[key]
        if type(val) is not int or not 0 <= val <= MAX_COUNT:
            val = as_count(val)
            if val is None:
                rest[key] = _keep(attrs[key])
                continue
        row[slot] = val
        got[slot] = (prio, val, key)
    for key, slot, lo, conv in plan.floats:
        val = attrs[key]
        if type(val) is float and lo <= val <= _FLOAT_MAX:  # NaN fails every comparison
            row[slot] = val
        else:
            v = conv(val)
            if v is None:
                rest[key] = _keep(val)
            else:
                row[slot] = v
    for key, slot in plan.bools:
        val = attrs[key]
        if type(val) is bool:
            row[slot] = val
        else:
            v = as_bool(val)
            if v is None:
                rest[key] = _keep(val)
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
                rest[key] = _keep(val)
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
        if code == _STR:
            v = val if t is str and val else None
        elif code == _COUNT:
            v = val if t is int and 0 <= val <= MAX_COUNT else conv(val)
        elif code == _ANY:
            v = val
        elif code == _KEEP:
            v = None
        else:
            v = conv(val)
        if v is None:
            rest[key] = val if t is str or t is float or t is bool else _keep(val)
        elif dest == _COLUMN:
            row[slot] = v
        elif dest == _TRACKED:
            row[slot] = v
            got[slot] = (prio, v, key)
        elif dest == _PARAM:
            params[slot[2:]] = v
        else:
            got[slot] = (prio, v, key)
    for slot, steps in plan.multi:
        win = None
        for key, code, conv, dest, prio in steps:
            val = attrs[key]
            v = _convert(val, code, conv)
            if v is None:
                rest[key] = _keep(val)
            elif win is None:
                win = v
                got[slot] = (prio, v, key)
                if dest == _COLUMN or dest == _TRACKED:
                    row[slot] = v
                elif dest == _PARAM:
                    params[slot[2:]] = v
            elif slot[0] != "c" and v != win:
                # A duplicate that agrees is dropped; one that disagrees is kept.  Content
                # duplicates are never kept: content must not leak into the skeleton.
                rest[key] = _keep(val)
    for key in plan.unknown:
        val = attrs[key]
        t = type(val)
        rest[key] = val if t is str or t is float or t is bool else _keep(val)
    fams = None
    if plan.fams:
        src = attrs
        if not _SIMPLE_TYPES.issuperset(map(type, map(attrs.__getitem__, plan.family_keys))):
            src = {k: jsonable(attrs[k]) for k in plan.family_keys}  # bytes/kvlist leaves made JSON-safe
        fams = {p: materialize(template, src) for p, template in plan.fams}
    records = finish_row(raw, row, got, params, rest, fams, plan.content, plan.aggregated, default_tenant)
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
