"""Erasure of one user's, conversation's or trace's data: what a request selects, how it is recorded and
resumed, and the receipt that shows it was done.

A request selects by exactly one of ``user_id``, ``conversation_id`` or ``trace_id``, optionally within one
tenant.  What goes is every trace the selection touches, whole: a span of the user places its whole trace
among the user's data, and content, scores and logs hang off trace ids.  So an erasure removes the spans,
content, scores, logs and trace summaries of those traces, derives the hourly rollups of the hours they
touched again from the spans left, deletes the findings keyed by their conversations and takes their ids out
of the example traces of other findings and of alert events (the backend's ``erase``).

**Crash safety.**  :func:`request_erasure` first records the request, pending, through the writer; then the
erasure runs in one transaction through the writer, re-counts every table for the request's traces inside
it (a row left fails the transaction), and marks the request done in that same transaction.  A process that
dies in between leaves the request pending with none of it applied, and the server resumes pending requests
when it starts (:func:`resume_pending`).  The selected id itself is kept only while the request is pending:
the done request, like every audit entry, holds a hash of it salted with the request id
(:func:`value_sha256`), which someone who knows the id can check and nobody can reverse by a lookup table.
"""

from __future__ import annotations

import hashlib
import logging
import time
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genlens.errors import BadRequest
from genlens.store.base import Maintenance
from genlens.store.queries import ALL_TENANTS
from genlens.store.writer import Writer
from genlens.timeparse import iso

log = logging.getLogger("genlens.erasure")

SELECTORS: tuple[str, ...] = ("user_id", "conversation_id", "trace_id")
MAX_VALUE_CHARS = 256
MAX_PURPOSE_CHARS = 500
PENDING, DONE = "pending", "done"
REQUESTED, ERASED = "erasure.requested", "erasure.done"  # audit actions
# Tables an erasure re-counts for the request's traces (every one must be 0 after), then the rollups, whose
# "remaining" is the calls they count in the touched hours beyond the spans stored there.
TIED_TABLES: tuple[str, ...] = (
    "spans", "span_content", "scores", "logs", "content_pending", "content_decisions", "trace_summaries",
    "findings", "alert_events",
)
ROLLUP_TABLES: tuple[str, ...] = ("cost_hourly", "latency_hourly")
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Selector:
    """Which data an erasure removes: the traces holding a span whose ``kind`` column equals ``value``."""

    kind: str
    value: str
    tenant: str = ALL_TENANTS  # one tenant, or every tenant

    def __post_init__(self) -> None:
        if self.kind not in SELECTORS:  # the kind is a column name in the backends' SQL
            raise ValueError(f"selector kind must be one of {', '.join(SELECTORS)}, not {self.kind!r}")


def check_text(what: str, value: Any, limit: int) -> str:
    """A user-given id or note: a non-empty string of at most ``limit`` characters without control characters."""
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise BadRequest(f"{what} is empty")
    if len(value) > limit:
        raise BadRequest(f"{what} is longer than {limit} characters ({len(value)})")
    bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise BadRequest(f"{what} holds a control character ({bad!r})")
    return value


def selector_of(given: Mapping[str, Any], tenant: Any = None) -> Selector:
    """The selector of exactly one of ``user_id``, ``conversation_id``, ``trace_id`` in ``given`` (None values
    count as absent) within ``tenant`` (None or ``*``: every tenant); BadRequest naming what is wrong."""
    named = [kind for kind in SELECTORS if given.get(kind) is not None]
    if not named:
        raise BadRequest(f"name one of {', '.join(SELECTORS)}")
    if len(named) > 1:
        raise BadRequest(f"name exactly one of {', '.join(SELECTORS)}, not {' and '.join(named)}")
    kind = named[0]
    value = check_text(kind, given[kind], MAX_VALUE_CHARS)
    if kind == "trace_id":
        value = value.strip().lower()
        if len(value) != 32 or not set(value) <= _HEX:
            raise BadRequest(f"trace_id must be 32 hex characters, got {value[:40]!r}")
    scope = ALL_TENANTS if tenant is None else check_text("tenant", tenant, MAX_VALUE_CHARS)
    return Selector(kind, value, scope)


def value_sha256(request_id: str, kind: str, value: str) -> str:
    """The hash that stands for a selected id once the request is done, salted with the request id."""
    return hashlib.sha256(f"{request_id}\x00{kind}\x00{value}".encode()).hexdigest()


