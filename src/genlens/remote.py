"""One HTTP call of a CLI command to a running genlens server (``--server URL``), its failures as genlens errors.

The CLI commands that work either on a data directory or on a running server
(``genlens erase``, ``genlens report``, ``genlens keys rotate-content``) all
answer a server that cannot be reached, or that answers 4xx/5xx, the same way:
``cannot reach …`` or ``server answered <status>: <detail>``.  The API key of
``GENLENS_API_KEY`` goes with every call.
"""

from __future__ import annotations

from typing import Any

from genlens.api_key import auth_headers
from genlens.errors import BadRequest, GenlensError


def call(method: str, url: str, *, json: Any = None, params: dict[str, Any] | None = None,
         timeout: float = 30.0) -> Any:
    """The JSON answer of ``method url``; ``GenlensError`` if unreachable, ``BadRequest`` on an error status."""
    import httpx

    try:
        response = httpx.request(method, url, json=json, timeout=timeout, headers=auth_headers(),
                                 params={k: v for k, v in (params or {}).items() if v is not None})
    except (httpx.HTTPError, ValueError) as exc:
        raise GenlensError(f"cannot reach genlens server at {url}: {exc}") from exc
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:300]
        raise BadRequest(f"server answered {response.status_code}: {detail}")
    return response.json()
