"""Application context (feature, tenant, user, conversation, experiment) for every span inside.

A context is a frozen mapping of span attributes held in a ``ContextVar``, so it
follows the code through threads started with ``contextvars.copy_context`` and
through asyncio tasks, and nested contexts override the outer one key by key.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from genlens.semconv import attrs

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_current: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("genlens_context", default=_EMPTY)

# keyword → attribute; the keywords are the public vocabulary of genlens.context().
_KEYWORDS: dict[str, str] = {
    "feature": attrs.APP_FEATURE,
    "tenant": attrs.APP_TENANT_ID,
    "user_id": attrs.USER_ID,
    "conversation_id": attrs.APP_CONVERSATION_ID,
    "experiment": attrs.APP_EXPERIMENT_ID,
    "variant": attrs.APP_EXPERIMENT_VARIANT,
}
MAX_VALUE_CHARS = 256


def _clean(key: str, value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise TypeError(f"genlens.context({key}=...) takes a string, got {type(value).__name__}")
    text = str(value)
    return text[:MAX_VALUE_CHARS]


@contextmanager
def context(
    *,
    feature: str | None = None,
    tenant: str | None = None,
    user_id: str | None = None,
    conversation_id: str | None = None,
    experiment: str | None = None,
    variant: str | None = None,
) -> Iterator[Mapping[str, Any]]:
    """Apply application context to every span started inside the block.

    Values given as ``None`` keep the outer value; nested blocks override.
    """
    given = {"feature": feature, "tenant": tenant, "user_id": user_id,
             "conversation_id": conversation_id, "experiment": experiment, "variant": variant}
    merged = dict(_current.get())
    for key, value in given.items():
        if value is not None:
            attr = _KEYWORDS[key]
            merged[attr] = _clean(key, value)
            if attr == attrs.APP_CONVERSATION_ID:
                merged[attrs.GEN_AI_CONVERSATION_ID] = merged[attr]
    token = _current.set(MappingProxyType(merged))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current() -> Mapping[str, Any]:
    """The context attributes in force here (read-only)."""
    return _current.get()


@contextmanager
def _with_attributes(extra: Mapping[str, Any]) -> Iterator[None]:
    """Internal: layer already-named attributes (e.g. a prompt's id and sha) on the context."""
    merged = dict(_current.get())
    merged.update(extra)
    token = _current.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _current.reset(token)
