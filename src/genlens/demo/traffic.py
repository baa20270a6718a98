"""Who calls the demo application and when: features, tenants, users, conversations, arrival times.

Users are assigned to the A/B experiment's variant by a hash of their id (as a
real rollout would), conversations continue for a few turns while they stay
active, and the backfilled week follows a day/night and weekday/weekend rhythm.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import OrderedDict

from genlens.demo import corpus as C
from genlens.demo.app import Conversation, Request

NS = 1_000_000_000
IDLE_AFTER_NS = 30 * 60 * NS  # a conversation not continued within 30 minutes is over
MAX_IDLE = 500  # conversations waiting for their next turn (oldest dropped first)


def variant_of(user: str) -> str:
    return "ab"[zlib.crc32(user.encode()) % 2]


class Traffic:
    """Makes requests; not thread-safe (only the driver's loop calls it)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.idle: OrderedDict[str, tuple[Conversation, int, int]] = OrderedDict()  # id → (conv, last t, max turns)
        self.conversations_started = 0

    def request(self, t_ns: int) -> Request:
        rng = self.rng
        feature = rng.choices(list(C.FEATURES), weights=list(C.FEATURES.values()))[0]
        tenant = rng.choices(list(C.TENANTS), weights=[w for w, _ in C.TENANTS.values()])[0]
        user = f"user-{tenant}-{rng.randrange(C.TENANTS[tenant][1])}"
        req = Request(feature, tenant, user, seed=rng.getrandbits(48), variant=variant_of(user))
        if feature == "support-chat":
            req.conversation = self._conversation(t_ns, tenant, user)
            req.tenant, req.user, req.variant = (req.conversation.tenant, req.conversation.user,
                                                 req.conversation.variant)
        return req

    def _conversation(self, t_ns: int, tenant: str, user: str) -> Conversation:
        for conv_id, (_conv, last, _) in list(self.idle.items()):
            if t_ns - last > IDLE_AFTER_NS:
                del self.idle[conv_id]
        if self.idle and self.rng.random() < 0.6:
            conv_id = self.rng.choice(list(self.idle))
            conv, _, _ = self.idle.pop(conv_id)
            return conv
        self.conversations_started += 1
        return Conversation(f"conv-{self.rng.getrandbits(40):010x}", tenant, user, variant_of(user))

    def done(self, conv: Conversation, t_ns: int, max_turns: int | None = None) -> None:
        """Put a conversation back for its next turn (unless it has run its course)."""
        limit = max_turns or self.rng.randint(1, 8)
        if conv.runaway or conv.turns >= limit:
            return
        self.idle[conv.id] = (conv, t_ns, limit)
        while len(self.idle) > MAX_IDLE:
            self.idle.popitem(last=False)

    def runaway(self, conversation_id: str) -> Conversation:
        user = "user-acme-0"
        return Conversation(conversation_id, "acme", user, variant_of(user), runaway=True)


def intensity(t_ns: int) -> float:
    """Relative traffic at a UTC moment: busy afternoons, quiet nights, lighter weekends (mean about 1)."""
    hours = (t_ns / NS / 3600) % 24
    weekday = int(t_ns / NS / 86400 + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    daily = 1.0 + 0.7 * math.sin((hours - 9) / 24 * 2 * math.pi)
    return daily * (0.6 if weekday >= 5 else 1.1)


def backfill_times(start_ns: int, end_ns: int, per_hour: float, seed: int) -> list[int]:
    """Arrival times over [start, end): per hour, a count around ``per_hour × intensity``, spread at random."""
    rng = random.Random(seed)
    out: list[int] = []
    hour = 3600 * NS
    t = start_ns
    while t < end_ns:
        width = min(hour, end_ns - t)
        expected = per_hour * intensity(t) * width / hour
        n = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        out.extend(t + rng.randrange(width) for _ in range(n))
        t += width
    out.sort()
    return out
