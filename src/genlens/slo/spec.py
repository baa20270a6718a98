"""SLOs as code: three input shapes, one model.

Accepted shapes (a file, or the settings' ``slos`` section, may hold any of them):

* **genlens / the field guides' SLO.yaml** — a list under ``slos`` of
  ``{name, service?, sli: {type, threshold?}, where?: {feature|model|provider|tenant|service: value},
  objective, window?}`` where ``type`` is ``availability`` (API success), ``ttft`` / ``latency``
  (under ``threshold`` seconds) or ``cost`` (under ``threshold`` dollars per call); ``objective`` is a
  ratio (0.995) or a percent (99.5).  Or ``sli: {good|bad: PREDICATE, total: PREDICATE}`` over spans.
* **Sloth's ``prometheus/v1``** — ``version: prometheus/v1``, ``service``, ``slos[]`` with ``objective``
  in percent and ``sli.events{error_query, total_query}``.  A query holding ``{{.window}}`` is PromQL
  (exported unchanged, computed only by Prometheus); any other text is a span predicate, which genlens
  computes itself and exports when it has a metric equivalent.
* **OpenSLO v1 ``kind: SLO``** (a documented subset) — ``metadata.name``, ``spec.service``,
  ``spec.indicator.spec.ratioMetric{counter: true, good|bad, total}`` whose ``metricSource`` is
  ``{type: genlens, spec: {query: PREDICATE}}`` (or ``{type: prometheus, spec: {query: PROMQL}}``),
  ``spec.timeWindow[0]{duration, isRolling: true}``, ``spec.budgetingMethod: Occurrences`` and
  ``spec.objectives[0].target``.  OpenSLO gives an alert condition one lookback window, so the
  multi-window pairs are generated, not read.

A **span predicate** is ``field op value`` conditions joined by ``and``: ``kind in (llm, embedding) and
status = error``; fields are :data:`~genlens.store.queries.PREDICATE_FIELDS`, operators ``= != < <= > >=
in``/``not in``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genlens.errors import ConfigError
from genlens.store.queries import PREDICATE_FIELDS, Condition

SLI_TYPES = ("availability", "ttft", "latency", "cost")
SLICE_KEYS = ("feature", "model", "provider", "tenant", "service")
CALLS: tuple[Condition, ...] = (Condition("kind", "in", ("llm", "embedding")),)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_TOKEN = re.compile(r"\s*(\(|\)|,|!=|<=|>=|=|<|>|\"[^\"]*\"|'[^']*'|[^\s(),=<>!\"']+)")


@dataclass(frozen=True)
class SLO:
    """One objective: what counts as a bad event among which, and how many may be bad."""

    service: str
    name: str
    objective: float  # the share of good events aimed for, in (0, 1)
    period_s: int = 30 * 86400
    total: tuple[Condition, ...] | None = None  # span predicates; None for a PromQL-only SLO
    bad: tuple[Condition, ...] | None = None
    sli_type: str | None = None  # availability | ttft | latency | cost, when given as one
    threshold: float | None = None
    where: tuple[tuple[str, str], ...] = ()
    error_query: str | None = None  # PromQL with {{.window}}, as a Sloth file gives it
    total_query: str | None = None
    description: str = ""
    labels: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"{self.service}-{self.name}"

    @property
    def computed_by_genlens(self) -> bool:
        return self.total is not None and self.bad is not None


def parse_predicate(text: str, where: str) -> tuple[Condition, ...]:
    """``kind = llm and ttft_s > 1`` → conditions; ``ConfigError`` naming ``where`` and the flaw."""
    tokens = _tokens(text, where)
    conditions: list[Condition] = []
    i = 0
    while i < len(tokens):
        if conditions:
            if tokens[i].lower() != "and":
                raise ConfigError(f"{where}: expected 'and' before {tokens[i]!r} in {text!r}")
            i += 1
        if i + 2 >= len(tokens) + 1 or i + 1 >= len(tokens):
            raise ConfigError(f"{where}: incomplete condition at the end of {text!r}")
        name, op = tokens[i], tokens[i + 1]
        i += 2
        if op.lower() == "not" and i < len(tokens) and tokens[i].lower() == "in":
            op, i = "not in", i + 1
        op = op.lower()
        if op in ("in", "not in"):
            values, i = _value_list(tokens, i, text, where)
            value: Any = tuple(_scalar(v, name) for v in values)
        else:
            if i >= len(tokens):
                raise ConfigError(f"{where}: condition {name} {op} has no value in {text!r}")
            value, i = _scalar(tokens[i], name), i + 1
        try:
            conditions.append(Condition(name, op, value))
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if PREDICATE_FIELDS[name][1] == "num" and not all(isinstance(v, float) for v in
                                                           (value if isinstance(value, tuple) else (value,))):
            raise ConfigError(f"{where}: {name} compares with numbers, got {value!r}")
    return tuple(conditions)


def _tokens(text: str, where: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: a span predicate must be non-empty text, got {text!r}")
    if len(text) > 2000:
        raise ConfigError(f"{where}: span predicate longer than 2000 characters")
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ConfigError(f"{where}: cannot read {text[pos:pos + 20]!r} in {text!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _value_list(tokens: list[str], i: int, text: str, where: str) -> tuple[list[str], int]:
    if i >= len(tokens) or tokens[i] != "(":
        raise ConfigError(f"{where}: 'in' needs a list like (a, b) in {text!r}")
    values: list[str] = []
    i += 1
    while i < len(tokens) and tokens[i] != ")":
        if tokens[i] != ",":
            values.append(tokens[i])
        i += 1
    if i >= len(tokens) or not values:
        raise ConfigError(f"{where}: unclosed or empty list in {text!r}")
    return values, i + 1


def _scalar(token: str, name: str) -> str | float:
    if token[:1] in "\"'" and token[-1:] == token[:1] and len(token) >= 2:
        return token[1:-1]
    if name in PREDICATE_FIELDS and PREDICATE_FIELDS[name][1] == "num":
        try:
            return float(token)
        except ValueError:
            return token
    return token


def _objective(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: objective must be a number like 0.995 or 99.5, got {value!r}")
    ratio = float(value) / 100 if value > 1 else float(value)
    if not 0 < ratio < 1:
        raise ConfigError(f"{where}: objective must be between 0 and 1 (or 0 and 100 %), got {value!r}")
    return ratio


def _period(value: Any, where: str) -> int:
    match = _DURATION.match(str(value).strip()) if value is not None else None
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(f"{where}: window must be a duration like 30d, 7d or 4w, got {value!r}")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not 3600 <= seconds <= 366 * 86400:
        raise ConfigError(f"{where}: window must be between 1h and 366d, got {value!r}")
    return seconds


def _name(value: Any, where: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(f"{where}: {what} must be 1-100 letters, digits, '_', '-' or '.', got {value!r}")
    return value


def _slice(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: 'where' must map {', '.join(SLICE_KEYS)} to a value")
    out = []
    for key, v in value.items():
        if key not in SLICE_KEYS:
            raise ConfigError(f"{where}: unknown slice {key!r} (one of: {', '.join(SLICE_KEYS)})")
        if not isinstance(v, str | int | float) or isinstance(v, bool) or str(v) == "":
            raise ConfigError(f"{where}: slice {key} needs a non-empty value, got {v!r}")
        out.append((str(key), str(v)))
    return tuple(sorted(out))


def typed_sli(sli_type: str, threshold: float | None,
              slice_: tuple[tuple[str, str], ...]) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
    """(total, bad) span predicates of a typed SLI over LLM and embedding calls."""
    total = CALLS + tuple(Condition(k, "=", v) for k, v in slice_)
    if sli_type == "availability":
        return total, (Condition("status", "=", "error"),)
    assert threshold is not None
    column = {"ttft": "ttft_s", "latency": "duration_s", "cost": "cost_usd"}[sli_type]
    return total + (Condition(column, ">=", 0.0),), (Condition(column, ">", threshold),)


def _genlens_slo(entry: Mapping[str, Any], where: str, default_service: str) -> SLO:
    _only(entry, {"name", "service", "sli", "where", "objective", "window", "description", "labels"}, where)
    name = _name(entry.get("name"), where, "name")
    service = _name(entry.get("service", default_service), where, "service")
    objective = _objective(entry.get("objective"), where)
    period = _period(entry.get("window", "30d"), where)
    slice_ = _slice(entry.get("where"), where)
    sli = entry.get("sli")
    if not isinstance(sli, Mapping):
        raise ConfigError(f"{where}: 'sli' must be a mapping like {{type: ttft, threshold: 1.0}}")
    common: dict[str, Any] = {"service": service, "name": name, "objective": objective, "period_s": period,
                              "where": slice_, "description": str(entry.get("description", ""))[:500],
                              "labels": _labels(entry.get("labels"), where)}
    if "type" in sli:
        _only(sli, {"type", "threshold"}, f"{where}.sli")
        kind = sli["type"]
        if kind not in SLI_TYPES:
            raise ConfigError(f"{where}.sli: unknown type {kind!r} (one of: {', '.join(SLI_TYPES)})")
        threshold = sli.get("threshold")
        if kind != "availability":
            if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not threshold > 0:
                raise ConfigError(f"{where}.sli: {kind} needs a positive threshold, got {threshold!r}")
            threshold = float(threshold)
        elif threshold is not None:
            raise ConfigError(f"{where}.sli: availability takes no threshold")
        total, bad = typed_sli(kind, threshold, slice_)
        return SLO(**common, total=total, bad=bad, sli_type=kind, threshold=threshold)
    _only(sli, {"good", "bad", "total"}, f"{where}.sli")
    if ("good" in sli) == ("bad" in sli) or "total" not in sli:
        raise ConfigError(f"{where}.sli: give total and exactly one of good or bad (span predicates)")
    total = parse_predicate(sli["total"], f"{where}.sli.total") + tuple(Condition(k, "=", v) for k, v in slice_)
    if "bad" in sli:
        return SLO(**common, total=total, bad=parse_predicate(sli["bad"], f"{where}.sli.bad"))
    return SLO(**common, total=total, bad=_negate(parse_predicate(sli["good"], f"{where}.sli.good"), where))


_NEGATION = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in", "not in": "in"}


def _negate(good: tuple[Condition, ...], where: str) -> tuple[Condition, ...]:
    """A bad predicate from a good one of a single condition (a conjunction's negation is no conjunction)."""
    if len(good) != 1:
        raise ConfigError(f"{where}.sli.good: give one condition, or the bad events instead")
    c = good[0]
    return (Condition(c.field, _NEGATION[c.op], c.value),)


def _labels(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and re.match(r"^[a-zA-Z_]\w*$", k)
                                                 for k in value):
        raise ConfigError(f"{where}: labels must map label names to values")
    return tuple(sorted((k, str(v)) for k, v in value.items()))


def _only(mapping: Mapping[str, Any], keys: set[str], where: str) -> None:
    unknown = set(mapping) - keys
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(map(str, unknown))} (known: {sorted(keys)})")


