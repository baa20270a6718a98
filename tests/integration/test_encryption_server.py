"""Encryption at rest through real ``genlens serve`` processes (ingest workers included): OTLP content is
stored sealed (no plaintext in the content table nor anywhere in the DuckDB file) and served as plaintext by
REST and UI; keys rotate on a stopped data directory and on a running server while exports go on; content
read without its key answers a clear placeholder, never a 500 nor ciphertext; bad key material stops the start
with a clear error that never repeats the key."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from genlens.privacy.cipher import key_id_of
from tests.conftest import LiveServer, free_port, start_server
from tests.otlp_helpers import span_request

T0 = time.time_ns() - 600 * 10**9
QUIET = {"GENLENS_COST_DETECT_INTERVAL_S": "0", "GENLENS_ALERTS_INTERVAL_S": "0"}


def _key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _trace(i: int, marker: str) -> tuple[bytes, str, str]:
    tid, sid = (0xE000 + i).to_bytes(16, "big"), (0xF000 + i).to_bytes(8, "big")
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
             "gen_ai.conversation.id": "conv-sealed", "gen_ai.usage.input_tokens": 7,
             "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [
                 {"type": "text", "content": f"{marker} number {i}"}]}]),
             "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                 {"type": "text", "content": f"{marker} answer {i}"}]}])}
    body = span_request([{"trace_id": tid, "span_id": sid, "name": "chat", "start": T0 + i * 10**6,
                          "end": T0 + i * 10**6 + 10**8, "attributes": attrs}]).SerializeToString()
    return body, tid.hex(), sid.hex()


def _send(url: str, first: int, n: int, marker: str) -> None:
    for i in range(first, first + n):
        r = httpx.post(f"{url}/v1/traces", content=_trace(i, marker)[0],
                       headers={"Content-Type": "application/x-protobuf"}, timeout=10)
        assert r.status_code == 200, r.text


def _said(server: LiveServer, i: int) -> str:
    """The user message of trace ``i`` as REST answers it."""
    _, tid, _ = _trace(i, "")
    r = httpx.get(f"{server.url}/api/v1/traces/{tid}", params={"format": "flat"}, timeout=10)
    assert r.status_code == 200, r.text
    content = r.json()["spans"][0]["content"]["input_messages"]
    return content if isinstance(content, str) else str(content[0]["parts"][0]["content"])


def _stored(data: Path) -> list[str]:
    con = duckdb.connect(str(data / "genlens.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT CAST(data AS VARCHAR) FROM span_content").fetchall()]
    finally:
        con.close()


def _env(key: str | None) -> dict[str, str]:
    return {**QUIET, **({"GENLENS_CONTENT_KEY": key} if key else {})}


def _file_bytes(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith("genlens.duckdb"))


def test_content_is_sealed_at_rest_and_served_in_plaintext(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    key_file = tmp_path / "content.key"
    key_file.write_text(_key("k1") + "\n")
    key_file.chmod(0o600)
    server = start_server(data, extra_env={**QUIET, "GENLENS_CONTENT_KEY_FILE": str(key_file)})
    try:
        _send(server.url, 0, 5, "zebra-walnut")
        assert _said(server, 3) == "zebra-walnut number 3"
        _, tid, sid = _trace(2, "")
        span = httpx.get(f"{server.url}/api/v1/spans/{sid}", timeout=10).json()
        assert span["content"]["output_messages"][0]["parts"][0]["content"] == "zebra-walnut answer 2"
        page = httpx.get(f"{server.url}/traces/{tid}", params={"span": sid}, timeout=10)
        assert page.status_code == 200 and "zebra-walnut number 2" in page.text
        turns = httpx.get(f"{server.url}/conversations/conv-sealed", params={"format": "json"}, timeout=10).json()
        assert [t["user_says"] for t in turns["turns"]] == [f"zebra-walnut number {i}" for i in range(5)]
        status = httpx.get(f"{server.url}/api/v1/content/rotate", timeout=10).json()
        assert status == {"active_key": "k1", "keys": ["k1"], "unreadable_reads": {}, "rotation": None}
        assert "zebra" not in str(status) and key_file.read_text().split(":")[1].strip() not in str(status)
    finally:
        server.stop()
    stored = _stored(data)
    assert len(stored) == 10 and all(key_id_of(v) == "k1" for v in stored)
    assert not [v for v in stored if "zebra" in v]
    assert b"zebra-walnut" not in _file_bytes(data)


def test_keys_rotate_offline_and_online_and_a_missing_key_reads_as_a_placeholder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    a, b, c = _key("a"), _key("b"), _key("c")
    server = start_server(data, extra_env=_env(a))
    try:
        _send(server.url, 0, 10, "first")
    finally:
        server.stop()

    # offline: a stopped data directory, keys from the environment, the new one first
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLENS_")}
    done = subprocess.run([sys.executable, "-m", "genlens", "keys", "rotate-content", "--data", str(data),
                           "--chunk-rows", "3", "--format", "json"], capture_output=True, text=True, timeout=120,
                          env={**env, "GENLENS_CONTENT_KEY": f"{b},{a}"})
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["resealed_by_former_key"] == {"a": 20} and view["chunks"] == 7
    assert {key_id_of(v) for v in _stored(data)} == {"b"}

    # online: new key c first; exports go on while the server re-seals
    server = start_server(data, extra_env=_env(f"{c},{b}"))
    sender = threading.Thread(target=_send, args=(server.url, 10, 30, "during"))
    try:
        _send(server.url, 100, 5, "before-rotation")  # under c already
        sender.start()
        done = subprocess.run([sys.executable, "-m", "genlens", "keys", "rotate-content", "--server", server.url],
                              capture_output=True, text=True, timeout=120, env=env)
        sender.join(timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "content re-sealed under key 'c': 20 rows (b: 20)" in done.stdout
        assert _said(server, 4) == "first number 4" and _said(server, 39) == "during number 39"
        audit = httpx.get(f"{server.url}/api/v1/audit", params={"action": "content.rotate"}, timeout=10).json()
        assert audit["entries"][0]["details"]["resealed_rows"] == 20
        again = httpx.post(f"{server.url}/api/v1/content/rotate", timeout=10)
        assert again.status_code == 202
    finally:
        server.stop()
    assert {key_id_of(v) for v in _stored(data)} == {"c"} and len(_stored(data)) == 90

    server = start_server(data, extra_env=_env(c))  # b removed: everything still reads
    try:
        assert [_said(server, i) for i in (0, 9, 25, 102)] == [
            "first number 0", "first number 9", "during number 25", "before-rotation number 102"]
    finally:
        server.stop()

    for key, needle in ((None, "no content key is configured"), (a, "'c', which is not configured (configured: a)")):
        server = start_server(data, extra_env=_env(key))
        try:
            said = _said(server, 5)
            assert said.startswith("[content not readable: ") and needle in said
            _, tid, sid = _trace(5, "")
            page = httpx.get(f"{server.url}/traces/{tid}", params={"span": sid}, timeout=10)
            assert page.status_code == 200 and "content not readable" in page.text
            status = httpx.get(f"{server.url}/api/v1/content/rotate", timeout=10).json()
            assert sum(status["unreadable_reads"].values()) >= 1
            if key is None:
                refused = httpx.post(f"{server.url}/api/v1/content/rotate", timeout=10)
                assert refused.status_code == 400 and "no content key" in refused.text
        finally:
            server.stop()


def _serve_fails(tmp_path: Path, extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLENS_")} | QUIET | extra
    done = subprocess.run([sys.executable, "-m", "genlens", "serve", "--port", str(free_port()), "--grpc-port", "0",
                           "--data", str(tmp_path / "data")], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr


@pytest.mark.parametrize("value,needle", [
    ("k1:" + base64.b64encode(b"s" * 16).decode(), "16 bytes; AES-256 needs 32"),
    ("k1:@@not-base64@@", "not valid base64"),
    (base64.b64encode(b"s" * 32).decode(), "not ID:BASE64KEY"),
])
def test_bad_key_material_stops_the_start_and_never_shows_the_key(tmp_path: Path, value: str, needle: str) -> None:
    err = _serve_fails(tmp_path, {"GENLENS_CONTENT_KEY": value})
    assert "GENLENS_CONTENT_KEY" in err and needle in err
    assert value.split(":")[-1] not in err


def test_a_world_readable_key_file_stops_the_start(tmp_path: Path) -> None:
    key_file = tmp_path / "content.key"
    key_file.write_text(_key("k1"))
    key_file.chmod(0o644)
    err = _serve_fails(tmp_path, {"GENLENS_CONTENT_KEY_FILE": str(key_file)})
    assert "mode 0644" in err and "must be 0600" in err
    assert key_file.read_text().split(":")[1] not in err
