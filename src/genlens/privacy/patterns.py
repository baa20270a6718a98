"""The pattern tier: personal data and secrets that a pattern plus a validator can tell.

Each detector is a regular expression that finds candidates and, where the
shape alone is ambiguous, a check that a candidate is real: Luhn for cards,
mod 97 at the country's length for IBANs, ``ipaddress`` for IPs (and no
``version``/``build`` word before a dotted quad), the ``phonenumbers`` metadata
for phones, a birth word before a date.  So an order number, a build number or
a non-card 16-digit reference passes through untouched.

Every pattern is free of nested unbounded quantifiers and every repetition is
bounded, so a hostile string cannot make a scan backtrack catastrophically;
the engine also cuts input to a maximum length before scanning.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import phonenumbers

from genlens.privacy import validators as v

# Regions a phone number written without its country code is checked against, in order, by whether
# it starts with the trunk prefix 0 (national formats of most of Europe, Japan, India, Australia) or not
# (North America, Spain, Italy, Portugal, Poland …); a number with a leading + or 00 is checked against
# the country it names.
PHONE_REGIONS_TRUNK: tuple[str, ...] = (
    "GB", "DE", "FR", "NL", "IT", "BE", "CH", "AT", "IE", "SE", "AU", "IN", "JP", "BR", "NZ", "ZA",
)
PHONE_REGIONS: tuple[str, ...] = ("US", "ES", "IT", "BR", "PT", "PL", "MX", "CA", "FR", "DK", "NO")


@dataclass(frozen=True, slots=True)
class Found:
    """One sensitive value found in a text: its type, where it is, and the tier that found it."""

    type: str
    start: int
    end: int
    tier: str = "pattern"


def fold(text: str) -> str:
    """``text`` lower-cased so that a lower-case keyword is in it exactly when an ``re.IGNORECASE`` search
    would find the keyword in ``text``: ``str.lower`` agrees with ``re``'s case-insensitive matching except
    for the dotless i and the long s (which ``re`` matches to i and s) and the dotted capital I (which
    ``str.lower`` turns into two characters).  A case-sensitive search of the folded text is many times
    cheaper than a case-insensitive search of the text, which ``re`` tries at every position."""
    if text.isascii():
        return text.lower()
    return text.replace("İ", "i").replace("ı", "i").replace("ſ", "s").lower()


@dataclass(frozen=True)
class Detector:
    """A pattern for one type; ``group`` is the part of the match that is the value; ``check`` validates it."""

    type: str
    pattern: re.Pattern[str]
    check: Callable[[str, str, int], bool] | None = None  # (value, whole text, start) -> is it real
    group: int | str = 0
    # cheap tests a text must pass before the pattern is scanned, so ordinary prose costs a few lookups:
    hints: tuple[str, ...] = ()  # one of these substrings is in the text
    keywords: tuple[str, ...] = ()  # one of these (lower case) is in the text, whatever the case
    min_digits: int = 0  # the text holds at least this many digits
    # a short pattern every match of ``pattern`` holds, searched first: it starts with what it consumes, so
    # re skips ahead to where it can match instead of trying a long pattern at every position
    needs: re.Pattern[str] | None = None
    _hint: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _keyword: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        unfolded = [k for k in self.keywords if fold(k) != k]
        if unfolded:
            raise ValueError(f"detector keywords must be lower case: {unfolded}")
        object.__setattr__(self, "_hint", any_of(self.hints) if self.hints else None)
        object.__setattr__(self, "_keyword", any_of(self.keywords) if self.keywords else None)

    def worth_scanning(self, text: str, folded: str, digits: int) -> bool:
        """Whether ``text`` (``folded`` by :func:`fold`) passes the cheap tests before the pattern runs."""
        if digits < self.min_digits:
            return False
        if self._hint is not None and self._hint.search(text) is None:
            return False
        if self._keyword is not None and self._keyword.search(folded) is None:
            return False
        return self.needs is None or self.needs.search(text) is not None


def any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """A case-sensitive search for any of ``words`` (one C scan, cheaper than a substring test per word)."""
    return re.compile("|".join(map(re.escape, words)))


# --- secrets -------------------------------------------------------------------------------------

_KEY_BODY = r"[A-Za-z0-9_\-]"
API_KEYS = re.compile(
    r"(?<![\w\-])(?:"
    rf"sk-ant-{_KEY_BODY}{{16,300}}"
    rf"|sk-(?:proj-|svcacct-|admin-)?{_KEY_BODY}{{16,300}}"
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,200}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{20,100}|github_pat_\w{20,200}"
    r"|xox[abprs]-[A-Za-z0-9\-]{10,200}"
    r"|AIza[0-9A-Za-z_\-]{35}"
    r"|glpat-[A-Za-z0-9_\-]{20,100}"
    r"|eyJ[A-Za-z0-9_\-]{5,2000}\.[A-Za-z0-9_\-]{5,4000}\.[A-Za-z0-9_\-]{10,2000}"
    r")(?![\w\-])"
)
BEARER = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/\-]{16,4000}=*)")
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,20000}?"
                         r"-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
# password=..., api_key: "...", secret ...: a long value with letters and digits after a secret's name
NAMED_SECRET = re.compile(
    r"(?i)\b(?:password|passwd|pwd|secret|api[_\-]?key|access[_\-]?token|auth[_\-]?token|client[_\-]?secret)"
    r"[\"']?\s{0,3}[:=]\s{0,3}[\"']?([^\s\"',;]{8,500})")


def _secret_value(value: str, text: str, start: int) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


# --- contact -------------------------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
                   r"(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")

# digits with at most one separator between them: a space, dot, dash or slash, or a parenthesis
PHONE = re.compile(r"(?<![\w.+/\-])(?:\+|00)?\(?\d(?:(?:\)[ .\-]?|\s?\(|\s[\-–]\s|[ .\-/])?\d){6,16}"
                   r"(?![\w/\-]|\.\d)")
_PHONE_WORDS = re.compile(
    r"(?i)\b(?:phone|tel|mobile|cell|call|fax|whatsapp|sms|text|ring|contact|number|telefon|handy|mobil|"
    r"téléphone|portable|appel|teléfono|móvil|llama|telefono|cellulare|chiama|telefoonnummer|bel|"
    r"celular|ligue|número|nummer|numéro|numero)\W{0,3}(?:\w{1,12}\W{1,3}){0,2}$")
_DATE_SHAPE = re.compile(r"^\d{1,4}([./\-])\d{1,2}\1\d{1,4}$|^\d{4}-\d{2}-\d{2}")
_PHONE_SEPARATED = re.compile(r"\d[ .\-()/]{1,3}\d")


_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_NOT_PHONE_WORDS = re.compile(r"(?i)\b(?:isbn(?:-1[03])?|issn|doi)\W{0,3}$")


def _phone_ok(value: str, text: str, start: int) -> bool:
    """A phone number valid for its country: ``+``/``00`` numbers for the country they name, others for
    one of the regions above, and then only when written in groups or after a word such as ``phone``;
    never a decimal number (``24.751467``) or a number after ``ISBN``."""
    digits = sum(map(str.isdigit, value))
    if (not 7 <= digits <= 15 or _DATE_SHAPE.match(value)
            or _VERSION_WORDS.search(text, max(0, start - 12), start)
            or _NOT_PHONE_WORDS.search(text, max(0, start - 10), start)):
        return False
    # the phone word is looked for only where it decides (a case-insensitive search over 40 characters)
    needs_word = _DECIMAL.match(value) or not (value.startswith(("+", "00")) or _PHONE_SEPARATED.search(value))
    if needs_word and _PHONE_WORDS.search(text, max(0, start - 40), start) is None:
        return False
    return _valid_phone(value)


@functools.lru_cache(maxsize=4096)
def _valid_phone(value: str) -> bool:
    if value.startswith(("+", "00")):
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse("+" + value[2:] if value[0] == "0" else value))
        except phonenumbers.NumberParseException:
            return False
    national = value.lstrip("(")
    for region in PHONE_REGIONS_TRUNK if national.startswith("0") else PHONE_REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


# --- financial and government ids ----------------------------------------------------------------

# A pattern starts with the character it consumes and looks behind it from there (``[2-6](?<![\d\-.][2-6])``
# rather than ``(?<![\d\-.])[2-6]``): the same matches, but re skips ahead to where a match can start
# instead of trying the lookbehind at every position of the text.
CARD = re.compile(r"[2-6](?<![\d\-.][2-6])\d{3}(?:[ \-]?\d){9,15}(?![\d]|[\-.]\d)")
SSN = re.compile(r"\d(?<![\d\-]\d)\d{2}-\d{2}-\d{4}(?![\d\-])")
SSN_SPACED = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\W{0,3}(\d{3} \d{2} \d{4})\b")
IBAN = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")  # \b, as above


def _shorter(match: re.Match[str], shortest: int) -> Iterator[tuple[int, int]]:
    """The match, then the match without its trailing groups, down to ``shortest`` characters: a word or
    number written after a grouped IBAN or phone number may have joined it."""
    start, end = match.span()
    text = match.string
    while end - start >= shortest:
        yield start, end
        cut = max(text.rfind(sep, start, end) for sep in " .-/")
        if cut <= start:
            return
        end = cut
        while end > start and not text[end - 1].isalnum():
            end -= 1


# --- network -------------------------------------------------------------------------------------

IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w]|\.\d)")  # lookbehind as for CARD
_VERSION_WORDS = re.compile(r"(?i)(?:version|ver\.?|build|firmware|release|rev\.?|v)\s{0,2}[:#]?\s{0,2}$")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|::?){2,8}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
                  r"(?![\w:])")
# two of IPV6's groups follow each other, so a colon is followed by a hex digit or another colon
_IPV6_START = re.compile(r":[0-9A-Fa-f:]")


def _ipv4_ok(value: str, text: str, start: int) -> bool:
    return v.ipv4_ok(value) and not _VERSION_WORDS.search(text, max(0, start - 12), start)


def _ipv6_ok(value: str, text: str, start: int) -> bool:
    return sum(c.isalnum() for c in value) >= 4 and v.ipv6_ok(value)


# --- dates of birth ------------------------------------------------------------------------------

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "januar|jänner|februar|märz|mai|juni|juli|oktober|dezember|"
    "janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    "januari|februari|maart|mei|augustus|oktober|"
    "janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro"
)
_DATE = (rf"(?:\d{{1,4}}[./\-]\d{{1,2}}[./\-]\d{{2,4}}"
         rf"|\d{{1,2}}(?:st|nd|rd|th|er|º)?\.?\s{{1,2}}(?:de\s)?(?:{_MONTHS})\.?,?\s{{1,2}}(?:de\s)?\d{{4}}"
         rf"|(?:{_MONTHS})\.?\s{{1,2}}\d{{1,2}}(?:st|nd|rd|th)?,?\s{{1,2}}\d{{4}})")
DOB = re.compile(
    r"(?i)\b(?:born(?:\s+on)?|birth[\s_]*date|date[\s_]+of[\s_]+birth|d\.?o\.?b\.?|birthday|geboren(?:\s+am)?|"
    r"geburtsdatum|geb\.|n[ée]e?\s+le|date\s+de\s+naissance|fecha\s+de\s+nacimiento|nacid[oa]\s+el|"
    r"data\s+di\s+nascita|nat[oa]\s+il|geboortedatum|geboren\s+op|data\s+de\s+nascimento|nascid[oa]\s+em)"
    rf"[\"'*_]{{0,2}}\s{{0,3}}[:\-=|]?[\"'*_]{{0,2}}\s{{0,3}}[\"']?\s{{0,2}}"
    rf"(?:(?:is|was|ist|am|est|le|es|el|è|il|é|em|op|on|the)\s{{1,2}}){{0,2}}({_DATE})(?!\d)")

_DATE_ONLY = re.compile(rf"(?i)^\s{{0,2}}[\"']?({_DATE})[\"']?\s{{0,2}}$")
_BIRTH_COLUMN = re.compile(r"(?i)^\s{0,2}[\"']?(?:dob|d\.o\.b\.?|birth[\s_]*date|date[\s_]*of[\s_]*birth|birthday|"
                           r"geburtsdatum|date[\s_]de[\s_]naissance|fecha[\s_]de[\s_]nacimiento|data[\s_]di[\s_]nascita|"
                           r"geboortedatum|data[\s_]de[\s_]nascimento|data[\s_]urodzenia|födelsedatum)[\"']?\s{0,2}$")


def column_values(text: str, header: re.Pattern[str], cell: re.Pattern[str], kind: str,
                  tier: str = "pattern") -> list[Found]:
    """The values (``cell``'s group 1) under the column of a table (CSV, TSV, ``;`` or ``|`` separated) whose
    header cell matches ``header``: a table's header says what a bare value is."""
    found: list[Found] = []
    column: int | None = None
    sep = ","
    at = 0
    for line in text.split("\n"):
        if column is None:
            for sep in (",", ";", "\t", "|"):
                cells = line.split(sep)
                if len(cells) > 1:
                    column = next((i for i, c in enumerate(cells) if header.match(c)), None)
                    if column is not None:
                        break
        else:
            cells = line.split(sep)
            if column < len(cells):
                match = cell.match(cells[column])
                if match:
                    offset = at + sum(len(c) + len(sep) for c in cells[:column])
                    found.append(Found(kind, offset + match.start(1), offset + match.end(1), tier))
        at += len(line) + 1
    return found


# "Ich bin am 22.12.1957 geboren", "I was born on …" is above: the date before a birth word
DOB_BEFORE = re.compile(rf"(?i)\b(?:am|on|le|el|il|em|op)\s{{1,2}}({_DATE})\s{{1,3}}(?:geboren|born|nato|nata|né|née)\b")


# --- street addresses ----------------------------------------------------------------------------

_W = r"[^\W\d_][\w'’.\-]{0,30}"  # a word of a street or city name
_CITY_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ž][^\W\d_]{1,30}(?![\w])"
_CITY = rf"{_CITY_WORD}(?:[ \-](?:(?:de|di|del|am|an|sur|upon|la|le)[ \-])?{_CITY_WORD}){{0,2}}"
_EN_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|"
             r"Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Row|Gardens|Grove|Hill|Mews|Walk")
