"""The redaction stage: the privacy engine over every export's content and free-text attributes.

Content arrives in many shapes — genlens's own attributes, OTel GenAI messages
(attributes or log events), OpenInference and OpenLLMetry flattened messages —
and the normalizer has turned all of them into content rows by then, so this
one stage sees every message, tool argument and result and retrieved document
whatever convention it came in.  With ``privacy.attributes`` it also redacts the
string values of span attributes and events, status messages, log bodies and
attributes, and feedback comments.

The policy is the feature's (``privacy.features``) or the section's.  Content
whose span is not in the same export (GenAI log events exported apart from
their spans) has no known feature; it gets every tier any policy names, so a
sensitive feature's content is never redacted less for arriving separately.

Each span row records the tiers that ran on it (``redaction_tiers``) and is
marked ``redacted`` when anything was found; the counts by tier and type go
back with the batch (``WriteBatch.notes``, ``redaction:<tier>:<type>``) to the
server's ``/metrics``.  Found values are never stored or counted by value.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from genlens.privacy.engine import Counts, HookTier, Policy, Redactor, Tier
from genlens.privacy.patterns import PatternTier
from genlens.settings import PrivacySettings, load_callable
from genlens.store.base import WriteBatch

if TYPE_CHECKING:
    from genlens.pipeline.ingest import Stage, StageContext

log = logging.getLogger("genlens.redaction")

NOTE_PREFIX = "redaction:"


class PolicyBook:
    """The policy of each feature, the section's for the rest, and the strictest for content of no known span."""

    def __init__(self, default: Policy, features: Mapping[str, Policy]) -> None:
        self.default = default
        self.features = dict(features)
        policies = [default, *self.features.values()]
        tiers = tuple(dict.fromkeys(t for p in policies for t in p.tiers))
        self.unknown = Policy(tiers, "drop") if any(p.action == "drop" for p in policies) else Policy(tiers, "hash")

    def for_feature(self, feature: str | None) -> Policy:
        return self.features.get(feature or "", self.default)

    @property
    def tiers(self) -> tuple[str, ...]:
        return self.unknown.tiers

    @property
    def hashes(self) -> bool:
        policies = [self.default, *self.features.values()]
        return any(p.action == "hash" or any(a == "hash" for _, a in p.actions) for p in policies)

    @classmethod
    def from_settings(cls, privacy: PrivacySettings) -> PolicyBook:
        default = Policy(privacy.tiers, privacy.action, privacy.actions)  # type: ignore[arg-type]
        features = {name: Policy(given.get("tiers", default.tiers), given.get("action", default.action),
                                 given.get("actions", default.actions))
                    for name, given in privacy.features}
        return cls(default, features)


def build_tiers(privacy: PrivacySettings, names: tuple[str, ...]) -> dict[str, Tier]:
    """The tiers ``names`` asks for (``ConfigError`` from the NER tier when its extra is not installed)."""
    tiers: dict[str, Tier] = {}
    for name in names:
        if name == "pattern":
            tiers[name] = PatternTier()
        elif name == "ner":
            from genlens.privacy.ner import NerTier

            tiers[name] = NerTier(privacy.ner_model)
        elif name == "llm":
            if not privacy.llm_redactor:
                from genlens.errors import ConfigError

                raise ConfigError("redaction tier 'llm' needs settings privacy.llm_redactor ('module:callable')")
            tiers[name] = HookTier(load_callable(privacy.llm_redactor[0], "privacy.llm_redactor"))
    return tiers


def redaction_stage(privacy: PrivacySettings, max_chars: int) -> Stage | None:
    """The built-in redaction stage of ``privacy`` (``None`` when turned off)."""
    if not privacy.enabled:
        return None
    book = PolicyBook.from_settings(privacy)
    if book.hashes and not privacy.hash_salt:
        from genlens.errors import ConfigError

        raise ConfigError("settings privacy: a hash action needs privacy.hash_salt (GENLENS_PRIVACY_HASH_SALT)")
    # the decoder already cut every attribute value to max_chars and marked it: leave room for the mark
    redactor = Redactor(build_tiers(privacy, book.tiers), (privacy.hash_salt or "").encode(), max_chars + 64)
    attributes = privacy.attributes

    def redaction(batch: WriteBatch, ctx: StageContext) -> WriteBatch:
        counts = Counts()
        policies: dict[tuple[Any, Any], Policy] = {}
        found: dict[tuple[Any, Any], int] = {}
        for row in batch.spans:
            policies[(row.get("trace_id"), row.get("span_id"))] = book.for_feature(row.get("feature"))
        for row in batch.content:
            key = (row.get("trace_id"), row.get("span_id"))
            policy = policies.get(key, book.unknown)
            before = counts.total
            row["data"] = redactor.value(row.get("data"), policy, counts)
            if counts.total > before:
                found[key] = found.get(key, 0) + counts.total - before
        for row in batch.spans:
            key = (row.get("trace_id"), row.get("span_id"))
            policy = policies[key]
            if attributes:
                before = counts.total
                _redact_span_text(row, redactor, policy, counts)
                if counts.total > before:
                    found[key] = found.get(key, 0) + counts.total - before
            row["redaction_tiers"] = list(policy.tiers)
            if found.get(key):
                row["redacted"] = True
        if attributes:
            for row in batch.logs:
                policy = policies.get((row.get("trace_id"), row.get("span_id")), book.unknown)
                for name in ("body", "attributes"):
                    if row.get(name) is not None:
                        row[name] = redactor.value(row[name], policy, counts)
            for row in batch.scores:
                if row.get("comment"):
                    policy = policies.get((row.get("trace_id"), row.get("span_id")), book.unknown)
                    row["comment"] = redactor.text(row["comment"], policy, counts)
        for (tier, kind), n in counts.found.items():
            batch.notes[f"{NOTE_PREFIX}{tier}:{kind}"] = batch.notes.get(f"{NOTE_PREFIX}{tier}:{kind}", 0) + n
        return batch

    return redaction


def _redact_span_text(row: dict[str, Any], redactor: Redactor, policy: Policy, counts: Counts) -> None:
    if row.get("status_message"):
        row["status_message"] = redactor.text(row["status_message"], policy, counts)
    for name in ("attributes", "events"):
        value = row.get(name)
        if value:
            row[name] = redactor.value(value, policy, counts)
