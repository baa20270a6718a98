"""API keys and sessions as units: the keys file, the key ring's checks and reloads, session cookies, CSRF."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from genlens.errors import ConfigError, NotFound
from genlens.server.keys import ROLES, KeyRing, create_key, list_keys, revoke_key, role_allows
from genlens.server.sessions import SessionSigner


def test_a_created_key_authenticates_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key, token = create_key(path, "ops", "admin")
    assert token.startswith(f"glk_{key.id}_") and len(token) == 4 + 8 + 1 + 43
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert token not in text and token.split("_")[2] not in text and key.sha256 in text
    ring = KeyRing(path)
    assert ring.enforcing() and ring.authenticate(token) == key
    assert key.tenants == ("*",) and key.every_tenant
    assert list_keys(path) == [key] and "sha256" not in key.public()


def test_malformed_unknown_and_tampered_tokens_do_not_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key, token = create_key(path, "bot", "ingest", ["acme"])
    ring = KeyRing(path)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_id = token.replace(key.id, "00000000" if key.id != "00000000" else "11111111")
    for bad in ("", "glk_", token + "x", token[:-1], flipped, other_id, token.upper(), "Bearer " + token,
                "glk_zzzzzzzz_" + "a" * 43, "\x00" * 60, "é" * 56, token.replace("_", "-")):
        assert ring.authenticate(bad) is None, bad
    assert ring.authenticate(f"  {token} ") == key  # surrounding blanks of a pasted token


def test_revoked_keys_stop_at_once_and_stay_listed(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key, token = create_key(path, "v", "viewer", ["acme"])
    ring = KeyRing(path, reload_s=0)
    assert ring.authenticate(token) is not None
    revoked = revoke_key(path, key.id)
    assert revoked.revoked_ns is not None and not revoked.live
    assert ring.authenticate(token) is None and ring.key(key.id) is None
    assert [k.id for k in list_keys(path)] == [key.id]
    with pytest.raises(NotFound):
        revoke_key(path, "deadbeef")


def test_the_ring_picks_up_keys_created_later_and_locks_out_when_the_file_goes_bad(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = KeyRing(path, reload_s=0)
    assert not ring.enforcing()  # no file: no keys configured
    _, token = create_key(path, "ops", "admin")
    assert ring.enforcing() and ring.authenticate(token) is not None
    path.write_text("{not json")
    assert ring.enforcing() and ring.authenticate(token) is None  # corrupt: nobody, not everybody
    path.unlink()
    assert ring.enforcing() and ring.authenticate(token) is None  # deleted: still locked


def test_concurrent_creates_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    tokens: list[str] = []

    def make(i: int) -> None:
        tokens.append(create_key(path, f"k{i}", "viewer", ["acme"])[1])

    threads = [threading.Thread(target=make, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ring = KeyRing(path)
    assert len(list_keys(path)) == 12 and all(ring.authenticate(t) for t in tokens)
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize(("name", "role", "tenants", "problem"), [
    ("x", "root", ["acme"], "role"),
    ("", "viewer", ["acme"], "name"),
    ("x" * 101, "viewer", ["acme"], "name"),
    ("a\nb", "viewer", ["acme"], "name"),
    ("x", "viewer", [], "at least one"),
    ("x", "viewer", ["*"], "only admin"),
    ("x", "admin", ["acme"], "every tenant"),
    ("x", "viewer", ["a\x00b"], "tenant"),
    ("x", "viewer", ["t" * 201], "tenant"),
    ("x", "viewer", [f"t{i}" for i in range(101)], "at most"),
])
def test_bad_key_requests_are_refused_and_change_nothing(tmp_path: Path, name: str, role: str,
                                                         tenants: list[str], problem: str) -> None:
    path = tmp_path / "keys.json"
    with pytest.raises(ConfigError, match=problem):
        create_key(path, name, role, tenants)
    assert not path.exists()


def test_roles_allow_what_the_table_says() -> None:
    allowed = {role: {need for need in ("ingest", "read", "raw", "admin", "metrics") if role_allows(role, need)}
               for role in ROLES}
    assert allowed == {"ingest": {"ingest"}, "viewer": {"read"}, "investigator": {"read", "raw"},
                       "admin": {"ingest", "read", "raw", "admin", "metrics"}}
    assert not role_allows("nobody", "read")


def test_sessions_are_signed_expire_and_carry_a_csrf_token(tmp_path: Path) -> None:
    signer = SessionSigner(tmp_path / "session.key", hours=1)
    assert stat.S_IMODE((tmp_path / "session.key").stat().st_mode) == 0o600
    session = signer.issue("abcd1234")
    assert signer.check(session.cookie) == session
    again = SessionSigner(tmp_path / "session.key", hours=1)  # a restart keeps sessions valid
    assert again.check(session.cookie) == session
    body, mac = session.cookie.rsplit(".", 1)
    forged = body.replace("abcd1234", "ffff0000") + "." + mac
    for bad in ("", "s1", forged, session.cookie + "x", "s2" + session.cookie[2:], "x" * 500,
                ".".join(["s1", "abcd1234", "notanumber", "n", mac])):
        assert signer.check(bad) is None, bad
    assert signer.check(session.cookie, now_s=time.time() + 3601) is None
    token = signer.csrf(session)
    assert signer.csrf_ok(session, token) and not signer.csrf_ok(session, None)
    assert not signer.csrf_ok(session, token[:-1] + "x") and token not in session.cookie
    other = SessionSigner(tmp_path / "other.key", hours=1)
    assert other.check(session.cookie) is None  # another server's secret


def test_a_damaged_session_secret_is_a_clear_error(tmp_path: Path) -> None:
    secret = tmp_path / "session.key"
    secret.write_bytes(b"short")
    os.chmod(secret, 0o600)
    with pytest.raises(ConfigError, match="not 32 bytes"):
        SessionSigner(secret, hours=1)