_EN_STREET_TYPE = re.compile(rf"\s(?:{_EN_TYPES})\b")  # in every match of ADDRESSES[0]
_US_TAIL = r"(?:,?\s{1,2}(?:Apt|Suite|Ste|Unit|Flat|#)\.?\s{0,2}[\w\-]{1,6})?"
ADDRESSES: tuple[re.Pattern[str], ...] = (
    # 221B Baker Street, London NW1 6XE · 1600 Elm Avenue, Springfield, IL 62704
    re.compile(rf"(?:\b(?:Flat|Apartment|Apt\.?|Unit|Suite)\s\d{{1,4}}[A-Za-z]?,\s{{1,2}})?\b\d{{1,5}}[A-Za-z]?\s{{1,2}}(?:{_W}\s{{1,2}}){{0,3}}{_W}\s{{1,2}}(?:{_EN_TYPES})\b\.?{_US_TAIL}"
               rf"(?:,\s{{0,2}}{_CITY})?(?:,?\s{{1,2}}[A-Z]{{2}}\s{{1,2}}\d{{5}}(?:-\d{{4}})?"
               r"|,?\s{1,2}[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})?"),
    # Hauptstraße 12, 10115 Berlin · Keizersgracht 123, 1015 CJ Amsterdam · Berliner Straße 5
    re.compile(r"\b(?:[A-ZÄÖÜÀ-Þ][\w\-]{1,30}\s(?:(?:de|van|der|den|am|an|im|la)\s)?)?(?:[A-ZÄÖÜÀ-ÞĀ-ž][\w\-]{1,30}"
               r"(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|"
               r"straat|laan|plein|gracht|kade|singel|dijk|hof|steeg|markt|"
               r"gatan|vägen|väg|gränd|torget|allén|stigen|backen|plan)"
               r"|Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Markt|Straat|Laan|Plein|Kade)"
               rf"\s{{1,2}}\d{{1,4}}(?:\s?[a-zA-Z]{{1,2}}\b)?(?!\w)"
               rf"(?:,\s{{0,2}}(?:\d{{4}}\s?[A-Z]{{2}}|\d{{3}}\s\d{{2}}|\d{{4,5}})\s{{1,2}}{_CITY})?"),
    # Am Mühlbach 105b, 04257 Leipzig
    re.compile(r"\b(?:Am|An der|Auf der|Im|In der|Zum|Zur)\s[A-ZÄÖÜ][\w\-]{2,30}\s{1,2}\d{1,4}(?:\s?[a-zA-Z]\b)?(?!\w)"
               rf",\s{{0,2}}\d{{5}}\s{{1,2}}{_CITY}"),
    # ul. Długa 52/31, 90-949 Łódź
    re.compile(r"\b(?:ul|al|pl|os)\.\s{0,2}(?:[A-ZÀ-ÞĀ-ž][\w\-]{1,30}\s){0,3}?[A-ZÀ-ÞĀ-ž][\w\-]{1,30}"
               rf"\s{{1,2}}\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}})?(?:,\s{{0,2}}\d{{2}}-\d{{3}}\s{{1,2}}{_CITY})?"),
    # 12 rue de la Paix, 75002 Paris
    re.compile(r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s{1,2}(?i:rue|avenue|av\.|boulevard|bd|place|allée|chemin|"
               rf"impasse|quai|cours|route|square)\s{{1,2}}(?:{_W}\s{{1,2}}){{0,5}}{_W}"
               rf"(?:,\s{{0,2}}\d{{5}}\s{{1,2}}{_CITY})?"),
    # Calle Mayor 5, 28013 Madrid · Via Roma 10, 00184 Roma · Rua Augusta, 100, 1100-053 Lisboa
    re.compile(r"\b(?:Gran Vía|Rambla|Lungarno|Lungomare|Calle|C/|Avenida|Avda\.|Av\.|Plaza|Pza\.|Paseo|Camino|Carretera|Ronda|Travesía|"
               r"Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|"
               r"Rua|R\.|Praça|Travessa|Alameda|Estrada|Rodovia)"
               rf"\s{{1,2}}(?:{_W}\s{{1,2}}){{0,5}}{_W},?\s{{1,2}}(?:n[º°o]\.?\s{{0,2}})?\d{{1,5}}[A-Za-z]?"
               r"(?:,?\s{1,2}\d{1,2}[º°ª]?\s?[A-Za-z]?(?=,))?"
               r"(?:\s{0,2}[-–,]\s{0,2}(?:bloco|apto|apt|casa|sala|lote)\.?\s{1,2}\w{1,5})?"
               r"(?:\s{0,2}[-–]\s{0,2}\d{5}\s{1,2}" + _CITY + r"(?:\s?\([A-Z]{2}\))?)?"
               r"(?:,\s{0,2}" + _CITY + r"\s{1,2}[-–]\s{1,2}[A-Z]{2}\b)?"
               r"(?:\s{0,2}[-–]\s{0,2}" + _CITY + r")?"
               rf"(?:,\s{{0,2}}(?:CEP:?\s{{0,2}})?(?:\d{{5}}-?\d{{3}}|\d{{4}}-\d{{3}}|\d{{5}})"
               rf"(?:\s{{1,2}}{_CITY})?(?:\s?\([A-Z]{{2}}\))?(?:,?\s{{0,2}}[-–]?\s{{0,2}}[A-Z]{{2}}\b)?)?"),
)


_KEY_HINTS = ("sk-", "sk_", "rk_", "pk_", "AKIA", "ASIA", "gh", "github_pat_", "xox", "AIza", "glpat-", "eyJ")
_BIRTH_WORDS = ("born", "birth", "dob", "d.o.b", "geb", "né", "nee", "naissance", "nacimiento", "nacid",
                "nascita", "nato", "nata", "geboorte", "geboren", "nascimento", "nascid", "urodzenia", "födelse")
_FR_STREETS = ("rue", "av", "boulevard", "bd", "place", "allée", "chemin", "impasse", "quai", "cours", "route",
               "square")
_SUFFIX_STREETS = ("stra", "str.", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "laan",
                   "plein", "gracht", "kade", "singel", "dijk", "hof", "steeg", "markt", "gatan", "väg", "gränd",
                   "torget", "allén", "stigen", "backen", "plan")
_ROMANCE_STREETS = ("Gran Vía", "Rambla", "Lungarno", "Lungomare", "Calle", "C/", "Av", "Plaza", "Pza.", "Paseo", "Camino", "Carretera", "Ronda", "Travesía",
                    "Via", "Viale", "Piazza", "Corso", "Largo", "Vicolo", "Strada", "Rua", "R.", "Praça", "Travessa",
                    "Alameda", "Estrada", "Rodovia")

DETECTORS: tuple[Detector, ...] = (
    Detector("API_KEY", PRIVATE_KEY, hints=("PRIVATE KEY",)),
    Detector("API_KEY", API_KEYS, hints=_KEY_HINTS),
    Detector("API_KEY", BEARER, group=1, keywords=("bearer",)),
    Detector("API_KEY", NAMED_SECRET, _secret_value, group=1,
             keywords=("pass", "pwd", "secret", "key", "token")),
    Detector("EMAIL", EMAIL, hints=("@",)),
    Detector("IBAN", IBAN, min_digits=8),
    Detector("CARD", CARD, lambda value, text, start: v.card_ok(value), min_digits=13),
    Detector("SSN", SSN, lambda value, text, start: v.ssn_ok(value), hints=("-",), min_digits=9),
    Detector("SSN", SSN_SPACED, lambda value, text, start: v.ssn_ok(value), group=1,
             keywords=("ssn", "social security"), min_digits=9),
    Detector("IP", IPV4, _ipv4_ok, hints=(".",), min_digits=4),
    Detector("IP", IPV6, _ipv6_ok, needs=_IPV6_START),
    Detector("DOB", DOB, group=1, keywords=_BIRTH_WORDS, min_digits=4),
    Detector("DOB", DOB_BEFORE, group=1, keywords=("geboren", "born", "nato", "nata", "né"), min_digits=4),
    Detector("ADDRESS", ADDRESSES[0], min_digits=1, needs=_EN_STREET_TYPE),
    Detector("ADDRESS", ADDRESSES[1], keywords=_SUFFIX_STREETS, min_digits=1),
    Detector("ADDRESS", ADDRESSES[2], hints=("Am ", "An der", "Auf der", "Im ", "In der", "Zum ", "Zur "),
             min_digits=5),
    Detector("ADDRESS", ADDRESSES[3], hints=("ul.", "al.", "pl.", "os."), min_digits=1),
    Detector("ADDRESS", ADDRESSES[4], keywords=_FR_STREETS, min_digits=1),
    Detector("ADDRESS", ADDRESSES[5], hints=_ROMANCE_STREETS, min_digits=1),
    Detector("PHONE", PHONE, _phone_ok, min_digits=7),
)
_BIRTH_WORD = any_of(_BIRTH_WORDS)
TYPES: tuple[str, ...] = tuple(dict.fromkeys(d.type for d in DETECTORS))


class PatternTier:
    """Finds every value the :data:`DETECTORS` can tell; no model, no I/O (the SDK runs it in the host app)."""

    name = "pattern"
    types = TYPES

    def __init__(self, detectors: tuple[Detector, ...] = DETECTORS) -> None:
        self.detectors = detectors

    def find(self, text: str) -> list[Found]:
        found: list[Found] = []
        digits = sum(map(text.count, "0123456789"))
        folded = fold(text)
        for d in self.detectors:
            if not d.worth_scanning(text, folded, digits):
                continue
            for match in d.pattern.finditer(text):
                if d.type == "IBAN":
                    for start, end in _shorter(match, 15):
                        if v.iban_ok(text[start:end]):
                            found.append(Found("IBAN", start, end))
                            break
                    continue
                start, end = match.span(d.group)
                if d.check is None or d.check(text[start:end], text, start):
                    found.append(Found(d.type, start, end))
        if digits >= 4 and "\n" in text and _BIRTH_WORD.search(folded):
            found.extend(column_values(text, _BIRTH_COLUMN, _DATE_ONLY, "DOB"))
        return found
