"""Prompt-cache accounting: which part of a prompt was seen before.

Two rules, one per provider, both over the rendered prompt string:

* **OpenAI (automatic)**: the prompt is cut into blocks of ``block_tokens``
  tokens (``4 * block_tokens`` characters); a prefix of ``k`` whole blocks is
  a hit when the same ``k`` blocks were seen before for the same model.
  ``cached_tokens = k * block_tokens`` if that is at least ``min_tokens``
  (1,024 by default, like the real API's 1,024 + 128·n), else 0.
* **Anthropic (explicit)**: each ``cache_control`` marker ends a cacheable
  prefix.  The longest marked prefix seen before is a cache *read*; the rest up
  to the last marker is a cache *write* (only if that prefix reaches
  ``min_tokens``); the remainder is plain input.

Entries live in one bounded LRU per simulator; evictions are counted.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from genlens.simulate.text import CHARS_PER_TOKEN, count_tokens


class PrefixCache:
    """A bounded LRU set of (model, prefix-hash) keys."""

    def __init__(self, max_entries: int, block_tokens: int = 128) -> None:
        self.max_entries = max_entries
        self.block_chars = block_tokens * CHARS_PER_TOKEN
        self.block_tokens = block_tokens
        self.evictions = 0
        self._entries: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def _seen(self, key: bytes) -> bool:
        if key in self._entries:
            self._entries.move_to_end(key)
            return True
        return False

    def _add(self, key: bytes) -> None:
        self._entries[key] = None
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._entries)

    def automatic(self, model: str, prompt: str, min_tokens: int) -> int:
        """OpenAI rule: cached tokens for ``prompt``; the prompt's blocks are remembered."""
        blocks = len(prompt) // self.block_chars
        if count_tokens(prompt) < min_tokens or blocks == 0:
            return 0
        chain = hashlib.blake2b(model.encode(), digest_size=16).digest()
        keys = []
        for i in range(blocks):
            block = prompt[i * self.block_chars:(i + 1) * self.block_chars]
            chain = hashlib.blake2b(chain + block.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            keys.append(chain)
        with self._lock:
            hits = 0
            for key in keys:
                if not self._seen(key):
                    break
                hits += 1
            for key in keys[hits:]:
                self._add(key)
        cached = hits * self.block_tokens
        return cached if cached >= min_tokens else 0

    def explicit(self, model: str, prompt: str, breakpoints: list[int], min_tokens: int) -> tuple[int, int]:
        """Anthropic rule: ``(cache_read_tokens, cache_write_tokens)`` for marked prefixes."""
        marks = sorted({b for b in breakpoints if 0 < b <= len(prompt)})[-4:]
        if not marks:
            return 0, 0
        keys = [
            hashlib.blake2b(model.encode() + b"\x00" + prompt[:mark].encode("utf-8", "surrogatepass"),
                            digest_size=16).digest()
            for mark in marks
        ]
        with self._lock:
            read_mark = 0
            for mark, key in zip(marks, keys, strict=True):
                if self._seen(key):
                    read_mark = mark
            last_tokens = count_tokens(prompt[: marks[-1]])
            if last_tokens >= min_tokens:
                for mark, key in zip(marks, keys, strict=True):
                    if mark > read_mark and count_tokens(prompt[:mark]) >= min_tokens:
                        self._add(key)
        read = count_tokens(prompt[:read_mark]) if read_mark else 0
        write = last_tokens - read if last_tokens >= min_tokens and marks[-1] > read_mark else 0
        return read, write
