"""A fixed workload for the erasure tests (store, REST, CLI, crash): users' traces in two tenants, with the
content, scores, logs, findings and alert events that hang off them, and what an erasure must find — counted
here in plain Python from the rows written, never by the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genlens.semconv.canonical import empty_row
from genlens.store.base import WriteBatch
from genlens.store.queries import ALL_TENANTS, TOKEN_FIELDS
from genlens.timeparse import NS_PER_HOUR
from tests.store.test_cost_groups import T0

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
USERS = (ALICE, BOB, CAROL)
TENANTS = ("acme", "globex")
SHARED = 3  # trace 3 (globex) is alice's and holds one span of bob's: erasing either removes it whole


@dataclass
class Workload:
    spans: list[dict[str, Any]] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    alert_events: list[dict[str, Any]] = field(default_factory=list)
    content_pending: list[dict[str, Any]] = field(default_factory=list)

    def batches(self) -> list[WriteBatch]:
        """All spans in one batch (one trace-summary row per tenant and trace), the rest in another."""
        return [WriteBatch(spans=[dict(s) for s in self.spans]),
                WriteBatch(content=self.content, scores=self.scores, logs=self.logs, findings=self.findings,
                           alert_events=self.alert_events, content_pending=self.content_pending)]


def trace_id(i: int) -> str:
    return f"{0xE0 + i:032x}"


def _span(i: int, j: int, tenant: str, user: str | None, conversation: str | None, start: int) -> dict[str, Any]:
    row = empty_row()
    llm = user is not None
    row.update(tenant=tenant, trace_id=trace_id(i), span_id=f"{i * 16 + j:016x}", parent_span_id=None if j == 0
               else f"{i * 16:016x}", name="chat" if llm else "turn", kind="llm" if llm else "workflow",
               start_ns=start, end_ns=start + 2 * 10**8, duration_ns=2 * 10**8, status="ok" if j % 3 else "error",
               service_name="api", environment="prod", feature="chat", provider="openai", request_model="m1",
               user_id=user, conversation_id=conversation, cost_usd=0.001 * (i + j) if llm else None,
               content_sampled=True if llm else None,
               **{c: (100 + i + j if llm else None) for c in TOKEN_FIELDS})
    return row


def workload(traces: int = 60) -> Workload:
    """``traces`` traces (half per tenant), users taking turns; each a root span and two LLM calls of one user."""
    w = Workload()
    for i in range(traces):
        tenant, user = TENANTS[i % 2], USERS[i % 3]
        conversation = f"conv-{USERS.index(user)}-{i % 4}"
        start = T0 + (i * 29 * NS_PER_HOUR) // traces + 1234
        spans = [_span(i, 0, tenant, None, None, start)]
        spans += [_span(i, j, tenant, user, conversation, start + j * 10**9) for j in (1, 2)]
        if i == SHARED:
            spans.append(_span(i, 3, tenant, BOB, "conv-shared", start + 3 * 10**9))
        w.spans += spans
        for s in spans[1:]:
            w.content.append({"tenant": tenant, "trace_id": s["trace_id"], "span_id": s["span_id"],
                              "time_ns": s["start_ns"], "kind": "input_messages", "source": "test",
                              "data": [{"role": "user", "parts": [{"type": "text", "content": f"hi from {user}"}]}]})
        w.content_pending.append({"tenant": tenant, "trace_id": trace_id(i), "received_ns": start, "content_rows": 2,
                                  "root": True, "error_classes": [], "over_budget": False})
        if i % 2 == 0:
            w.scores.append({"tenant": tenant, "trace_id": trace_id(i), "span_id": spans[1]["span_id"],
                             "time_ns": start, "name": "thumbs", "source": "user", "thumbs": "up", "value": 1.0,
                             "comment": None, "signal": None, "attributes": None})
        if i % 3 != 1:
            w.logs.append(_log(tenant, start, trace_id(i)))
    w.logs += [_log(t, T0 + 5, None) for t in TENANTS]
    alice_acme = traces_of(w, ALICE, "acme")
    w.findings = [
        _finding("f-runaway", "runaway_conversation", "acme", "conv-0-0", alice_acme[:3]),
        _finding("f-spend", "spend_anomaly", "acme", None, [alice_acme[0], traces_of(w, BOB, "acme")[0]]),
        _finding("f-bob", "spend_anomaly", "globex", None, traces_of(w, BOB, "globex")[:2]),
    ]
    w.alert_events = [
        {"at_ns": T0 + 60, "status": "firing", "fingerprint": "fp1", "name": "LLMErrorBurst", "severity": "page",
         "labels": {"provider": "openai"}, "summary": "errors", "annotations": {},
         "example_trace_ids": [alice_acme[1], traces_of(w, CAROL, ALL_TENANTS)[0]], "starts_ns": T0, "ends_ns": None},
    ]
    return w


def _log(tenant: str, time_ns: int, trace: str | None) -> dict[str, Any]:
    return {"tenant": tenant, "time_ns": time_ns, "trace_id": trace, "span_id": None, "service_name": "api",
            "severity_text": "INFO", "event_name": None, "body": "hello", "attributes": None,
            "resource_attributes": None}


def _finding(fid: str, kind: str, tenant: str, conversation: str | None, examples: list[str]) -> dict[str, Any]:
    return {"id": fid, "kind": kind, "severity": "warning", "tenant": tenant, "feature": "chat", "prompt_sha": None,
            "conversation_id": conversation, "window_start_ns": T0, "window_end_ns": T0 + NS_PER_HOUR,
            "observed": 2.0, "baseline": 1.0, "ratio": 2.0, "unit": "usd", "example_trace_ids": examples,
            "first_detected_ns": T0, "detected_at_ns": T0, "details": {}}


def _in(tenant: str | None, scope: str) -> bool:
    return scope == ALL_TENANTS or tenant == scope


def traces_of(w: Workload, user: str, scope: str, kind: str = "user_id") -> list[str]:
    return sorted({s["trace_id"] for s in w.spans if s[kind] == user and _in(s["tenant"], scope)})


def expected(w: Workload, kind: str, value: str, scope: str) -> dict[str, int]:
    """Rows per table an erasure of ``kind = value`` within ``scope`` must find, and the traces it selects."""
    traces = set(traces_of(w, value, scope, kind)) if kind != "trace_id" else {value}
    spans = [s for s in w.spans if _in(s["tenant"], scope) and (s["trace_id"] in traces or s[kind] == value)]
    if kind == "conversation_id":
        conversations = {value}
    elif kind == "user_id":
        conversations = {s["conversation_id"] for s in spans if s["conversation_id"]}
    else:
        conversations = set()

    def of_traces(rows: list[dict[str, Any]]) -> int:
        return sum(1 for r in rows if _in(r["tenant"], scope) and r["trace_id"] in traces)

    return {
        "traces": len({s["trace_id"] for s in spans}),
        "spans": len(spans), "span_content": of_traces(w.content), "scores": of_traces(w.scores),
        "logs": of_traces(w.logs), "content_pending": of_traces(w.content_pending), "content_decisions": 0,
        "trace_summaries": len({(s["tenant"], s["trace_id"]) for s in w.spans
                                if _in(s["tenant"], scope) and s["trace_id"] in traces}),
        "findings": sum(1 for f in w.findings if _in(f["tenant"], scope) and (
            f["conversation_id"] in conversations or set(f["example_trace_ids"]) & traces)),
        "findings_deleted": sum(1 for f in w.findings if _in(f["tenant"], scope)
                                and f["conversation_id"] in conversations),
        "alert_events": sum(1 for e in w.alert_events if set(e["example_trace_ids"]) & traces),
    }


def spans_left(w: Workload, kind: str, value: str, scope: str) -> list[dict[str, Any]]:
    traces = set(traces_of(w, value, scope, kind)) if kind != "trace_id" else {value}
    return [s for s in w.spans if not (_in(s["tenant"], scope) and (s["trace_id"] in traces or s[kind] == value))]


def mentions(path: Path, text: str) -> dict[str, int]:
    """Rows of every table of a DuckDB file (opened read-only, by itself) whose text holds ``text``."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        counts = {t: con.execute(f"SELECT count(*) FROM {t} WHERE contains(CAST({t} AS VARCHAR), ?)",
                                 [text]).fetchone() for t in tables}
    finally:
        con.close()
    return {t: int(row[0]) if row else 0 for t, row in counts.items()}
