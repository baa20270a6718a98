"""Read plans: the part of normalization that depends only on a span's attribute keys.

An instrumentation emits the same keys span after span.  Which slot each key
fills, which of two conventions wins a slot, how flattened ``prefix.N.field``
keys group into lists, and which keys go straight to ``attributes`` is worked
out once per key shape and cached here (bounded: a flood of new shapes empties
the cache and is counted; spans with very many attributes are not cached).
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import genlens_ctx, openinference, openllmetry, otel_genai
from genlens.semconv._convert import (
    C_OPENINFERENCE,
    C_OPENLLMETRY,
    as_bool,
    as_count,
    as_float,
    as_nonneg_float,
    as_str,
    jsonable,
    present,
)
from genlens.semconv._flat import layout
from genlens.semconv.canonical import COLUMN_NAMES

Spec = tuple[str, int, int, Any, int, int]
CODE_STR, CODE_COUNT, CODE_ANY, CODE_KEEP, CODE_CALL, CODE_FLOAT, CODE_NNFLOAT, CODE_BOOL = range(8)
FLOAT_MAX = 1.7976931348623157e308
# Where a slot's value goes: a column; a column whose source key later stages need (``got``);
# request_params; or ``got`` only (kind hints, content, convention-specific inputs).
TO_COLUMN, TO_TRACKED, TO_PARAM, TO_OTHER = range(4)
COLUMNS = frozenset(COLUMN_NAMES)
TRACKED_COLUMNS = frozenset(("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                             "reasoning_tokens", "total_tokens", "cost_usd"))
CODES = {as_str: CODE_STR, as_count: CODE_COUNT, present: CODE_ANY, None: CODE_KEEP, as_float: CODE_FLOAT,
         as_nonneg_float: CODE_NNFLOAT, as_bool: CODE_BOOL}


def merge_tables() -> dict[str, Spec]:
    table: dict[str, Spec] = {}
    for mod in (genlens_ctx, otel_genai, openinference, openllmetry):
        for key, slot, prio, conv, bit in mod.KEYS:
            if key in table:
                raise RuntimeError(f"attribute {key!r} mapped twice")
            if slot in COLUMNS:
                dest = TO_TRACKED if slot in TRACKED_COLUMNS else TO_COLUMN
            else:
                dest = TO_PARAM if slot and slot[:2] == "p:" else TO_OTHER
            table[key] = (slot or "", prio, CODES.get(conv, CODE_CALL), conv, bit, dest)
    return table


KEYMAP: dict[str, Spec] = merge_tables()

# Flattened families: prefix → (parser, convention bit).  ``gen_ai.aggregated_usage.``
# is not content: it only flags the span's usage as aggregated.
AGGREGATED_USAGE = "gen_ai.aggregated_usage."
FAMILIES: dict[str, tuple[Any, int, Any]] = {
    **{p: (openinference.parse_family, C_OPENINFERENCE, openinference.nested_prefixes) for p in openinference.FAMILIES},
    **{p: (openllmetry.parse_family, C_OPENLLMETRY, openllmetry.nested_prefixes) for p in openllmetry.FAMILIES},
}
MAX_FAMILY_DOTS = max(p.count(".") for p in FAMILIES)


def family_of(key: str) -> str | None:
    """The flattened family a key belongs to (its shortest matching prefix), if any; plan time only."""
    cut = -1
    for _ in range(MAX_FAMILY_DOTS):
        cut = key.find(".", cut + 1)
        if cut < 0:
            return None
        if key[:cut + 1] in FAMILIES:
            return key[:cut + 1]
    return None
INT64 = 1 << 63
ROW_TEMPLATE: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
SIMPLE_TYPES = frozenset((str, float, bool))  # ints may exceed int64: they take the jsonable path


def keep(v: Any) -> Any:
    """A value for ``attributes``: JSON-safe (bytes, nested kvlists, ints beyond int64 converted)."""
    t = type(v)
    if t is str or t is float or t is bool or (t is int and -INT64 <= v < INT64):
        return v
    return jsonable(v)


def _has_own_loop(code: int, dest: int) -> bool:
    """Single-candidate slots that :func:`normalize_span` reads in a specialised loop."""
    return ((code == CODE_STR and dest == TO_COLUMN) or (code == CODE_COUNT and dest == TO_TRACKED)
            or (code in (CODE_FLOAT, CODE_NNFLOAT, CODE_BOOL) and dest == TO_COLUMN)
            or dest == TO_PARAM or (code == CODE_ANY and dest == TO_OTHER))


class Plan:
    """How to read one attribute-key shape; instrumentations repeat their shapes, so plans are cached.

    ``singles``: keys that are alone in their slot (the common case).  ``multi``:
    slots two conventions fill, candidates in priority order.  ``unknown``: keys
    that go straight to ``attributes``.  ``fams``: flattened families, their key
    parsing done here once (:func:`genlens.semconv._flat.layout`).
    """

    __slots__ = ("str_cols", "counts", "floats", "bools", "params", "anys", "singles", "multi", "unknown",
                 "fams", "family_keys", "bits", "content", "aggregated")

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
            prefix = family_of(key)
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
        # The commonest shapes get loops of their own (see normalize_span): string columns, token
        # counts, floats, bools, request parameters, content; the rest goes through ``singles``.
        self.str_cols = tuple((key, slot) for slot, key, code, _, dest, _ in singles
                              if code == CODE_STR and dest == TO_COLUMN)
        self.counts = tuple((key, slot, prio) for slot, key, code, _, dest, prio in singles
                            if code == CODE_COUNT and dest == TO_TRACKED)
        self.floats = tuple((key, slot, 0.0 if code == CODE_NNFLOAT else -FLOAT_MAX, conv)
                            for slot, key, code, conv, dest, _ in singles
                            if code in (CODE_FLOAT, CODE_NNFLOAT) and dest == TO_COLUMN)
        self.bools = tuple((key, slot) for slot, key, code, _, dest, _ in singles if code == CODE_BOOL and dest == TO_COLUMN)
        self.params = tuple((key, slot[2:], conv) for slot, key, _, conv, dest, _ in singles if dest == TO_PARAM)
        self.anys = tuple((key, slot, prio) for slot, key, code, _, dest, prio in singles
                          if code == CODE_ANY and dest == TO_OTHER)
        self.singles = tuple(x for x in singles if not _has_own_loop(x[2], x[4]))
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


PLANS: dict[tuple[str, ...], Plan] = {}
PLANS_MAX = 1024
PLAN_MAX_KEYS = 256  # a span with more attributes than this is planned but not cached
STATS = {"plan_cache_resets": 0, "uncached_plans": 0}


def plan_for(keys: tuple[str, ...]) -> Plan:
    plan = PLANS.get(keys)
    if plan is None:
        plan = Plan(keys)
        if len(keys) > PLAN_MAX_KEYS:
            STATS["uncached_plans"] += 1
            return plan
        if len(PLANS) >= PLANS_MAX:
            PLANS.clear()
            STATS["plan_cache_resets"] += 1
        PLANS[keys] = plan
    return plan
