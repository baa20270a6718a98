"""Erasure through a real ``genlens serve``: ``POST /api/v1/erasure`` answers a receipt whose counts equal a
count in Python of what was written, the erased traces are gone from the REST API, the request and the audit
log hold only a salted hash of the id; ``genlens erase --server`` does the same; hostile bodies and
parameters are 400/413 with a reason, never 500, and record nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from genlens.store.duckdb import DuckDBStore
from genlens.store.erasure import TIED_TABLES
from tests.conftest import LiveServer, cli, free_port, start_server
from tests.store.privacy_data import ALICE, CAROL, expected, traces_of, workload

W = workload()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = Path(tmp_path_factory.mktemp("erasure-rest"))
    store = DuckDBStore(data / "genlens.duckdb")
    for batch in W.batches():
        store.write(batch)
    store.close()
    live = start_server(data, extra_env={"GENLENS_INGEST_WORKERS": "0"})
    yield live
    live.stop()


def _post(server: LiveServer, body: Any, **kw: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return httpx.post(f"{server.url}/api/v1/erasure", content=content, timeout=60,
                      headers={"Content-Type": "application/json"}, **kw)


def _requests_recorded(server: LiveServer) -> int:
    got = httpx.get(f"{server.url}/api/v1/audit", params={"action": "erasure.requested", "since": "0"}, timeout=30)
    assert got.status_code == 200, got.text
    return len(got.json()["entries"])


def _check_receipt(receipt: dict[str, Any], kind: str, value: str) -> None:
    want = expected(W, kind, value, "*")
    assert receipt["traces"] == want["traces"] > 0 and receipt["remaining"] == 0
    for table in TIED_TABLES:
        assert receipt["tables"][table]["found"] == want[table], table
        assert receipt["tables"][table]["remaining"] == 0, table
    assert receipt["tables"]["spans"]["deleted"] == want["spans"]


def test_post_erasure_answers_the_receipt_and_the_traces_are_gone(server: LiveServer) -> None:
    answer = _post(server, {"user_id": ALICE, "purpose": "GDPR art. 17 request #12"})
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    _check_receipt(receipt, "user_id", ALICE)
    assert ALICE not in answer.text
    for trace in traces_of(W, ALICE, "*"):
        assert httpx.get(f"{server.url}/api/v1/traces/{trace}", timeout=30).status_code == 404
    assert httpx.get(f"{server.url}/api/v1/traces", params={"user_id": ALICE}, timeout=30).json()["traces"] == []

    stored = httpx.get(f"{server.url}/api/v1/erasure/{receipt['request_id']}", timeout=30)
    assert stored.status_code == 200
    view = stored.json()
    assert view["status"] == "done" and view["receipt"] == receipt and view["actor"] == "rest"
    assert view["purpose"] == "GDPR art. 17 request #12" and "value" not in view

    audit = httpx.get(f"{server.url}/api/v1/audit", params={"since": "1h"}, timeout=30).json()["entries"]
    mine = [e for e in audit if e["details"].get("request_id") == receipt["request_id"]]
    assert [e["action"] for e in mine] == ["erasure.done", "erasure.requested"]
    assert mine[0]["details"]["deleted"]["spans"] == receipt["tables"]["spans"]["deleted"]
    assert mine[0]["target"] == f"user_id:{receipt['value_sha256']}" and ALICE not in orjson.dumps(audit).decode()

    again = _post(server, {"user_id": ALICE})  # a second request finds nothing left
    assert again.status_code == 200 and again.json()["traces"] == 0
    assert all(c["found"] == 0 for c in again.json()["tables"].values())


def test_genlens_erase_server_prints_the_receipt(server: LiveServer) -> None:
    done = cli("erase", "--conversation-id", "conv-2-1", "--server", server.url, "--format", "json")
    assert done.returncode == 0, done.stderr
    _check_receipt(orjson.loads(done.stdout), "conversation_id", "conv-2-1")
    md = cli("erase", "--user-id", CAROL, "--tenant", "acme", "--server", server.url)
    assert md.returncode == 0, md.stderr
    assert "| spans |" in md.stdout and "Rows remaining: 0" in md.stdout and CAROL not in md.stdout
    assert httpx.get(f"{server.url}/api/v1/traces", params={"user_id": CAROL, "tenant": "acme"},
                     timeout=30).json()["traces"] == []
    assert httpx.get(f"{server.url}/api/v1/traces", params={"user_id": CAROL, "tenant": "globex"},
                     timeout=30).json()["traces"]


HOSTILE_BODIES: list[tuple[bytes | Any, int, str]] = [
    (b"{", 400, "not JSON"),
    (b"", 400, "not JSON"),
    (b"\xff\xfe{}", 400, "not JSON"),
    (b'{"user_id": "a\x00b"}', 400, "not JSON"),  # a raw NUL inside a JSON string
    (b"[" * 5000 + b"]" * 5000, 400, "not JSON"),
    ([], 400, "JSON object"),
    ("user_id", 400, "JSON object"),
    ({}, 400, "name one of"),
    ({"user_id": None}, 400, "name one of"),
    ({"user_id": "a", "trace_id": "ab" * 16}, 400, "exactly one"),
    ({"user_id": "a", "conversation_id": "c", "trace_id": "ab" * 16}, 400, "exactly one"),
    ({"user_id": 5}, 400, "must be a string"),
    ({"user_id": ["a"]}, 400, "must be a string"),
    ({"user_id": {"$ne": ""}}, 400, "must be a string"),
    ({"user_id": ""}, 400, "empty"),
    ({"user_id": "x" * 257}, 400, "longer than 256"),
    ({"user_id": "a\u0000b"}, 400, "control character"),
    ({"conversation_id": "a\r\nb"}, 400, "control character"),
    ({"trace_id": "g" * 32}, 400, "32 hex"),
    ({"user_id": "a", "tenant": 7}, 400, "tenant must be a string"),
    ({"user_id": "a", "tenant": "t\x1b[2J"}, 400, "control character"),
    ({"user_id": "a", "purpose": "p" * 501}, 400, "purpose is longer"),
    ({"user_id": "a", "purpose": 3}, 400, "purpose must be a string"),
    ({"user_id": "a", "everything": True}, 400, "unknown field"),
    ({"user_id": "a" * 20_000}, 413, "exceeds the limit"),
]


@pytest.mark.parametrize(("body", "status", "problem"), HOSTILE_BODIES, ids=[str(i) for i in range(len(HOSTILE_BODIES))])
def test_hostile_erasure_bodies_are_refused_and_record_nothing(server: LiveServer, body: Any, status: int,
                                                               problem: str) -> None:
    before = _requests_recorded(server)
    answer = _post(server, body)
    assert answer.status_code == status, answer.text
    assert problem in str(answer.json()["detail"])
    assert _requests_recorded(server) == before


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/api/v1/erasure/not-an-id", {}, 400),
    ("/api/v1/erasure/" + "0" * 32, {}, 404),
    ("/api/v1/erasure/" + "x" * 65, {}, 400),
    ("/api/v1/audit", {"action": "drop table"}, 400),
    ("/api/v1/audit", {"limit": "0"}, 400),
    ("/api/v1/audit", {"limit": "many"}, 400),
    ("/api/v1/audit", {"since": "last tuesday"}, 400),
    ("/api/v1/audit", {"since": "9" * 40}, 400),
])
def test_hostile_reads_are_400_or_404(server: LiveServer, path: str, params: dict[str, str], status: int) -> None:
    answer = httpx.get(server.url + path, params=params, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]


def test_retention_status_names_the_days_and_the_last_purge(server: LiveServer) -> None:
    body = httpx.get(f"{server.url}/api/v1/retention", timeout=30).json()
    assert body == {"days": {"content": 30, "skeleton": 90, "rollups": 400, "scores": 400, "alerts": 400,
                             "audit": 2557}, "interval": "1h", "last_purge": None}


def test_the_cli_says_so_when_the_server_is_unreachable() -> None:
    done = cli("erase", "--user-id", ALICE, "--server", f"http://127.0.0.1:{free_port()}", "--timeout", "5")
    assert done.returncode == 2 and "cannot reach genlens server" in done.stderr
