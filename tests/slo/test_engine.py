"""The SLO engine's SLI, budget and burn rates on a stored workload, against arithmetic done here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from genlens.semconv.canonical import empty_row
from genlens.slo.engine import evaluate_one
from genlens.slo.spec import parse_documents
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore

NOW = 1_790_000_000 * 10**9
MIN = 60 * 10**9


def _call(i: int, minutes_ago: float, error: bool, ttft: float) -> dict[str, Any]:
    row = empty_row()
    start = NOW - int(minutes_ago * MIN)
    row.update(tenant="t", trace_id=f"{i:032x}", span_id=f"{i:016x}", name="chat", kind="llm", start_ns=start,
               end_ns=start + 10**9, duration_ns=10**9, status="error" if error else "ok", ttft_s=ttft,
               feature="chat", provider="openai", request_model="gpt-4o")
    return row


def _rows() -> list[dict[str, Any]]:
    """30 days of calm (0.2 % errors), then the last 40 minutes at 20 % errors (30 % of TTFTs over 1 s)."""
    rows = []
    i = 0
    for minute in range(0, 30 * 24 * 60, 10):
        rows.append(_call(i, minute + 41, error=(i % 500 == 0), ttft=0.4))
        i += 1
    for minute in range(40):
        for k in range(10):
            rows.append(_call(i, minute + 0.5, error=(k < 2), ttft=2.0 if k < 3 else 0.5))
            i += 1
    return rows


ROWS = _rows()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore(tmp_path / "s.duckdb")
    s.write(WriteBatch(spans=[dict(r) for r in ROWS]))
    yield s
    s.close()


SLOS = yaml.safe_load("""
service: bot
slos:
  - {name: api, sli: {type: availability}, objective: 0.995}
  - {name: ttft, sli: {type: ttft, threshold: 1.0}, objective: 0.9, window: 7d}
""")


def _oracle(window_min: float, bad: str) -> tuple[int, int]:
    """(total, bad) calls that started in the last ``window_min`` minutes, counted here."""
    inside = [r for r in ROWS if NOW - window_min * MIN <= r["start_ns"] < NOW]
    if bad == "error":
        return len(inside), sum(1 for r in inside if r["status"] == "error")
    return len(inside), sum(1 for r in inside if r["ttft_s"] > 1.0)


def test_burn_rates_budget_and_firing_pairs(store: DuckDBStore) -> None:
    api, ttft = parse_documents([SLOS], "test")
    status = evaluate_one(store, api, NOW)
    for window, minutes in (("5m", 5), ("30m", 30), ("1h", 60), ("6h", 360), ("3d", 3 * 1440),
                            ("period", 30 * 1440)):
        total, bad = _oracle(minutes, "error")
        assert total > 0
        assert status.error_ratios[window] == pytest.approx(bad / total, rel=1e-12), window
        assert status.burn_rates[window] == pytest.approx(bad / total / 0.005, rel=1e-9), window
    assert (status.total, status.bad) == _oracle(30 * 1440, "error")
    assert status.error_ratios["5m"] == pytest.approx(0.2)  # the incident: 2 of every 10 calls fail
    assert status.budget_remaining == pytest.approx(1 - (status.bad / status.total) / 0.005)
    assert status.firing == ("page: 14.4x over 1h and 5m", "page: 6x over 6h and 30m", "ticket: 1x over 3d and 6h")
    assert status.status == "page"
    body = status.as_dict()
    assert body["budget_remaining_minutes"] == pytest.approx(status.budget_remaining * 0.005 * 30 * 24 * 60)
    assert body["budget_remaining_calls"] == pytest.approx(0.005 * status.total - status.bad)

    slow = evaluate_one(store, ttft, NOW)
    total, bad = _oracle(5, "ttft")
    assert slow.error_ratios["5m"] == pytest.approx(bad / total) and bad / total == pytest.approx(0.3)
    assert (slow.total, slow.bad) == _oracle(7 * 1440, "ttft")


def test_calm_traffic_fires_nothing(store: DuckDBStore) -> None:
    api, _ = parse_documents([SLOS], "test")
    earlier = NOW - 60 * MIN  # before the incident began
    status = evaluate_one(store, api, earlier)
    assert status.firing == () and status.status in ("ok", "warning")


def test_promql_only_slo_is_left_to_prometheus(store: DuckDBStore) -> None:
    (slo,) = parse_documents([yaml.safe_load("""
version: prometheus/v1
service: s
slos: [{name: x, objective: 99, sli: {events: {error_query: 'sum(rate(a[{{.window}}]))',
                                               total_query: 'sum(rate(b[{{.window}}]))'}}}]
""")], "test")
    status = evaluate_one(store, slo, NOW)
    assert not status.computed and status.status == "prometheus" and status.as_dict()["computed_by"] == "prometheus"


def test_no_traffic_is_no_data(tmp_path: Path) -> None:
    api, _ = parse_documents([SLOS], "test")
    empty = DuckDBStore(tmp_path / "e.duckdb")
    try:
        status = evaluate_one(empty, api, NOW)
        assert status.status == "no data" and status.sli is None and status.burn_rates["5m"] is None
    finally:
        empty.close()
