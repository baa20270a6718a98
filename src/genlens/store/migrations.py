"""Numbered schema migrations, frozen: literal SQL, never generated from the live column lists.

Each migration runs once, in order, inside one transaction, and is recorded in
``schema_migrations``.  A migration is never edited after it shipped: a database
file written by an older genlens holds exactly what its migrations created, so
the next change is a new, higher-numbered migration (``ALTER TABLE … ADD COLUMN``,
a new table from :func:`genlens.store.schema.create_sql` pasted in literally).
``tests/store/test_migrations.py`` checks that the migrations leave every table in
the shape :mod:`genlens.store.schema` declares, and that a file of schema 3 made by
the old code upgrades without loss.

Statements are DuckDB SQL; another backend keeps its own list beside its module.
"""

from __future__ import annotations

# (version, statements)
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (
        "CREATE TABLE IF NOT EXISTS spans ("
        '"tenant" VARCHAR, "trace_id" VARCHAR, "span_id" VARCHAR, "parent_span_id" VARCHAR, '
        '"name" VARCHAR, "kind" VARCHAR, "start_ns" BIGINT, "end_ns" BIGINT, '
        '"duration_ns" BIGINT, "status" VARCHAR, "status_message" VARCHAR, "error_class" VARCHAR, '
        '"error_type" VARCHAR, "service_name" VARCHAR, "service_version" VARCHAR, '
        '"environment" VARCHAR, "scope_name" VARCHAR, "convention" VARCHAR, "provider" VARCHAR, '
        '"operation" VARCHAR, "request_model" VARCHAR, "response_model" VARCHAR, '
        '"response_id" VARCHAR, "finish_reasons" VARCHAR[], "temperature" DOUBLE, "top_p" DOUBLE, '
        '"max_tokens" BIGINT, "request_params" JSON, "input_tokens" BIGINT, '
        '"output_tokens" BIGINT, "cache_read_tokens" BIGINT, "cache_write_tokens" BIGINT, '
        '"reasoning_tokens" BIGINT, "total_tokens" BIGINT, "usage_aggregated" BOOLEAN, '
        '"cost_usd" DOUBLE, "cost_source" VARCHAR, "price_source" VARCHAR, "ttft_s" DOUBLE, '
        '"tpot_s" DOUBLE, "decode_tps" DOUBLE, "streaming" BOOLEAN, "feature" VARCHAR, '
        '"prompt_id" VARCHAR, "prompt_sha" VARCHAR, "experiment_id" VARCHAR, '
        '"experiment_variant" VARCHAR, "conversation_id" VARCHAR, "user_id" VARCHAR, '
        '"agent_name" VARCHAR, "tool_name" VARCHAR, "tool_call_id" VARCHAR, '
        '"budget_exceeded" BOOLEAN, "content_sampled" BOOLEAN, "redacted" BOOLEAN, '
        '"attributes" JSON, "resource_attributes" JSON, "events" JSON)',
        "CREATE TABLE IF NOT EXISTS span_content ("
        '"tenant" VARCHAR, "trace_id" VARCHAR, "span_id" VARCHAR, "time_ns" BIGINT, '
        '"kind" VARCHAR, "source" VARCHAR, "data" JSON)',
        "CREATE TABLE IF NOT EXISTS logs ("
        '"tenant" VARCHAR, "time_ns" BIGINT, "trace_id" VARCHAR, "span_id" VARCHAR, '
        '"service_name" VARCHAR, "severity_text" VARCHAR, "event_name" VARCHAR, "body" JSON, '
        '"attributes" JSON, "resource_attributes" JSON)',
        "CREATE TABLE IF NOT EXISTS metric_points ("
        '"tenant" VARCHAR, "time_ns" BIGINT, "start_ns" BIGINT, "service_name" VARCHAR, '
        '"scope_name" VARCHAR, "name" VARCHAR, "description" VARCHAR, "unit" VARCHAR, '
        '"type" VARCHAR, "temporality" VARCHAR, "is_monotonic" BOOLEAN, "value" DOUBLE, '
        '"count" BIGINT, "sum" DOUBLE, "min" DOUBLE, "max" DOUBLE, "bucket_counts" BIGINT[], '
        '"explicit_bounds" DOUBLE[], "extra" JSON, "attributes" JSON, "resource_attributes" JSON)',
    )),
    (2, (
        "CREATE TABLE IF NOT EXISTS findings ("
        '"id" VARCHAR, "kind" VARCHAR, "severity" VARCHAR, "tenant" VARCHAR, "feature" VARCHAR, '
        '"prompt_sha" VARCHAR, "conversation_id" VARCHAR, "window_start_ns" BIGINT, '
        '"window_end_ns" BIGINT, "observed" DOUBLE, "baseline" DOUBLE, "ratio" DOUBLE, '
        '"unit" VARCHAR, "example_trace_ids" VARCHAR[], "first_detected_ns" BIGINT, '
        '"detected_at_ns" BIGINT, "details" JSON)',
        'CREATE INDEX IF NOT EXISTS findings_key ON findings (tenant, kind, feature)',
    )),
    (3, (
        "CREATE TABLE IF NOT EXISTS scores ("
        '"tenant" VARCHAR, "trace_id" VARCHAR, "span_id" VARCHAR, "time_ns" BIGINT, '
        '"name" VARCHAR, "source" VARCHAR, "thumbs" VARCHAR, "value" DOUBLE, "comment" VARCHAR, '
        '"signal" VARCHAR, "attributes" JSON)',
    )),
    (4, (
        'ALTER TABLE spans ADD COLUMN IF NOT EXISTS "links" JSON',
    )),
)