def _sloth(doc: Mapping[str, Any], label: str) -> list[SLO]:
    _only(doc, {"version", "service", "labels", "slos"}, label)
    service = _name(doc.get("service"), label, "service")
    labels = _labels(doc.get("labels"), label)
    slos = doc.get("slos")
    if not isinstance(slos, list) or not slos:
        raise ConfigError(f"{label}: 'slos' must be a non-empty list")
    out = []
    for i, entry in enumerate(slos):
        where = f"{label} slos[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: must be a mapping")
        _only(entry, {"name", "objective", "description", "labels", "sli", "alerting"}, where)
        events = entry.get("sli", {}).get("events") if isinstance(entry.get("sli"), Mapping) else None
        if not isinstance(events, Mapping) or set(events) != {"error_query", "total_query"}:
            raise ConfigError(f"{where}: sli must be events{{error_query, total_query}} (raw and plugin SLIs "
                              "are not supported)")
        common: dict[str, Any] = {"service": service, "name": _name(entry.get("name"), where, "name"),
                                  "objective": _objective(entry.get("objective"), where),
                                  "description": str(entry.get("description", ""))[:500],
                                  "labels": labels + _labels(entry.get("labels"), where)}
        error_q, total_q = events["error_query"], events["total_query"]
        if not isinstance(error_q, str) or not isinstance(total_q, str):
            raise ConfigError(f"{where}: error_query and total_query must be text")
        if "{{.window}}" in error_q or "{{.window}}" in total_q:
            if "{{.window}}" not in error_q or "{{.window}}" not in total_q:
                raise ConfigError(f"{where}: both queries must be PromQL with {{{{.window}}}}, or both span "
                                  "predicates")
            out.append(SLO(**common, error_query=error_q.strip(), total_query=total_q.strip()))
        else:
            total = parse_predicate(total_q, f"{where}.total_query")
            out.append(SLO(**common, total=total, bad=parse_predicate(error_q, f"{where}.error_query")))
    return out


