"""The encryption stage: every content row's ``data`` sealed under the active content key, last of all stages.

Last, so that every stage before it — redaction, tail sampling's notes, custom
stages — sees the plaintext it works on, and nothing after it could write
plaintext again.  Each row's JSON is sealed bound to its tenant, trace, span,
kind and source (:func:`genlens.privacy.cipher.content_aad`); the stored value
is a JSON string, so the column, the writer and the deletes of retention,
erasure and tail sampling (by ids and times, never by content) are unchanged.

The skeleton (span columns, attributes, events) and the logs table stay as they
are: they are what searches, costs and metrics are computed from.  Only the
content tier is encrypted; that is the part the redaction and retention
settings already treat as sensitive.  With no key configured the stage is not
composed at all, so a default install does no extra work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genlens.privacy.cipher import Keyring, content_aad
from genlens.store.base import WriteBatch
from genlens.store.columnar import json_text

if TYPE_CHECKING:
    from genlens.pipeline.ingest import Stage, StageContext

NOTE_SEALED = "encryption:sealed"


def encryption_stage(keyring: Keyring) -> Stage | None:
    """The stage sealing content under ``keyring``'s active key; ``None`` when no key is configured."""
    if keyring.active is None:
        return None

    def encryption(batch: WriteBatch, ctx: StageContext) -> WriteBatch:
        sealed = 0
        for row in batch.content:
            text = json_text(row.get("data"))
            if text is None:
                continue
            row["data"] = keyring.seal(text, content_aad(row))
            sealed += 1
        if sealed:
            batch.notes[NOTE_SEALED] = batch.notes.get(NOTE_SEALED, 0) + sealed
        return batch

    return encryption
