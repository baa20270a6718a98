"""The metrics aggregator: an observer that folds every committed span into the metric catalog.

It runs after commit (:mod:`genlens.store.writer`), so ``/metrics`` counts
exactly the spans that are stored, from 100 % of them, whatever instrumented
the app.  A batch is folded column-wise: each family is one ``group_by`` over
the batch's Arrow table (sums of tokens, counts of calls, counts per histogram
bucket), so the work per span is a few array operations and the Python work per
batch grows with the number of series touched, not with the number of spans.

Costs are summed as integer atto-dollars (the rounding the store's cost sums
use), so a long-running counter does not drift from the store's totals.

What counts, and when:

* A span is counted when it is committed, whatever its timestamp: late or
  backfilled spans raise the counters at the time they arrive (Prometheus has no
  way to add to the past).  SLOs computed by genlens itself read the spans by
  their own time instead.
* Counters start from zero when the server starts (Prometheus treats that as a
  counter reset: ``rate()`` and ``increase()`` handle it); a batch committed but
  not yet observed when the process died is not counted after the restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from genlens.metrics.catalog import FAMILIES, FAMILIES_BY_NAME, MAX_LABEL_CHARS, UNKNOWN, Family
from genlens.metrics.series import Encoder, FamilySeries, Key, Sample
from genlens.semconv.attrs import APP_GUARDRAIL_NAME
from genlens.store.summaries import atto_array, atto_of
from genlens.store.writer import CommittedBatch

# Pending committed spans are folded together once this many wait, or the oldest waited this long (and
# at every read): folding costs ~3 ms a call whatever its size, and a commit under load holds few exports.
FOLD_ROWS = 16_384
FOLD_S = 1.0

# the span columns the catalog reads
_READ = ("kind", "status", "error_class", "error_type", "provider", "request_model", "response_model", "feature",
         "tenant", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
         "cost_usd", "finish_reasons", "duration_ns", "ttft_s", "tpot_s", "decode_tps", "trace_id", "span_id",
         "end_ns")


@dataclass(frozen=True, slots=True)
class _Counts:
    family: str
    keys: list[Key]
    values: list[Any]
    observations: list[int]


@dataclass(frozen=True, slots=True)
class _Buckets:
    family: str
    keys: list[Key]
    buckets: list[int]
    counts: list[int]
    sums: list[float]
    exemplars: list[Sample]


# Scalars made once: pyarrow converting a Python str or float on every call costs ~0.1 ms (an import attempt).
_EMPTY, _UNKNOWN, _ERROR, _OK = (pa.scalar(v) for v in ("", UNKNOWN, "error", "ok"))
_VALIDATION, _GUARDRAIL, _REFUSAL = (pa.scalar(v) for v in ("validation", "guardrail", "content_filter"))
_ZERO, _NS_PER_S, _NO = pa.scalar(0.0), pa.scalar(1e9), pa.scalar(False)
_LLM, _EMBEDDING = pa.scalar("llm"), pa.scalar("embedding")
_DECIMAL = pa.decimal128(38, 0)
_PMF = ("provider", "model", "feature")
# counters summed over (provider, model, feature) in one group_by: family → column of the grouped table
_PMF_SUMS = {"llm_input_tokens_total": "input_tokens", "llm_output_tokens_total": "output_tokens",
             "llm_cache_read_tokens_total": "cache_read_tokens", "llm_cache_write_tokens_total": "cache_write_tokens",
             "llm_refusals_total": "refused"}


def _label(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A label column: empty and missing values are ``unknown``, long ones cut."""
    text = pc.coalesce(values, _UNKNOWN)
    text = pc.if_else(pc.equal(text, _EMPTY), _UNKNOWN, text)
    return pc.utf8_slice_codeunits(text, 0, MAX_LABEL_CHARS)