def _openslo(doc: Mapping[str, Any], label: str) -> SLO:
    meta = doc.get("metadata")
    spec = doc.get("spec")
    if not isinstance(meta, Mapping) or not isinstance(spec, Mapping):
        raise ConfigError(f"{label}: an OpenSLO SLO needs metadata and spec")
    name = _name(meta.get("name"), label, "metadata.name")
    service = _name(spec.get("service"), label, "spec.service")
    if spec.get("budgetingMethod", "Occurrences") != "Occurrences":
        raise ConfigError(f"{label}: only budgetingMethod Occurrences is supported")
    windows = spec.get("timeWindow") or [{"duration": "30d", "isRolling": True}]
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], Mapping) \
            or windows[0].get("isRolling") is not True:
        raise ConfigError(f"{label}: timeWindow must be one rolling window")
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1 or not isinstance(objectives[0], Mapping):
        raise ConfigError(f"{label}: objectives must hold exactly one objective")
    target = objectives[0].get("target", objectives[0].get("targetPercent"))
    indicator = spec.get("indicator", {})
    ratio = indicator.get("spec", {}).get("ratioMetric") if isinstance(indicator, Mapping) else None
    if not isinstance(ratio, Mapping) or "total" not in ratio or ("good" in ratio) == ("bad" in ratio):
        raise ConfigError(f"{label}: the indicator must be a ratioMetric with total and good or bad")
    common: dict[str, Any] = {"service": service, "name": name, "objective": _objective(target, label),
                              "period_s": _period(windows[0].get("duration"), label),
                              "description": str(spec.get("description", ""))[:500],
                              "labels": _labels(meta.get("labels"), label)}
    sources = {k: _source(ratio[k], f"{label} ratioMetric.{k}") for k in ("good", "bad", "total") if k in ratio}
    kinds = {kind for kind, _ in sources.values()}
    if len(kinds) != 1:
        raise ConfigError(f"{label}: the ratioMetric's sources must all be genlens or all prometheus")
    if kinds == {"prometheus"}:
        total_q = sources["total"][1]
        error_q = sources["bad"][1] if "bad" in sources else f"({total_q}) - ({sources['good'][1]})"
        return SLO(**common, error_query=error_q, total_query=total_q)
    total = parse_predicate(sources["total"][1], f"{label} total")
    if "bad" in sources:
        return SLO(**common, total=total, bad=parse_predicate(sources["bad"][1], f"{label} bad"))
    return SLO(**common, total=total, bad=_negate(parse_predicate(sources["good"][1], f"{label} good"), label))


