"""Every scenario plants its incident exactly inside the window its ground truth names.

Six runs backfill one busy hour (so they are quick), three at a time (the latency spike is
planted live by ``test_demo_live.py``, where latencies are not scaled down); the
checks then read each run's DuckDB file directly, independently of the demo's
own code, and compare inside the window with outside it.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genlens.demo.scenarios import SCENARIOS
from genlens.demo.traffic import intensity
from tests.conftest import free_port
from tests.demo.helpers import assert_clean_logs, spawn_demo

NS = 1_000_000_000


CONCURRENT = 3  # runs at once (each is a demo, a server and a simulator process)
REQUESTS = 140  # about this many backfilled requests per run, whatever the time of day (enough that each
# incident window holds several of the calls its check counts)


def _rate() -> str:
    """Requests per hour that give about REQUESTS over the last hour (traffic follows the time of day)."""
    now = time.time_ns()
    mean = statistics.mean(intensity(now - i * 60 * NS) for i in range(60))
    return f"{REQUESTS / mean:.1f}"


def _start(name: str, data: Path) -> subprocess.Popen[str]:
    return spawn_demo(data, free_port(), "--backfill", "1h", "--backfill-rate", _rate(), "--duration", "0",
                      "--scenario", name, "--seed", "11")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    base = tmp_path_factory.mktemp("scenarios")
    waiting = [name for name in SCENARIOS if name != "latency-spike"]  # planted live in test_demo_live.py
    running: dict[str, tuple[subprocess.Popen[str], Path, int]] = {}
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    while waiting or running:
        while waiting and len(running) < CONCURRENT:
            name = waiting.pop(0)
            running[name] = (_start(name, base / name), base / name, 1)
        name = next(iter(running))
        proc, data, attempt = running.pop(name)
        output, _ = proc.communicate(timeout=120)
        if proc.returncode == 2 and "already in use" in output and attempt < 3:  # a free port taken meanwhile
            running[name] = (_start(name, data), data, attempt + 1)
            continue
        assert proc.returncode == 0, output
        assert_clean_logs(output, data)
        truth = json.loads((data / f"scenario-{name}.json").read_text())
        assert f"scenario {name!r} planted backfill" in output and truth["start"] in output
        out[name] = (data, truth)
    return out


def query(data: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(data / "genlens.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_ground_truth_files_describe_a_window_inside_the_backfill(runs: dict[str, Any]) -> None:
    now = time.time_ns()
    assert set(runs) == set(SCENARIOS) - {"latency-spike"}
    for name, (_, truth) in runs.items():
        assert truth["scenario"] == name and truth["mode"] == "backfill"
        assert now - 3600 * NS - 600 * NS < truth["start_ns"] < truth["end_ns"] <= now, name
        assert truth["kind"] and truth["expected_detection"]


def _split(rows: list[tuple[Any, ...]], truth: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    inside = [r[1] for r in rows if truth["start_ns"] <= r[0] < truth["end_ns"]]
    outside = [r[1] for r in rows if not truth["start_ns"] <= r[0] < truth["end_ns"]]
    return inside, outside


def test_provider_outage(runs: dict[str, Any]) -> None:
    data, truth = runs["provider-outage"]
    rows = query(data, "SELECT start_ns, status FROM spans WHERE provider = 'anthropic' AND kind = 'llm'")
    inside, outside = _split(rows, truth)
    assert len(inside) >= 3 and set(inside) == {"error"}
    assert outside and outside.count("error") / len(outside) < 0.05
    assert set(truth["affected"]["models"]) == {"claude-haiku-4-5", "claude-sonnet-4-5"}


def test_prompt_regression(runs: dict[str, Any]) -> None:
    data, truth = runs["prompt-regression"]
    a = truth["affected"]
    assert a["old_sha"] != a["new_sha"] and a["feature"] == "support-chat"
    rows = query(data, "SELECT start_ns, prompt_sha, input_tokens FROM spans WHERE prompt_id = 'support-system' "
                       "AND request_model = 'gpt-4o' AND input_tokens IS NOT NULL")
    new = [r for r in rows if r[1] == a["new_sha"]]
    old = [r for r in rows if r[1] == a["old_sha"]]
    assert new and old and {r[1] for r in rows} == {a["old_sha"], a["new_sha"]}
    assert min(r[0] for r in new) >= truth["start_ns"] and max(r[0] for r in old) < truth["start_ns"]
    assert statistics.mean(r[2] for r in new) > 2 * statistics.mean(r[2] for r in old)


def test_cache_drop(runs: dict[str, Any]) -> None:
    data, truth = runs["cache-drop"]
    rows = query(data, "SELECT start_ns, cache_read_tokens::DOUBLE / input_tokens FROM spans "
                       "WHERE request_model = 'gpt-4o' AND feature = 'support-chat'")
    inside, outside = _split([(t, r or 0.0) for t, r in rows], truth)
    assert len(inside) >= 3 and len(outside) >= 10
    assert max(inside) == 0.0 and statistics.mean(outside) > 0.5


def test_input_drift(runs: dict[str, Any]) -> None:
    data, truth = runs["input-drift"]
    rows = query(data, "SELECT c.time_ns, c.data::VARCHAR LIKE '%billetera%' OR c.data::VARCHAR LIKE '%cripto%' "
                       "OR c.data::VARCHAR LIKE '%USDT%' FROM span_content c JOIN spans s USING (tenant, span_id) "
                       "WHERE s.kind = 'retrieval' AND c.kind = 'input_value'")
    inside, outside = _split(rows, truth)
    assert len(inside) >= 3 and all(inside)
    assert len(outside) >= 10 and not any(outside)


def test_refusal_spike(runs: dict[str, Any]) -> None:
    data, truth = runs["refusal-spike"]
    # an Anthropic refusal is stored under the canonical finish reason content_filter
    rows = query(data, "SELECT start_ns, list_contains(finish_reasons, 'content_filter') FROM spans "
                       "WHERE request_model = 'claude-haiku-4-5'")
    inside, outside = _split(rows, truth)
    # Inside the window refusals come at the planted rate of 1/2: some refusals, and a count no more
    # extreme than a fair coin gives once in 10,000 (a fixed share band failed ~2 % of fair runs of ~10).
    n, k = len(inside), sum(inside)
    assert n >= 6 and k >= 1
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2**n
    assert 2 * tail >= 1e-4, (k, n)
    assert outside and not any(outside)  # and none at all outside it


def test_runaway_conversation(runs: dict[str, Any]) -> None:
    data, truth = runs["runaway-conversation"]
    conv = truth["affected"]["conversation_id"]
    turns = query(data, "SELECT start_ns FROM spans WHERE conversation_id = ? AND kind = 'workflow' ORDER BY 1",
                  [conv])
    assert len(turns) == truth["affected"]["turns"] == 36
    assert all(truth["start_ns"] <= t < truth["end_ns"] for (t,) in turns)
    planner = [r[0] for r in query(data, "SELECT input_tokens FROM spans WHERE conversation_id = ? AND "
                                         "request_model = 'gpt-4o' ORDER BY start_ns", [conv])]
    assert len(planner) == 36 and all(b > a for a, b in zip(planner, planner[1:], strict=False))
    (total,) = query(data, "SELECT sum(input_tokens + output_tokens) FROM spans WHERE conversation_id = ?", [conv])[0]
    assert total >= 1_000_000  # the runaway detector's default threshold
    others = query(data, "SELECT max(n) FROM (SELECT conversation_id, count(*) n FROM spans WHERE kind = 'workflow' "
                         "AND conversation_id <> ? GROUP BY 1)", [conv])[0][0]
    assert others <= 8
