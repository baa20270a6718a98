"""The privacy page in a real Chromium against a real server with tail sampling on: the policies in force,
seen vs kept traces as decided by the server (checked against what was sent), retention days, and the audit
log once an erasure ran; its JSON twin carries the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.integration.test_sampling_server import SHAPES, _env, _sampling, _send


@pytest.fixture(scope="module")
def privacy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("privacy") / "data",
                          extra_env=_env(GENLENS_SAMPLING_COMPLETION_GRACE="0s"))
    try:
        _send(server.url)
        _sampling(server.url, len(SHAPES))
        r = httpx.post(f"{server.url}/api/v1/erasure", json={"trace_id": f"{0xC5:032x}", "purpose": "ticket 9"},
                       timeout=30)
        assert r.status_code == 200, r.text
        yield server
    finally:
        server.stop()


def test_the_privacy_page_shows_policy_seen_vs_kept_retention_and_audit(privacy_server: LiveServer,
                                                                        page: Any) -> None:
    # the erasure of trace c5 (dropped) took its decision along: 5 of the 6 traces are left
    page.goto(privacy_server.url + "/privacy", wait_until="networkidle")
    assert page.js_errors == []
    assert "5 traces decided, 3 kept (60.0 %)" in " ".join(page.inner_text("#seen-kept").split())
    rows = {tuple(page.locator("#decisions tbody tr").nth(i).inner_text().split("\t")[:3])
            for i in range(page.locator("#decisions tbody tr").count())}
    assert rows == {("kept", "errors", "1"), ("kept", "slow", "1"), ("kept", "expensive", "1"),
                    ("dropped", "not_sampled", "2")}
    assert page.locator("#policies tbody tr").count() == 3
    assert "content" in page.inner_text("#retention") and "ticket 9" in page.inner_text("#audit")
    twin = httpx.get(privacy_server.url + "/privacy", params={"format": "json"}, timeout=10).json()
    assert twin["sampling"]["seen_traces"] == 5 and twin["sampling"]["kept_traces"] == 3
