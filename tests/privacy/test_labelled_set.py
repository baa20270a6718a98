"""Invariants of the labelled redaction test set (tests/privacy/labelled.py).

The checks here are written independently of the generator (own Luhn, mod-97, IBAN lengths, phone and
dotted-quad rules), so a generator bug that its own checks share still fails here.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections import Counter
from datetime import date

import phonenumbers
import pytest

from tests.privacy.labelled import STRUCTURED, TYPES, Sample, hard_negatives, positives

SHAPES = {"sentence", "chat", "json", "log", "csv", "markdown", "email", "form"}
IBAN_LENGTHS = {"AT": 20, "BE": 16, "BR": 29, "CH": 21, "DE": 22, "ES": 24, "FR": 27, "GB": 22, "IT": 27,
                "NL": 18, "PL": 28, "PT": 25, "SE": 24}


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits[::-1]):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


def mod97(iban: str) -> bool:
    s = iban.replace(" ", "")
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def valid_phone(candidate: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(candidate, region))
    except phonenumbers.NumberParseException:
        return False


@pytest.fixture(scope="module")
def pos() -> list[Sample]:
    return positives()


@pytest.fixture(scope="module")
def neg() -> list[Sample]:
    return hard_negatives()


def values(samples: list[Sample], type_: str) -> list[tuple[Sample, str]]:
    return [(s, s.text[e.start:e.end]) for s in samples for e in s.entities if e.type == type_]


# ---- the checkers themselves catch bad input


def test_checkers_reject_known_bad_values() -> None:
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert luhn("378282246310005") and not luhn("378282246310006")
    assert mod97("GB82 WEST 1234 5698 7654 32") and not mod97("GB82 WEST 1234 5698 7654 33")
    assert valid_phone("+1 201-555-0123", None) and not valid_phone("+1 201-555-012", None)


# ---- sizes, coverage


def test_totals(pos: list[Sample], neg: list[Sample]) -> None:
    assert len(pos) >= 1200
    assert len(neg) >= 600


def test_every_type_at_least_100_times(pos: list[Sample]) -> None:
    counts = Counter(e.type for s in pos for e in s.entities)
    assert set(counts) == set(TYPES), counts
    assert all(counts[t] >= 100 for t in TYPES), counts
    assert set(STRUCTURED) <= set(TYPES)


def test_one_to_three_entities_per_positive(pos: list[Sample]) -> None:
    assert all(1 <= len(s.entities) <= 3 for s in pos)
    assert {len(s.entities) for s in pos} == {1, 2, 3}
    assert all(s.negative_kind == "" for s in pos)


def test_at_least_8_locales_and_all_shapes(pos: list[Sample]) -> None:
    locales = Counter(s.locale for s in pos)
    assert len(locales) >= 8, locales
    assert all(n >= 50 for n in locales.values()), locales
    assert {s.shape for s in pos} == SHAPES
    for loc in locales:  # every locale contributes names, addresses and phones
        types = {e.type for s in pos if s.locale == loc for e in s.entities}
        assert {"PERSON", "ADDRESS", "PHONE"} <= types, (loc, types)


def test_negatives_have_no_entities_and_25_per_kind(neg: list[Sample]) -> None:
    assert all(s.entities == () and s.negative_kind for s in neg)
    kinds = Counter(s.negative_kind for s in neg)
    assert len(kinds) >= 20, kinds
    assert all(n >= 25 for n in kinds.values()), kinds


# ---- spans


def test_offsets_in_range_sorted_and_not_overlapping(pos: list[Sample]) -> None:
    for s in pos:
        end = 0
        for e in s.entities:
            assert 0 <= e.start < e.end <= len(s.text), s
            assert e.start >= end, s
            end = e.end
            value = s.text[e.start:e.end]
            assert value == value.strip() and value, (s, value)


def test_spans_are_whole_tokens(pos: list[Sample]) -> None:
    # No span starts or ends inside a word: the characters either side are not letters or digits.
    for s in pos:
        for e in s.entities:
            before = s.text[e.start - 1] if e.start else " "
            after = s.text[e.end] if e.end < len(s.text) else " "
            assert not before.isalnum() and not after.isalnum(), (s.text, s.text[e.start:e.end])


def test_json_texts_parse_and_hold_the_values(pos: list[Sample]) -> None:
    for s in (s for s in pos if s.shape == "json"):
        dumped = json.dumps(json.loads(s.text), ensure_ascii=False)
        for e in s.entities:
            assert s.text[e.start:e.end] in dumped


def test_deterministic() -> None:
    assert positives() == positives()
    assert hard_negatives() == hard_negatives()
    assert positives(8) != positives()
    assert hard_negatives(12) != hard_negatives()


def test_whole_set_builds_fast() -> None:
    t0 = time.perf_counter()
    positives()
    hard_negatives()
    assert time.perf_counter() - t0 < 2.0


# ---- the values are what their type says


def test_phones_valid_for_their_region_in_varied_formats(pos: list[Sample]) -> None:
    phones = values(pos, "PHONE")
    for s, v in phones:
        region = s.locale.split("_")[1]
        num = phonenumbers.parse(v, region)
        assert phonenumbers.is_valid_number(num), (s.locale, v)
        assert phonenumbers.region_code_for_number(num) == region, (s.locale, v)
    written = [v for _, v in phones]
    assert sum(v.startswith("+") and " " in v for v in written) >= 20  # INTERNATIONAL
    assert sum(re.fullmatch(r"\+\d+", v) is not None for v in written) >= 10  # E164
    assert sum(not v.startswith("+") for v in written) >= 20  # NATIONAL
    assert sum("." in v for v in written) >= 5 and sum("-" in v for v in written) >= 10
    assert any(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", v) for v in written)


def test_cards_luhn_valid_with_brand_lengths(pos: list[Sample]) -> None:
    cards = [v for _, v in values(pos, "CARD")]
    for v in cards:
        digits = re.sub(r"[ -]", "", v)
        assert digits.isdigit() and luhn(digits), v
        if digits[:2] in ("34", "37"):
            assert len(digits) == 15
            assert v == digits or re.fullmatch(r"\d{4}([ -])\d{6}\1\d{5}", v), v
        elif digits[0] == "4":
            assert len(digits) in (13, 16, 19), v
        elif digits[0] in "25":
            assert len(digits) == 16 and (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720), v
        else:
            assert digits.startswith(("6011", "64", "65")) and len(digits) in (16, 19), v
    assert any(" " in v for v in cards) and any("-" in v for v in cards) and any(v.isdigit() for v in cards)
    assert {c[0] for c in cards} >= {"2", "3", "4", "5", "6"}


def test_ssns_valid_shape(pos: list[Sample]) -> None:
    for _, v in values(pos, "SSN"):
        m = re.fullmatch(r"(\d{3})-(\d{2})-(\d{4})", v)
        assert m, v
        area, group, serial = m.groups()
        assert area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000", v


def test_ips_parse_v4_private_public_v6_compressed_and_full(pos: list[Sample]) -> None:
    ips = [v for _, v in values(pos, "IP")]
    parsed = [ipaddress.ip_address(v) for v in ips]
    v4 = [a for a in parsed if a.version == 4]
    assert sum(a.is_private for a in v4) >= 10 and sum(a.is_global for a in v4) >= 10
    v6 = [v for v in ips if ":" in v]
    assert sum("::" in v for v in v6) >= 10 and sum(v.count(":") == 7 for v in v6) >= 10
    assert not any("%" in v for v in v6)


def test_ibans_mod97_valid_with_country_length(pos: list[Sample]) -> None:
    ibans = [v for _, v in values(pos, "IBAN")]
    for v in ibans:
        compact = v.replace(" ", "")
        assert IBAN_LENGTHS.get(compact[:2]) == len(compact), v
        assert mod97(compact), v
        if " " in v:
            assert all(len(g) == 4 for g in v.split()[:-1]), v
    assert len({v[:2] for v in ibans}) >= 8
    assert any(" " in v for v in ibans) and any(" " not in v for v in ibans)


def test_emails_varied(pos: list[Sample]) -> None:
    emails = [v for _, v in values(pos, "EMAIL")]
    for v in emails:
        assert re.fullmatch(r"[a-z0-9._+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", v), v
    locals_ = [v.split("@")[0] for v in emails]
    assert sum("+" in x for x in locals_) >= 10 and sum("." in x for x in locals_) >= 50
    assert sum(any(c.isdigit() for c in x) for x in locals_) >= 20
    assert sum(v.split("@")[1].count(".") >= 2 for v in emails) >= 20  # subdomains, co.uk, com.br
    assert len({v.rsplit(".", 1)[1] for v in emails}) >= 10  # TLDs


API_KEY_PATTERNS = (
    r"sk-[A-Za-z0-9]{48}", r"sk-proj-[A-Za-z0-9_-]{40,}", r"sk-ant-api03-[A-Za-z0-9_-]{93}AA",
    r"[sr]k_(live|test)_[A-Za-z0-9]{24,}", r"AKIA[A-Z0-9]{16}", r"ghp_[A-Za-z0-9]{36}",
    r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END ([A-Z]+ )?PRIVATE KEY-----",
)


def test_api_keys_match_a_known_format(pos: list[Sample]) -> None:
    seen: Counter[int] = Counter()
    bearer = 0
    for s, v in values(pos, "API_KEY"):
        start = s.text.index(v)
        if s.text[:start].endswith("Bearer "):
            bearer += 1
            assert re.fullmatch(r"[A-Za-z0-9._-]{20,}", v), v
            continue
        hits = [i for i, p in enumerate(API_KEY_PATTERNS) if re.fullmatch(p, v)]
        assert hits, v
        seen[hits[0]] += 1
    assert bearer >= 10
    assert all(seen[i] >= 3 for i in range(len(API_KEY_PATTERNS))), seen
    pems = [v for _, v in values(pos, "API_KEY") if v.startswith("-----BEGIN")]
    assert any(v.startswith("-----BEGIN RSA PRIVATE KEY-----") for v in pems)


_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|januar|"
           "februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|"
           "octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
           "noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
           "januari|februari|maart|mei|augustus|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|"
           "novembro|dezembro")
_DOB_CONTEXT = re.compile(r"born|birth|dob|geboren|geburtsdatum|naissance|né|nací|nacimiento|nat[oa] il|"
                          r"nascita|geboorte|nasci", re.IGNORECASE)


def test_dobs_are_dates_in_birth_context(pos: list[Sample]) -> None:
    for s, v in values(pos, "DOB"):
        years = re.findall(r"\b(19\d\d|20\d\d)\b", v)
        assert len(years) == 1 and 1900 < int(years[0]) <= date.today().year, v
        assert re.fullmatch(rf"[\d./ -]+|.*\b({_MONTHS})\b.*", v, re.IGNORECASE), v
        start = s.text.index(v)
        context = s.text[max(0, start - 60):start + len(v) + 12].lower()
        if s.shape == "csv":
            context = s.text.split("\n", 1)[0].lower()
        assert _DOB_CONTEXT.search(context), (s.text, v)


def test_addresses_and_names_look_like_their_locale(pos: list[Sample]) -> None:
    postcode = {
        "en_US": r", [A-Z]{2} \d{5}$", "en_GB": r" [A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}$", "de_DE": r", \d{5} \D+$",
        "fr_FR": r", \d{5} \D+$", "es_ES": r", \d{5} \D+$", "it_IT": r"(, | - )\d{5} \D+$",
        "nl_NL": r", \d{4} [A-Z]{2} \D+$", "pt_BR": r" - [A-Z]{2}, \d{5}-\d{3}$", "pl_PL": r", \d{2}-\d{3} \D+$",
        "sv_SE": r", \d{3} \d{2} \D+$",
    }
    for s, v in values(pos, "ADDRESS"):
        assert re.search(postcode[s.locale], v), (s.locale, v)
        assert re.search(r"\d", v.split(",")[0] + v.split(",")[1]), (s.locale, v)  # a house number
    for _, v in values(pos, "PERSON"):
        parts = v.split()
        assert 2 <= len(parts) <= 5 and parts[0][0].isupper() and not any(c.isdigit() for c in v), v
    assert len({v for _, v in values(pos, "PERSON")}) >= 200


# ---- negatives are clean


def test_negatives_hold_nothing_sensitive(neg: list[Sample]) -> None:
    for s in neg:
        t = s.text
        assert "@" not in t, t
        runs = re.findall(r"\d+", t) + [re.sub(r"\D", "", m) for m in re.findall(r"\d+(?:[ -]\d+)+", t)]
        for run in runs:
            assert not (13 <= len(run) <= 19 and luhn(run)), t
            if len(run) >= 7:
                assert not valid_phone(run, "US") and not valid_phone("+" + run, None), t
        assert not list(phonenumbers.PhoneNumberMatcher(t, "US", leniency=phonenumbers.Leniency.VALID)), t
        for m in re.finditer(r"(?=([A-Z]{2}\d{2}[A-Z0-9 ]{11,40}))", t):
            compact = m.group(1).replace(" ", "")
            for n in range(15, len(compact) + 1):
                assert not mod97(compact[:n]), t
        for m in re.finditer(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![.\d])", t):
            if all(int(p) <= 255 for p in m.groups()):
                assert re.search(r"(version|build|firmware|v)\s?$", t[:m.start()], re.IGNORECASE), t
        assert not re.search(r"born|birth|geboren|naissance", t, re.IGNORECASE), t


def test_negatives_cover_the_tricky_kinds(neg: list[Sample]) -> None:
    kinds = {s.negative_kind for s in neg}
    assert {"order_number", "version", "build_number", "uuid", "timestamp", "date", "price", "non_luhn_16",
            "git_sha", "tracking_number", "isbn"} <= kinds
    sixteen = [re.sub(r"\D", "", m) for s in neg if s.negative_kind == "non_luhn_16"
               for m in re.findall(r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}", s.text)]
    assert len(sixteen) >= 25 and not any(luhn(d) for d in sixteen)
    quads = [s for s in neg if re.search(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", s.text)]
    assert quads, "build numbers that look like dotted quads are part of the set"
