"""Encryption at rest of content, in process: the encryption stage runs last and seals every content row, the
DuckDB file holds no plaintext, readers get the plaintext back, a rotation re-seals everything under the new
key chunk by chunk through the writer (plaintext rows too) while other rows stay readable, tampered or
misplaced ciphertext reads as a counted placeholder, and retention, erasure and tail sampling delete
encrypted rows as before."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from genlens.errors import ConfigError
from genlens.pipeline.ingest import Stages
from genlens.privacy.cipher import PREFIX, SEALED_JSON, key_id_of
from genlens.privacy.sampling import SamplingPolicy
from genlens.query.conversations import conversation
from genlens.query.trace_views import read_span
from genlens.settings import Settings, resolve
from genlens.store.content_rotation import PLAINTEXT, ROTATED, rotate_content
from genlens.store.duckdb import DuckDBStore
from genlens.store.queries import ALL_TENANTS
from genlens.store.writer import Writer
from tests.otlp_helpers import span_request

KEY_A = "a:" + base64.b64encode(b"a" * 32).decode()
KEY_B = "b:" + base64.b64encode(b"b" * 32).decode()
T0 = time.time_ns() - 3600 * 10**9


def _settings(key: str | None, **env: str) -> Settings:
    return resolve({"ingest_workers": 0}, environ={**({"GENLENS_CONTENT_KEY": key} if key else {}), **env})


def _spans(n: int, marker: str, first: int = 0) -> bytes:
    spans = []
    for i in range(first, first + n):
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                 "gen_ai.conversation.id": "conv-enc", "gen_ai.usage.input_tokens": 5,
                 "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [
                     {"type": "text", "content": f"{marker}-{i}"}]}]),
                 "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                     {"type": "text", "content": f"{marker}-reply-{i}"}]}])}
        spans.append({"trace_id": (0x1000 + i).to_bytes(16, "big"), "span_id": (0x2000 + i).to_bytes(8, "big"),
                      "name": "chat", "start": T0 + i * 10**6, "end": T0 + i * 10**6 + 10**8, "attributes": attrs})
    return span_request(spans).SerializeToString()


def _ingest(store: DuckDBStore, settings: Settings, body: bytes) -> Stages:
    stages = Stages(settings, settings.prices.load_book())
    store.write(stages.traces(body).batch)
    return stages


def _tid(i: int) -> str:
    return (0x1000 + i).to_bytes(16, "big").hex()


def _sid(i: int) -> str:
    return (0x2000 + i).to_bytes(8, "big").hex()


def _raw(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _texts(store: DuckDBStore, i: int) -> list[Any]:
    return [orjson.loads(r["data"]) for r in store.content(ALL_TENANTS, _tid(i))]


def test_the_stage_runs_last_and_seals_every_content_row(tmp_path: Path) -> None:
    settings = _settings(KEY_A, GENLENS_SAMPLING_ENABLED="true")
    stages = Stages(settings, settings.prices.load_book())
    assert [name for name, _ in stages.stages][-1] == "encryption"
    assert [name for name, _ in Stages(_settings(None), settings.prices.load_book()).stages] == \
        ["pricing", "redaction"]  # no key: no stage, nothing extra to do
    prepared = stages.traces(_spans(3, "secret-marker"))
    content = prepared.batch.arrow["span_content"][0].to_pylist()
    assert len(content) == 6 and all(r["data"].startswith(SEALED_JSON + "a:") for r in content)
    assert "secret-marker" not in str(content)
    assert prepared.notes["encryption:sealed"] == 6
    pending = prepared.batch.arrow["content_pending"][0].to_pylist()  # sampling saw the rows before sealing
    assert sum(r["content_rows"] for r in pending) == 6


def test_the_file_holds_no_plaintext_and_readers_get_it_back(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    settings = _settings(KEY_A)
    store = DuckDBStore(path, keyring=settings.content_keyring())
    _ingest(store, settings, _spans(4, "planted-text"))
    texts = _texts(store, 2)
    assert [m["parts"][0]["content"] for t in texts for m in t] == ["planted-text-2", "planted-text-reply-2"]
    span = read_span(store, ALL_TENANTS, _sid(2))
    assert span["content"]["input_messages"][0]["parts"][0]["content"] == "planted-text-2"
    turns = conversation(store, ALL_TENANTS, "conv-enc", 10).turns
    assert [t["user_says"] for t in turns] == [f"planted-text-{i}" for i in range(4)]
    store.close()
    rows = _raw(path, "SELECT CAST(data AS VARCHAR) FROM span_content")
    assert len(rows) == 8 and all(key_id_of(r[0]) == "a" for r in rows)
    assert b"planted-text" not in path.read_bytes()


def test_without_the_key_content_reads_as_a_clear_placeholder(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    settings = _settings(KEY_A)
    store = DuckDBStore(path, keyring=settings.content_keyring())
    _ingest(store, settings, _spans(1, "planted-text"))
    store.close()
    for keyring, needle in ((_settings(None).content_keyring(), "no content key is configured"),
                            (_settings(KEY_B).content_keyring(), "'a', which is not configured (configured: b)")):
        reader = DuckDBStore(path, read_only=True, keyring=keyring)
        texts = _texts(reader, 0)
        assert len(texts) == 2 and all(t.startswith("[content not readable: ") and needle in t for t in texts)
        assert sum(reader.keyring.failures.values()) == 2
        reader.close()


def test_tampered_or_moved_ciphertext_fails_authentication_and_the_rest_is_served(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    settings = _settings(KEY_A)
    store = DuckDBStore(path, keyring=settings.content_keyring())
    _ingest(store, settings, _spans(3, "planted-text"))
    con = store._db
    moved = con.execute("SELECT CAST(data AS VARCHAR) FROM span_content WHERE span_id = ? AND kind = "
                        "'input_messages'", [_sid(0)]).fetchone()
    assert moved is not None
    con.execute("UPDATE span_content SET data = CAST(? AS JSON) WHERE span_id = ? AND kind = 'input_messages'",
                [moved[0], _sid(1)])  # span 0's ciphertext copied onto span 1's row
    flipped = con.execute("SELECT CAST(data AS VARCHAR) FROM span_content WHERE span_id = ? AND kind = "
                          "'output_messages'", [_sid(2)]).fetchone()
    assert flipped is not None
    value = orjson.loads(flipped[0])
    raw = bytearray(base64.b64decode(value.rsplit(":", 1)[1]))
    raw[-1] ^= 0x40
    con.execute("UPDATE span_content SET data = CAST(? AS JSON) WHERE span_id = ? AND kind = 'output_messages'",
                [orjson.dumps(f"{PREFIX}a:{base64.b64encode(bytes(raw)).decode()}").decode(), _sid(2)])
    one, two = _texts(store, 1), _texts(store, 2)
    assert one[0].startswith("[content not readable: authentication failed")
    assert one[1][0]["parts"][0]["content"] == "planted-text-reply-1"
    assert two[0][0]["parts"][0]["content"] == "planted-text-2" and "authentication failed" in two[1]
    assert store.keyring.failures == {"authentication": 2}
    store.close()


def test_rotation_reseals_everything_under_the_new_key_then_the_old_one_can_go(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    store = DuckDBStore(path)
    _ingest(store, _settings(None), _spans(3, "before-encryption"))  # plaintext, stored before any key
    store.close()
    store = DuckDBStore(path, keyring=_settings(KEY_A).content_keyring())
    _ingest(store, _settings(KEY_A), _spans(20, "under-a", first=3))
    store.close()

    both = _settings(f"{KEY_B},{KEY_A}")
    store = DuckDBStore(path, keyring=both.content_keyring())
    writer = Writer(store, max_queued=100, max_batch=100)
    _ingest(store, both, _spans(2, "under-b", first=23))  # new writes go under b straight away
    seen: list[int] = []
    original = store.reseal_content

    def watched(keyring: Any, after: int, limit: int) -> Any:
        # between chunks, every row is readable under one key or the other
        seen.append(sum(1 for i in range(25) for t in _texts(store, i) if not isinstance(t, str)))
        return original(keyring, after, limit)

    store.reseal_content = watched  # type: ignore[method-assign]
    rotation = rotate_content(writer, store.keyring, chunk_rows=7)
    view = rotation.view()
    assert view["resealed_by_former_key"] == {"a": 40, PLAINTEXT: 6} and view["unreadable_rows"] == 0
    assert rotation.chunks == 7 and seen == [50] * 7  # 46 rows in chunks of 7, all readable before each
    assert {key_id_of(r[0]) for r in store._db.execute("SELECT CAST(data AS VARCHAR) FROM span_content")
            .fetchall()} == {"b"}
    entries = store.audit_entries(0, ROTATED)
    assert len(entries) == 1 and entries[0]["details"]["resealed_rows"] == 46
    again = rotate_content(writer, store.keyring, chunk_rows=7)  # nothing left: one empty chunk
    assert again.view()["resealed_rows"] == 0 and again.chunks == 1
    writer.close()
    store.close()
    assert not _raw(path, "SELECT 1 FROM span_content WHERE CAST(data AS VARCHAR) LIKE '%under-%' "
                          "OR CAST(data AS VARCHAR) LIKE '%before-encryption%'")
    # the blocks DuckDB freed may still hold the old bytes until reused: the documented copy into a fresh file
    # (README, "Encryption at rest") leaves none of them
    fresh = tmp_path / "fresh.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS old (READ_ONLY)")
    con.execute(f"ATTACH '{fresh}' AS new")
    con.execute("COPY FROM DATABASE old TO new")
    con.close()
    assert not [w for w in (b"under-a", b"before-encryption", b"under-b") if w in fresh.read_bytes()]
    path = fresh

    only_b = DuckDBStore(path, read_only=True, keyring=_settings(KEY_B).content_keyring())
    assert _texts(only_b, 0)[0][0]["parts"][0]["content"] == "before-encryption-0"
    assert _texts(only_b, 10)[0][0]["parts"][0]["content"] == "under-a-10"
    assert _texts(only_b, 24)[1][0]["parts"][0]["content"] == "under-b-reply-24"
    assert not only_b.keyring.failures
    only_b.close()


def test_rotation_leaves_unreadable_rows_counted_and_ends(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    store = DuckDBStore(path, keyring=_settings(KEY_A).content_keyring())
    _ingest(store, _settings(KEY_A), _spans(5, "x"))
    store.close()
    store = DuckDBStore(path, keyring=_settings(KEY_B).content_keyring())  # a's key lost
    writer = Writer(store, max_queued=10, max_batch=10)
    view = rotate_content(writer, store.keyring, chunk_rows=3).view()
    assert view["unreadable_by_reason"] == {"unknown_key": 10} and view["resealed_rows"] == 0
    assert view["chunks"] == 4 and view["error"] is None
    writer.close()
    store.close()
    with pytest.raises(ConfigError, match="nothing to rotate to"):
        rotate_content(writer, _settings(None).content_keyring())


def test_retention_erasure_and_sampling_delete_encrypted_rows(tmp_path: Path) -> None:
    path = tmp_path / "genlens.duckdb"
    settings = _settings(KEY_A, GENLENS_SAMPLING_ENABLED="true")
    store = DuckDBStore(path, keyring=settings.content_keyring())
    _ingest(store, settings, _spans(6, "x"))
    assert store.counts()["span_content"] == 12
    store.delete_traces("default", [_tid(0)])
    assert store.counts()["span_content"] == 10
    policy = SamplingPolicy.of([{"name": "none", "type": "probabilistic",
                                 "probabilistic": {"sampling_percentage": 0}}], "")
    store.sample_content(policy, time.time_ns(), 0, 0)  # every trace decided, every one dropped
    assert store.counts()["span_content"] == 0
    _ingest(store, settings, _spans(2, "y", first=10))
    store.purge("span_content", time.time_ns(), lambda counts: {
        "at_ns": time.time_ns(), "actor": "test", "action": "retention.purge", "tenant": None,
        "target": "span_content", "purpose": None, "details": counts})
    assert store.counts()["span_content"] == 0
    store.close()
