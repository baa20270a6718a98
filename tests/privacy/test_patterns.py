"""The pattern tier's cheap tests before a scan: they must let through every text the old searches did."""

from __future__ import annotations

import re
import sys

from genlens.privacy.patterns import _BIRTH_WORDS, DETECTORS, fold


def test_fold_agrees_with_re_ignorecase_for_every_character_of_every_keyword() -> None:
    # A keyword is in fold(text) exactly when re.IGNORECASE finds it in text, if fold maps every code point
    # to one character and to a keyword's character exactly when re matches that character case-insensitively.
    chars = sorted({c for d in DETECTORS for k in d.keywords for c in k} | {c for k in _BIRTH_WORDS for c in k})
    any_char = re.compile("[" + re.escape("".join(chars)) + "]", re.IGNORECASE)
    wrong = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        folded = fold(char)
        if any_char.fullmatch(char):
            matched = {c for c in chars if re.fullmatch(re.escape(c), char, re.IGNORECASE)}
            if matched != {folded}:
                wrong.append((char, folded, matched))
        elif len(folded) != 1 or folded in chars:
            wrong.append((char, folded, set()))
    assert wrong == []


def test_fold_lowers_the_dotted_and_dotless_i_the_long_s_and_the_kelvin_sign_to_one_letter_each() -> None:
    assert fold("Geburtsdatum İSTANBUL ſtraße ıd \u212aelvin") == "geburtsdatum istanbul straße id kelvin"
