"""API keys: who may call the server, in which role, for which tenants.

A key is ``glk_<id>_<secret>``: ``id`` (8 hex digits) names the key in lists,
logs and the audit log; the secret (43 URL-safe characters, 256 random bits) is
shown once, when the key is created, and only its SHA-256 is stored.  A plain
hash is enough for secrets of that entropy (no password stretching needed) and
keeps a check at a few microseconds, so every OTLP export can be checked.

Keys live in one JSON file (``access.keys_file``, default ``keys.json`` in the
data directory), written atomically with mode 0600 under an exclusive lock, so
``genlens keys create|list|revoke`` work while a server runs: the server's
:class:`KeyRing` notices a changed file (inode, size, mtime) within
:data:`RELOAD_S` and reloads it.  A revoked key stays listed with its time of
revocation and never authenticates again.

**The file decides the mode.**  No file: no keys are configured, the server
serves everyone and binds to loopback only.  Once a file has been seen, keys
are configured for the life of the process: a file deleted or corrupted later
locks everyone out (logged) rather than opening the server.

Roles (:data:`ROLES`), from least to most:

* ``ingest`` — OTLP exports only;
* ``viewer`` — reads: skeleton, and content redacted at read;
* ``investigator`` — reads, and raw content with a stated purpose (each such read is audited);
* ``admin`` — everything, every tenant: keys, erasure, the audit log, ``/metrics``.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from genlens.errors import ConfigError, NotFound

__all__ = ["ROLES", "Key", "KeyRing", "create_key", "list_keys", "revoke_key", "role_allows"]

log = logging.getLogger("genlens.keys")

ROLES = ("ingest", "viewer", "investigator", "admin")
# What each role may do: the route classes of genlens.server.auth, plus "raw" (content unredacted, with a purpose).
_ALLOWED = {
    "ingest": frozenset({"ingest"}),
    "viewer": frozenset({"read"}),
    "investigator": frozenset({"read", "raw"}),
    "admin": frozenset({"ingest", "read", "raw", "admin", "metrics"}),
}
ALL = "*"
RELOAD_S = 0.5  # a key created or revoked while the server runs takes effect within this
MAX_NAME_CHARS = 100
MAX_TENANTS = 100
_TOKEN = re.compile(r"glk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")


def role_allows(role: str, need: str) -> bool:
    """Whether ``role`` may do ``need`` (a route class, or ``raw``)."""
    return need in _ALLOWED.get(role, frozenset())


@dataclass(frozen=True, slots=True)
class Key:
    """One API key as stored: never its secret, only the secret's SHA-256."""

    id: str
    name: str
    role: str
    tenants: tuple[str, ...]  # ("*",) for every tenant (admin keys)
    sha256: str
    created_ns: int
    revoked_ns: int | None = None

    @property
    def every_tenant(self) -> bool:
        return ALL in self.tenants

    @property
    def live(self) -> bool:
        return self.revoked_ns is None

    def public(self) -> dict[str, Any]:
        """What ``genlens keys list`` shows: everything but the hash."""
        out = asdict(self)
        del out["sha256"]
        return out


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_tenant_name(tenant: str) -> str:
    value = tenant.strip()
    if not value or len(value) > 200 or not value.isprintable():
        raise ConfigError(f"tenant {tenant[:40]!r}: 1 to 200 printable characters")
    return value


def _check_key(role: str, tenants: Iterable[str], name: str) -> tuple[str, tuple[str, ...], str]:
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: one of {', '.join(ROLES)}")
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise ConfigError(f"key name: 1 to {MAX_NAME_CHARS} printable characters")
    given = tuple(dict.fromkeys(_check_tenant_name(t) for t in tenants))
    if role == "admin":
        if given and given != (ALL,):
            raise ConfigError("an admin key reads every tenant: give no --tenant (or --tenant '*')")
        return role, (ALL,), name
    if not given:
        raise ConfigError(f"a {role} key needs at least one --tenant")
    if ALL in given:
        raise ConfigError("only admin keys cover every tenant ('*')")
    if len(given) > MAX_TENANTS:
        raise ConfigError(f"a key covers at most {MAX_TENANTS} tenants")
    return role, given, name