def _source(value: Any, where: str) -> tuple[str, str]:
    source = value.get("metricSource") if isinstance(value, Mapping) else None
    kind = str(source.get("type", "")).lower() if isinstance(source, Mapping) else ""
    query = source.get("spec", {}).get("query") if isinstance(source, Mapping) else None
    if kind not in ("genlens", "prometheus") or not isinstance(query, str):
        raise ConfigError(f"{where}: metricSource must be {{type: genlens|prometheus, spec: {{query: …}}}}")
    return kind, query


def parse_documents(docs: list[Any], label: str, default_service: str = "genlens") -> list[SLO]:
    """Every SLO in YAML documents of any of the three shapes; ids must be unique."""
    out: list[SLO] = []
    for n, doc in enumerate(docs):
        where = f"{label} (document {n + 1})" if len(docs) > 1 else label
        if doc is None:
            continue
        if isinstance(doc, list):
            doc = {"slos": doc}
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{where}: expected a mapping of SLOs")
        if doc.get("version") == "prometheus/v1":
            out.extend(_sloth(doc, where))
        elif str(doc.get("apiVersion", "")).startswith("openslo/") and doc.get("kind") == "SLO":
            out.append(_openslo(doc, where))
        elif "slos" in doc:
            _only(doc, {"slos", "service"}, where)
            entries = doc["slos"]
            if not isinstance(entries, list):
                raise ConfigError(f"{where}: 'slos' must be a list")
            service = doc.get("service", default_service)
            for i, entry in enumerate(entries):
                if not isinstance(entry, Mapping):
                    raise ConfigError(f"{where} slos[{i}]: must be a mapping")
                out.append(_genlens_slo(entry, f"{where} slos[{i}]", str(service)))
        else:
            raise ConfigError(f"{where}: not an SLO document (genlens 'slos:', Sloth 'version: prometheus/v1' "
                              "or OpenSLO 'kind: SLO')")
    seen: set[str] = set()
    for slo in out:
        if slo.id in seen:
            raise ConfigError(f"{label}: SLO {slo.id!r} is defined twice")
        seen.add(slo.id)
    return out


def load_file(path: str) -> list[SLO]:
    """SLOs from a YAML file of one or more documents."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            docs = list(yaml.safe_load_all(fh))
    except OSError as exc:
        raise ConfigError(f"SLO file {path!r}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"SLO file {path!r} is not valid YAML: {exc}") from None
    slos = parse_documents(docs, f"SLO file {path!r}")
    if not slos:
        raise ConfigError(f"SLO file {path!r} holds no SLO")
    return slos
