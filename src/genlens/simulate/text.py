"""Deterministic tokens, generated text, tool arguments and embeddings.

Token rule (the one rule used everywhere): a text of ``n`` characters is
``ceil(n / 4)`` tokens.  A prompt is rendered to one string (see
``render_message``) and counted with that rule, so the same request always
reports the same ``prompt_tokens``.  Output text is produced in 4-character
pieces and each piece is one token, so for a text answer ``completion_tokens``
equals both the number of content pieces streamed and ``count_tokens(text)``.
A tool call counts ``count_tokens(name) + count_tokens(arguments)``; hidden
reasoning tokens (reasoning models) are added on top.

Generated text depends only on (seed, model, rendered prompt): the same
request gets the same answer, which keeps tests and demos reproducible.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import struct
from typing import Any

CHARS_PER_TOKEN = 4
_WORDS = (
    "the cat sat and ran far the dog hid for now one day all our new old big red sky sea sun way key fix log "
    "use add run map set get put top end low fit mix"
).split()
_WORD_RE = re.compile(r"[\w']+")
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
_MAX_SCHEMA_DEPTH = 6


def count_tokens(text: str) -> int:
    """``ceil(len(text) / 4)``: cheap, deterministic, close to real tokenizers for English."""
    return -(-len(text) // CHARS_PER_TOKEN)


def pieces(text: str) -> list[str]:
    """Split ``text`` into the 4-character pieces that are streamed one token each."""
    return [text[i:i + CHARS_PER_TOKEN] for i in range(0, len(text), CHARS_PER_TOKEN)]


def render_message(role: str, text: str) -> str:
    """How one message counts towards the prompt: a role marker, the text, a newline."""
    return f"<{role}>{text}\n"


def digest(*parts: str) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.digest()


def prompt_hash(seed: int, model: str, prompt: str) -> int:
    """A 128-bit number fixed by (seed, model, prompt); it picks the answer's length and words."""
    return int.from_bytes(digest(str(seed), model, prompt), "big")


def output_length(h: int, low: int, high: int) -> int:
    return low + h % (high - low + 1) if high > low else low


_POOL_WORDS = 8192
_POOL = " ".join(random.Random(0x5EED).choices(_WORDS, k=_POOL_WORDS))  # 4 chars per word with its space


def words(h: int, tokens: int) -> str:
    """``tokens`` pieces of exactly 4 characters: three-letter words, capitalised, ending in '.'.

    The words are a window of a fixed pseudo-random pool chosen by ``h``, so no
    per-request random generator is needed (cheap at thousands of requests/s).
    """
    if tokens <= 0:
        return ""
    if tokens < _POOL_WORDS:
        start = (h >> 64) % (_POOL_WORDS - tokens)
        text = _POOL[start * CHARS_PER_TOKEN:(start + tokens) * CHARS_PER_TOKEN - 1] + "."
    else:
        text = " ".join(random.Random(h).choices(_WORDS, k=tokens)) + "."
    return text[0].upper() + text[1:]


def value_for_schema(schema: Any, hint: str, depth: int = 0) -> Any:
    """A value that satisfies a (simple) JSON schema, with strings taken from ``hint``.

    Handles type, enum, const, properties/required, items, anyOf/oneOf (first
    branch); anything else becomes a string.  Depth-bounded against hostile schemas.
    """
    if not isinstance(schema, dict) or depth > _MAX_SCHEMA_DEPTH:
        return hint
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list) and branches:
            return value_for_schema(branches[0], hint, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
        props = schema.get("properties")
        if not isinstance(props, dict):
            return {}
        return {str(name): value_for_schema(sub, hint, depth + 1) for name, sub in list(props.items())[:64]}
    if kind == "array":
        return [value_for_schema(schema.get("items"), hint, depth + 1)]
    if kind == "integer":
        return len(hint) % 100
    if kind == "number":
        return round((len(hint) % 1000) / 10, 1)
    if kind == "boolean":
        return len(hint) % 2 == 0
    if kind == "null":
        return None
    return hint


def hint_from(text: str) -> str:
    """The argument text a tool call gets: the first 8 words of the last user message."""
    found = _WORD_RE.findall(text)[:8]
    return " ".join(found) if found else "query"


def tool_arguments(schema: Any, last_user_text: str) -> str:
    value = value_for_schema(schema if isinstance(schema, dict) else {"type": "object"}, hint_from(last_user_text))
    if not isinstance(value, dict):
        value = {"input": value}
    return json.dumps(value, separators=(",", ":"))


def json_answer(h: int, schema: Any, last_user_text: str, tokens: int) -> str:
    """A JSON document: schema-shaped when a schema is given, else ``{"answer": ..}``."""
    if isinstance(schema, dict):
        return json.dumps(value_for_schema(schema, hint_from(last_user_text)), separators=(",", ":"))
    return json.dumps({"answer": words(h, max(tokens - 4, 1))}, separators=(",", ":"))


def break_json(text: str) -> str:
    """Invalid JSON that looks plausible: cut before the end and drop the closing brace."""
    return text[: max(len(text) - max(len(text) // 4, 2), 1)]


def embedding(text: str, dimensions: int) -> list[float]:
    """A unit vector from feature hashing of the words: shared words give positive cosine.

    Each distinct word (up to 512) adds +-1 at four hashed positions; a text with
    no words falls back to a hash of the whole string.  Deterministic, no model.
    """
    touched: dict[int, float] = {}  # sparse: only the hashed positions are non-zero
    tokens = list(dict.fromkeys(w.lower() for w in _WORD_RE.findall(text)))[:512] or [f"\x00{text}"]
    for token in tokens:
        raw = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=32).digest()
        for i in range(4):
            index = int.from_bytes(raw[i * 8:i * 8 + 4], "little") % dimensions
            touched[index] = touched.get(index, 0.0) + (-1.0 if raw[i * 8 + 4] & 1 else 1.0)
    norm = math.sqrt(sum(v * v for v in touched.values()))
    if norm == 0.0:
        touched, norm = {0: 1.0}, 1.0
    vector = [0.0] * dimensions
    for index, value in touched.items():
        vector[index] = value / norm
    return vector


def embedding_base64(vector: list[float]) -> str:
    """The wire form of ``encoding_format="base64"``: little-endian float32, base64."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
