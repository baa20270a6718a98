"""Fill a live server with realistic agent traces over OTLP/HTTP, with content, for the UI tests.

Deterministic (fixed seed, times relative to "now"): conversations of 2-4 turns,
each turn a trace five levels deep (workflow → agent → tool → sub-agent → LLM),
two tool calls running in parallel, chat messages in the OTel parts shape,
tool arguments/results, retrieved documents with scores, a share of API,
validation and guardrail errors, and one prompt whose version changes 3 hours ago.
"""

from __future__ import annotations

import random
import time
from typing import Any

import httpx
import orjson

from genlens.semconv import attrs as a
from tests.otlp_helpers import span_request

FEATURES = ("support-chat", "search", "summarize")
MODELS = (("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-4o"))
SHA_V1, SHA_V2 = "a1b2c3d4e5f60718", "f0e1d2c3b4a59687"
CONVERSATIONS = 14
SEED = 20261123
S = 10**9


def _j(value: Any) -> str:
    return orjson.dumps(value).decode()


class TraceBuilder:
    def __init__(self, r: random.Random, start_ns: int, ctx: dict[str, Any]) -> None:
        self.r, self.ctx = r, ctx
        self.trace_id = r.getrandbits(128).to_bytes(16, "big")
        self.start = start_ns
        self.scale = r.uniform(0.55, 1.9)  # so traces differ in duration
        self.spans: list[dict[str, Any]] = []

    def add(self, name: str, parent: bytes | None, start: int, dur: int, attributes: dict[str, Any],
            status: int = 1) -> bytes:
        span_id = self.r.getrandbits(64).to_bytes(8, "big")
        base = {a.APP_FEATURE: self.ctx["feature"], a.APP_CONVERSATION_ID: self.ctx["conv"], a.USER_ID: self.ctx["user"]}
        self.spans.append({"trace_id": self.trace_id, "span_id": span_id, "parent": parent, "name": name,
                           "start": self.start + int(start * self.scale),
                           "end": self.start + int((start + dur) * self.scale),
                           "attributes": {**base, **attributes}, "status": status})
        return span_id

    def llm(self, name: str, parent: bytes, start: int, dur: int, messages: list[dict[str, Any]],
            answer: list[dict[str, Any]], error: str | None = None) -> bytes:
        provider, model = self.ctx["model"]
        inp, out = self.r.randint(300, 4000), self.r.randint(40, 600)
        cache = self.r.randint(0, inp // 2)
        attributes: dict[str, Any] = {
            a.GEN_AI_PROVIDER_NAME: provider, a.GEN_AI_OPERATION_NAME: a.OP_CHAT, a.GEN_AI_REQUEST_MODEL: model,
            a.GEN_AI_RESPONSE_MODEL: model, a.GEN_AI_USAGE_INPUT_TOKENS: inp, a.GEN_AI_USAGE_OUTPUT_TOKENS: out,
            a.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: cache, a.GEN_AI_REQUEST_TEMPERATURE: 0.2,
            a.APP_TTFT_S: round(self.r.uniform(0.15, 1.2), 3), a.APP_STREAMING: True,
            a.APP_DECODE_TOKENS_PER_S: round(self.r.uniform(40, 160), 1),
            a.APP_COST_USD: round((inp * 0.15 + out * 0.6) / 1e6 * (20 if model == "gpt-4o" else 4), 6),
            a.APP_PROMPT_TEMPLATE_ID: f"{self.ctx['feature']}-prompt", a.APP_PROMPT_TEMPLATE_SHA: self.ctx["sha"],
            a.GEN_AI_INPUT_MESSAGES: _j(messages), a.GEN_AI_OUTPUT_MESSAGES: _j(answer),
        }
        status = 1
        if error:
            status = 2
            attributes[a.APP_ERROR_CLASS] = error
            attributes[a.ERROR_TYPE] = {"api": "RateLimitError", "validation": "ValidationError",
                                        "guardrail": "GuardrailRejected"}[error]
        return self.add(name, parent, start, dur, attributes, status)


def build_trace(r: random.Random, start_ns: int, ctx: dict[str, Any], question: str, error: str | None) -> TraceBuilder:
    t = TraceBuilder(r, start_ns, ctx)
    system = {"role": "system", "parts": [{"type": "text", "content": "You are a helpful support agent for Acme."}]}
    user = {"role": "user", "parts": [{"type": "text", "content": question}]}
    root = t.add("invoke_workflow support", None, 0, 7 * S, {a.GEN_AI_OPERATION_NAME: a.OP_INVOKE_WORKFLOW})
    agent = t.add("invoke_agent planner", root, 50_000_000, 6800_000_000,
                  {a.GEN_AI_OPERATION_NAME: a.OP_INVOKE_AGENT, a.GEN_AI_AGENT_NAME: "planner"})
    t.llm("chat plan", agent, 100_000_000, 900_000_000, [system, user], [{
        "role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "lookup_order", "arguments": {"order_id": "A-1042"}},
            {"type": "tool_call", "id": "call_2", "name": "search_kb", "arguments": {"query": question[:40]}}]}])
    t.add("retrieval kb", agent, 1_000_000_000, 300_000_000, {
        a.GEN_AI_OPERATION_NAME: a.OP_RETRIEVAL, a.GEN_AI_DATA_SOURCE_ID: "kb",
        a.GEN_AI_RETRIEVAL_DOCUMENTS: _j([{"id": "kb-17", "score": 0.913, "content": "Refunds take 5 business days."},
                                         {"id": "kb-4", "score": 0.742, "content": "Orders ship from Lyon."}])})
    # two tool calls in parallel (overlapping), the second one runs a sub-agent with its own LLM call
    t.add("execute_tool lookup_order", agent, 1_400_000_000, 1_800_000_000, {
        a.GEN_AI_OPERATION_NAME: a.OP_EXECUTE_TOOL, a.GEN_AI_TOOL_NAME: "lookup_order", a.GEN_AI_TOOL_CALL_ID: "call_1",
        a.GEN_AI_TOOL_CALL_ARGUMENTS: _j({"order_id": "A-1042"}),
        a.GEN_AI_TOOL_CALL_RESULT: _j({"status": "shipped", "eta_days": 2, "carrier": "DHL"})})
    tool = t.add("execute_tool search_kb", agent, 1_500_000_000, 3_000_000_000, {
        a.GEN_AI_OPERATION_NAME: a.OP_EXECUTE_TOOL, a.GEN_AI_TOOL_NAME: "search_kb", a.GEN_AI_TOOL_CALL_ID: "call_2",
        a.GEN_AI_TOOL_CALL_ARGUMENTS: _j({"query": question[:40]}), a.GEN_AI_TOOL_CALL_RESULT: _j({"hits": 2})})
    sub = t.add("invoke_agent researcher", tool, 1_600_000_000, 2_800_000_000,
                {a.GEN_AI_OPERATION_NAME: a.OP_INVOKE_AGENT, a.GEN_AI_AGENT_NAME: "researcher"})
    t.llm("chat research", sub, 1_700_000_000, 2_600_000_000, [user], [
        {"role": "assistant", "finish_reason": "stop", "parts": [{"type": "text", "content": "Found 2 relevant articles."}]}])
    tool_msg = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1",
                                           "response": {"status": "shipped", "eta_days": 2}}]}
    t.llm("chat answer", agent, 4_600_000_000, 2_100_000_000, [system, user, tool_msg], [
        {"role": "assistant", "finish_reason": "stop",
         "parts": [{"type": "text", "content": "Your order A-1042 has shipped and arrives in 2 days."}]}],
          error=error)
    return t


