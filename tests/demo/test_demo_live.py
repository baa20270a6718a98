"""``genlens demo`` end to end: a real subprocess on real ports, read back through the REST API."""

from __future__ import annotations

import json
import queue
import re
import signal
import statistics
import threading
from pathlib import Path
from typing import Any

import duckdb
import httpx

from genlens.demo import corpus
from tests.conftest import free_port, start_server
from tests.demo.helpers import READY, alive, assert_clean_logs, child_pids, spawn_demo


def _depth(spans: list[dict[str, Any]]) -> int:
    parents = {s["span_id"]: s["parent_span_id"] for s in spans}
    best = 0
    for span_id in parents:
        depth, cur, seen = 1, parents[span_id], {span_id}
        while cur in parents and cur not in seen:
            seen.add(cur)
            depth += 1
            cur = parents[cur]
        best = max(best, depth)
    return best


def test_demo_for_20_seconds_then_read_back(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    proc = spawn_demo(data, port, "--duration", "20", "--rate", "3", "--scenario", "latency-spike")
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    assert READY in output and f"http://127.0.0.1:{port}/" in output and "/api/v1/traces" in output
    assert "stopped (server and simulator shut down)" in output
    for pid in child_pids(output):
        assert not alive(pid), f"pid {pid} outlived the demo"
    assert_clean_logs(output, data)
    truth = json.loads((data / "scenario-latency-spike.json").read_text())
    assert truth["mode"] == "live" and truth["affected"]["models"] == ["gpt-4o-mini"]

    server = start_server(data)  # the demo's server is gone; read its data through a fresh one
    try:
        api = httpx.Client(base_url=server.url + "/api/v1", timeout=30)
        traces: dict[str, list[dict[str, Any]]] = {}
        for tenant in corpus.TENANTS:
            rows = api.get("/traces", params={"tenant": tenant, "limit": 1000, "start": "1h"}).json()["traces"]
            traces[tenant] = rows
        assert sum(1 for rows in traces.values() if rows) >= 3, {t: len(r) for t, r in traces.items()}
        features, models, depth, streamed, linked = set(), set(), 0, 0, 0
        for tenant, rows in traces.items():
            for row in rows[:25]:
                got = api.get(f"/traces/{row['trace_id']}", params={"tenant": tenant, "format": "flat"}).json()
                spans = got["spans"]
                depth = max(depth, _depth(spans))
                features |= {s["feature"] for s in spans if s.get("feature")}
                models |= {s["request_model"] for s in spans if s.get("request_model")}
                streamed += sum(1 for s in spans if s.get("streaming") and s.get("ttft_s") and s.get("tpot_s")
                                and s.get("decode_tps"))
                ids = {s["span_id"] for s in spans}
                linked += sum(1 for f in got["feedback"] if f["span_id"] in ids and f["trace_id"] == row["trace_id"])
        assert depth >= 4
        assert len(features) >= 3, features
        assert len(models) >= 4 and {"gpt-4o-mini", "claude-haiku-4-5"} <= models, models
        assert streamed >= 3
        assert linked >= 1
        # the latency spike was planted live: gpt-4o-mini's TTFT inside the window against outside it
        ttft = {True: [], False: []}  # type: dict[bool, list[float]]
        for tenant in corpus.TENANTS:
            for row in api.get("/traces", params={"tenant": tenant, "model": "gpt-4o-mini", "limit": 1000,
                                                   "start": "1h"}).json()["traces"]:
                for s in api.get(f"/traces/{row['trace_id']}", params={"tenant": tenant, "format": "flat"}
                                 ).json()["spans"]:
                    if s.get("request_model") == "gpt-4o-mini" and s.get("ttft_s"):
                        ttft[truth["start_ns"] <= s["start_ns"] < truth["end_ns"]].append(s["ttft_s"])
        assert len(ttft[True]) >= 2 and len(ttft[False]) >= 2, ttft
        assert statistics.median(ttft[True]) >= 3 * statistics.median(ttft[False]), ttft
    finally:
        server.stop()


def _lines(proc: Any) -> queue.Queue[str]:
    q: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            q.put(line)
        q.put("")

    threading.Thread(target=pump, daemon=True).start()
    return q


def test_ctrl_c_flushes_everything_and_leaves_no_process(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    proc = spawn_demo(data, port, "--rate", "4", "--latency-scale", "0.2")  # no --duration: until Ctrl-C
    lines, seen = _lines(proc), []
    while True:
        line = lines.get(timeout=120)
        seen.append(line)
        assert line, "".join(seen)
        if READY in line:
            break
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    while (line := lines.get(timeout=30)) != "":
        seen.append(line)
    output = "".join(seen)
    assert proc.returncode == 0, output
    assert "stopping" in output and "stopped (server and simulator shut down)" in output
    for pid in child_pids(output):
        assert not alive(pid)
    assert_clean_logs(output, data)
    final = re.search(r"done after .*requests (\d+)\s+ok (\d+)\s+errors (\d+)", output)
    assert final, output
    requests, ok, errors = map(int, final.groups())
    assert requests == ok + errors >= 1
    con = duckdb.connect(str(data / "genlens.duckdb"), read_only=True)
    try:
        (roots,) = con.execute("SELECT count(*) FROM spans WHERE kind = 'workflow' AND parent_span_id IS NULL"
                               ).fetchone()
    finally:
        con.close()
    assert roots == requests  # every request that ran was flushed and committed before the server stopped
