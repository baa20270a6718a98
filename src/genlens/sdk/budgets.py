"""Per-feature token budgets and per-conversation cumulative token counts.

A budget is the most tokens (input + output) one call of a feature may use;
a call over it is flagged ``app.llm.budget_exceeded`` and counted, never
blocked.  Conversation totals are kept for at most ``max_conversations``
conversations (least recently used ones are forgotten), so memory is bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping


class BudgetTracker:
    def __init__(self, budgets: Mapping[str, int] | None = None, max_conversations: int = 10_000) -> None:
        self._budgets = dict(budgets or {})
        self._max = max_conversations
        self._conversations: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self.forgotten = 0

    def exceeded(self, feature: str | None, tokens: int) -> bool | None:
        """True/False when the feature has a budget, ``None`` when it has none."""
        if feature is None:
            return None
        budget = self._budgets.get(feature)
        if budget is None:
            return None
        return tokens > budget

    def add_conversation_tokens(self, conversation_id: str, tokens: int) -> int:
        """Add ``tokens`` to the conversation and return its running total."""
        with self._lock:
            total = self._conversations.pop(conversation_id, 0) + max(tokens, 0)
            self._conversations[conversation_id] = total
            while len(self._conversations) > self._max:
                self._conversations.popitem(last=False)
                self.forgotten += 1
            return total

    def conversation_tokens(self, conversation_id: str) -> int:
        with self._lock:
            return self._conversations.get(conversation_id, 0)
