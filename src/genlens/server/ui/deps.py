"""What every page view is given, and the guard every page runs inside.

The guard resolves the request's tenant scope with the same
:class:`~genlens.server.scope.TenantScopes` the REST routes depend on, so a
page and its REST twin always read the same tenants; any error, a bad tenant
included, renders as the readable error page with its status code.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, get_type_hints

from starlette.requests import Request
from starlette.responses import Response

from genlens.alerts.book import AlertingJob
from genlens.pricing import PriceBook
from genlens.server.content_gate import ContentGate
from genlens.server.scope import TenantScopes
from genlens.server.ui.render import View, error_page
from genlens.settings import Settings
from genlens.slo.spec import SLO
from genlens.store.base import Store


@dataclass
class Pages:
    """The objects the UI's views read through: the store, the scope resolver, the read pool, the price book."""

    store: Store
    settings: Settings
    scopes: TenantScopes
    reads: Executor  # owned by the composition root, shared with the REST API
    book: PriceBook  # loaded once by the composition root, shared with pricing and the REST API
    slos: Sequence[SLO] = ()  # from settings, as the REST API has them
    alerts: Sequence[AlertingJob] = ()  # the alerting jobs (SLO burn rates, findings)
    gate: ContentGate | None = None  # what content each caller may see (None: content as stored)
    notes: Callable[[], Mapping[str, int]] | None = None  # the ingest stages' counts since start (redactions)

    def reader(self, request: Request) -> Store:
        """The store as this request may read content from it (server/content_gate.py); pages that show
        content read through this, and their templates find the request's access in ``content_access``."""
        if self.gate is None:
            return self.store
        reader = self.gate.reader(request, self.store)
        request.scope.setdefault("state", {})["content_access"] = reader.access  # type: ignore[attr-defined]
        return reader

    def prices(self) -> PriceBook:
        """The one price book of the server (never loaded here: a page must price as ingest did)."""
        return self.book

    def guard(self, view: View) -> View:
        """Run ``view`` so that its errors render as a page; a ``scope`` parameter receives the request's scope.

        FastAPI sees the view's signature without ``scope`` (it is not a query parameter of the page).
        """
        hints = get_type_hints(view)
        params = [p.replace(annotation=hints.get(name, p.annotation))
                  for name, p in inspect.signature(view).parameters.items() if name != "scope"]
        wants_scope = "scope" in inspect.signature(view).parameters
        scopes = self.scopes

        @functools.wraps(view)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                if wants_scope:
                    kwargs["scope"] = scopes.of(request)
                return await view(request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the last line of defence of a page
                return error_page(request, exc)

        wrapper.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
        return wrapper

