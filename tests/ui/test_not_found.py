"""Routing errors over real HTTP: UI addresses get the readable error page, API and OTLP paths keep JSON."""

from __future__ import annotations

import html
import http.client
import re
from typing import Any

import httpx
import pytest

from genlens.server.ui.http_errors import is_api_path
from tests.conftest import LiveServer

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON_CLIENT = {"accept": "application/json"}


def _main(body: str) -> str:
    """The page's ``<main>`` element, where the error page's own links are (the header's nav is outside it)."""
    found = re.search(r"<main>(.*)</main>", body, re.S)
    assert found is not None, body[:500]
    return found.group(1)


def _shown(body: str) -> str:
    """The path the error page says it was opening, unescaped (markupsafe writes ``"`` as ``&#34;``)."""
    found = re.search(r"<code>(.*?)</code>", body, re.S)
    assert found is not None, body[:500]
    return html.unescape(found.group(1))


def _raw(server: LiveServer, method: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Send ``target`` byte for byte (httpx would normalise ``..`` and re-quote escapes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        conn.request(method, target, headers=headers or BROWSER)
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/nope", "/traces/" + "ab" * 16 + "/extra", "/ui/whatever", "/conversations/x/y/z",
                                  "/apiary", "/static/missing.css"])
def test_unknown_ui_addresses_get_the_html_error_page(live_server: LiveServer, path: str) -> None:
    for headers in (BROWSER, {"accept": "*/*"}):
        response = httpx.get(live_server.url + path, headers=headers, timeout=30)
        assert response.status_code == 404, (path, headers)
        assert response.headers["content-type"].startswith("text/html")
        main = _main(response.text)
        assert "404 · NotFound" in main and "There is no page at this address." in main
        assert _shown(main) == path
        assert '<a href="/traces">' in main and '<a href="/overview">' in main


def test_unknown_ui_address_has_a_json_twin(live_server: LiveServer) -> None:
    for params, headers in (({}, JSON_CLIENT), ({"format": "json"}, BROWSER)):
        response = httpx.get(live_server.url + "/nope/deeper", params=params, headers=headers, timeout=30)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"status": 404, "error": "NotFound", "detail": "There is no page at this address.",
                                   "path": "/nope/deeper"}


@pytest.mark.parametrize(("method", "path", "status", "detail"), [
    ("GET", "/api/v1/nope", 404, "Not Found"),
    ("GET", "/api/v1/traces/x/y", 404, "Not Found"),
    ("GET", "/api", 404, "Not Found"),
    ("POST", "/api/v1/traces", 405, "Method Not Allowed"),
    ("GET", "/v1/traces", 405, "Method Not Allowed"),
    ("PUT", "/v1/logs", 405, "Method Not Allowed"),
    ("POST", "/v1/nope", 404, "Not Found"),
    ("GET", "/v1/nope", 404, "Not Found"),
    ("GET", "/healthz/x", 404, "Not Found"),
    ("POST", "/readyz", 405, "Method Not Allowed"),
    ("GET", "/docs/nope", 404, "Not Found"),
    ("GET", "/openapi.json/x", 404, "Not Found"),
])
def test_api_and_otlp_paths_keep_json(live_server: LiveServer, method: str, path: str, status: int,
                                      detail: str) -> None:
    for headers in (BROWSER, JSON_CLIENT, {}):
        response = httpx.request(method, live_server.url + path, headers=headers, timeout=30)
        assert response.status_code == status, (method, path, headers)
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": detail}
        if status == 405:
            assert method not in response.headers["allow"]


def test_machine_endpoints_still_answer(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url + "/healthz", headers=BROWSER).json()["status"] == "ok"
    assert httpx.get(live_server.url + "/readyz", headers=BROWSER).status_code == 200
    schema = httpx.get(live_server.url + "/openapi.json", headers=BROWSER).json()
    assert "/api/v1/traces" in schema["paths"]
    assert httpx.get(live_server.url + "/docs", headers=BROWSER).status_code == 200


