"""The sampling stage: note, for every trace of an export, what its tail-sampling decision will need.

The decision itself (:mod:`genlens.privacy.sampling`) is made later, by the server's sampling job, once the
trace has completed; until then its content is stored like any other.  This stage adds one
``content_pending`` row per (tenant, trace) of the batch — how much content it brought, whether the root
span was in it, the error classes and budget overruns seen — and the writer commits those rows in the
transaction of the spans, so a trace waiting for its decision survives a crash or a restart.

Content with no trace id (a log record outside any trace) has nothing to be decided with and is kept.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from genlens.settings import SamplingSettings
from genlens.store.base import WriteBatch

if TYPE_CHECKING:
    from genlens.pipeline.ingest import Stage, StageContext

_NO_CLASS = (None, "", "none")


def _pending(batch: WriteBatch, ctx: StageContext) -> WriteBatch:
    now = time.time_ns()
    traces: dict[tuple[str, str], dict[str, Any]] = {}

    def row_of(tenant: str | None, trace_id: str) -> dict[str, Any]:
        k = (tenant or ctx.default_tenant, trace_id)
        row = traces.get(k)
        if row is None:
            row = traces[k] = {"tenant": k[0], "trace_id": trace_id, "received_ns": now, "content_rows": 0,
                               "root": False, "error_classes": [], "over_budget": False}
        return row

    for span in batch.spans:
        trace_id = span.get("trace_id")
        if not trace_id:
            continue
        row = row_of(span.get("tenant"), trace_id)
        if not span.get("parent_span_id"):
            row["root"] = True
        error_class = span.get("error_class")
        if error_class not in _NO_CLASS and error_class not in row["error_classes"]:
            row["error_classes"].append(error_class)
        if span.get("budget_exceeded"):
            row["over_budget"] = True
    for content in batch.content:
        trace_id = content.get("trace_id")
        if trace_id:
            row_of(content.get("tenant"), trace_id)["content_rows"] += 1
    batch.content_pending.extend(traces.values())
    return batch


def sampling_stage(settings: SamplingSettings) -> Stage | None:
    """The stage when tail sampling is on, else None."""
    return _pending if settings.enabled else None
