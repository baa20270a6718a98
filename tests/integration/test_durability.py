"""Acknowledged means durable: SIGKILL right after a 200 loses none of the acknowledged spans."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server
from tests.otlp_helpers import new_span_id, new_trace_id, span_request

PROTO = {"Content-Type": "application/x-protobuf"}


def _export(url: str, n: int, tag: str) -> tuple[int, set[str], str]:
    trace_id = new_trace_id()
    now = time.time_ns()
    spans = [{"trace_id": trace_id, "span_id": new_span_id(), "name": f"{tag}-{i}", "start": now + i,
              "end": now + i + 1000, "attributes": {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": i}}
             for i in range(n)]
    try:
        response = httpx.post(f"{url}/v1/traces", content=span_request(spans).SerializeToString(), headers=PROTO,
                              timeout=10)
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    return status, {s["span_id"].hex() for s in spans}, trace_id.hex()


def test_kill_minus_nine_after_ack_loses_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acknowledged: dict[str, set[str]] = {}
    for round_number in range(4):
        server = start_server(data)
        stop = threading.Event()
        lock = threading.Lock()

        def pump(worker: int, url: str = server.url, rnd: int = round_number,
                 stop: threading.Event = stop, lock: threading.Lock = lock) -> None:
            sent = 0
            while not stop.is_set() and sent < 400:  # bounded
                status, span_ids, trace_id = _export(url, 64, f"r{rnd}w{worker}n{sent}")
                sent += 1
                if status == 200:
                    with lock:
                        acknowledged[trace_id] = span_ids

        workers = [threading.Thread(target=pump, args=(w,)) for w in range(3)]
        for w in workers:
            w.start()
        time.sleep(1.5)
        server.kill()  # SIGKILL while exports are in flight
        stop.set()
        for w in workers:
            w.join(timeout=30)
        assert acknowledged, server.log()

    server = start_server(data)
    try:
        missing = 0
        for trace_id, span_ids in acknowledged.items():
            response = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"format": "flat"}, timeout=30)
            assert response.status_code == 200, (trace_id, response.text)
            stored = {s["span_id"] for s in response.json()["spans"]}
            missing += len(span_ids - stored)
        assert missing == 0
        assert len(acknowledged) > 10
    finally:
        server.stop()


def test_a_dead_ingest_worker_is_replaced_and_nothing_is_acknowledged_falsely(tmp_path: Path) -> None:
    import psutil

    server = start_server(tmp_path / "data", extra_env={"GENLENS_INGEST_WORKERS": "1"})
    try:
        workers = psutil.Process(server.process.pid).children(recursive=True)
        assert workers, "expected an ingest worker process"
        for worker in workers:
            worker.kill()  # SIGKILL the worker, as an OOM killer would
        statuses = []
        for attempt in range(20):  # bounded: the pool is replaced on the first failure
            status, span_ids, trace_id = _export(server.url, 16, f"after-kill-{attempt}")
            statuses.append(status)
            if status == 200:
                stored = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"format": "flat"}, timeout=10)
                assert {s["span_id"] for s in stored.json()["spans"]} == span_ids
                break
            assert status == 503
        assert statuses[-1] == 200, statuses
        assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
    finally:
        server.stop()


def _gone(processes: list, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s  # bounded wait
    while time.monotonic() < deadline:
        if not any(p.is_running() and p.status() != "zombie" for p in processes):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", ["sigkill", "stop"])
def test_ingest_workers_do_not_outlive_the_server(tmp_path: Path, how: str) -> None:
    import psutil

    server = start_server(tmp_path / "data", extra_env={"GENLENS_INGEST_WORKERS": "1"})
    workers: list = []
    try:
        assert _export(server.url, 4, "warm")[0] == 200
        workers = psutil.Process(server.process.pid).children(recursive=True)
        assert workers, "expected an ingest worker process"
        if how == "sigkill":
            server.kill()  # no shutdown runs: the worker must notice by itself
        else:
            server.stop()  # SIGTERM: a graceful shutdown that drains, closes the store and stops the workers
            assert server.process.returncode == 0, server.log()
            assert "genlens: stopped" in server.log()
        assert _gone(workers, 15), [(p.pid, p.status()) for p in workers if p.is_running()]
    finally:
        server.stop()
        for p in workers:  # never leave one behind, whatever happened above
            if p.is_running():
                p.kill()
