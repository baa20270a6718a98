"""Redaction quality on the labelled set: recall per type, and hard negatives left alone.

An entity counts as redacted when the merged findings of the tiers cover its value: every character for the
structured types (a partly masked card number is a leaked card number), at least 80 % of its letters and
digits for names and street addresses (an address whose street and number are masked but whose city is
left reads as a city, not an address).
"""

from __future__ import annotations

from collections import Counter

import pytest

from genlens.privacy.engine import Policy, Redactor
from genlens.privacy.patterns import PatternTier
from tests.privacy.labelled import STRUCTURED, Entity, Sample, hard_negatives, positives

FREE_TEXT = ("PERSON", "ADDRESS")


def covered(entity: Entity, spans: list[tuple[int, int]], text: str) -> bool:
    chars = [i for i in range(entity.start, entity.end) if text[i].isalnum()]
    hit = sum(1 for i in chars if any(s <= i < e for s, e in spans))
    need = len(chars) if entity.type in STRUCTURED else 0.8 * len(chars)
    return hit >= need


def recall(redactor: Redactor, policy: Policy, samples: list[Sample], types: tuple[str, ...]) -> dict[str, float]:
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for sample in samples:
        spans = [(f.start, f.end) for f in redactor.find(sample.text, policy)]
        for entity in sample.entities:
            if entity.type in types:
                total[entity.type] += 1
                found[entity.type] += covered(entity, spans, sample.text)
    return {kind: found[kind] / total[kind] for kind in types}


def test_structured_types_recall_at_least_98_percent_with_the_pattern_tier() -> None:
    got = recall(Redactor(), Policy(), positives(), STRUCTURED)
    assert all(r >= 0.98 for r in got.values()), got


def test_at_most_one_percent_of_hard_negatives_altered() -> None:
    redactor = Redactor()
    negatives = hard_negatives()
    altered = [s for s in negatives if redactor.text(s.text, Policy()) != s.text]
    by_kind = Counter(s.negative_kind for s in altered)
    assert len(altered) / len(negatives) <= 0.01, (len(altered), by_kind, [s.text for s in altered[:10]])


@pytest.fixture(scope="module")
def ner_redactor() -> Redactor:
    from genlens.privacy.ner import NerTier

    return Redactor({"pattern": PatternTier(), "ner": NerTier()})


def test_names_and_addresses_recall_at_least_85_percent_with_the_ner_tier(ner_redactor: Redactor) -> None:
    got = recall(ner_redactor, Policy(("pattern", "ner")), positives(), FREE_TEXT)
    assert all(r >= 0.85 for r in got.values()), got


def test_every_locale_and_shape_is_in_the_set() -> None:
    samples = positives()
    assert len({s.locale for s in samples}) >= 8
    assert len(samples) >= 1000 and len(hard_negatives()) >= 500
