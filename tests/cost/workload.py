"""A seeded two-week workload of canonical LLM spans with a known price file and optional planted incidents.

Week 1 (``T0``..``T0+7d``) is history for the detectors' baselines; week 2 is
the week under test, with >= 100,000 LLM spans.  Plants (all in week 2):

* prompt regression: feature ``summarize`` switches to prompt sha ``sum-v3`` at
  ``REGRESSION_START`` with ~3x the tokens per call;
* cache-hit drop: feature ``search`` hits the cache far less all week;
* runaway conversation: ``conv-runaway`` (feature ``chat``, tenant ``acme``),
  100 calls whose input grows by 250 tokens each turn (1.4M tokens in all).

Without plants the same features, tenants, models and a harmless prompt
rollover (``chat`` v1 → v2 at day 9, same token distribution) remain.
Expected costs are computed here from :data:`PRICES` by plain arithmetic,
independently of genlens' price book.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DAY = 86_400 * 10**9
T0 = int(datetime(2026, 10, 5, tzinfo=UTC).timestamp()) * 10**9  # a Monday, UTC midnight
WEEK2 = T0 + 7 * DAY
END = T0 + 14 * DAY
PRICE_CHANGE = T0 + 10 * DAY  # gpt-4o's negotiated rate changes mid-week 2
REGRESSION_START = T0 + 11 * DAY
RUNAWAY_START = T0 + 9 * DAY + 10 * 3600 * 10**9
RUNAWAY_TURNS = 100
CHAT_V2_START = T0 + 9 * DAY

PRICE_FILE = """
prices:
  - model: gpt-4o
    provider: openai
    input: 2.50
    output: 10.00
    cache_read: 1.25
    cache_write: 2.50
    valid_from: 2026-01-01
  - model: gpt-4o
    provider: openai
    input: 2.00
    output: 8.00
    cache_read: 0.50
    cache_write: 2.50
    valid_from: 2026-10-15
  - model: gpt-4o-mini
    provider: openai
    input: 0.15
    output: 0.60
    cache_read: 0.075
  - model: house-llama-70b
    provider: self-hosted
    aliases: [llama-prod]
    input: 0.20
    output: 0.60
    cache_read: 0.02
    cache_write: 0.25
