"""An erasure request survives SIGKILL: a request recorded (pending) in a stopped data directory — the state
a crash between recording and erasing leaves — is resumed by ``genlens serve`` at start; the server killed
with SIGKILL the moment it begins leaves the file either untouched or erased, never half; the next server
finishes it, and direct DuckDB queries on the file find no row of the user in any table and the request
done, with every other row still there."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import orjson

from genlens.store.duckdb import DuckDBStore
from genlens.store.erasure import TIED_TABLES, Selector, new_request
from tests.conftest import cli, free_port, launch, start_server
from tests.store.privacy_data import ALICE, expected, mentions, workload

W = workload(12_000)  # big enough that its erasure takes a while: the kill lands inside it
RESUMING = "resuming the pending request"


def _direct(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s  # bounded
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def test_a_pending_erasure_is_finished_after_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "genlens.duckdb"
    store = DuckDBStore(path)
    for batch in W.batches():
        store.write(batch)
    request = new_request(Selector("user_id", ALICE), "crash test", "test", time.time_ns())
    store.record_erasure(request)  # what a server that died right after recording leaves behind
    store.close()
    want = expected(W, "user_id", ALICE, "*")
    assert mentions(path, ALICE)["erasure_requests"] == 1 and want["spans"] > 10_000

    log = data / "first.log"
    first = launch([sys.executable, "-m", "genlens", "serve", "--port", str(free_port()), "--grpc-port", "0",
                    "--data", str(data)], log)
    try:
        assert _wait_for(log, RESUMING, first), log.read_text(errors="replace")
    finally:
        first.kill()  # SIGKILL while the erasure of the pending request runs
        first.wait(timeout=10)

    (status,) = _direct(path, f"SELECT status FROM erasure_requests WHERE id = '{request['id']}'")
    alice_spans = _direct(path, f"SELECT count(*) FROM spans WHERE user_id = '{ALICE}'")[0][0]
    if status == ("pending",):  # the transaction died with the process: nothing of it applied
        assert alice_spans == sum(1 for s in W.spans if s["user_id"] == ALICE)
    else:  # it committed just before the kill: all of it applied
        assert status == ("done",) and alice_spans == 0

    second = start_server(data)
    try:
        deadline = time.monotonic() + 60  # bounded
        view: dict[str, object] = {}
        while time.monotonic() < deadline:
            view = httpx.get(f"{second.url}/api/v1/erasure/{request['id']}", timeout=10).json()
            if view["status"] == "done":
                break
            time.sleep(0.1)
        assert view["status"] == "done", view
        held = cli("erase", "--user-id", ALICE, "--data", str(data))  # a running server holds the file
        assert held.returncode == 2 and "stop it first" in held.stderr, held.stderr
    finally:
        second.kill()  # done was committed: SIGKILL loses none of it

    assert all(n == 0 for n in mentions(path, ALICE).values()), mentions(path, ALICE)
    row = _direct(path, f"SELECT status, value, value_sha256, receipt FROM erasure_requests WHERE id = '{request['id']}'")
    (status, value, sha, receipt_text), = row
    assert (status, value, sha) == ("done", None, request["value_sha256"])
    receipt = orjson.loads(str(receipt_text))
    assert {t: receipt["tables"][t]["found"] for t in TIED_TABLES} == {t: want[t] for t in TIED_TABLES}
    assert receipt["remaining"] == 0 and receipt["traces"] == want["traces"]
    assert _direct(path, "SELECT count(*) FROM spans") == [(len(W.spans) - want["spans"],)]
    assert _direct(path, "SELECT count(*) FROM span_content") == [(len(W.content) - want["span_content"],)]
    actions = _direct(path, f"SELECT action FROM audit_log WHERE details->>'request_id' = '{request['id']}' "
                            "ORDER BY at_ns")
    assert actions == [("erasure.requested",), ("erasure.done",)]
