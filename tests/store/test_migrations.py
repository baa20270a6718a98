"""The frozen migrations: they build exactly the registry's tables, and an old file upgrades without loss.

``fixtures/schema_v3.duckdb`` was written by the genlens of schema 3 (see
``fixtures/make_schema_v3.py``), and ``schema_v3.answers.json`` holds that code's own
answers to a set of reads.  The upgraded copy must give the same answers; a row may
carry fields the old code did not have, never lose or change one.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genlens.store.duckdb import DuckDBStore
from genlens.store.migrations import MIGRATIONS
from genlens.store.queries import CostQuery, TraceQuery
from genlens.store.schema import SQL_TYPES, TABLES, StoreType

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1_764_000_000 * 10**9
TRACES = {1: "acme", 2: "acme", 3: "globex"}


def _columns(path: Path) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def test_versions_are_strictly_increasing_from_one() -> None:
    versions = [v for v, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))


def test_migrations_on_an_empty_file_build_every_registry_table(tmp_path: Path) -> None:
    path = tmp_path / "fresh.duckdb"
    DuckDBStore(path).close()
    built = _columns(path)
    for table in TABLES:
        declared = [(c, _duck_type(t)) for c, t in table.columns]
        assert built.get(table.name) == declared, table.name
    assert set(built) - {t.name for t in TABLES} == {"schema_migrations"}


def _duck_type(kind: StoreType) -> str:
    return SQL_TYPES[kind]


@pytest.fixture
def upgraded(tmp_path: Path) -> Any:
    path = tmp_path / "v3.duckdb"
    shutil.copy(FIXTURES / "schema_v3.duckdb", path)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (3,)
    con.close()
    store = DuckDBStore(path)
    yield store
    store.close()


def _same(old: Any, new: Any, where: str) -> None:
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}: lost field {key}"
            _same(value, new[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), f"{where}: {old!r} != {new!r}"
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(old, float) or isinstance(new, float):
        assert old is not None and new is not None and math.isclose(old, new, rel_tol=1e-12), where
    else:
        assert (new if isinstance(old, str) or new is None else new) == old or str(new) == old, \
            f"{where}: {old!r} != {new!r}"


def test_a_schema_3_file_upgrades_to_the_latest_version(upgraded: DuckDBStore) -> None:
    assert upgraded.schema_version == MIGRATIONS[-1][0]
    assert upgraded.counts()["spans"] == 10
    assert upgraded.counts()["span_content"] == 6


def test_an_upgraded_file_answers_as_the_old_code_did(upgraded: DuckDBStore) -> None:
    old = json.loads((FIXTURES / "schema_v3.answers.json").read_text())
    new: dict[str, Any] = {}
    for tenant in ("acme", "globex", "*"):
        new[f"search:{tenant}"] = upgraded.search_traces(TraceQuery(tenant=tenant, limit=10))
        new[f"cost:{tenant}"] = upgraded.cost_groups(
            CostQuery(tenant, T0, T0 + 86400 * 10**9, group_by=("feature", "model")))
    for t, tenant in TRACES.items():
        trace = t.to_bytes(16, "big").hex()
        new[f"spans:{trace}"] = upgraded.trace_spans(tenant, trace)
        new[f"content:{trace}"] = upgraded.content(tenant, trace)
        new[f"scores:{trace}"] = upgraded.scores(tenant, trace)
    new["findings:acme"] = upgraded.findings("acme")
    new["logs:acme"] = upgraded.logs("acme", None, 10)
    new = json.loads(json.dumps(new, sort_keys=True, default=str))
    assert set(new) == set(old)
    for key in sorted(old):
        _same(old[key], new[key], key)
    # the fixture is not empty where it matters: the comparison above compared something
    assert len(old["search:*"]) == 3 and len(old["spans:" + (1).to_bytes(16, "big").hex()]) == 4


def test_an_upgraded_file_takes_new_writes(upgraded: DuckDBStore) -> None:
    from genlens.store.base import WriteBatch

    before = upgraded.counts()["spans"]
    batch = WriteBatch(spans=[{"tenant": "acme", "trace_id": "f" * 32, "span_id": "e" * 16, "name": "later",
                               "start_ns": T0, "end_ns": T0 + 1, "duration_ns": 1, "status": "ok",
                               "kind": "internal"}])
    upgraded.write(batch)
    assert upgraded.counts()["spans"] == before + 1
