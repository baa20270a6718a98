"""UI sessions: a browser signs in once with an API key and carries a signed cookie instead of the key.

The cookie is ``s1.<key id>.<expiry s>.<nonce>.<mac>``, the MAC an HMAC-SHA256
over the rest with a secret kept in the data directory (``session.key``, 32
random bytes, mode 0600, made at first start), so sessions survive a restart
and no session table is needed.  A session is only as live as its key: a
revoked key ends its sessions at the next request.  The cookie is HttpOnly and
SameSite=Strict (and Secure under TLS); a request with a session cookie that
changes something must also carry the session's CSRF token (a second HMAC of
the cookie, never stored) in ``X-CSRF-Token`` or a ``csrf`` form field, which
another site can neither read nor guess.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from genlens.errors import ConfigError

__all__ = ["COOKIE", "Session", "SessionSigner"]

COOKIE = "genlens_session"
_VERSION = "s1"
MAX_COOKIE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    expires_s: int
    cookie: str


def _load_secret(path: Path) -> bytes:
    """The signing secret of ``path``, made (0600) when missing; a file of another size is an error."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes()
        if len(secret) != 32:
            raise ConfigError(f"session secret {path} is not 32 bytes; delete it to make a new one "
                              "(every UI session then signs in again)") from None
        return secret
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as out:
        out.write(secret)
        out.flush()
        os.fsync(out.fileno())
    return secret


class SessionSigner:
    """Issues and checks session cookies and their CSRF tokens."""

    def __init__(self, secret_path: Path, hours: float) -> None:
        secret_path.parent.mkdir(parents=True, exist_ok=True)
        self._secret = _load_secret(secret_path)
        self.max_age_s = int(hours * 3600)

    def _mac(self, label: str, text: str) -> str:
        digest = hmac.new(self._secret, f"{label}|{text}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, key_id: str, now_s: float | None = None) -> Session:
        expires = int((time.time() if now_s is None else now_s) + self.max_age_s)
        body = f"{_VERSION}.{key_id}.{expires}.{secrets.token_urlsafe(12)}"
        return Session(key_id, expires, f"{body}.{self._mac('session', body)}")

    def check(self, cookie: str, now_s: float | None = None) -> Session | None:
        """The session of a cookie whose MAC holds and which has not expired; None for anything else."""
        if len(cookie) > MAX_COOKIE_CHARS:
            return None
        parts = cookie.split(".")
        if len(parts) != 5 or parts[0] != _VERSION or not parts[2].isdigit():
            return None
        body = ".".join(parts[:4])
        if not hmac.compare_digest(parts[4], self._mac("session", body)):
            return None
        expires = int(parts[2])
        if expires < (time.time() if now_s is None else now_s):
            return None
        return Session(parts[1], expires, cookie)

    def csrf(self, session: Session) -> str:
        """The CSRF token of a session: forms and scripts of the UI send it back with changes."""
        return self._mac("csrf", session.cookie)

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(session), token or "")
