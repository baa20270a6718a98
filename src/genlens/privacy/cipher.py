"""Encryption at rest of the content tier: AES-256-GCM under a keyring of named keys.

Content (messages, tool arguments and results, documents) is what a leaked
database file or backup would expose; the skeleton of a span is not secret in
the same way and stays queryable.  So the content rows are sealed by genlens
itself, before they reach any backend, and opened again when a reader asks for
them: the same code serves DuckDB and any later backend, and the database never
sees a key.

**Stored form.**  ``glc1:<key id>:<base64(nonce | ciphertext | tag)>``, a
string, so it fits the JSON ``data`` column as a JSON string.  It names its key,
so a keyring of several keys (the first one active, for new writes; the others
only open what was sealed under them) opens old and new content alike during a
rotation.  A value not in that form is returned unchanged: content stored
before encryption was turned on stays readable.

**Bound to its row.**  The additional authenticated data is the row's tenant,
trace id, span id, content kind and source, each length-prefixed (so no two
different rows give the same bytes).  A ciphertext copied to another row, or
changed by one bit, fails authentication: the reader gets a clear placeholder
instead of garbage, and the failure is counted and logged.

**Key material.**  ``ID:BASE64KEY`` entries separated by commas, each key 32
bytes (AES-256).  Errors about it name the entry by its position and id and say
what is wrong, and never repeat the key.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from genlens.errors import GenlensError

log = logging.getLogger("genlens.cipher")

PREFIX = "glc1:"
SEALED_JSON = '"' + PREFIX  # a sealed value as the JSON text a store's JSON column hands back
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEYS = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# the fields of a content row the ciphertext is bound to, in this order
CONTENT_AAD_FIELDS = ("tenant", "trace_id", "span_id", "kind", "source")


class DecryptError(GenlensError):
    """A sealed value cannot be opened; ``reason`` is one of :data:`REASONS` (for counting)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


REASONS = ("no_key", "unknown_key", "authentication", "malformed")


def parse_keys(text: str) -> Keyring:
    """The keyring of ``ID:BASE64KEY,ID:BASE64KEY…`` (the first active); ``ValueError`` saying what is wrong.

    The message names an entry by its position and id, never its key, so it
    can be printed at start-up and logged.
    """
    if not isinstance(text, str):
        raise ValueError("expected text: ID:BASE64KEY entries separated by commas")
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if not entries:
        raise ValueError("no keys: expected ID:BASE64KEY entries separated by commas")
    if len(entries) > MAX_KEYS:
        raise ValueError(f"{len(entries)} keys given; at most {MAX_KEYS}")
    keys: list[tuple[str, bytes]] = []
    for n, entry in enumerate(entries, 1):
        key_id, colon, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not colon:
            raise ValueError(f"entry {n} is not ID:BASE64KEY (no ':' in it)")
        if not _KEY_ID.match(key_id):
            raise ValueError(f"entry {n}: the key id must be 1-32 letters, digits, '_', '-' or '.'")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"entry {n} (key id {key_id!r}): the key is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"entry {n} (key id {key_id!r}): the key is {len(key)} bytes; AES-256 needs "
                             f"{KEY_BYTES} (base64 of 32 random bytes)")
        if any(key_id == known for known, _ in keys):
            raise ValueError(f"key id {key_id!r} is given twice")
        keys.append((key_id, key))
    return Keyring(keys)


def associated_data(values: Iterable[Any]) -> bytes:
    """The values length-prefixed (4 bytes each; ``None`` distinct from ''), so different rows never collide."""
    out = bytearray(PREFIX.encode())
    for value in values:
        if value is None:
            out += b"\xff\xff\xff\xff"
            continue
        raw = str(value).encode("utf-8", "surrogatepass")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def content_aad(row: Mapping[str, Any]) -> bytes:
    """The authenticated data of one content row: its tenant, trace, span, kind and source."""
    return associated_data(row.get(name) for name in CONTENT_AAD_FIELDS)


def key_id_of(value: Any) -> str | None:
    """The key id a stored value was sealed under (a bare or JSON-quoted sealed string), else ``None``."""
    if not isinstance(value, str):
        return None
    text = value[1:] if value.startswith(SEALED_JSON) else value
    if not text.startswith(PREFIX):
        return None
    key_id, colon, _ = text[len(PREFIX):].partition(":")
    return key_id if colon else None


