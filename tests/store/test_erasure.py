"""Erasure requests through the single writer: every row of the selected traces goes from every table, the
receipt's counts equal a count in Python of what was written, the rollups answer as if the traces had never
been written, the request keeps only a salted hash of the id, and a failed re-check erases nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from genlens.errors import BadRequest, StoreError
from genlens.store import duckdb_erasure
from genlens.store.base import Store
from genlens.store.duckdb import DuckDBStore
from genlens.store.erasure import (
    DONE,
    ERASED,
    PENDING,
    REQUESTED,
    ROLLUP_TABLES,
    TIED_TABLES,
    Selector,
    request_erasure,
    resume_pending,
    selector_of,
    value_sha256,
)
from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.store.writer import Writer
from tests.store.privacy_data import ALICE, BOB, SHARED, expected, mentions, spans_left, trace_id, workload
from tests.store.test_cost_groups import QUERIES, check_groups

W = workload()
CASES = [
    ("user_id", ALICE, ALL_TENANTS),
    ("user_id", ALICE, "acme"),
    ("user_id", BOB, ALL_TENANTS),
    ("conversation_id", "conv-1-1", ALL_TENANTS),
    ("trace_id", trace_id(SHARED), "globex"),
    ("user_id", "nobody@example.com", ALL_TENANTS),
]


@pytest.fixture
def written(new_store: Callable[[str], Store]) -> Iterator[tuple[Store, Writer]]:
    store = new_store("erasure")
    writer = Writer(store, max_queued=100_000, max_batch=100_000)
    try:
        for batch in W.batches():
            writer.submit(batch).result()
        yield store, writer
    finally:
        writer.close()
        store.close()


@pytest.mark.parametrize(("kind", "value", "scope"), CASES, ids=[f"{k}-{s}-{i}" for i, (k, _, s) in enumerate(CASES)])
def test_an_erasure_removes_every_row_of_the_selected_traces(written: tuple[Store, Writer], kind: str, value: str,
                                                             scope: str) -> None:
    store, writer = written
    want = expected(W, kind, value, scope)
    selector = Selector(kind, value, scope)
    before = store.counts()
    assert store.erasure_matches(selector) == {t: want[t] for t in TIED_TABLES}

    receipt = request_erasure(writer, selector, "user asked", "test")

    assert receipt["traces"] == want["traces"] and receipt["remaining"] == 0
    for table in TIED_TABLES:
        counts = receipt["tables"][table]
        assert counts["found"] == want[table] and counts["remaining"] == 0, (table, counts)
    deleted = {t: receipt["tables"][t]["deleted"] for t in TIED_TABLES}
    assert deleted["findings"] == want["findings_deleted"]
    assert receipt["tables"]["findings"]["updated"] == want["findings"] - want["findings_deleted"]
    assert receipt["tables"]["alert_events"] == {"found": want["alert_events"], "deleted": 0,
                                                 "updated": want["alert_events"], "remaining": 0}
    for table in ("spans", "span_content", "scores", "logs", "trace_summaries"):
        assert deleted[table] == want[table], table
    after = store.counts()
    for table in TIED_TABLES:
        assert after[table] == before[table] - deleted[table], table
    for table in ROLLUP_TABLES:
        counts = receipt["tables"][table]
        assert counts["remaining"] == 0 and after[table] == before[table] - counts["deleted"] + counts["rederived"]

    erased = [trace_id(i) for i in range(60) if trace_id(i) in {s["trace_id"] for s in W.spans}
              and trace_id(i) not in {s["trace_id"] for s in spans_left(W, kind, value, scope)}]
    assert all(v == 0 for v in store.erasure_matches(selector, erased).values())
    left = spans_left(W, kind, value, scope)
    for q in QUERIES:
        check_groups(store, q, left)
    everywhere = {r["trace_id"] for r in store.search_traces(TraceQuery(tenant=ALL_TENANTS, limit=1000))}
    assert everywhere == {s["trace_id"] for s in left}
    for finding in store.findings(ALL_TENANTS):
        assert not set(finding["example_trace_ids"]) & set(erased)

    stored = store.erasure_request(receipt["request_id"])
    assert stored is not None and "value" not in stored
    assert stored["status"] == DONE and stored["receipt"] == receipt
    assert stored["value_sha256"] == value_sha256(receipt["request_id"], kind, value) == receipt["value_sha256"]
    audit = store.audit_entries(0)
    assert [e["action"] for e in audit] == [ERASED, REQUESTED]
    assert audit[0]["details"]["deleted"]["spans"] == want["spans"]
    assert value not in orjson.dumps(audit).decode()

    again = writer.run(lambda s: s.erase(receipt["request_id"]), "erasure").result()
    assert again == receipt and store.counts() == after


def test_nothing_of_a_user_is_left_in_any_table_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    store = DuckDBStore(path)
    writer = Writer(store, max_queued=100_000, max_batch=100_000)
    try:
        for batch in W.batches():
            writer.submit(batch).result()
        receipt = request_erasure(writer, Selector("user_id", ALICE), None, "test")
    finally:
        writer.close()
        store.close()
    assert receipt["remaining"] == 0 and receipt["traces"] == expected(W, "user_id", ALICE, ALL_TENANTS)["traces"]
    assert all(n == 0 for n in mentions(path, ALICE).values()), mentions(path, ALICE)
    assert mentions(path, BOB)["spans"] > 0  # the scan finds what is there


def test_a_row_left_after_the_erasure_fails_it_and_erases_nothing(written: tuple[Store, Writer],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store, writer = written
    calls: list[int] = []
    real = duckdb_erasure.tied_rows

    def one_left_behind(*args: Any) -> dict[str, int]:
        counts = real(*args)
        calls.append(1)
        if len(calls) == 2:  # the re-check after the deletes
            counts["scores"] += 1
        return counts

    before = store.counts()
    monkeypatch.setattr(duckdb_erasure, "tied_rows", one_left_behind)
    with pytest.raises(StoreError, match="left rows behind"):
        request_erasure(writer, Selector("user_id", ALICE), None, "test")
    counts = store.counts()
    assert counts["audit_log"] == before["audit_log"] + 1 and counts["erasure_requests"] == 1
    assert {t: n for t, n in counts.items() if t not in ("audit_log", "erasure_requests")} == \
        {t: n for t, n in before.items() if t not in ("audit_log", "erasure_requests")}
    (pending,) = store.pending_erasures()
    row = store.erasure_request(pending["id"])
    assert row is not None and row["status"] == PENDING and row["receipt"] is None

    monkeypatch.setattr(duckdb_erasure, "tied_rows", real)
    (receipt,) = resume_pending(writer, store)
    assert receipt["request_id"] == pending["id"] and receipt["remaining"] == 0
    assert receipt["tables"]["spans"]["deleted"] == expected(W, "user_id", ALICE, ALL_TENANTS)["spans"]
    assert store.pending_erasures() == []


@pytest.mark.parametrize(("given", "tenant", "problem"), [
    ({}, None, "name one of"),
    ({"user_id": "a", "trace_id": "b" * 32}, None, "exactly one"),
    ({"user_id": ""}, None, "empty"),
    ({"user_id": "   "}, None, "empty"),
    ({"user_id": "x" * 257}, None, "longer than 256"),
    ({"user_id": "a\x00b"}, None, "control character"),
    ({"conversation_id": "c\nd"}, None, "control character"),
    ({"user_id": 7}, None, "must be a string"),
    ({"trace_id": "not-hex"}, None, "32 hex"),
    ({"user_id": "a"}, "t\x1b", "control character"),
    ({"user_id": "a"}, "", "tenant is empty"),
    ({"user_id": "a"}, ["acme"], "tenant must be a string"),
])
def test_selectors_refuse_bad_values(given: dict[str, Any], tenant: Any, problem: str) -> None:
    with pytest.raises(BadRequest, match=problem):
        selector_of(given, tenant)


def test_selectors_take_good_values() -> None:
    assert selector_of({"user_id": ALICE, "trace_id": None}) == Selector("user_id", ALICE, ALL_TENANTS)
    assert selector_of({"trace_id": "AB" * 16}, "acme") == Selector("trace_id", "ab" * 16, "acme")
    assert selector_of({"conversation_id": "x" * 256}, "*").tenant == ALL_TENANTS
    with pytest.raises(ValueError, match="selector kind"):
        Selector("tenant", "acme")