QUESTIONS = ("Where is my order A-1042?", "Can I get a refund for a damaged item?", "How do I change my address?",
             "Do you ship to Norway?", "My invoice shows the wrong VAT number.")


def traces(now_ns: int | None = None, conversations: int = CONVERSATIONS) -> list[TraceBuilder]:
    r = random.Random(SEED)
    now_ns = now_ns or time.time_ns()
    out = []
    for c in range(conversations):
        feature = FEATURES[(c + c // 3) % len(FEATURES)]
        # conversations spread over 3 days; every third one in the last 2 hours
        t0 = now_ns - (r.randint(300, 7000) if c % 3 == 0 else r.randint(3 * 3600, 70 * 3600)) * S
        ctx = {"feature": feature, "conv": f"conv-{c:03d}", "user": f"user-{c % 5}", "model": MODELS[c % len(MODELS)]}
        for turn in range(2 + c % 3):
            start = t0 + turn * 40 * S
            ctx["sha"] = SHA_V2 if now_ns - start < 3 * 3600 * S else SHA_V1
            error = {1: "api", 5: "validation", 9: "guardrail"}.get(c) if turn == 1 else None
            out.append(build_trace(r, start, dict(ctx), QUESTIONS[(c + turn) % len(QUESTIONS)], error))
    return out


def fill_server(url: str, now_ns: int | None = None) -> list[TraceBuilder]:
    """Export every trace over OTLP/HTTP protobuf (one request per trace) and wait until all are stored."""
    built = traces(now_ns)
    with httpx.Client(base_url=url, timeout=30) as client:
        for t in built:
            body = span_request(t.spans, {a.SERVICE_NAME: "support-bot", a.SERVICE_VERSION: "1.4.2",
                                          a.DEPLOYMENT_ENVIRONMENT_NAME: "prod"}).SerializeToString()
            response = client.post("/v1/traces", content=body, headers={"content-type": "application/x-protobuf"})
            response.raise_for_status()
    return built


def pick_pages(url: str) -> list[tuple[str, str, bool]]:
    """(name, path, full page?) of each page to photograph, with real ids taken from the server."""
    with httpx.Client(base_url=url, timeout=30) as client:
        found = client.get("/traces", params={"format": "json", "range": "7d", "limit": 100, "sort": "cost"}).json()["rows"]
        trace_id = max(found, key=lambda t: (t["span_count"], t["llm_calls"], t["trace_id"]))["trace_id"]
        trace = client.get(f"/traces/{trace_id}", params={"format": "json"}).json()
        rows = trace["waterfall"]["rows"]
        calls = [r[0] for r in rows if r[5] == "llm"] or [r[0] for r in rows]
        llm = calls[-1]  # the last call: the longest conversation to show
        convs = client.get("/conversations", params={"format": "json", "range": "7d"}).json()["rows"]
    pages = [("overview", "/overview?range=7d", True), ("traces", "/traces?range=7d", False),
             ("trace", f"/traces/{trace_id}", False), ("trace-span", f"/traces/{trace_id}?span={llm}", False),
             ("conversations", "/conversations?range=7d", False)]
    if convs:
        longest = max(convs, key=lambda c: (c["turns"], c["conversation_id"], c["tenant"]))
        pages.append(("conversation", f"/conversations/{longest['conversation_id']}?tenant={longest['tenant']}", False))
    pages.append(("cost", "/cost?range=7d", True))
    return pages
