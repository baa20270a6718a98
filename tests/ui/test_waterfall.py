"""The waterfall layout: order, subtree ends, roll-ups, critical path, slowest call, hostile trees."""

from __future__ import annotations

import random
from typing import Any

from genlens.query.waterfall import COLUMNS, layout

C = {name: i for i, name in enumerate(COLUMNS)}


def span(sid: str, parent: str | None, start: int, end: int, kind: str = "other", cost: float | None = None,
         tokens: int | None = None) -> dict[str, Any]:
    return {"span_id": sid, "parent_span_id": parent, "name": sid, "kind": kind, "start_ns": start, "end_ns": end,
            "status": "ok", "error_class": None, "cost_usd": cost, "total_tokens": tokens, "request_model": None,
            "response_model": None}


def tree() -> list[dict[str, Any]]:
    #  root [0,100]
    #   ├─ a [0,30] llm          (sequential before b)
    #   ├─ p [10,60] tool        (parallel with b, not waited for: b ends later)
    #   └─ b [35,100] agent
    #        └─ c [40,95] llm
    #             └─ d [41,90] tool
    #                  └─ e [42,89] llm  (depth 4)
    return [span("root", None, 0, 100, "workflow"), span("a", "root", 0, 30, "llm", 0.01, 100),
            span("p", "root", 10, 60, "tool"), span("b", "root", 35, 100, "agent"),
            span("c", "b", 40, 95, "llm", 0.02, 200), span("d", "c", 41, 90, "tool"),
            span("e", "d", 42, 89, "llm", 0.04, 400)]


def test_depth_first_order_and_subtree_ends() -> None:
    wf = layout(tree())
    ids = [r[C["span_id"]] for r in wf.rows]
    assert ids == ["root", "a", "p", "b", "c", "d", "e"]
    assert [r[C["depth"]] for r in wf.rows] == [0, 1, 1, 1, 2, 3, 4]
    assert [r[C["end"]] for r in wf.rows] == [7, 2, 3, 7, 7, 7, 7]
    assert [r[C["parent"]] for r in wf.rows] == [-1, 0, 0, 0, 3, 4, 5]
    assert wf.max_depth == 4 and wf.orphans == 0


def test_rollups_sum_each_subtree() -> None:
    rows = {r[C["span_id"]]: r for r in layout(tree()).rows}
    assert rows["root"][C["sub_tokens"]] == 700 and rows["root"][C["sub_llm"]] == 3
    assert abs(rows["root"][C["sub_cost"]] - 0.07) < 1e-12
    assert rows["b"][C["sub_tokens"]] == 600 and rows["b"][C["sub_llm"]] == 2
    assert rows["d"][C["sub_tokens"]] == 400 and rows["p"][C["sub_tokens"]] == 0


def test_critical_path_skips_the_parallel_sibling_nobody_waited_for() -> None:
    rows = {r[C["span_id"]]: r for r in layout(tree()).rows}
    assert {k for k, r in rows.items() if r[C["critical"]]} == {"root", "b", "c", "d", "e", "a"}
    assert rows["p"][C["critical"]] == 0


def test_slowest_call_is_the_longest_working_span() -> None:
    wf = layout(tree())
    assert wf.rows[wf.slowest_index][C["span_id"]] == "c"  # 55 ns llm; root/agent spans are not "work"


def test_times_are_offsets_from_the_trace_start_in_microseconds() -> None:
    spans = [span("r", None, 5_000_000, 9_000_000), span("k", "r", 6_000_000, 7_500_000, "llm")]
    wf = layout(spans)
    assert wf.start_ns == 5_000_000 and wf.duration_ns == 4_000_000
    assert wf.rows[1][C["start_us"]] == 1000 and wf.rows[1][C["dur_us"]] == 1500


def test_orphans_cycles_duplicates_and_missing_times_still_lay_out() -> None:
    spans = [span("x", "y", 0, 10), span("y", "x", 1, 9),  # a parent cycle
             span("o", "missing", 2, 3),  # parent never arrived
             span("o", None, 50, 60),  # duplicate id: first copy wins
             {**span("n", None, 0, 0), "start_ns": None, "end_ns": None}]
    wf = layout(spans)
    assert sorted(r[C["span_id"]] for r in wf.rows) == ["n", "o", "x", "y"]
    assert wf.orphans >= 2
    assert all(r[C["dur_us"]] >= 0 for r in wf.rows)


def test_a_long_chain_does_not_recurse() -> None:
    n = 20_000
    spans = [span("s0", None, 0, 10 * n)] + [span(f"s{i}", f"s{i - 1}", i, 10 * n - i) for i in range(1, n)]
    random.Random(1).shuffle(spans)
    wf = layout(spans)
    assert wf.max_depth == n - 1 and wf.rows[0][C["end"]] == n
    assert sum(r[C["critical"]] for r in wf.rows) == n
