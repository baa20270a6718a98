"""Realistic LLM trace workloads for the benchmarks: agent trees of ~30-attribute spans.

Each trace: workflow → agent → (planner LLM, retrieval + embedding, N tool calls each
with a child LLM, a final LLM).  Attributes follow the genlens SDK's output (OTel GenAI
v1.41 + app.llm.*), with a share of OpenInference- and OpenLLMetry-shaped LLM spans.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

FEATURES = [f"feature-{i}" for i in range(20)]
TENANTS = [f"tenant-{i}" for i in range(50)]
MODELS = [("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"), ("openai", "gpt-4o", "gpt-4o-2024-08-06"),
          ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
          ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001")]


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        v = AnyValue()
        v.array_value.values.extend(AnyValue(string_value=str(x)) for x in value)
        return KeyValue(key=key, value=v)
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _llm_attrs(r: random.Random, ctx: dict[str, Any], style: str) -> dict[str, Any]:
    provider, model, dated = r.choice(MODELS)
    inp, out = r.randint(200, 6000), r.randint(20, 800)
    cache = r.randint(0, inp // 2)
    if style == "openinference":
        return {"openinference.span.kind": "LLM", "llm.model_name": dated, "llm.provider": provider,
                "llm.system": provider, "llm.token_count.prompt": inp, "llm.token_count.completion": out,
                "llm.token_count.total": inp + out, "llm.token_count.prompt_details.cache_read": cache,
                "llm.invocation_parameters": '{"temperature": 0.2, "max_tokens": 1024}',
                "session.id": ctx["conv"], "user.id": ctx["user"], "metadata": '{"tier": "pro"}',
                "input.mime_type": "application/json", "output.mime_type": "application/json"}
    if style == "openllmetry":
        return {"llm.request.type": "chat", "gen_ai.system": provider, "gen_ai.request.model": model,
                "gen_ai.response.model": dated, "gen_ai.usage.prompt_tokens": inp,
                "gen_ai.usage.completion_tokens": out, "llm.usage.total_tokens": inp + out,
                "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 1024,
                "gen_ai.completion.0.finish_reason": "stop", "traceloop.workflow.name": "support",
                "traceloop.association.properties.user_id": ctx["user"],
                "traceloop.association.properties.session_id": ctx["conv"]}
    return {
        "gen_ai.provider.name": provider, "gen_ai.operation.name": "chat", "gen_ai.request.model": model,
        "gen_ai.response.model": dated, "gen_ai.response.id": f"chatcmpl-{r.getrandbits(64):x}",
        "gen_ai.response.finish_reasons": ["stop"], "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 1.0, "gen_ai.request.max_tokens": 1024,
        "gen_ai.usage.input_tokens": inp, "gen_ai.usage.output_tokens": out,
        "gen_ai.usage.cache_read.input_tokens": cache, "gen_ai.usage.cache_creation.input_tokens": 0,
        "server.address": "api.example.com", "server.port": 443,
        "app.llm.feature": ctx["feature"], "app.llm.tenant.id": ctx["tenant"],
        "app.llm.prompt.template.id": f"{ctx['feature']}-prompt", "app.llm.prompt.template.sha": ctx["sha"],
        "app.llm.experiment.id": "exp-1", "app.llm.experiment.variant": r.choice(["a", "b"]),
        "app.llm.conversation.id": ctx["conv"], "user.id": ctx["user"],
        "app.llm.ttft_s": r.uniform(0.1, 1.5), "app.llm.total_latency_s": r.uniform(0.5, 6.0),
        "app.llm.streaming": True, "app.llm.cost_usd": round(r.uniform(0.0001, 0.05), 6),
        "app.llm.conversation.cumulative_tokens": r.randint(1000, 50000),
    }


def trace_spans(r: random.Random, start_ns: int, tools: int = 4) -> list[dict[str, Any]]:
    """One agent trace as span dicts (ids as bytes)."""
    ctx = {"feature": r.choice(FEATURES), "tenant": r.choice(TENANTS), "conv": f"conv-{r.getrandbits(32):x}",
           "user": f"user-{r.randint(0, 4999)}", "sha": f"{r.getrandbits(64):016x}"}
    trace_id = r.getrandbits(128).to_bytes(16, "big")
    spans: list[dict[str, Any]] = []
    t = start_ns

    def add(name: str, parent: bytes | None, dur: int, attrs: dict[str, Any]) -> bytes:
        span_id = r.getrandbits(64).to_bytes(8, "big")
        spans.append({"trace_id": trace_id, "span_id": span_id, "parent": parent, "name": name,
                      "start": t, "end": t + dur, "attributes": attrs})
        return span_id

    # genlens.context() puts the request context on every span inside it, not only on LLM calls
    base = {"app.llm.feature": ctx["feature"], "app.llm.tenant.id": ctx["tenant"],
            "app.llm.conversation.id": ctx["conv"], "user.id": ctx["user"],
            "app.llm.experiment.id": "exp-1", "app.llm.experiment.variant": "a",
            "app.llm.prompt.template.id": f"{ctx['feature']}-prompt", "app.llm.prompt.template.sha": ctx["sha"],
            "code.function": "handle", "code.namespace": "support.bot", "thread.id": r.randint(1, 64)}
    root = add("invoke_workflow support", None, 9 * 10**9, {**base, "gen_ai.operation.name": "invoke_workflow"})
    agent = add("invoke_agent planner", root, 8 * 10**9, {**base, "gen_ai.operation.name": "invoke_agent",
                                                           "gen_ai.agent.name": "planner"})
    style = r.choices(["genlens", "openinference", "openllmetry"], [8, 1, 1])[0]
    add("chat plan", agent, 10**9, _llm_attrs(r, ctx, style))
    t += 10**9
    add("retrieval kb", agent, 10**8, {**base, "gen_ai.operation.name": "retrieval",
                                       "gen_ai.data_source.id": "kb", "app.llm.retrieval.document_ids": ["d1", "d2"]})
    for i in range(tools):
        tool = add(f"execute_tool tool{i}", agent, 2 * 10**9, {**base, "gen_ai.operation.name": "execute_tool",
                                                               "gen_ai.tool.name": f"tool{i}", "gen_ai.tool.type": "function",
                                                               "gen_ai.tool.call.id": f"call_{i}",
                                                               "gen_ai.tool.description": "Looks up an order by id",
                                                               "http.response.status_code": 200})
        add("chat summarize", tool, 10**9, _llm_attrs(r, ctx, "genlens"))
    t += 3 * 10**9
    add("chat answer", agent, 2 * 10**9, _llm_attrs(r, ctx, style))
    return spans


def export_request(spans: list[dict[str, Any]], service: str = "support-bot") -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend([_kv("service.name", service), _kv("service.version", "1.4.2"),
                                   _kv("deployment.environment.name", "prod"),
                                   _kv("telemetry.sdk.language", "python")])
    ss = rs.scope_spans.add()
    ss.scope.name = "genlens"
    for s in spans:
        span = ss.spans.add()
        span.trace_id, span.span_id = s["trace_id"], s["span_id"]
        if s["parent"]:
            span.parent_span_id = s["parent"]
        span.name, span.kind = s["name"], 3
        span.start_time_unix_nano, span.end_time_unix_nano = s["start"], s["end"]
        span.attributes.extend(_kv(k, v) for k, v in s["attributes"].items())
        span.status.code = 1
    return request


def with_content(r: random.Random, spans: list[dict[str, Any]], chars: int) -> None:
    """Give the chat spans of genlens style an OTel GenAI prompt and answer of about ``chars`` characters each."""
    words = ("order", "refund", "shipping", "account", "invoice", "delivery", "customer", "support", "status")
    for span in spans:
        attrs = span["attributes"]
        if attrs.get("gen_ai.operation.name") != "chat" or "gen_ai.usage.input_tokens" not in attrs:
            continue
        said = [" ".join(r.choice(words) for _ in range(chars // 8)) for _ in range(2)]
        attrs["gen_ai.input.messages"] = json.dumps([{"role": "user", "parts": [{"type": "text", "content": said[0]}]}])
        attrs["gen_ai.output.messages"] = json.dumps([{"role": "assistant", "parts": [
            {"type": "text", "content": said[1]}], "finish_reason": "stop"}])


def batches(n_batches: int, batch_size: int = 512, seed: int = 7, start_ns: int | None = None,
            spread_ns: int = 3600 * 10**9, tenant: str | None = None, in_time_order: bool = False,
            content_chars: int = 0) -> list[bytes]:
    """Serialized OTLP requests of ``batch_size`` spans each (whole traces, cut at the batch edge).

    ``tenant`` puts every span in one tenant (the single-tenant deployment, where a
    query scans every span); by default traces spread over 50 tenants.  Traces
    start at random times in the spread, or, with ``in_time_order``, at random
    but increasing times, as exporters send them in production.  ``content_chars``
    gives chat spans a prompt and an answer of about that many characters each
    (:func:`with_content`; none by default).
    """
    r = random.Random(seed)
    start_ns = start_ns or time.time_ns() - spread_ns
    out: list[bytes] = []
    pending: list[dict[str, Any]] = []
    # about 13 spans a trace: the step that spreads the traces of n_batches over spread_ns
    step = max(1, spread_ns * 13 // max(1, n_batches * batch_size))
    at = start_ns
    while len(out) < n_batches:
        if in_time_order:
            at = min(at + r.randint(0, 2 * step), start_ns + spread_ns)
        new = trace_spans(r, at if in_time_order else start_ns + r.randint(0, spread_ns))
        if content_chars:
            with_content(r, new, content_chars)
        if tenant is not None:
            for span in new:
                span["attributes"]["app.llm.tenant.id"] = tenant
        pending.extend(new)
        while len(pending) >= batch_size and len(out) < n_batches:
            out.append(export_request(pending[:batch_size]).SerializeToString())
            pending = pending[batch_size:]
    return out
