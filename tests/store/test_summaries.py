"""The derived tables the writer keeps (trace summaries, hourly cost rollup), against an independent Python
computation from the raw spans, whatever batches and order the spans arrive in; a rebuild gives the same rows."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genlens.cli import main
from genlens.semconv.canonical import empty_row
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from genlens.store.duckdb_summaries import fold_sql
from genlens.store.schema import ROLLUP_DIMENSIONS
from genlens.store.summaries import ALL_KEY, NULL_KEY, atto_of
from genlens.timeparse import NS_PER_HOUR

T0 = 1_764_000_000 * 10**9


def _spans(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        r = empty_row()
        start = T0 + rng.randrange(0, 5 * NS_PER_HOUR)
        dur = rng.randrange(0, 10**9)
        r.update(
            tenant=rng.choice(["acme", "globex"]), trace_id=f"tr{rng.randrange(12)}", span_id=f"s{i:04d}",
            parent_span_id=rng.choice([None, "p"]), name=rng.choice(["a", "b", "c"]),
            kind=rng.choice(["llm", "embedding", "tool", "chain"]), start_ns=start, end_ns=start + dur,
            duration_ns=dur, status=rng.choice(["ok", "error"]), service_name=rng.choice([None, "api", "web"]),
            feature=rng.choice([None, "chat", "search"]), provider=rng.choice(["openai", "anthropic"]),
            request_model=rng.choice(["m1", "m2"]), input_tokens=rng.choice([None, rng.randrange(1000)]),
            output_tokens=rng.randrange(500), cost_usd=rng.choice([None, rng.random() / 7, 0.1 + 0.2]),
        )
        out.append(r)
    return out


def _first(spans: list[dict[str, Any]], column: str, root: bool = False) -> Any:
    cands = [s for s in spans if s[column] is not None and (not root or s["parent_span_id"] is None)]
    return min(cands, key=lambda s: (s["start_ns"], s["span_id"]))[column] if cands else None


def _expected_summaries(spans: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in spans:
        groups.setdefault((s["tenant"], s["trace_id"]), []).append(s)
        groups.setdefault((ALL_KEY, s["trace_id"]), []).append(s)
    out = {}
    for k, g in groups.items():
        out[k] = {
            "start_ns": min(s["start_ns"] for s in g), "end_ns": max(s["end_ns"] for s in g),
            "span_count": len(g), "llm_calls": sum(s["kind"] == "llm" for s in g),
            "errors": sum(s["status"] == "error" for s in g),
            "input_tokens": sum(s["input_tokens"] or 0 for s in g),
            "cost_atto": sum(atto_of(s["cost_usd"]) for s in g if s["cost_usd"] is not None),
            "unknown_cost_calls": sum(s["kind"] in ("llm", "embedding") and s["cost_usd"] is None for s in g),
            "root_name": _first(g, "name", root=True), "first_name": _first(g, "name"),
            "service_name": _first(g, "service_name"), "first_tenant": _first(g, "tenant"),
            "services": sorted({s["service_name"] for s in g if s["service_name"]}),
            "features": sorted({s["feature"] for s in g if s["feature"]}),
        }
    return out


def _expected_cost(spans: list[dict[str, Any]]) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    out: dict[tuple[Any, ...], tuple[int, int, int]] = {}
    for s in spans:
        if s["kind"] not in ("llm", "embedding"):
            continue
        k = (s["start_ns"] // NS_PER_HOUR * NS_PER_HOUR, s["tenant"], s["feature"] or NULL_KEY, s["request_model"])
        calls, unknown, atto = out.get(k, (0, 0, 0))
        out[k] = (calls + 1, unknown + (s["cost_usd"] is None),
                  atto + (atto_of(s["cost_usd"]) if s["cost_usd"] is not None else 0))
    return out


def _read(store: DuckDBStore) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[Any, ...], tuple[int, int, int]]]:
    cols = list(next(iter(_expected_summaries(_spans(random.Random(0), 1)).values())))
    rows = [r for across in (False, True)
            for r in store._query(f"SELECT tenant, trace_id, {', '.join(cols)} FROM ({fold_sql(across_tenants=across)})", [])]
    summaries = {(r.pop("tenant"), r.pop("trace_id")): r for r in rows}
    cost = store._query(
        "SELECT hour_ns, tenant, feature, request_model, sum(calls) AS c, sum(unknown_cost_calls) AS u, "
        "sum(cost_atto) AS a FROM cost_hourly GROUP BY ALL", [])
    return summaries, {(r["hour_ns"], r["tenant"], r["feature"], r["request_model"]): (r["c"], r["u"], int(r["a"]))
                       for r in cost}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batches_in_any_order_merge_to_the_scan_of_all_spans_and_rebuild_agrees(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    spans = _spans(rng, 300)
    shuffled = spans[:]
    rng.shuffle(shuffled)
    store = DuckDBStore(tmp_path / "s.duckdb")
    try:
        i = 0
        while i < len(shuffled):
            n = rng.randrange(1, 40)
            store.write(WriteBatch(spans=shuffled[i:i + n]))
            i += n
        summaries, cost = _read(store)
        assert summaries == _expected_summaries(spans)
        assert cost == _expected_cost(spans)
        partial_rows = store.counts()
        assert partial_rows["trace_summaries"] > len(summaries) // 2, "the batches left partial rows to fold"
        store.rebuild_summaries()
        assert _read(store) == (summaries, cost)
        for table in ("trace_summaries", "cost_hourly", "latency_hourly"):
            assert store.counts()[table] == _keys(store, table), f"a rebuild writes one {table} row per key"
    finally:
        store.close()


def _keys(store: DuckDBStore, table: str) -> int:
    keys = {"trace_summaries": "tenant, trace_id", "cost_hourly": "hour_ns, " + ", ".join(ROLLUP_DIMENSIONS),
            "latency_hourly": "hour_ns, bucket, " + ", ".join(ROLLUP_DIMENSIONS)}[table]
    return int(store._query(f"SELECT count(*) AS n FROM (SELECT DISTINCT {keys} FROM {table})", [])[0]["n"])


@pytest.mark.parametrize("since", [None, T0 + 2 * NS_PER_HOUR])
def test_compaction_folds_partial_rows_and_keeps_every_answer(tmp_path: Path, since: int | None) -> None:
    rng = random.Random(11)
    spans = _spans(rng, 400)
    store = DuckDBStore(tmp_path / "s.duckdb")
    try:
        for i in range(0, len(spans), 7):
            store.write(WriteBatch(spans=spans[i:i + 7]))
        before = _read(store)
        rows_before = store.counts()
        removed = store.compact_summaries(since)
        assert _read(store) == before
        assert removed["trace_summaries"] > 0 and removed["cost_hourly"] > 0, "there were partial rows to fold"
        for table in ("trace_summaries", "cost_hourly", "latency_hourly"):
            assert store.counts()[table] == rows_before[table] - removed[table]
            if since is None:
                assert store.counts()[table] == _keys(store, table), f"{table}: one row per key after a full fold"
        assert store.compact_summaries(since) == {t: 0 for t in removed}, "a second compaction finds nothing"
        store.write(WriteBatch(spans=_spans(random.Random(12), 50)))  # partials after a compaction still fold
        assert _read(store)[0] != before[0]
    finally:
        store.close()


def test_migration_5_fills_the_summaries_of_an_upgraded_schema_3_file(tmp_path: Path) -> None:
    path = tmp_path / "v3.duckdb"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema_v3.duckdb", path)
    store = DuckDBStore(path)
    try:
        migrated = _read(store)
        assert migrated[0], "the fixture's traces are summarised"
        assert sum(r["span_count"] for k, r in migrated[0].items() if k[0] == ALL_KEY) == store.counts()["spans"]
        store.rebuild_summaries()
        assert _read(store) == migrated
    finally:
        store.close()


def test_cli_rebuild_gives_the_rows_incremental_maintenance_gave(tmp_path: Path, capsys: Any) -> None:
    store = DuckDBStore(tmp_path / "genlens.duckdb")
    store.write(WriteBatch(spans=_spans(random.Random(7), 120)))
    before = _read(store)
    store._db.execute("DELETE FROM trace_summaries")  # damage, so the rebuild has something to repair
    store.close()
    assert main(["store", "rebuild", "--data", str(tmp_path)]) == 0
    assert "rebuilt from 120 spans" in capsys.readouterr().out
    store = DuckDBStore(tmp_path / "genlens.duckdb")
    try:
        assert _read(store) == before
    finally:
        store.close()


def test_cli_rebuild_refuses_bad_data_directories(tmp_path: Path, capsys: Any) -> None:
    assert main(["store", "rebuild", "--data", str(tmp_path / "missing")]) == 2
    assert "no data directory" in capsys.readouterr().err
    assert main(["store", "rebuild", "--data", str(tmp_path)]) == 2
    assert "not a genlens data directory" in capsys.readouterr().err
    other = duckdb.connect(str(tmp_path / "genlens.duckdb"))
    other.execute("CREATE TABLE t (x INTEGER)")
    other.close()
    assert main(["store", "rebuild", "--data", str(tmp_path)]) == 2
    assert "not a genlens database" in capsys.readouterr().err


def test_cli_rebuild_refuses_a_file_another_process_holds(tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "genlens.duckdb").close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(60)", str(tmp_path / "genlens.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        done = subprocess.run([sys.executable, "-m", "genlens", "store", "rebuild", "--data", str(tmp_path)],
                              capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    assert "is a genlens server running on it" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_and_sql_count_a_cost_in_the_same_atto_dollars() -> None:
    """Partial rows are computed in Python and rebuilt in SQL: both round half away from zero, also where
    ``x + 0.5`` would itself round up (just below one half)."""
    rng = random.Random(17)
    values = [4.9999999999999994e-19, -4.9999999999999994e-19, 5e-19, -5e-19, 1.5e-18, 2.5e-18, 0.1 + 0.2, 1e-6 / 3]
    values += [(k + 0.5) * 1e-18 for k in range(-40, 40)]
    values += [rng.random() * 10 ** rng.randint(-20, 5) * rng.choice([1, -1]) for _ in range(3000)]
    con = duckdb.connect()
    try:
        sql = [con.execute("SELECT CAST(round(? * CAST(1e18 AS DOUBLE)) AS HUGEINT)", [v]).fetchone() for v in values]
    finally:
        con.close()
    assert [atto_of(v) for v in values] == [int(row[0]) for row in sql if row is not None]
