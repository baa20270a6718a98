"""DuckDB SQL of one chunk of a content key rotation (what it means: :mod:`genlens.store.content_rotation`),
run on the connection of one writer transaction.

The position is DuckDB's ``rowid``: rows are taken in ``rowid`` order after the
previous chunk's last one, and updated in place by it, inside the transaction
that read them (so no delete between the read and the update can move a row).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from genlens.privacy.cipher import SEALED_JSON, DecryptError, Keyring, content_aad, key_id_of
from genlens.store.content_rotation import PLAINTEXT, ResealChunk

Con = duckdb.DuckDBPyConnection


def reseal(con: Con, keyring: Keyring, after: int, limit: int) -> ResealChunk:
    """Re-seal up to ``limit`` content rows after ``after`` that are not under the active key."""
    assert keyring.active is not None
    under_active = f"{SEALED_JSON}{keyring.active}:"
    rows = con.execute(
        "SELECT rowid, tenant, trace_id, span_id, kind, source, CAST(data AS VARCHAR) FROM span_content "
        "WHERE rowid > ? AND data IS NOT NULL AND NOT starts_with(CAST(data AS VARCHAR), ?) "
        "ORDER BY rowid LIMIT ?", [after, under_active, limit]).fetchall()
    chunk = ResealChunk(scanned=len(rows), position=rows[-1][0] if rows else after)
    ids: list[int] = []
    sealed: list[str] = []
    for rowid, tenant, trace_id, span_id, kind, source, stored in rows:
        aad = content_aad({"tenant": tenant, "trace_id": trace_id, "span_id": span_id, "kind": kind,
                           "source": source})
        former = key_id_of(stored)
        try:
            plain = keyring.open_json(stored, aad)
        except DecryptError as exc:
            chunk.unreadable[exc.reason] += 1
            continue
        ids.append(rowid)
        sealed.append(keyring.seal_json(plain, aad))
        chunk.resealed[former or PLAINTEXT] += 1
    if ids:
        con.register("_resealed", pa.table({"rid": pa.array(ids, pa.int64()), "data": pa.array(sealed, pa.string())}))
        try:
            con.execute("UPDATE span_content SET data = CAST(r.data AS JSON) FROM _resealed r "
                        "WHERE span_content.rowid = r.rid")
        finally:
            con.unregister("_resealed")
    return chunk