"""

# (provider, canonical model) → [(valid_from_ns, input, output, cache_read, cache_write)] USD per 1M tokens
PRICES: dict[tuple[str, str], list[tuple[int, float, float, float, float]]] = {
    ("openai", "gpt-4o"): [(0, 2.50, 10.00, 1.25, 2.50), (PRICE_CHANGE, 2.00, 8.00, 0.50, 2.50)],
    ("openai", "gpt-4o-mini"): [(0, 0.15, 0.60, 0.075, 0.15)],
    ("self-hosted", "house-llama-70b"): [(0, 0.20, 0.60, 0.02, 0.25)],
}
# (provider, request model, response model, canonical price key or None = unknown, weight)
MODELS = (
    ("openai", "gpt-4o", "gpt-4o-2024-08-06", ("openai", "gpt-4o"), 30),
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", ("openai", "gpt-4o-mini"), 40),
    ("self-hosted", "llama-prod", None, ("self-hosted", "house-llama-70b"), 20),
    ("self-hosted", "mystery-model-x", None, None, 3),
)
FEATURES = {"chat": 35, "search": 25, "summarize": 20, "extract": 12, "classify": 8}
CACHE_P = {"chat": 0.7, "search": 0.8, "summarize": 0.5, "extract": 0.3, "classify": 0.6}
TENANTS = ("acme", "globex", "initech")
_MODEL_CUM = [sum(m[4] for m in MODELS[: i + 1]) for i in range(len(MODELS))]


@dataclass(frozen=True)
class Plants:
    regression: bool = True
    cache_drop: bool = True
    runaway: bool = True


def expected_cost(row: dict[str, Any]) -> float | None:
    """Cost by plain arithmetic from PRICES (reported costs kept); None = unknown."""
    if row.get("cost_source") == "reported":
        return float(row["cost_usd"])
    key = row["_price_key"]
    if key is None:
        return None
    rate = [p for p in PRICES[key] if p[0] <= row["start_ns"]][-1]
    inp, out, cr, cw = row["input_tokens"], row["output_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]
    return ((inp - cr - cw) * rate[1] + cr * rate[3] + cw * rate[4] + out * rate[2]) / 1_000_000


def expected_saving(row: dict[str, Any]) -> float | None:
    """What the cache-read tokens would have cost at the input price minus what they cost."""
    key = row["_price_key"]
    if key is None:
        return None if row["cache_read_tokens"] else 0.0
    rate = [p for p in PRICES[key] if p[0] <= row["start_ns"]][-1]
    return row["cache_read_tokens"] * (rate[1] - rate[3]) / 1_000_000


def _llm(r: random.Random, start: int, feature: str, tenant: str, sha: str, conv: str, user: str,
         cache_p: float, scale: float = 1.0, inp: int | None = None) -> dict[str, Any]:
    provider, req, resp, key, _w = r.choices(MODELS, cum_weights=_MODEL_CUM)[0]
    inp = inp if inp is not None else int(r.randint(400, 4000) * scale)
    out = int(r.randint(40, 700) * scale)
    cache_read = int(inp * r.uniform(0.4, 0.8)) if r.random() < cache_p else 0
    cache_write = 256 if r.random() < 0.1 and inp - cache_read >= 256 else 0
    reasoning = r.randint(0, out // 2) if req == "gpt-4o" else 0
    row = {
        "tenant": tenant, "trace_id": f"{r.getrandbits(128):032x}", "span_id": f"{r.getrandbits(64):016x}",
        "name": f"chat {req}", "kind": "llm", "start_ns": start, "end_ns": start + 10**9, "duration_ns": 10**9,
        "status": "ok", "service_name": "support-bot", "environment": "prod",
        "service_version": "1.4.2" if start < T0 + 10 * DAY else "1.5.0",
        "provider": provider, "operation": "chat", "request_model": req, "response_model": resp,
        "input_tokens": inp, "output_tokens": out, "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write, "reasoning_tokens": reasoning, "total_tokens": inp + out,
        "feature": feature, "prompt_id": f"{feature}-prompt", "prompt_sha": sha,
        "experiment_variant": r.choice(("a", "b")), "conversation_id": conv, "user_id": user,
        "_price_key": key,
    }
    if r.random() < 0.02 and key is not None:  # the app reported its own cost: kept as reported
        row["cost_usd"], row["cost_source"] = round(r.uniform(0.001, 0.05), 6), "reported"
    return row


def generate(seed: int = 7, plants: Plants = Plants(), per_day: int = 14_400) -> list[dict[str, Any]]:
    """Canonical rows (LLM calls plus one workflow row per conversation), oldest first."""
    r = random.Random(seed)
    rows: list[dict[str, Any]] = []
    names, weights = list(FEATURES), list(FEATURES.values())
    n_conv = 0
    for day in range(14):
        produced = 0
        while produced < per_day:
            n_conv += 1
            feature = r.choices(names, weights)[0]
            tenant = r.choice(TENANTS)
            user = f"user-{r.randint(0, 499)}"
            conv = f"conv-{n_conv:07d}"
            t = T0 + day * DAY + r.randrange(DAY - 3600 * 10**9)
            sha, scale, cache_p = f"{feature}-v1", 1.0, CACHE_P[feature]
            if feature == "chat" and t >= CHAT_V2_START:
                sha = "chat-v2"
            if plants.regression and feature == "summarize" and t >= REGRESSION_START:
                sha, scale = "sum-v3", 3.0
            if plants.cache_drop and feature == "search" and t >= WEEK2:
                cache_p = 0.15
            rows.append({"tenant": tenant, "trace_id": f"{r.getrandbits(128):032x}",
                         "span_id": f"{r.getrandbits(64):016x}", "name": "invoke_workflow", "kind": "workflow",
                         "start_ns": t, "end_ns": t + 10**9, "feature": feature, "conversation_id": conv,
                         "user_id": user, "prompt_sha": sha, "_price_key": None})
            for turn in range(r.randint(1, 6)):
                rows.append(_llm(r, t + turn * 60 * 10**9, feature, tenant, sha, conv, user, cache_p, scale))
                produced += 1
    if plants.runaway:
        for turn in range(RUNAWAY_TURNS):
            rows.append(_llm(r, RUNAWAY_START + turn * 60 * 10**9, "chat", "acme", "chat-v2", "conv-runaway",
                             "user-7", 0.0, 1.0, inp=2000 + 250 * turn))
    rows.sort(key=lambda x: x["start_ns"])
    return rows
