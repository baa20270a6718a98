"""Content key rotation: every stored content row re-sealed under the active content key, without downtime.

A rotation is a walk over the content table in small chunks; each chunk is one
transaction on the writer thread (``Writer.run``), so exports keep being
committed between chunks and no reader ever waits.  A chunk takes the next rows
(in the backend's storage order, after the position where the previous chunk
stopped) that are *not* sealed under the active key — sealed under an older key,
or plaintext stored before encryption was turned on — opens each with the
keyring and seals it again under the active key, in place.  Content sealed under
any key of the keyring stays readable throughout: a row is either still under
its old key or already under the new one.

A row that cannot be opened (its key is not in the keyring, or it fails
authentication) is left as it is and counted by reason; the walk goes on past it,
so a rotation always ends.  The run ends with an audit entry
(``content.rotate``) naming what it did.

The operator's sequence: put the new key first in ``content_key`` (the old one
after it), restart, run ``genlens keys rotate-content`` (``--server URL`` on a
running server, ``--data DIR`` on a stopped one), and once it reports nothing
left under the old key, remove the old key and restart.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from genlens.errors import ConfigError
from genlens.privacy.cipher import Keyring
from genlens.store.base import Maintenance, WriteBatch
from genlens.store.writer import Writer

ROTATED = "content.rotate"  # audit action
ACTOR = "genlens"
CHUNK_ROWS = 500
PLAINTEXT = "(plaintext)"  # the former key of rows that were not sealed


@dataclass
class ResealChunk:
    """What one chunk did: rows re-sealed by former key, rows it could not open by reason, where it stopped."""

    scanned: int = 0
    position: int = -1  # the backend's position of the last row scanned (the next chunk starts after it)
    resealed: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)


@dataclass
class Rotation:
    """The progress of one rotation (the REST route's and the CLI's answer); updated chunk by chunk."""

    active: str
    chunk_rows: int = CHUNK_ROWS
    started_ns: int = field(default_factory=time.time_ns)
    finished_ns: int | None = None
    chunks: int = 0
    scanned: int = 0
    resealed: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.finished_ns is None

    def add(self, chunk: ResealChunk) -> None:
        self.chunks += 1
        self.scanned += chunk.scanned
        self.resealed.update(chunk.resealed)
        self.unreadable.update(chunk.unreadable)

    def view(self) -> dict[str, Any]:
        """JSON-ready: the counts, never a key."""
        return {"active_key": self.active, "running": self.running, "started_ns": self.started_ns,
                "finished_ns": self.finished_ns, "chunks": self.chunks, "chunk_rows": self.chunk_rows,
                "scanned_rows": self.scanned, "resealed_rows": sum(self.resealed.values()),
                "resealed_by_former_key": dict(sorted(self.resealed.items())),
                "unreadable_rows": sum(self.unreadable.values()),
                "unreadable_by_reason": dict(sorted(self.unreadable.items())), "error": self.error}


def audit_entry(rotation: Rotation) -> dict[str, Any]:
    """The audit entry of a finished rotation."""
    details = rotation.view()
    return {"at_ns": time.time_ns(), "actor": ACTOR, "action": ROTATED, "tenant": None, "target": "span_content",
            "purpose": f"content re-sealed under key {rotation.active!r}", "details": details}


def rotate_content(writer: Writer, keyring: Keyring, chunk_rows: int = CHUNK_ROWS,
                   rotation: Rotation | None = None, stop: threading.Event | None = None) -> Rotation:
    """Re-seal every content row not under ``keyring``'s active key, ``chunk_rows`` per writer transaction.

    ``rotation`` (updated as chunks commit) lets another thread watch the
    progress; ``stop`` ends the walk after the current chunk (server shutdown),
    leaving a consistent table that a later run finishes.
    """
    if keyring.active is None:
        raise ConfigError("no content key is configured (content_key / content_key_file): nothing to rotate to")
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    progress = rotation if rotation is not None else Rotation(keyring.active, chunk_rows)
    position = -1
    try:
        while stop is None or not stop.is_set():
            def one(store: Maintenance, after: int = position) -> ResealChunk:
                return store.reseal_content(keyring, after, chunk_rows)

            chunk = writer.run(one, "content key rotation").result()
            progress.add(chunk)
            if chunk.scanned < chunk_rows:
                break
            position = chunk.position
    except Exception as exc:
        progress.error = f"{type(exc).__name__}: {exc}"
        progress.finished_ns = time.time_ns()
        raise
    progress.finished_ns = time.time_ns()
    writer.submit(WriteBatch(audit_log=[audit_entry(progress)])).result()
    return progress