def new_request(selector: Selector, purpose: str | None, actor: str, now_ns: int) -> dict[str, Any]:
    """The ``erasure_requests`` row of a new, pending request."""
    if purpose is not None:
        purpose = check_text("purpose", purpose, MAX_PURPOSE_CHARS)
    request_id = uuid.uuid4().hex
    return {
        "id": request_id, "selector": selector.kind, "value": selector.value,
        "value_sha256": value_sha256(request_id, selector.kind, selector.value),
        "tenant": None if selector.tenant == ALL_TENANTS else selector.tenant, "purpose": purpose,
        "actor": actor, "requested_ns": now_ns, "status": PENDING, "done_ns": None, "receipt": None,
    }


def selector_of_request(request: Mapping[str, Any]) -> Selector:
    """The selector a stored pending request was made with."""
    return Selector(request["selector"], request["value"], request["tenant"] or ALL_TENANTS)


def _entry(request: Mapping[str, Any], action: str, at_ns: int, **details: Any) -> dict[str, Any]:
    return {
        "at_ns": at_ns, "actor": request["actor"], "action": action, "tenant": request["tenant"],
        "target": f"{request['selector']}:{request['value_sha256']}", "purpose": request["purpose"],
        "details": {"request_id": request["id"], "selector": request["selector"],
                    "value_sha256": request["value_sha256"], **details},
    }


def requested_entry(request: Mapping[str, Any]) -> dict[str, Any]:
    """The audit entry written with a new request."""
    return _entry(request, REQUESTED, request["requested_ns"])


def done_entry(request: Mapping[str, Any], receipt: Mapping[str, Any]) -> dict[str, Any]:
    """The audit entry written in the erasure's transaction: what it deleted per table."""
    deleted = {table: counts["deleted"] for table, counts in receipt["tables"].items()}
    return _entry(request, ERASED, receipt["completed_ns"], traces=receipt["traces"], deleted=deleted)


def receipt(request: Mapping[str, Any], traces: int, tables: dict[str, dict[str, int]],
            completed_ns: int) -> dict[str, Any]:
    """What an erasure found, deleted and left per table (``remaining`` is their sum and must be 0);
    ``traces`` counts the traces it found spans of."""
    return {
        "request_id": request["id"], "selector": request["selector"], "value_sha256": request["value_sha256"],
        "tenant": request["tenant"], "purpose": request["purpose"],
        "requested_ns": request["requested_ns"], "requested_at": iso(request["requested_ns"]),
        "completed_ns": completed_ns, "completed_at": iso(completed_ns),
        "traces": traces, "tables": tables, "remaining": sum(t["remaining"] for t in tables.values()),
    }


def request_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored request as the REST API and the CLI show it (never the selected id itself)."""
    return {
        "id": row["id"], "status": row["status"], "selector": row["selector"], "value_sha256": row["value_sha256"],
        "tenant": row["tenant"], "purpose": row["purpose"], "actor": row["actor"],
        "requested_ns": row["requested_ns"], "requested_at": iso(row["requested_ns"]),
        "done_ns": row["done_ns"], "done_at": iso(row["done_ns"]) if row["done_ns"] is not None else None,
        "receipt": row["receipt"],
    }


def request_erasure(writer: Writer, selector: Selector, purpose: str | None, actor: str) -> dict[str, Any]:
    """Record the request durably, then erase (both through the writer); returns the receipt."""
    request = new_request(selector, purpose, actor, time.time_ns())

    def record(store: Maintenance) -> None:
        store.record_erasure(request)

    writer.run(record, "erasure request").result()
    log.info("erasure %s: recorded (%s), erasing", request["id"], selector.kind)
    return run_pending(writer, request["id"])


def run_pending(writer: Writer, request_id: str) -> dict[str, Any]:
    """Erase what a recorded request selects (a done one answers its stored receipt again)."""

    def erase(store: Maintenance) -> dict[str, Any]:
        return store.erase(request_id)

    done: dict[str, Any] = writer.run(erase, f"erasure {request_id}").result()
    log.info("erasure %s: done, %d traces", request_id, done["traces"])
    return done


def resume_pending(writer: Writer, store: Maintenance) -> list[dict[str, Any]]:
    """Finish every request still pending (one a crash interrupted), oldest first; their receipts."""
    receipts = []
    for row in store.pending_erasures():
        log.info("erasure %s: resuming the pending request", row["id"])
        receipts.append(run_pending(writer, row["id"]))
    return receipts
