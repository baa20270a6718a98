"""Checks that tell a real identifier from a string of the same shape.

A regex finds candidates; these say whether a candidate is what it looks like
(a card number passes Luhn, an IBAN passes mod 97 at its country's length, an
address is an IP address and not a version string), so text that only looks
similar — order numbers, build numbers — passes through untouched.
"""

from __future__ import annotations

import ipaddress

# IBAN length per country (ISO 13616 registry): a mod-97 pass at the wrong length is not an IBAN.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (only digits) passes the Luhn check of payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_ok(candidate: str) -> bool:
    """A payment card: 13–19 digits (spaces or dashes between groups), a card network's first digit, Luhn."""
    digits = candidate.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits)


def ssn_ok(candidate: str) -> bool:
    """A US social security number: never area 000, 666 or 9xx, group 00 or serial 0000."""
    digits = candidate.replace("-", "").replace(" ", "")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def iban_ok(candidate: str) -> bool:
    """An IBAN: its country's length and the ISO 7064 mod-97 check."""
    text = candidate.replace(" ", "").upper()
    if IBAN_LENGTHS.get(text[:2]) != len(text) or not text[2:4].isdigit():
        return False
    rearranged = text[4:] + text[:4]
    number = "".join(str(ord(c) - 55) if c.isalpha() else c for c in rearranged)
    return int(number) % 97 == 1


def ipv4_ok(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def ipv6_ok(candidate: str) -> bool:
    """An IPv6 address with at least three groups (``12:30:45`` and MAC addresses are not)."""
    if candidate.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True