class _Labels:
    """The label columns of a table of spans, computed once each and only when a family needs them."""

    def __init__(self, spans: pa.Table) -> None:
        self.spans = spans
        self._cols: dict[str, pa.Array] = {}

    def __getitem__(self, name: str) -> pa.Array:
        col = self._cols.get(name)
        if col is None:
            col = self._cols[name] = self._compute(name)
        return col

    def _compute(self, name: str) -> pa.Array:
        s = self.spans
        if name == "model":
            return _label(pc.coalesce(s["request_model"], s["response_model"]))
        if name == "status":
            return pc.if_else(pc.equal(pc.coalesce(s["status"], _EMPTY), _ERROR), _ERROR, _OK)
        if name == "error_class":  # of a validation error: the type of the error the app reported
            return _label(s["error_type"])
        if name == "source":  # of a guardrail rejection: the guardrail, from the span's attributes
            return _label(pa.array([_guardrail(text) for text in s["attributes"].to_pylist()], pa.string()))
        return _label(s[name])


def _guardrail(attributes: str | None) -> str | None:
    if not attributes:
        return None
    try:
        value = orjson.loads(attributes).get(APP_GUARDRAIL_NAME)
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return None if value is None else str(value)


def _keys(table: pa.Table, labels: tuple[str, ...]) -> list[Key]:
    return list(zip(*(table[name].to_pylist() for name in labels), strict=True))


def _count(family: Family, labels: _Labels, mask: pa.Array | None = None) -> _Counts | None:
    """Rows (where ``mask``) counted by the family's labels."""
    names = family.labels
    table = pa.table({name: labels[name] for name in names})
    if mask is not None:
        table = table.filter(mask)
    if table.num_rows == 0:
        return None
    out = table.group_by(list(names), use_threads=False).aggregate([([], "count_all")])
    counts = out["count_all"].to_pylist()
    return _Counts(family.name, _keys(out, names), counts, counts)


def _pmf_counters(labels: _Labels, calls: pa.Table, refused: pa.Array) -> list[_Counts]:
    """Requests by status, the token counters and refusals: one group_by over (provider, model, feature)."""
    sums = {column: calls[column] for column in _PMF_SUMS.values() if column != "refused"}
    errors = pc.cast(pc.equal(labels["status"], _ERROR), pa.int64())
    table = pa.table({**{name: labels[name] for name in _PMF}, **sums, "refused": pc.cast(refused, pa.int64()),
                      "errors": errors})
    out = table.group_by(list(_PMF), use_threads=False).aggregate(
        [(column, "sum") for column in (*sums, "refused", "errors")] + [([], "count_all")])
    keys = _keys(out, _PMF)
    calls_of = out["count_all"].to_pylist()
    failed = out["errors_sum"].to_pylist()
    request_keys = [(*key, "ok") for key in keys] + [(*key, "error") for key in keys]
    request_counts = [n - e for n, e in zip(calls_of, failed, strict=True)] + failed
    updates = [_Counts("llm_requests_total", request_keys, request_counts, request_counts)]
    for family, column in _PMF_SUMS.items():
        values = out[f"{column}_sum"].to_pylist()
        updates.append(_Counts(family, keys, values, values if column == "refused" else calls_of))
    return updates


def _cost(family: Family, labels: _Labels, calls: pa.Table) -> _Counts | None:
    """Cost per label combination in exact atto-dollars (the store's rounding of each span's cost)."""
    names = family.labels
    table = pa.table({**{name: labels[name] for name in names}, "v": calls["cost_usd"]})
    table = table.filter(pc.is_valid(table["v"]))
    if table.num_rows == 0:
        return None
    atto = atto_array(table["v"].to_numpy())
    if atto is None:  # a span costing more than an int64 of atto-dollars holds: exact, one by one
        out = table.group_by(list(names), use_threads=False).aggregate([("v", "list")])
        costs = out["v_list"].to_pylist()
        return _Counts(family.name, _keys(out, names), [sum(atto_of(c) for c in group) for group in costs],
                       [len(group) for group in costs])
    table = table.append_column("atto", pa.array(atto).cast(_DECIMAL))  # sums of decimals are exact
    out = table.group_by(list(names), use_threads=False).aggregate([("atto", "sum"), ([], "count_all")])
    return _Counts(family.name, _keys(out, names), [int(d) for d in out["atto_sum"].to_pylist()],
                   out["count_all"].to_pylist())


