"""Types of the optional C extension built from _fastotlp.c (mypy cannot read a compiled module)."""

from collections.abc import Callable
from typing import TypeVar

from typing_extensions import Buffer

_S = TypeVar("_S")

class DecodeError(ValueError): ...

def decode(
    body: Buffer,
    max_chars: int,
    min_start: int,
    max_start: int,
    max_duration: int,
    max_links: int,
    span_cls: Callable[..., _S],
    span_fields: tuple[str, ...] | None,
    event_cls: Callable[..., object],
    event_fields: tuple[str, ...] | None,
    link_cls: Callable[..., object],
    link_fields: tuple[str, ...] | None,
    /,
) -> tuple[list[_S], list[tuple[int, str, int, int]]] | None:
    """(spans, [(problem, name, start_ns, end_ns)]) or None when the upb path must decide."""
