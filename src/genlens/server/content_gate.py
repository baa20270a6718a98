"""What content a caller sees: raw where their role allows and they stated why (audited), redacted otherwise.

Content is stored as ingest left it (redacted by the feature's policy, or kept).
What leaves the server depends on the caller (``server/auth.py``):

* no keys configured (loopback only): content as stored;
* a ``viewer`` key: content redacted again at read, with every tier ingest
  uses and the ``drop`` action (typed placeholders, nothing hashed);
* an ``investigator`` or ``admin`` key: redacted the same way, unless the
  request states a purpose (``purpose=`` or ``X-Genlens-Purpose``); then raw,
  and one ``content.read`` entry per read lands in the audit log — who, which
  tenant and trace, what kind of record, when, the purpose — committed before
  the content is answered.  A read whose audit entry cannot be written is
  refused (503), never answered unaudited.

:class:`GatedReader` wraps the store for one request and answers every reader
method; the ones that return content (messages, tool arguments and results,
documents, log bodies, feedback comments) pass through the gate, the rest
straight to the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from starlette.requests import Request

from genlens.errors import Overloaded
from genlens.pipeline.redaction import build_tiers
from genlens.privacy.engine import Policy, Redactor
from genlens.server.auth import Principal, principal_of
from genlens.settings import PrivacySettings
from genlens.store.base import Store, WriteBatch
from genlens.store.erasure import MAX_PURPOSE_CHARS, check_text
from genlens.store.writer import Writer

__all__ = ["READ_ACTION", "ContentAccess", "ContentGate", "GatedReader", "read_gate"]

READ_ACTION = "content.read"
PURPOSE_HEADER = "x-genlens-purpose"
AUDIT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class ContentAccess:
    """How one request sees content."""

    raw: bool
    principal: Principal | None = None
    purpose: str | None = None
    route: str = ""

    @property
    def may_reveal(self) -> bool:
        """Redacted now, but the caller's role could see it raw by stating a purpose (the UI offers it)."""
        return not self.raw and self.principal is not None and self.principal.may("raw")


class ContentGate:
    """Decides each request's :class:`ContentAccess` and hands out its :class:`GatedReader`."""

    def __init__(self, redactor: Redactor, policy: Policy, writer: Writer) -> None:
        self.redactor = redactor
        self.policy = policy
        self.writer = writer

    def access(self, request: Request) -> ContentAccess:
        principal = principal_of(request)
        route = request.url.path[:300]
        if principal is None:  # no keys configured (a keys-configured server always has one on a read route)
            return ContentAccess(raw=True, route=route)
        given = request.query_params.get("purpose") or request.headers.get(PURPOSE_HEADER)
        purpose = check_text("purpose", given, MAX_PURPOSE_CHARS).strip() if given else None
        if purpose and principal.may("raw"):
            return ContentAccess(raw=True, principal=principal, purpose=purpose, route=route)
        return ContentAccess(raw=False, principal=principal, route=route)

    def reader(self, request: Request, store: Store) -> Store:
        """The store as this request may read it (the request's purpose, when given, is checked here: 400)."""
        return cast(Store, GatedReader(store, self.access(request), self))

    def audit(self, access: ContentAccess, tenant: str, targets: list[str], kind: str, rows: int) -> None:
        """Commit one audit entry for a raw read, before the content is answered."""
        assert access.principal is not None
        entry = {"at_ns": time.time_ns(), "actor": access.principal.actor, "action": READ_ACTION,
                 "tenant": tenant, "target": ",".join(targets)[:2000], "purpose": access.purpose,
                 "details": {"route": access.route, "kind": kind, "rows": rows, "role": access.principal.key.role}}
        try:
            self.writer.submit(WriteBatch(audit_log=[entry])).result(timeout=AUDIT_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - no audit entry, no raw content
            raise Overloaded(f"the audit entry of this read could not be written ({type(exc).__name__}); "
                             "nothing was shown, retry") from None


def read_gate(privacy: PrivacySettings, max_chars: int, writer: Writer) -> ContentGate:
    """The gate of a server: redaction at read with the tiers ingest uses (pattern when ingest redacts
    nothing), never the LLM tier (a model call per page view would be slow and hand content to the model)."""
    tiers = tuple(t for t in (privacy.tiers if privacy.enabled else ()) if t != "llm") or ("pattern",)
    redactor = Redactor(build_tiers(privacy, tiers), b"", max_chars + 64)
    return ContentGate(redactor, Policy(tiers, "drop"), writer)


class GatedReader:
    """One request's view of the store: content methods through the gate, everything else unchanged."""

    def __init__(self, store: Store, access: ContentAccess, gate: ContentGate) -> None:
        self._store = store
        self._access = access
        self._gate = gate

    @property
    def access(self) -> ContentAccess:
        return self._access

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _through(self, rows: list[dict[str, Any]], fields: tuple[str, ...], tenant: str, kind: str,
                 targets: Callable[[], list[str]]) -> list[dict[str, Any]]:
        if not rows:
            return rows
        if self._access.raw:
            if self._access.principal is not None:
                self._gate.audit(self._access, tenant, targets(), kind, len(rows))
            return rows
        out = []
        for row in rows:
            row = dict(row)
            for name in fields:
                if row.get(name) is not None:
                    row[name] = self._redacted(row[name])
            out.append(row)
        return out

    def _redacted(self, value: Any) -> Any:
        """``value`` redacted; a JSON document stored as text is redacted as the values it holds (so an escape
        such as ``\\u0040`` hides nothing) and answered as JSON text again."""
        redactor, policy = self._gate.redactor, self._gate.policy
        if isinstance(value, str) and value[:1] in ("[", "{", '"'):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                return redactor.value(value, policy)
            return orjson.dumps(redactor.value(parsed, policy)).decode()
        return redactor.value(value, policy)

    def content(self, tenant: str, trace_id: str, span_id: str | None = None) -> list[dict[str, Any]]:
        rows = self._store.content(tenant, trace_id, span_id)
        return self._through(rows, ("data",), tenant, "content",
                             lambda: [trace_id + (f"/{span_id}" if span_id else "")])

    def first_inputs(self, tenant: str, trace_ids: list[str]) -> list[dict[str, Any]]:
        rows = self._store.first_inputs(tenant, trace_ids)
        return self._through(rows, ("data",), tenant, "first_inputs", lambda: sorted({r["trace_id"] for r in rows}))

    def logs(self, tenant: str, trace_id: str | None, limit: int) -> list[dict[str, Any]]:
        rows = self._store.logs(tenant, trace_id, limit)
        return self._through(rows, ("body", "attributes"), tenant, "logs",
                             lambda: sorted({str(r.get("trace_id") or "") for r in rows} - {""}) or ["*"])

    def scores(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        rows = self._store.scores(tenant, trace_id)
        if not any(r.get("comment") for r in rows):
            return rows
        return self._through(rows, ("comment",), tenant, "feedback", lambda: [trace_id])
