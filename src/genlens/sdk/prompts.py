"""Prompt objects: a template with an id whose content hash tags every span that uses it.

The sha is of the template text (not of the rendered prompt), so every call made
from one version of a template carries the same ``app.llm.prompt.template.sha``
and a changed template shows up as a new version without any registry.
"""

from __future__ import annotations

import contextvars
import hashlib
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from genlens.sdk import context as _context
from genlens.semconv import attrs

MAX_TEMPLATE_CHARS = 1_000_000


@dataclass(frozen=True)
class Prompt:
    """A versioned prompt template.

    ``render(**vars)`` fills ``{name}`` placeholders; ``with prompt:`` (or
    ``prompt.use()``) puts the id and sha on every span started inside.
    """

    id: str
    template: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("genlens.prompt() needs a non-empty string id")
        if not isinstance(self.template, str):
            raise TypeError("genlens.prompt() template must be a string")
        if len(self.template) > MAX_TEMPLATE_CHARS:
            raise ValueError(f"prompt template longer than {MAX_TEMPLATE_CHARS} characters")
        digest = hashlib.sha256(self.template.encode("utf-8", "surrogatepass")).hexdigest()
        object.__setattr__(self, "sha", digest[:16])

    @property
    def attributes(self) -> dict[str, str]:
        return {attrs.APP_PROMPT_TEMPLATE_ID: self.id, attrs.APP_PROMPT_TEMPLATE_SHA: self.sha}

    def render(self, **variables: Any) -> RenderedPrompt:
        """Fill the template's ``{name}`` placeholders (``str.format`` syntax, no attribute access)."""
        names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        for name in names:
            if not name.isidentifier():
                raise ValueError(f"placeholder {{{name}}} is not a plain name")
        rendered = RenderedPrompt(self.template.format(**variables))
        rendered.prompt = self
        return rendered

    @contextmanager
    def use(self) -> Iterator[Prompt]:
        with _context._with_attributes(self.attributes):
            yield self

    def __enter__(self) -> Prompt:
        cm = self.use()
        cm.__enter__()
        _open.set(_open.get() + (cm,))
        return self

    def __exit__(self, *exc: Any) -> None:
        stack = _open.get()
        _open.set(stack[:-1])
        stack[-1].__exit__(*exc)


class RenderedPrompt(str):
    """The text a prompt rendered to; still a plain ``str``, but remembers its prompt.

    Instrumented clients look for it in the request messages, so a call that
    sends a rendered prompt is tagged even outside ``with prompt:``.
    """

    __slots__ = ("prompt",)
    prompt: Prompt

    def __new__(cls, *args: Any, **kwargs: Any) -> RenderedPrompt:
        global _ANY_RENDERED
        _ANY_RENDERED = True
        return super().__new__(cls, *args, **kwargs)


# Until some prompt is rendered, no request can carry one: instrumented calls skip the scan.
_ANY_RENDERED = False


def any_rendered() -> bool:
    return _ANY_RENDERED


_open: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar("genlens_prompts", default=())


def prompt(id: str, template: str) -> Prompt:
    """Create a prompt object; use it as a context manager around the calls that send it."""
    return Prompt(id, template)
