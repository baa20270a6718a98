"""REST for encryption at rest of content: ``POST /api/v1/content/rotate`` starts re-sealing the stored content
under the active content key, ``GET /api/v1/content/rotate`` answers the keys in use (ids only) and the
progress of the latest rotation.

The rotation runs in the server on a thread of its own, chunk by chunk through the one writer
(:mod:`genlens.store.content_rotation`), so exports keep being committed and every read keeps answering
while it runs; ``genlens keys rotate-content --server URL`` calls these routes and waits.  One rotation at a
time: a POST while one runs answers 409 with its progress.  Nothing here ever carries key material.
"""

import threading
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from genlens.errors import BadRequest, GenlensError
from genlens.privacy.cipher import Keyring
from genlens.server.api import JSONResponse
from genlens.store.content_rotation import Rotation, rotate_content
from genlens.store.writer import Writer

# No `from __future__ import annotations` here: FastAPI must see the local dependency types, not strings.


class Conflict(GenlensError):
    status_code = 409


class Rotations:
    """The server's latest rotation and the thread running it; stopped (after its chunk) with the app."""

    def __init__(self, writer: Writer, keyring: Keyring) -> None:
        self.writer = writer
        self.keyring = keyring
        self.latest: Rotation | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> Rotation:
        if self.keyring.active is None:
            raise BadRequest("no content key is configured (content_key / content_key_file): nothing to rotate to")
        with self._lock:
            if self.latest is not None and self.latest.running:
                raise Conflict(f"a rotation to key {self.latest.active!r} is running ({self.latest.chunks} chunks)")
            rotation = self.latest = Rotation(self.keyring.active)
            self._thread = threading.Thread(target=self._run, args=(rotation,), name="genlens-content-rotation",
                                            daemon=True)
            self._thread.start()
        return rotation

    def _run(self, rotation: Rotation) -> None:
        try:
            rotate_content(self.writer, self.keyring, rotation.chunk_rows, rotation, self._stop)
        except Exception:  # noqa: BLE001 - recorded in rotation.error, which the GET route answers
            pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def view(self) -> dict[str, Any]:
        return {"active_key": self.keyring.active, "keys": list(self.keyring.ids),
                "unreadable_reads": dict(sorted(self.keyring.failures.items())),
                "rotation": self.latest.view() if self.latest is not None else None}


def content_router(writer: Writer, keyring: Keyring) -> tuple[APIRouter, Rotations]:
    """The routes, and the rotations they run (the app stops them at shutdown)."""
    router = APIRouter(prefix="/api/v1", tags=["privacy"])
    rotations = Rotations(writer, keyring)

    @router.post("/content/rotate", status_code=202,
                 summary="Re-seal stored content under the active content key, chunk by chunk, while ingest goes on")
    async def rotate() -> Response:
        """Admin-only once API keys and roles exist."""
        rotations.start()
        return JSONResponse(rotations.view(), status_code=202)

    @router.get("/content/rotate", summary="The content keys in use (ids only) and the latest rotation's progress")
    async def rotation_status() -> Response:
        return JSONResponse(rotations.view())

    return router, rotations