def _buckets(family: Family, labels: _Labels, spans: pa.Table, values: pa.Array | pa.ChunkedArray,
             mask: pa.Array | None = None) -> _Buckets | None:
    """Observations (finite, ≥ 0, where ``mask``) grouped by labels and bucket, with the last span of each."""
    names = family.labels
    table = pa.table({**{name: labels[name] for name in names}, "v": values, "trace_id": spans["trace_id"],
                      "span_id": spans["span_id"], "end_ns": spans["end_ns"]})
    keep = pc.and_kleene(pc.is_finite(table["v"]), pc.greater_equal(table["v"], _ZERO))
    if mask is not None:
        keep = pc.and_kleene(keep, mask)
    table = table.filter(pc.coalesce(keep, _NO))
    if table.num_rows == 0:
        return None
    observed = table["v"].to_numpy()
    bucket = np.searchsorted(np.asarray(family.buckets, dtype=np.float64), observed, side="left")
    table = table.append_column("b", pa.array(bucket, pa.int32()))
    out = table.group_by([*names, "b"], use_threads=False).aggregate(
        [("v", "sum"), ("v", "count"), ("v", "last"), ("trace_id", "last"), ("span_id", "last"), ("end_ns", "last")])
    exemplars = [
        Sample(trace_id or "", span_id or "", float(value), (end or 0) / 1e9)
        for trace_id, span_id, value, end in zip(out["trace_id_last"].to_pylist(), out["span_id_last"].to_pylist(),
                                                 out["v_last"].to_pylist(), out["end_ns_last"].to_pylist(),
                                                 strict=True)
    ]
    return _Buckets(family.name, _keys(out, names), out["b"].to_pylist(), out["v_count"].to_pylist(),
                    out["v_sum"].to_pylist(), exemplars)


def _refused(finish_reasons: pa.ChunkedArray) -> pa.Array:
    """Per row: does its finish_reasons list hold ``content_filter``."""
    flat_rows = []
    for chunk in finish_reasons.chunks:
        hit = np.zeros(len(chunk), dtype=bool)
        flat = pc.list_flatten(chunk)
        if len(flat):
            parents = pc.list_parent_indices(chunk).to_numpy()
            matches = pc.coalesce(pc.equal(flat, _REFUSAL), _NO).to_numpy(zero_copy_only=False)
            hit[parents[matches]] = True
        flat_rows.append(hit)
    return pa.array(np.concatenate(flat_rows) if flat_rows else np.zeros(0, dtype=bool))


def fold_spans(spans: pa.Table) -> Iterator[_Counts | _Buckets]:
    """Every family's update from one table of committed spans."""
    fam = FAMILIES_BY_NAME
    committed = spans
    # the columns read, in one chunk: a committed batch is many exports' tables, and kernels pay per chunk
    # (the attributes JSON, large, is read only for the few guardrail rows)
    spans = spans.select(_READ).combine_chunks()
    error_class = pc.coalesce(spans["error_class"], _EMPTY)
    for family, value in (("llm_validation_errors_total", _VALIDATION), ("llm_guardrail_rejections_total", _GUARDRAIL)):
        mask = pc.equal(error_class, value)
        if pc.any(mask).as_py():  # rare: label the few rows, not the batch
            update = _count(fam[family], _Labels(committed.filter(mask)))
            if update is not None:
                yield update
    kind = spans["kind"]
    calls = spans.filter(pc.coalesce(pc.or_(pc.equal(kind, _LLM), pc.equal(kind, _EMBEDDING)), _NO))
    if calls.num_rows == 0:
        return
    lab = _Labels(calls)
    yield from _pmf_counters(lab, calls, _refused(calls["finish_reasons"]))
    call_class = calls["error_class"]
    failed = pc.coalesce(pc.and_(pc.equal(lab["status"], _ERROR),
                                 pc.and_(pc.not_equal(call_class, _VALIDATION), pc.not_equal(call_class, _GUARDRAIL))),
                         pc.equal(lab["status"], _ERROR))
    seconds = pc.divide(pc.cast(calls["duration_ns"], pa.float64()), _NS_PER_S)
    inputs = pc.cast(calls["input_tokens"], pa.float64())
    hit_ratio = pc.divide(pc.cast(pc.coalesce(calls["cache_read_tokens"], 0), pa.float64()), inputs)
    updates = (
        _cost(fam["llm_cost_usd_total"], lab, calls),
        _count(fam["llm_api_errors_total"], lab, failed) if pc.any(failed).as_py() else None,
        _buckets(fam["llm_ttft_seconds"], lab, calls, calls["ttft_s"]),
        _buckets(fam["llm_tpot_seconds"], lab, calls, calls["tpot_s"]),
        _buckets(fam["llm_total_latency_seconds"], lab, calls, seconds),
        _buckets(fam["llm_decode_tokens_per_second"], lab, calls, calls["decode_tps"]),
        _buckets(fam["llm_cache_hit_ratio"], lab, calls, hit_ratio, pc.greater(pc.coalesce(inputs, _ZERO), _ZERO)),
        _buckets(fam["llm_cost_per_call_usd"], lab, calls, calls["cost_usd"]),
    )
    yield from filter(None, updates)