class Keyring:
    """Named AES-256-GCM keys; the first one seals, every one opens what names it.

    An empty keyring seals nothing (:attr:`active` is ``None``) and still
    recognises sealed values, so a server started without its key answers a
    clear "no content key is configured" rather than ciphertext.  Failures to
    open are counted by reason (:attr:`failures`) and logged once per reason.
    """

    def __init__(self, keys: Sequence[tuple[str, bytes]] = ()) -> None:
        self.ids: tuple[str, ...] = tuple(key_id for key_id, _ in keys)
        self._aead = {key_id: AESGCM(key) for key_id, key in keys}
        self.active: str | None = self.ids[0] if self.ids else None
        self.failures: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._logged: set[str] = set()

    def __repr__(self) -> str:  # never the keys
        return f"Keyring(ids={self.ids!r})"

    def seal(self, plaintext: str, aad: bytes) -> str:
        """``plaintext`` sealed under the active key, bound to ``aad``."""
        if self.active is None:
            raise DecryptError("no content key is configured", "no_key")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.active].encrypt(nonce, plaintext.encode("utf-8", "surrogatepass"), aad)
        return f"{PREFIX}{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str, aad: bytes) -> str:
        """The plaintext of a sealed value (a value not sealed comes back unchanged); :class:`DecryptError`."""
        if not value.startswith(PREFIX):
            return value
        key_id, colon, encoded = value[len(PREFIX):].partition(":")
        if not colon:
            raise DecryptError("the sealed value is malformed (no key id)", "malformed")
        aead = self._aead.get(key_id)
        if aead is None:
            if not self.ids:
                raise DecryptError(f"it is sealed under key {key_id!r} and no content key is configured "
                                   "(content_key / content_key_file)", "no_key")
            raise DecryptError(f"it is sealed under key {key_id!r}, which is not configured (configured: "
                               f"{', '.join(self.ids)})", "unknown_key")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError("the sealed value is malformed (bad base64)", "malformed") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptError("the sealed value is malformed (too short)", "malformed")
        try:
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptError(f"authentication failed under key {key_id!r}: the value was altered, moved from "
                               "another row, or sealed with a different key of that id", "authentication") from None
        return plain.decode("utf-8", "surrogatepass")

    # -- stored in a JSON column: the sealed string is a JSON string ---------------------------------------
    def seal_json(self, json_text: str, aad: bytes) -> str:
        """The JSON text to store for ``json_text`` (a JSON string holding the sealed value)."""
        return orjson.dumps(self.seal(json_text, aad)).decode()

    def open_json(self, stored: str, aad: bytes) -> str:
        """The JSON text a sealed JSON string stands for; any other stored JSON text comes back unchanged."""
        if not stored.startswith(SEALED_JSON):
            return stored
        try:
            sealed = orjson.loads(stored)
        except orjson.JSONDecodeError:
            raise DecryptError("the sealed value is malformed (not a JSON string)", "malformed") from None
        if not isinstance(sealed, str):
            raise DecryptError("the sealed value is malformed (not a JSON string)", "malformed")
        return self.open(sealed, aad)

    def open_rows(self, rows: list[dict[str, Any]], field: str = "data") -> list[dict[str, Any]]:
        """Open ``field`` of content rows in place (their AAD from :data:`CONTENT_AAD_FIELDS`).

        A row that cannot be opened gets, instead of ciphertext, a text
        placeholder saying why (``[content not readable: …]``) and the reason
        under ``unreadable``; it is counted and logged, and the other rows are
        served: one bad row never fails a page.
        """
        for row in rows:
            stored = row.get(field)
            if not isinstance(stored, str) or not stored.startswith(SEALED_JSON):
                continue
            try:
                row[field] = self.open_json(stored, content_aad(row))
            except DecryptError as exc:
                self._failed(exc, row)
                row[field] = orjson.dumps(f"[content not readable: {exc}]").decode()
                row["unreadable"] = exc.reason
        return rows

    def _failed(self, exc: DecryptError, row: Mapping[str, Any]) -> None:
        with self._lock:
            self.failures[exc.reason] += 1
            first = exc.reason not in self._logged
            self._logged.add(exc.reason)
        level = logging.WARNING if first else logging.DEBUG
        log.log(level, "content of span %s (trace %s, %s) not readable: %s%s", row.get("span_id"),
                row.get("trace_id"), row.get("kind"), exc, "" if not first else " (later ones are logged at debug)")
