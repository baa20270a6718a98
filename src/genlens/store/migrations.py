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
    (5, (
        # derived tables kept by the writer (store/summaries.py), filled from the spans already stored
        'CREATE TABLE IF NOT EXISTS trace_summaries ("tenant" VARCHAR, "trace_id" VARCHAR, "start_ns" BIGINT, "end_ns" BIGINT, "duration_ns" BIGINT, "last_start_ns" BIGINT, "span_count" BIGINT, "llm_calls" BIGINT, "errors" BIGINT, "input_tokens" BIGINT, "output_tokens" BIGINT, "total_tokens" BIGINT, "cost_atto" HUGEINT, "priced_spans" BIGINT, "unknown_cost_calls" BIGINT, "max_span_duration_ns" BIGINT, "root_name" VARCHAR, "root_start_ns" BIGINT, "root_span_id" VARCHAR, "first_name" VARCHAR, "first_start_ns" BIGINT, "first_span_id" VARCHAR, "service_name" VARCHAR, "service_start_ns" BIGINT, "service_span_id" VARCHAR, "first_tenant" VARCHAR, "tenant_start_ns" BIGINT, "tenant_span_id" VARCHAR, "services" VARCHAR[], "features" VARCHAR[])',
        'CREATE TABLE IF NOT EXISTS cost_hourly ("hour_ns" BIGINT, "tenant" VARCHAR, "service_name" VARCHAR, "environment" VARCHAR, "feature" VARCHAR, "provider" VARCHAR, "request_model" VARCHAR, "response_model" VARCHAR, "prompt_id" VARCHAR, "prompt_sha" VARCHAR, "calls" BIGINT, "unknown_cost_calls" BIGINT, "cost_atto" HUGEINT, "input_tokens" BIGINT, "output_tokens" BIGINT, "cache_read_tokens" BIGINT, "cache_write_tokens" BIGINT, "reasoning_tokens" BIGINT, "errors" BIGINT, "cache_read_basis" BIGINT, "cache_read_first_ns" BIGINT)',
        'CREATE TABLE IF NOT EXISTS latency_hourly ("hour_ns" BIGINT, "tenant" VARCHAR, "service_name" VARCHAR, "environment" VARCHAR, "feature" VARCHAR, "provider" VARCHAR, "request_model" VARCHAR, "response_model" VARCHAR, "prompt_id" VARCHAR, "prompt_sha" VARCHAR, "bucket" BIGINT, "calls" BIGINT)',
        'CREATE UNIQUE INDEX IF NOT EXISTS trace_summaries_key ON trace_summaries (tenant, trace_id)',
        'CREATE UNIQUE INDEX IF NOT EXISTS cost_hourly_key ON cost_hourly (hour_ns, tenant, service_name, environment, feature, provider, request_model, response_model, prompt_id, prompt_sha)',
        'CREATE UNIQUE INDEX IF NOT EXISTS latency_hourly_key ON latency_hourly (hour_ns, tenant, service_name, environment, feature, provider, request_model, response_model, prompt_id, prompt_sha, bucket)',
        "INSERT INTO trace_summaries (tenant, trace_id, start_ns, end_ns, duration_ns, last_start_ns, span_count, llm_calls, errors, input_tokens, output_tokens, total_tokens, cost_atto, priced_spans, unknown_cost_calls, max_span_duration_ns, root_name, root_start_ns, root_span_id, first_name, first_start_ns, first_span_id, service_name, service_start_ns, service_span_id, first_tenant, tenant_start_ns, tenant_span_id, services, features) SELECT coalesce(tenant, chr(0)) AS tenant, trace_id AS trace_id, min(start_ns) AS start_ns, max(end_ns) AS end_ns, max(end_ns) - min(start_ns) AS duration_ns, max(start_ns) AS last_start_ns, count(*) AS span_count, count(*) FILTER (WHERE kind = 'llm') AS llm_calls, count(*) FILTER (WHERE status = 'error') AS errors, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(total_tokens), 0) AS total_tokens, coalesce(sum(CASE WHEN cost_usd IS NULL THEN NULL WHEN abs(cost_usd) < 1e+12 THEN CAST(round(cost_usd * CAST(1e18 AS DOUBLE)) AS HUGEINT) ELSE CAST(0 AS HUGEINT) END), 0) AS cost_atto, count(cost_usd) AS priced_spans, count(*) FILTER (WHERE kind IN ('llm', 'embedding') AND cost_usd IS NULL) AS unknown_cost_calls, max(duration_ns) AS max_span_duration_ns, arg_min(name, (start_ns, span_id)) FILTER (WHERE parent_span_id IS NULL AND name IS NOT NULL AND start_ns IS NOT NULL) AS root_name, min(start_ns) FILTER (WHERE parent_span_id IS NULL AND name IS NOT NULL AND start_ns IS NOT NULL) AS root_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE parent_span_id IS NULL AND name IS NOT NULL AND start_ns IS NOT NULL) AS root_span_id, arg_min(name, (start_ns, span_id)) FILTER (WHERE TRUE AND name IS NOT NULL AND start_ns IS NOT NULL) AS first_name, min(start_ns) FILTER (WHERE TRUE AND name IS NOT NULL AND start_ns IS NOT NULL) AS first_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE TRUE AND name IS NOT NULL AND start_ns IS NOT NULL) AS first_span_id, arg_min(service_name, (start_ns, span_id)) FILTER (WHERE TRUE AND service_name IS NOT NULL AND start_ns IS NOT NULL) AS service_name, min(start_ns) FILTER (WHERE TRUE AND service_name IS NOT NULL AND start_ns IS NOT NULL) AS service_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE TRUE AND service_name IS NOT NULL AND start_ns IS NOT NULL) AS service_span_id, arg_min(tenant, (start_ns, span_id)) FILTER (WHERE TRUE AND tenant IS NOT NULL AND start_ns IS NOT NULL) AS first_tenant, min(start_ns) FILTER (WHERE TRUE AND tenant IS NOT NULL AND start_ns IS NOT NULL) AS tenant_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE TRUE AND tenant IS NOT NULL AND start_ns IS NOT NULL) AS tenant_span_id, list_sort(list(DISTINCT service_name) FILTER (WHERE service_name IS NOT NULL)) AS services, list_sort(list(DISTINCT feature) FILTER (WHERE feature IS NOT NULL)) AS features FROM spans WHERE trace_id IS NOT NULL GROUP BY tenant, trace_id",
        "INSERT INTO trace_summaries (tenant, trace_id, start_ns, end_ns, duration_ns, last_start_ns, span_count, llm_calls, errors, input_tokens, output_tokens, total_tokens, cost_atto, priced_spans, unknown_cost_calls, max_span_duration_ns, root_name, root_start_ns, root_span_id, first_name, first_start_ns, first_span_id, service_name, service_start_ns, service_span_id, first_tenant, tenant_start_ns, tenant_span_id, services, features) SELECT chr(0) || '*' AS tenant, trace_id AS trace_id, min(start_ns) AS start_ns, max(end_ns) AS end_ns, max(end_ns) - min(start_ns) AS duration_ns, max(start_ns) AS last_start_ns, count(*) AS span_count, count(*) FILTER (WHERE kind = 'llm') AS llm_calls, count(*) FILTER (WHERE status = 'error') AS errors, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(total_tokens), 0) AS total_tokens, coalesce(sum(CASE WHEN cost_usd IS NULL THEN NULL WHEN abs(cost_usd) < 1e+12 THEN CAST(round(cost_usd * CAST(1e18 AS DOUBLE)) AS HUGEINT) ELSE CAST(0 AS HUGEINT) END), 0) AS cost_atto, count(cost_usd) AS priced_spans, count(*) FILTER (WHERE kind IN ('llm', 'embedding') AND cost_usd IS NULL) AS unknown_cost_calls, max(duration_ns) AS max_span_duration_ns, arg_min(name, (start_ns, span_id)) FILTER (WHERE parent_span_id IS NULL AND name IS NOT NULL AND start_ns IS NOT NULL) AS root_name, min(start_ns) FILTER (WHERE parent_span_id IS NULL AND name IS NOT NULL AND start_ns IS NOT NULL) AS root_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE parent_span_id IS NULL AND name IS NOT NULL AND start_ns IS NOT NULL) AS root_span_id, arg_min(name, (start_ns, span_id)) FILTER (WHERE TRUE AND name IS NOT NULL AND start_ns IS NOT NULL) AS first_name, min(start_ns) FILTER (WHERE TRUE AND name IS NOT NULL AND start_ns IS NOT NULL) AS first_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE TRUE AND name IS NOT NULL AND start_ns IS NOT NULL) AS first_span_id, arg_min(service_name, (start_ns, span_id)) FILTER (WHERE TRUE AND service_name IS NOT NULL AND start_ns IS NOT NULL) AS service_name, min(start_ns) FILTER (WHERE TRUE AND service_name IS NOT NULL AND start_ns IS NOT NULL) AS service_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE TRUE AND service_name IS NOT NULL AND start_ns IS NOT NULL) AS service_span_id, arg_min(tenant, (start_ns, span_id)) FILTER (WHERE TRUE AND tenant IS NOT NULL AND start_ns IS NOT NULL) AS first_tenant, min(start_ns) FILTER (WHERE TRUE AND tenant IS NOT NULL AND start_ns IS NOT NULL) AS tenant_start_ns, arg_min(span_id, (start_ns, span_id)) FILTER (WHERE TRUE AND tenant IS NOT NULL AND start_ns IS NOT NULL) AS tenant_span_id, list_sort(list(DISTINCT service_name) FILTER (WHERE service_name IS NOT NULL)) AS services, list_sort(list(DISTINCT feature) FILTER (WHERE feature IS NOT NULL)) AS features FROM spans WHERE trace_id IS NOT NULL GROUP BY trace_id",
        "INSERT INTO cost_hourly (hour_ns, tenant, service_name, environment, feature, provider, request_model, response_model, prompt_id, prompt_sha, calls, unknown_cost_calls, cost_atto, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, errors, cache_read_basis, cache_read_first_ns) SELECT start_ns // 3600000000000 * 3600000000000 AS hour_ns, coalesce(tenant, chr(0)) AS tenant, coalesce(service_name, chr(0)) AS service_name, coalesce(environment, chr(0)) AS environment, coalesce(feature, chr(0)) AS feature, coalesce(provider, chr(0)) AS provider, coalesce(request_model, chr(0)) AS request_model, coalesce(response_model, chr(0)) AS response_model, coalesce(prompt_id, chr(0)) AS prompt_id, coalesce(prompt_sha, chr(0)) AS prompt_sha, count(*) AS calls, count(*) - count(cost_usd) AS unknown_cost_calls, coalesce(sum(CASE WHEN cost_usd IS NULL THEN NULL WHEN abs(cost_usd) < 1e+12 THEN CAST(round(cost_usd * CAST(1e18 AS DOUBLE)) AS HUGEINT) ELSE CAST(0 AS HUGEINT) END), 0) AS cost_atto, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens, coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens, coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens, count(*) FILTER (WHERE status = 'error') AS errors, coalesce(sum(cache_read_tokens) FILTER (WHERE cache_read_tokens > 0), 0) AS cache_read_basis, min(start_ns) FILTER (WHERE cache_read_tokens > 0) AS cache_read_first_ns FROM spans WHERE kind IN ('llm', 'embedding') AND start_ns IS NOT NULL GROUP BY hour_ns, tenant, service_name, environment, feature, provider, request_model, response_model, prompt_id, prompt_sha",
        "INSERT INTO latency_hourly (hour_ns, tenant, service_name, environment, feature, provider, request_model, response_model, prompt_id, prompt_sha, bucket, calls) SELECT start_ns // 3600000000000 * 3600000000000 AS hour_ns, coalesce(tenant, chr(0)) AS tenant, coalesce(service_name, chr(0)) AS service_name, coalesce(environment, chr(0)) AS environment, coalesce(feature, chr(0)) AS feature, coalesce(provider, chr(0)) AS provider, coalesce(request_model, chr(0)) AS request_model, coalesce(response_model, chr(0)) AS response_model, coalesce(prompt_id, chr(0)) AS prompt_id, coalesce(prompt_sha, chr(0)) AS prompt_sha, CASE WHEN duration_ns <= 0 THEN 0 ELSE 1 + CAST(ceil(ln(duration_ns) / 0.040005334613699206) AS BIGINT) END AS bucket, count(*) AS calls FROM spans WHERE kind IN ('llm', 'embedding') AND start_ns IS NOT NULL AND duration_ns IS NOT NULL GROUP BY hour_ns, tenant, service_name, environment, feature, provider, request_model, response_model, prompt_id, prompt_sha, bucket",
    )),
    (6, (
        # the derived tables become append-only partial rows (store/partials.py): no unique keys, and the
        # all-tenant scope folds the tenants' rows instead of keeping its own
        "DROP INDEX IF EXISTS trace_summaries_key",
        "DROP INDEX IF EXISTS cost_hourly_key",
        "DROP INDEX IF EXISTS latency_hourly_key",
        "DELETE FROM trace_summaries WHERE tenant = chr(0) || '*'",
    )),
    (7, (
        # trace-id lookups of the summaries (a trace by id, a search page's rows); appends keep it cheap
        "CREATE INDEX IF NOT EXISTS trace_summaries_trace ON trace_summaries (trace_id)",
    )),
    (8, (
        # the alert history: each alert when it fired and when it resolved
        "CREATE TABLE IF NOT EXISTS alert_events ("
        '"at_ns" BIGINT, "status" VARCHAR, "fingerprint" VARCHAR, "name" VARCHAR, "severity" VARCHAR, '
        '"labels" JSON, "summary" VARCHAR, "annotations" JSON, "example_trace_ids" VARCHAR[], '
        '"starts_ns" BIGINT, "ends_ns" BIGINT)',
    )),
    (9, (
        # the audit log (erasures, retention purges) and the erasure requests a restart resumes
        "CREATE TABLE IF NOT EXISTS audit_log ("
        '"at_ns" BIGINT, "actor" VARCHAR, "action" VARCHAR, "tenant" VARCHAR, "target" VARCHAR, '
        '"purpose" VARCHAR, "details" JSON)',
        "CREATE TABLE IF NOT EXISTS erasure_requests ("
        '"id" VARCHAR, "selector" VARCHAR, "value" VARCHAR, "value_sha256" VARCHAR, "tenant" VARCHAR, '
        '"purpose" VARCHAR, "actor" VARCHAR, "requested_ns" BIGINT, "status" VARCHAR, "done_ns" BIGINT, '
        '"receipt" JSON)',
    )),
    (10, (
        # the redaction tiers the server ran over each span
        'ALTER TABLE spans ADD COLUMN IF NOT EXISTS "redaction_tiers" VARCHAR[]',
    )),
    (11, (
        # tail sampling of content: traces awaiting their decision, and the decisions
        "CREATE TABLE IF NOT EXISTS content_pending ("
        '"tenant" VARCHAR, "trace_id" VARCHAR, "received_ns" BIGINT, "content_rows" BIGINT, "root" BOOLEAN, '
        '"error_classes" VARCHAR[], "over_budget" BOOLEAN)',
        "CREATE TABLE IF NOT EXISTS content_decisions ("
        '"tenant" VARCHAR, "trace_id" VARCHAR, "decided_ns" BIGINT, "keep" BOOLEAN, "reason" VARCHAR, '
        '"content_rows" BIGINT, "features" VARCHAR[])',
    )),
)
