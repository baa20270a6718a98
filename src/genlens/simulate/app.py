"""The simulator's ASGI application: provider routes, the shared completion flow, admin routes.

One flow serves every provider endpoint: read and validate the body, resolve
the model profile, roll the fault dice, plan the completion, wait the planned
latency (or pace the stream), answer in the provider's wire format.  Errors
are answered in the provider's own error shape so the official SDKs raise
their usual exception classes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from genlens.errors import ConfigError
from genlens.simulate import anthropic_messages as am
from genlens.simulate import openai_chat as oc
from genlens.simulate import openai_completions as ocl
from genlens.simulate import openai_responses as orsp
from genlens.simulate.cache import PrefixCache
from genlens.simulate.config import ModelProfile, SimulatorConfig
from genlens.simulate.engine import Completion, Prompt, plan
from genlens.simulate.http import ApiError, Exchange, Frame, Receive, Scope, Send, StreamAborted, pace
from genlens.simulate.state import Decision, SimulatorState
from genlens.simulate.text import count_tokens, digest

log = logging.getLogger("genlens.simulate")

_ERROR_TEXT = {
    ("openai", 429): "Rate limit reached for {model} in organization org-simulated on requests per min (RPM): "
                     "Limit 500, Used 500, Requested 1. Please try again in {retry}s.",
    ("openai", 500): "The server had an error while processing your request. Sorry about that!",
    ("openai", 503): "The server is overloaded or not ready yet.",
    ("openai", 529): "The engine is currently overloaded, please try again later.",
    ("anthropic", 429): "This request would exceed the rate limit for your organization of 50 requests per minute.",
    ("anthropic", 500): "Internal server error",
    ("anthropic", 503): "Service unavailable",
    ("anthropic", 529): "Overloaded",
}
_HEX = "0123456789abcdef"
_B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class Runtime:
    """State shared by every request of one simulator instance."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.state = SimulatorState(config)
        self.cache = PrefixCache(config.cache_entries, config.cache_block_tokens)


def _fault_error(provider: str, model: str, decision: Decision) -> ApiError:
    retry = decision.retry_after_s
    text = _ERROR_TEXT[(provider, decision.status or 500)].format(model=model, retry=f"{retry:g}")
    headers: list[tuple[str, str]] = []
    if decision.status == 429 or retry > 0:
        headers.append(("retry-after", str(max(math.ceil(retry), 0))))
        headers.append(("retry-after-ms", str(int(retry * 1000))))
    return ApiError(decision.status or 500, text, headers=headers)


def _request_headers(provider: str, c: Completion | None) -> list[tuple[str, str]]:
    rid = "req_" + secrets.token_hex(16)
    headers = [("request-id" if provider == "anthropic" else "x-request-id", rid)]
    if c is not None:
        headers.append(("x-simulator-ttft-ms", f"{c.ttft_s * 1000:.3f}"))
        headers.append(("x-simulator-tpot-ms", f"{c.tpot_s * 1000:.3f}"))
    return headers


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def _parse(parser: Callable[[dict[str, Any]], Prompt], body: dict[str, Any]) -> Prompt:
    try:
        return parser(body)
    except ApiError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise ApiError(400, f"Malformed request body: {type(exc).__name__}: {exc}") from exc


async def completion(ex: Exchange, rt: Runtime, api: str) -> None:
    """Serve one provider request end to end (``api``: chat | responses | messages | embeddings | completions)."""
    provider = "anthropic" if api == "messages" else "openai"
    render = am.error_body if provider == "anthropic" else oc.error_body
    model = "-"
    try:
        body = await ex.json_body()
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise ApiError(400, "model: Field required", "missing_required")
        model = body["model"][:200]
        wanted = {"embeddings": "embedding", "completions": "completion"}.get(api, "chat")
        # an unknown model gets a generic profile of the endpoint's kind (completions) or a chat one
        profile = rt.config.profile(model, provider, wanted if api == "completions" else "chat")
        if profile is None or profile.kind != wanted:
            raise ApiError(404, f"The model `{model}` does not exist or is not a {wanted} model.", "model_not_found")
        decision = rt.state.decide(model)
        if decision.status is not None:
            rt.state.count(f"faults.status_{decision.status}")
            raise _fault_error(provider, model, decision)
        if api == "embeddings":
            await _embeddings(ex, rt, body, profile, decision)
        elif api == "completions":
            await _legacy(ex, rt, body, profile, decision)
        else:
            await _complete(ex, rt, api, body, profile, decision)
        rt.state.record(model, 200)
    except ApiError as err:
        rt.state.record(model, err.status)
        if not ex.started and err.status != 499:
            await ex.reply(err.status, render(err), [*err.headers, *_request_headers(provider, None)])
    except StreamAborted:
        rt.state.record(model, 200)
        rt.state.count("faults.stall")
        raise


