"""OpenAI legacy Completions (``POST /v1/completions``): raw prompts in, text choices out.

Wire details kept from the real API: ``cmpl-`` ids, ``object: "text_completion"``,
one choice per prompt × ``n`` (choice ``index`` = prompt index × ``n`` + j),
``logprobs: null``, ``finish_reason`` in stop | length | content_filter,
``max_tokens`` defaulting to 16 and the prompt plus ``max_tokens`` bounded by
the model's context window (400 ``context_length_exceeded``), ``best_of`` not
below ``n`` and never streamed, and usage with the three totals only (these
models have no prompt cache).  Streams carry ``choices[].text`` deltas, one
chunk per 4-character piece, the choices interleaved step by step, a last chunk
per choice with empty text and its finish reason, then — with
``stream_options.include_usage`` — a chunk with empty ``choices`` and the usage,
then ``data: [DONE]``.

The prompt is counted as it is (no role markers): ``ceil(chars / 4)`` tokens.
Not simulated: token-array prompts (400), ``echo``, ``suffix``, ``logprobs``,
``stop`` (accepted and ignored).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from genlens.simulate import text as tx
from genlens.simulate.engine import Completion, Prompt
from genlens.simulate.http import ApiError, Frame, sse, templated

DEFAULT_MAX_TOKENS = 16
MAX_N = 128
MAX_BEST_OF = 20
MAX_CHOICES = 2048  # prompts × n in one request: each choice is planned and held in memory


def _count(body: dict[str, Any], key: str, default: int, high: int | None) -> int:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (high is not None and value > high):
        wanted = f"in 1..{high}" if high is not None else ">= 1"
        raise ApiError(400, f"Invalid '{key}': expected an integer {wanted}, got {value!r}.", "invalid_value")
    return value


def _prompts(raw: Any) -> list[str]:
    if raw is None:
        raise ApiError(400, "Missing required parameter: 'prompt'.", "missing_required")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
        return raw
    raise ApiError(400, "Invalid 'prompt': expected a string or a non-empty array of strings "
                        "(token-array prompts are not simulated).", "invalid_type")


def parse_completions(body: dict[str, Any], context_window: int) -> tuple[list[Prompt], int]:
    """The prompts of a Completions body and ``n``; malformed bodies raise 400."""
    texts = _prompts(body.get("prompt"))
    n = _count(body, "n", 1, MAX_N)
    best_of = _count(body, "best_of", n, MAX_BEST_OF)
    if best_of < n:
        raise ApiError(400, f"best_of must be greater than or equal to n, got best_of={best_of}, n={n}.",
                       "invalid_value")
    if body.get("best_of") is not None and best_of > 1 and body.get("stream") is True:
        raise ApiError(400, "Cannot stream results with best_of > 1.", "invalid_value")
    if len(texts) * n > MAX_CHOICES:
        raise ApiError(400, f"{len(texts)} prompts × n={n} asks for more than {MAX_CHOICES} choices.",
                       "invalid_value")
    max_tokens = _count(body, "max_tokens", DEFAULT_MAX_TOKENS, None)
    prompts = []
    for text in texts:
        used = tx.count_tokens(text)
        if used + max_tokens > context_window:
            raise ApiError(400, f"This model's maximum context length is {context_window} tokens, however you "
                                f"requested {used + max_tokens} tokens ({used} in your prompt; {max_tokens} for "
                                "the completion). Please reduce your prompt; or completion length.",
                           "context_length_exceeded")
        prompts.append(Prompt(text=text, last_user_text=text, max_tokens=max_tokens))
    return prompts, n


def _finish(c: Completion) -> str:
    return "stop" if c.finish == "refusal" else c.finish


def usage(prompts: list[Prompt], choices: list[Completion]) -> dict[str, int]:
    """Each prompt counted once however many choices it has; every choice's tokens counted."""
    prompt_tokens = sum(tx.count_tokens(p.text) for p in prompts)
    completion_tokens = sum(c.output_tokens for c in choices)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def completion_json(choices: list[Completion], rid: str, model: str, totals: dict[str, int]) -> dict[str, Any]:
    return {
        "id": rid, "object": "text_completion", "created": int(time.time()), "model": model,
        "choices": [{"text": c.text, "index": i, "logprobs": None, "finish_reason": _finish(c)}
                    for i, c in enumerate(choices)],
        "usage": totals,
    }


def completion_frames(choices: list[Completion], rid: str, model: str, totals: dict[str, int],
                      include_usage: bool) -> list[Frame]:
    """SSE frames; one paced token step sends the next piece of every choice still writing."""
    created = int(time.time())

    def chunk(index: int, text: str, finish: str | None = None) -> bytes:
        data: dict[str, Any] = {
            "id": rid, "object": "text_completion", "created": created, "model": model,
            "choices": [{"text": text, "index": index, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return sse(data)

    def maker(index: int) -> Callable[[str], bytes]:
        return templated(lambda piece: chunk(index, piece))

    makers = [maker(i) for i in range(len(choices))]
    pieces = [tx.pieces(c.text) for c in choices]
    frames: list[Frame] = []
    for step in range(max(map(len, pieces), default=0) + 1):
        first = True
        for index, (c, own) in enumerate(zip(choices, pieces, strict=True)):
            if step < len(own):
                frames.append((makers[index](own[step]), first))
                first = False
            elif step == len(own):
                frames.append((chunk(index, "", _finish(c)), False))
    if include_usage:
        frames.append((sse({"id": rid, "object": "text_completion", "created": created, "model": model,
                            "choices": [], "usage": totals}), False))
    frames.append((b"data: [DONE]\n\n", False))
    return frames
