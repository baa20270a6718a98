"""Helpers shared by the provider modules (reading objects that may be dicts or models)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from genlens.sdk import prompts
from genlens.sdk.prompts import RenderedPrompt

MAX_SCAN = 256


_MISSING = object()


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` for SDK models, ``obj[name]`` for dicts; ``default`` otherwise.

    On the hot path of every call: concrete ``dict`` first, attributes next, and
    the (slow, ABC-based) ``Mapping`` check only for what is neither.
    """
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    value = getattr(obj, name, _MISSING)
    if value is not _MISSING:
        return value
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return default


def given(value: Any) -> bool:
    """False for ``None`` and for the SDKs' ``NOT_GIVEN`` / ``omit`` sentinels."""
    if value is None:
        return False
    return type(value).__name__ not in {"NotGiven", "Omit"}


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def find_prompt(values: Iterable[Any]) -> dict[str, str] | None:
    """Attributes of the first rendered genlens prompt among ``values`` (strings or message dicts)."""
    if not prompts.any_rendered():
        return None
    for index, value in enumerate(values):
        if index >= MAX_SCAN:
            return None
        if isinstance(value, RenderedPrompt):
            return value.prompt.attributes
        content = get(value, "content") if not isinstance(value, str) else None
        if isinstance(content, RenderedPrompt):
            return content.prompt.attributes
        if isinstance(content, list):
            for part in content[:MAX_SCAN]:
                text = get(part, "text")
                if isinstance(text, RenderedPrompt):
                    return text.prompt.attributes
    return None


def text_parts(content: Any) -> list[dict[str, Any]]:
    """OTel message parts for a content value (a string or a list of typed parts)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": str(content)}]
    parts: list[dict[str, Any]] = []
    if isinstance(content, list):
        for part in content[:MAX_SCAN]:
            kind = get(part, "type")
            if kind in {"text", "input_text", "output_text"}:
                parts.append({"type": "text", "content": str(get(part, "text", ""))})
            elif kind in {"image_url", "image", "input_image"}:
                parts.append({"type": "uri", "modality": "image", "uri": "[image]"})
            else:
                parts.append({"type": str(kind or "generic")})
    return parts