async def _embeddings(ex: Exchange, rt: Runtime, body: dict[str, Any], profile: ModelProfile,
                      decision: Decision) -> None:
    try:
        payload, tokens = oc.embeddings_json(body, profile.response_model, profile.embedding_dimensions)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ApiError(400, f"Malformed request body: {exc}") from exc
    scale = rt.state.latency_scale * decision.latency_multiplier * decision.jitter_ttft
    await _sleep((profile.queue_s + profile.prefill_s_per_token * tokens) * scale)
    await ex.reply(200, payload, _request_headers("openai", None))


def _count_faults(rt: Runtime, decision: Decision) -> None:
    for fault in ("content_filter", "refusal", "invalid_json"):
        if getattr(decision, fault):
            rt.state.count(f"faults.{fault}")


async def _send(ex: Exchange, rt: Runtime, c: Completion, stream: bool, frames: list[Frame], payload: Any,
                headers: list[tuple[str, str]]) -> None:
    """Pace ``frames`` for a stream, else wait the planned time and answer ``payload``."""
    if stream:
        await ex.start_stream(headers)
        if not await pace(ex, frames, c.ttft_s, c.tpot_s, c.stall_after, c.stall_s):
            rt.state.count("client_disconnects")
    else:
        if c.stall_after is not None:  # a stalled non-streaming call hangs, then the connection drops
            await _sleep(c.stall_s)
            raise StreamAborted("stalled request dropped")
        await _sleep(c.total_s())
        await ex.reply(200, payload, headers)


async def _legacy(ex: Exchange, rt: Runtime, body: dict[str, Any], profile: ModelProfile,
                  decision: Decision) -> None:
    """Legacy completions: every prompt × ``n`` choices planned, served as one batch (slowest sets the pace)."""
    try:
        prompts, n = ocl.parse_completions(body, profile.context_window)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ApiError(400, f"Malformed request body: {type(exc).__name__}: {exc}") from exc
    profile = replace(profile, cache_min_tokens=1 << 30)  # these models have no prompt cache
    choices = [plan(rt.state, rt.cache, profile, p, decision, False, "call_", variant=j)
               for p in prompts for j in range(n)]
    _count_faults(rt, decision)
    slowest = max(choices, key=lambda c: (c.ttft_s, c.total_s()))
    totals = ocl.usage(prompts, choices)
    rid = "cmpl-" + rt.state.random_id(_B62, 29)
    model = profile.response_model
    stream = body.get("stream") is True
    frames: list[Frame] = []
    payload: Any = None
    if stream:
        frames = ocl.completion_frames(choices, rid, model, totals, _wants_usage(body))
    else:
        payload = ocl.completion_json(choices, rid, model, totals)
    # the batch ends when its longest choice does
    pacing = replace(slowest, output_tokens=max(c.output_tokens for c in choices))
    await _send(ex, rt, pacing, stream, frames, payload, _request_headers("openai", slowest))


def _wants_usage(body: dict[str, Any]) -> bool:
    """OpenAI streams end with a usage chunk only when ``stream_options.include_usage`` asks for it."""
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


async def _complete(ex: Exchange, rt: Runtime, api: str, body: dict[str, Any], profile: ModelProfile,
                    decision: Decision) -> None:
    parser = {"chat": oc.parse_chat, "responses": orsp.parse_responses, "messages": am.parse_messages}[api]
    prompt = _parse(parser, body)
    limit = profile.context_window
    if count_tokens(prompt.text) > limit:
        raise ApiError(400, f"This model's maximum context length is {limit} tokens; the prompt has "
                            f"{count_tokens(prompt.text)}.", "context_length_exceeded")
    prefix = "toolu_01" if api == "messages" else "call_"
    c = plan(rt.state, rt.cache, profile, prompt, decision, api == "messages", prefix)
    _count_faults(rt, decision)
    model = profile.response_model
    headers = _request_headers("anthropic" if api == "messages" else "openai", c)
    stream = body.get("stream") is True
    frames: list[Frame] = []
    payload: Any = None
    if api == "chat":
        rid = "chatcmpl-" + rt.state.random_id(_B62, 29)
        fingerprint = "fp_" + digest(model).hex()[:10]
        if stream:
            frames = oc.chat_frames(c, rid, model, fingerprint, _wants_usage(body))
        else:
            payload = oc.chat_json(c, rid, model, fingerprint)
    elif api == "responses":
        rid = "resp_" + rt.state.random_id(_HEX, 48)
        msg_id = "msg_" + rt.state.random_id(_HEX, 48)
        if stream:
            frames = orsp.responses_frames(body, c, rid, msg_id, model)
        else:
            payload = orsp.responses_json(body, c, rid, msg_id, model)
    else:
        mid = "msg_01" + rt.state.random_id(_B62, 22)
        if stream:
            frames = am.message_frames(c, mid, model)
        else:
            payload = am.message_json(c, mid, model)
    await _send(ex, rt, c, stream, frames, payload, headers)


