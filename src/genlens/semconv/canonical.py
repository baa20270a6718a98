"""The canonical span: one row per span, the same whatever convention it arrived in.

Semantics, written down once (every normalizer obeys them):

* ``input_tokens`` INCLUDES cache-read and cache-write tokens, as OTel GenAI
  defines it.  A span reporting them the Anthropic way (cache tokens beside
  input, so ``cache_read + cache_write > input``) is converted by adding them.
* ``output_tokens`` INCLUDES ``reasoning_tokens``; reasoning is never added twice.
* ``total_tokens`` = input + output (derived when the span does not carry it).
* Every token column holds a count in ``[0, MAX_TOKENS]``.  A count outside it
  (negative, absurd, not an integer) is not stored: the value stays in
  ``attributes`` as sent and, on an llm/embedding span, the row carries
  :data:`INVALID_USAGE` so that pricing makes its cost unknown.
* Token columns are filled only on ``llm`` and ``embedding`` spans.  Usage that
  an agent/workflow/chain span reports is an aggregate of its children; it is
  kept in ``attributes`` and flagged ``usage_aggregated`` but never put in the
  token columns, so summing a column over a trace counts every token once.
* ``finish_reasons`` use the OTel output-message vocabulary: ``stop``,
  ``length``, ``content_filter``, ``tool_call``, ``error`` (others pass through
  lower-cased).
* A span carrying two conventions (e.g. OpenInference dual-writing ``gen_ai.*``)
  yields one value per column: the first convention in priority order wins.
* Times are integer nanoseconds since the epoch; durations/latencies derived
  from them are seconds (``*_s``) as doubles.
* Ids are lowercase hex strings (32 chars for trace ids, 16 for span ids).
* ``attributes`` holds, as JSON, every span attribute no column took;
  ``resource_attributes`` the resource's.  Content lives in the content table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["str", "int", "float", "bool", "str_list", "int_list", "float_list", "json"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("tenant", "str", "tenant the span belongs to"),
    Column("trace_id", "str"),
    Column("span_id", "str"),
    Column("parent_span_id", "str", "NULL for a root span"),
    Column("name", "str"),
    Column("kind", "str", "llm | embedding | tool | retrieval | agent | workflow | other"),
    Column("start_ns", "int"),
    Column("end_ns", "int"),
    Column("duration_ns", "int"),
    Column("status", "str", "unset | ok | error"),
    Column("status_message", "str"),
    Column("error_class", "str", "none | api | validation | guardrail | timeout | cancelled"),
    Column("error_type", "str", "error.type or exception type"),
    Column("service_name", "str"),
    Column("service_version", "str"),
    Column("environment", "str"),
    Column("scope_name", "str", "instrumentation scope"),
    Column("convention", "str", "genlens | otel | openinference | openllmetry | none"),
    Column("provider", "str"),
    Column("operation", "str"),
    Column("request_model", "str"),
    Column("response_model", "str"),
    Column("response_id", "str"),
    Column("finish_reasons", "str_list"),
    Column("temperature", "float"),
    Column("top_p", "float"),
    Column("max_tokens", "int"),
    Column("request_params", "json", "other request parameters (seed, top_k, stop, penalties …)"),
    Column("input_tokens", "int", "includes cache read and cache write"),
    Column("output_tokens", "int", "includes reasoning"),
    Column("cache_read_tokens", "int"),
    Column("cache_write_tokens", "int"),
    Column("reasoning_tokens", "int"),
    Column("total_tokens", "int"),
    Column("usage_aggregated", "bool", "span reported usage aggregated over children (kept in attributes)"),
    Column("cost_usd", "float"),
    Column("cost_source", "str", "reported | computed | unknown"),
    Column("price_source", "str", "which price book/version priced the span"),
    Column("ttft_s", "float"),
    Column("tpot_s", "float"),
    Column("decode_tps", "float", "decode tokens per second"),
    Column("streaming", "bool"),
    Column("feature", "str"),
    Column("prompt_id", "str"),
    Column("prompt_sha", "str"),
    Column("experiment_id", "str"),
    Column("experiment_variant", "str"),
    Column("conversation_id", "str"),
    Column("user_id", "str"),
    Column("agent_name", "str"),
    Column("tool_name", "str"),
    Column("tool_call_id", "str"),
    Column("budget_exceeded", "bool"),
    Column("content_sampled", "bool", "content of this span is stored in the content table"),
    Column("redacted", "bool"),
    Column("attributes", "json", "unmapped span attributes"),
    Column("resource_attributes", "json"),
    Column("events", "json", "span events other than content events"),
    # added by migration 4; a column added later goes after it (ALTER TABLE appends)
    Column("links", "json", "span links: [{trace_id, span_id, attributes}], hex ids"),
    # added by migration 10
    Column("redaction_tiers", "str_list", "redaction tiers the server ran over the span's content and attributes"),
)

# The plausibility bound on one token count of one span.  No model has a context anywhere near it
# (the largest windows are a few million tokens), so a count above it is a bug or an attack; and
# rows bounded by it keep BIGINT sums safe over any realistic number of spans.  The normalizer and
# pricing both use this one value.
MAX_TOKENS = 100_000_000

# The usage counts pricing reads.
USAGE_COLUMNS: tuple[str, ...] = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")

# A row key that is not a column (the store ignores it): on an llm/embedding row, the usage counts
# the span reported but the normalizer refused, ``{column: value}`` (the value as sent, or the sum
# of cache and input or of reasoning and output that exceeded the bound).  Pricing the counts that
# are left would give a cost that looks exact and is wrong, so the pricing stage reads this, makes
# the cost unknown ("invalid usage") and removes the key.
INVALID_USAGE = "_invalid_usage"

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
COLUMN_TYPES: dict[str, ColumnType] = {c.name: c.type for c in COLUMNS}


def empty_row() -> dict[str, object]:
    """A canonical row with every column present and ``None``."""
    return dict.fromkeys(COLUMN_NAMES)