def test_every_documented_endpoint_is_an_api_path(live_server: LiveServer) -> None:
    """A new API route outside the prefixes would start answering its typos with HTML: this catches it."""
    paths = httpx.get(live_server.url + "/openapi.json").json()["paths"]
    assert paths and all(is_api_path(p) for p in paths), [p for p in paths if not is_api_path(p)]
    assert is_api_path("/api") and is_api_path("/v1/traces") and is_api_path("/docs/oauth2-redirect")
    assert not any(is_api_path(p) for p in ("/", "/apiary", "/v10", "/traces", "/healthzz", "/static/app.css"))


def test_wrong_method_on_a_ui_page_is_a_readable_405(live_server: LiveServer) -> None:
    response = httpx.post(live_server.url + "/traces", headers=BROWSER, timeout=30)
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["allow"] == "GET"  # Starlette's Allow header survives the page
    main = _main(response.text)
    assert "405 · MethodNotAllowed" in main and "does not answer POST requests; it answers GET." in main
    twin = httpx.delete(live_server.url + "/overview", headers=JSON_CLIENT, timeout=30)
    assert twin.status_code == 405 and twin.headers["allow"] == "GET"
    assert twin.json()["error"] == "MethodNotAllowed" and twin.json()["path"] == "/overview"


def test_existing_error_pages_are_unchanged(live_server: LiveServer) -> None:
    missing = httpx.get(live_server.url + "/traces/" + "0" * 32, headers=BROWSER, timeout=30)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    main = _main(missing.text)
    assert "404 · NotFound" in main and "There is no page" not in main  # the store's message, not the router's
    assert '<a href="/traces">' in main
    bad = httpx.get(live_server.url + "/traces/not-a-trace-id", headers=JSON_CLIENT, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"] == "BadRequest"
    assert httpx.get(live_server.url + "/", follow_redirects=False).status_code == 307
    assert httpx.get(live_server.url + "/static/app.css").status_code == 200


SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize(("target", "decoded"), [
    ("/%3Cscript%3Ealert(1)%3C/script%3E", "/" + SCRIPT),
    ("/traces/x/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/traces/x/" + SCRIPT),
    ("/%22%3E%3Cscript%3Ealert(1)%3C/script%3E%3C%22", '/">' + SCRIPT + '<"'),
    ("/../../etc/passwd", "/../../etc/passwd"),
    ("/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd"),
    ("/static/../../../../etc/passwd", None),
    ("/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", None),
    ("/%FF%FE%C0%AF", None),
    ("/a%00b", None),
])
def test_hostile_paths_get_an_escaped_404_page(live_server: LiveServer, target: str, decoded: str | None) -> None:
    status, content_type, body = _raw(live_server, "GET", target)
    assert status == 404, (target, body[:300])
    assert content_type.startswith("text/html")
    assert "<script>alert" not in body and "root:" not in body
    assert '<a href="/traces">' in _main(body)
    if decoded is not None:
        assert _shown(body) == decoded


def test_a_very_long_path_is_not_echoed_back_whole(live_server: LiveServer) -> None:
    target = "/" + "%3Cscript%3E" * 600  # 7 kB on the wire, 4.8 kB decoded
    status, content_type, body = _raw(live_server, "GET", target)
    assert status == 404 and content_type.startswith("text/html")
    assert "<script>" not in body
    assert _shown(body) == ("/" + "<script>" * 600)[:200] + "…"


def test_hostile_path_json_twin_carries_the_path_as_data(live_server: LiveServer) -> None:
    status, content_type, body = _raw(live_server, "GET", "/%3Cscript%3E?format=json")
    assert status == 404 and content_type == "application/json"
    parsed: Any = httpx.Response(200, content=body.encode()).json()
    assert parsed["path"] == "/<script>"