class SpanMetrics:
    """The observer behind ``/metrics``: every family's series, folded from committed batches."""

    def __init__(self, max_series: int = 5000) -> None:
        self.series: dict[str, FamilySeries] = {f.name: FamilySeries(f, max_series) for f in FAMILIES}
        self._lock = threading.Lock()  # observer thread writes, scrapes read
        self._render_lock = threading.Lock()  # one scrape at a time owns the text caches
        self._headers: dict[tuple[str, str], bytes] = {}
        self.batches = 0
        self.spans = 0
        self.content_kept_spans = 0  # committed spans whose content is stored
        self._pending: list[pa.Table] = []  # committed spans not folded yet
        self._pending_rows = 0
        self._pending_lock = threading.Lock()
        self._folded_at = time.monotonic()

    def __call__(self, batch: CommittedBatch) -> None:
        """Take a committed batch; fold what is pending once it holds FOLD_ROWS spans or waited FOLD_S.

        Folding costs a few milliseconds per call whatever its size, and under load a commit holds only a
        few exports, so batches are folded together; every read (a scrape, the stats) folds what is
        pending first, so no answer ever misses a committed span.
        """
        spans = batch.tables.get("spans")
        if spans is None or spans.num_rows == 0:
            return
        with self._pending_lock:
            self._pending.append(spans)
            self._pending_rows += spans.num_rows
            due = self._pending_rows >= FOLD_ROWS or time.monotonic() - self._folded_at >= FOLD_S
        if due:
            self.flush()

    def flush(self) -> None:
        """Fold every pending batch into the series."""
        with self._pending_lock:
            tables, self._pending, self._pending_rows = self._pending, [], 0
            self._folded_at = time.monotonic()
        if not tables:
            return
        spans = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        updates = list(fold_spans(spans))  # the array work, outside the lock
        with self._lock:
            for update in updates:
                series = self.series[update.family]
                if isinstance(update, _Counts):
                    for key, value, n in zip(update.keys, update.values, update.observations, strict=True):
                        if value:
                            series.add(key, value, n)
                else:
                    for key, bucket, count, total, sample in zip(update.keys, update.buckets, update.counts,
                                                                 update.sums, update.exemplars, strict=True):
                        series.observe(key, bucket, count, total, sample)
            self.batches += len(tables)
            self.spans += spans.num_rows
            self.content_kept_spans += int(pc.sum(spans["content_sampled"]).as_py() or 0)  # nulls are skipped

    def stats(self) -> list[tuple[str, int, int]]:
        """(family, series, observations folded into ``other``) for each family."""
        self.flush()
        with self._lock:
            return [(name, len(s), s.folded) for name, s in self.series.items()]

    def exposition(self, fmt: str, encoder: Encoder) -> bytes:
        """Every family in one format; only chunks changed since the last scrape are encoded again."""
        self.flush()
        pieces: list[bytes] = []
        with self._render_lock:
            for name, series in self.series.items():
                with self._lock:
                    stale = [(chunk, version, series.snapshot(chunk)) for chunk, version in series.stale_chunks(fmt)]
                for chunk, version, snapshot in stale:
                    series.store_chunk(fmt, chunk, version, series.render_chunk(fmt, encoder, snapshot))
                header = self._headers.get((fmt, name))
                if header is None:
                    header = self._headers[(fmt, name)] = series.header(encoder)
                pieces.append(header)
                pieces.extend(series.cached(fmt))
        return b"".join(pieces)