async def count_tokens_route(ex: Exchange, rt: Runtime) -> None:
    """``POST /v1/messages/count_tokens``: the input token count of a Messages request."""
    try:
        body = await ex.json_body()
        body.setdefault("max_tokens", 1)
        prompt = _parse(am.parse_messages, body)
        await ex.reply(200, {"input_tokens": count_tokens(prompt.text)})
    except ApiError as err:
        await ex.reply(err.status, am.error_body(err))


async def models_route(ex: Exchange, rt: Runtime) -> None:
    data = [{"id": name, "object": "model", "created": 1_700_000_000, "owned_by": p.provider}
            for name, p in sorted(rt.config.models.items())]
    await ex.reply(200, {"object": "list", "data": data})


async def admin(ex: Exchange, rt: Runtime) -> None:
    """The ``/admin/...`` JSON API (documented in ``genlens.simulate``)."""
    parts = ex.path.removeprefix("/admin").strip("/").split("/", 1)
    head, rest = parts[0], (parts[1] if len(parts) > 1 else "")
    method = ex.method
    try:
        if head == "health" and method == "GET":
            return await ex.reply(200, {"ok": True})
        if head == "faults":
            if method == "GET":
                return await ex.reply(200, rt.state.faults())
            if method == "DELETE":
                rt.state.clear_faults(rest or None)
                return await ex.reply(200, rt.state.faults())
            if method in ("PUT", "POST") and rest:
                spec = rt.state.set_faults(rest, await ex.json_body())
                return await ex.reply(200, {"model": rest, "faults": spec.to_json()})
        if head == "stats":
            if method == "GET":
                stats = rt.state.stats()
                stats["cache"] = {"entries": len(rt.cache), "evictions": rt.cache.evictions}
                return await ex.reply(200, stats)
            if method == "DELETE":
                rt.state.reset_stats()
                return await ex.reply(200, rt.state.stats())
        if head == "config" and method == "GET":
            cfg = rt.config
            return await ex.reply(200, {"seed": cfg.seed, "latency_scale": rt.state.latency_scale,
                                        "jitter": cfg.jitter, "strict_models": cfg.strict_models,
                                        "models": {n: vars(p) for n, p in sorted(cfg.models.items())}})
        if head == "latency_scale" and method in ("PUT", "POST"):
            value = (await ex.json_body()).get("latency_scale")
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
                raise ConfigError(f"latency_scale must be a number >= 0, got {value!r}")
            rt.state.latency_scale = float(value)
            return await ex.reply(200, {"latency_scale": rt.state.latency_scale})
    except ConfigError as exc:
        return await ex.reply(400, {"error": str(exc)})
    except ApiError as exc:
        return await ex.reply(exc.status, {"error": exc.message})
    await ex.reply(404, {"error": f"no admin route {method} {ex.path}"})


def create_app(rt: Runtime) -> Callable[[Scope, Receive, Send], Any]:
    """A raw ASGI callable serving the provider APIs and the admin API from ``rt``."""
    routes = {
        ("POST", "/v1/chat/completions"): "chat",
        ("POST", "/chat/completions"): "chat",
        ("POST", "/v1/responses"): "responses",
        ("POST", "/responses"): "responses",
        ("POST", "/v1/embeddings"): "embeddings",
        ("POST", "/embeddings"): "embeddings",
        ("POST", "/v1/completions"): "completions",
        ("POST", "/completions"): "completions",
        ("POST", "/v1/messages"): "messages",
    }
    max_body = rt.config.max_body_bytes
    limit = rt.config.max_in_flight
    in_flight = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal in_flight
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not served
        ex = Exchange(scope, receive, send, max_body)
        api = routes.get((scope["method"], scope["path"]))
        try:
            if api is not None:
                if in_flight >= limit:
                    rt.state.count("rejected_in_flight")
                    err = ApiError(503, f"The simulator is serving {limit} requests already.",
                                   headers=[("retry-after", "1")])
                    render = am.error_body if api == "messages" else oc.error_body
                    return await ex.reply(503, render(err), err.headers)
                in_flight += 1
                try:
                    await completion(ex, rt, api)
                finally:
                    in_flight -= 1
            elif scope["path"].startswith("/admin/"):
                await admin(ex, rt)
            elif scope["path"] == "/v1/messages/count_tokens" and scope["method"] == "POST":
                await count_tokens_route(ex, rt)
            elif scope["path"] in ("/v1/models", "/models") and scope["method"] == "GET":
                await models_route(ex, rt)
            elif scope["path"] == "/health":
                await ex.reply(200, {"ok": True})
            else:
                await ex.reply(404, {"error": {"message": f"Unknown route {scope['method']} {scope['path']}",
                                               "type": "invalid_request_error", "param": None, "code": None}})
        except StreamAborted:
            raise
        except Exception:
            rt.state.count("internal_errors")
            log.exception("simulator failed on %s %s", scope["method"], scope["path"])
            if not ex.started:
                await ex.reply(500, {"error": {"message": "simulator internal error", "type": "server_error",
                                               "param": None, "code": None}})

    return app
