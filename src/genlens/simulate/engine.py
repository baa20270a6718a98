"""Provider-neutral planning of one completion: what is said, how many tokens, how fast.

The provider modules translate their request bodies into a ``Prompt`` and the
resulting ``Completion`` back into their wire format; everything that must be
the same for OpenAI and Anthropic (token counts, tool rule, JSON mode, faults,
latency) is decided here once.

Tool rule: when tools are offered, ``tool_choice`` does not forbid them, and
the last message is not a tool result, the model calls one tool — the one
named by ``tool_choice``, else the first — with arguments built from that
tool's JSON schema, strings taken from the first words of the last user
message.  After a tool result it answers in text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genlens.simulate import text as tx
from genlens.simulate.cache import PrefixCache
from genlens.simulate.config import ModelProfile
from genlens.simulate.state import Decision, SimulatorState


@dataclass
class Tool:
    name: str
    schema: Any


@dataclass
class Prompt:
    """A request reduced to what the simulated model looks at."""

    text: str  # rendered prompt; its token count is the input token count
    last_user_text: str = ""
    last_is_tool_result: bool = False
    tools: list[Tool] = field(default_factory=list)
    tool_choice: str | None = None  # None/"auto"/"required" → first tool, "none", or a tool name
    json_mode: bool = False
    json_schema: Any = None
    max_tokens: int | None = None
    cache_breakpoints: list[int] = field(default_factory=list)  # explicit (Anthropic) cache marks


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class Completion:
    text: str
    tool_calls: list[ToolCall]
    finish: str  # stop | length | tool_calls | content_filter | refusal
    input_tokens: int  # every prompt token, cached ones included
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int  # reasoning tokens included, as OpenAI reports completion tokens
    ttft_s: float
    tpot_s: float
    stall_after: int | None = None  # stream pieces sent before a stall
    stall_s: float = 0.0
    reasoning_tokens: int = 0

    @property
    def refusal(self) -> bool:
        return self.finish == "refusal"

    def total_s(self) -> float:
        """When the last token is ready: TTFT plus TPOT for every later token."""
        return self.ttft_s + self.tpot_s * max(self.output_tokens - self.reasoning_tokens - 1, 0)


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def plan(state: SimulatorState, cache: PrefixCache, profile: ModelProfile, prompt: Prompt,
         decision: Decision, explicit_cache: bool, call_id_prefix: str, variant: int = 0) -> Completion:
    """Decide the completion for ``prompt`` under ``decision``'s faults.

    ``variant`` > 0 picks another answer to the same prompt (the other choices
    of an ``n`` > 1 request), still deterministic in (seed, model, prompt, variant).
    """
    seed = state.config.seed
    model = profile.response_model
    input_tokens = tx.count_tokens(prompt.text)
    if explicit_cache:
        read, write = cache.explicit(model, prompt.text, prompt.cache_breakpoints, profile.cache_min_tokens)
    else:
        read, write = cache.automatic(model, prompt.text, profile.cache_min_tokens), 0
    h = tx.prompt_hash(seed, f"{model}#{variant}" if variant else model, prompt.text)
    low, high = profile.output_tokens
    budget = tx.output_length(h, low, high)
    cap = prompt.max_tokens if prompt.max_tokens and prompt.max_tokens > 0 else None

    tool_calls: list[ToolCall] = []
    finish = "stop"
    if decision.refusal:
        body, finish = tx.REFUSAL_TEXT, "refusal"
    elif _wants_tool(prompt):
        tool = _pick_tool(prompt)
        call_id = call_id_prefix + state.random_id(_ALNUM, 22 if call_id_prefix.startswith("toolu") else 24)
        tool_calls.append(ToolCall(call_id, tool.name, tx.tool_arguments(tool.schema, prompt.last_user_text)))
        body, finish = "", "tool_calls"
    elif prompt.json_mode:
        body = tx.json_answer(h, prompt.json_schema, prompt.last_user_text, max(budget, 8))
        if decision.invalid_json:
            body = tx.break_json(body)
    else:
        body = tx.words(h, max(min(budget, cap + 1) if cap else budget, 1))

    if cap is not None and not tool_calls and tx.count_tokens(body) > cap:
        body, finish = body[: cap * tx.CHARS_PER_TOKEN], "length"
    if decision.content_filter and not tool_calls and finish != "refusal":
        body, finish = body[: max(len(body) // 2 // tx.CHARS_PER_TOKEN, 1) * tx.CHARS_PER_TOKEN], "content_filter"
    output_tokens = tx.count_tokens(body) + sum(
        tx.count_tokens(c.name) + tx.count_tokens(c.arguments) for c in tool_calls
    )

    r_low, r_high = profile.reasoning_tokens
    reasoning = tx.output_length(h >> 32, r_low, r_high) if r_high else 0

    scale = state.latency_scale * decision.latency_multiplier
    uncached = input_tokens - read
    prefill = profile.prefill_s_per_token * (uncached + profile.cached_prefill_factor * read)
    tpot = profile.decode_s_per_token * scale * decision.jitter_tpot
    # hidden reasoning is decoded before the first visible token
    ttft = (profile.queue_s + prefill) * scale * decision.jitter_ttft + reasoning * tpot
    stall_after = None
    if decision.stall:  # stream pieces: one per 4 characters, plus one opening piece per tool call
        pieces_total = tx.count_tokens(body) + sum(tx.count_tokens(c.arguments) + 1 for c in tool_calls)
        stall_after = max(pieces_total // 2, 1)
    return Completion(body, tool_calls, finish, input_tokens, read, write, output_tokens + reasoning, ttft, tpot,
                      stall_after, decision.stall_s, reasoning)


def _wants_tool(prompt: Prompt) -> bool:
    if not prompt.tools or prompt.last_is_tool_result or prompt.tool_choice == "none":
        return False
    return True


def _pick_tool(prompt: Prompt) -> Tool:
    for tool in prompt.tools:
        if tool.name == prompt.tool_choice:
            return tool
    return prompt.tools[0]
