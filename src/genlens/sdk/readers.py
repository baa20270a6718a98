"""Reading results of functions genlens does not wrap: LLM responses of any known shape, retrieved documents."""

from __future__ import annotations

from typing import Any

from genlens.sdk.core import Result
from genlens.sdk.cost import Usage
from genlens.sdk.providers._common import get, int_or_none

MAX_DOCUMENTS = 1000


def read_any_response(value: Any) -> Result | None:
    """A :class:`Result` from an OpenAI- or Anthropic-shaped response, or a dict with ``usage``."""
    if value is None:
        return None
    usage = get(value, "usage")
    if usage is None:
        return Result()
    if get(value, "choices") is not None:
        from genlens.sdk.providers.openai import chat_response

        return chat_response(value)
    if get(value, "stop_reason") is not None or get(usage, "cache_read_input_tokens") is not None:
        from genlens.sdk.providers.anthropic import messages_response

        return messages_response(value)
    input_tokens = int_or_none(get(usage, "input_tokens"))
    if input_tokens is None:
        input_tokens = int_or_none(get(usage, "prompt_tokens"))
    output_tokens = int_or_none(get(usage, "output_tokens"))
    if output_tokens is None:
        output_tokens = int_or_none(get(usage, "completion_tokens"))
    return Result(response_model=get(value, "model"), response_id=get(value, "id"),
                  usage=Usage(input_tokens=input_tokens or 0, output_tokens=output_tokens or 0,
                              cache_read_tokens=int_or_none(get(usage, "cache_read_tokens")) or 0,
                              cache_write_tokens=int_or_none(get(usage, "cache_write_tokens")) or 0))


def read_retrieval(value: Any) -> list[tuple[str, float | None]]:
    """(id, score) of each retrieved document: dicts/objects with ``id``/``score`` or ``(id, score)`` pairs."""
    if value is None or isinstance(value, (str, bytes)):
        return []
    try:
        items = list(value)[:MAX_DOCUMENTS]
    except TypeError:
        return []
    out: list[tuple[str, float | None]] = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            doc_id, score = item
        else:
            doc_id = get(item, "id")
            score = get(item, "score")
        if doc_id is None:
            continue
        score = float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None
        out.append((str(doc_id), score))
    return out