# -- the file -------------------------------------------------------------------------------------------------


def _read(path: Path) -> list[Key]:
    """The keys of ``path`` (ConfigError when it is not a keys file)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("keys"), list):
            raise ValueError("not a genlens keys file (version 1)")
        return [Key(id=k["id"], name=k["name"], role=k["role"], tenants=tuple(k["tenants"]), sha256=k["sha256"],
                    created_ns=int(k["created_ns"]), revoked_ns=k.get("revoked_ns")) for k in doc["keys"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"keys file {path}: {exc}") from None


def _write(path: Path, keys: list[Key]) -> None:
    """Replace ``path`` atomically (a reader sees the old file or the new one), mode 0600 from the start."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "keys": [asdict(k) for k in keys]}, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _locked(path: Path) -> Iterator[list[Key]]:
    """The keys of ``path`` under an exclusive lock (two CLIs never lose each other's change)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        yield _read(path) if path.exists() else []
    finally:
        os.close(lock_fd)


def create_key(path: Path, name: str, role: str, tenants: Iterable[str] = (),
               clock: Any = time.time_ns) -> tuple[Key, str]:
    """Add a key; returns it and its token (``glk_…``), which is never stored and cannot be shown again."""
    role, scoped, name = _check_key(role, tenants, name)
    with _locked(path) as keys:
        taken = {k.id for k in keys}
        key_id = secrets.token_hex(4)
        while key_id in taken:
            key_id = secrets.token_hex(4)
        token = f"glk_{key_id}_{secrets.token_urlsafe(32)}"
        key = Key(key_id, name, role, scoped, _digest(token), clock())
        _write(path, [*keys, key])
    return key, token


def revoke_key(path: Path, key_id: str, clock: Any = time.time_ns) -> Key:
    """Mark a key revoked (it stays listed); NotFound for an unknown id."""
    with _locked(path) as keys:
        for i, key in enumerate(keys):
            if key.id == key_id:
                if key.live:
                    keys[i] = Key(key.id, key.name, key.role, key.tenants, key.sha256, key.created_ns, clock())
                    _write(path, keys)
                return keys[i]
    raise NotFound(f"no key {key_id!r} in {path}")


def list_keys(path: Path) -> list[Key]:
    return _read(path) if path.exists() else []


# -- the server's view ----------------------------------------------------------------------------------------


class KeyRing:
    """The live keys of one file, for the server: checks a token, reloads the file when it changes."""

    def __init__(self, path: Path, reload_s: float = RELOAD_S) -> None:
        self.path = path
        self._reload_s = reload_s
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0
        self._by_id: dict[str, Key] = {}
        self.configured = False
        self._refresh(force=True)

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self._reload_s:
            return
        with self._lock:
            self._checked = now
            try:
                st = self.path.stat()
            except FileNotFoundError:
                if self.configured and self._by_id:
                    log.error("keys file %s is gone: every request is refused until it is back", self.path)
                self._by_id = {}
                self._stamp = None
                return
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
            if stamp == self._stamp:
                return
            self._stamp = stamp
            self.configured = True
            try:
                keys = _read(self.path)
            except ConfigError as exc:
                log.error("%s: every request is refused until it is fixed", exc)
                self._by_id = {}
                return
            self._by_id = {k.id: k for k in keys if k.live}

    def enforcing(self) -> bool:
        """Whether keys are configured (a keys file has been seen): then every request needs one."""
        self._refresh()
        return self.configured

    def key(self, key_id: str) -> Key | None:
        """The live key of ``key_id`` (sessions name their key by id)."""
        self._refresh()
        return self._by_id.get(key_id)

    def authenticate(self, token: str) -> Key | None:
        """The live key whose token this is, or None (malformed, unknown, revoked)."""
        match = _TOKEN.fullmatch(token.strip())
        if match is None:
            return None
        key = self.key(match.group(1))
        if key is None or not hmac.compare_digest(key.sha256, _digest(match.group(0))):
            return None
        return key
