"""Texts per second through the pattern tier of the redaction engine, on one core.

Three workloads, each timed over several rounds (median reported):

* ``labelled``  — the positives of the labelled test set (tests/privacy/labelled.py): 1–3 sensitive values
  per text, the worst case;
* ``negatives`` — its hard negatives (versions, order numbers, UUIDs, prices …): candidates that the
  validators must turn down;
* ``prose``     — chat prompts and answers without personal data, the common case.

The baseline, measured in the same run on the same texts, is Presidio's analyzer with its pattern
recognizers only (e-mail, phone, card, SSN, IP, IBAN; no NLP model), when presidio-analyzer is installed.

    .venv/bin/python bench/redaction.py [--rounds 5] [--baseline-texts 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genlens.privacy.engine import Policy, Redactor  # noqa: E402
from tests.privacy.labelled import hard_negatives, positives  # noqa: E402

WORDS = ("the customer asked whether the refund policy covers orders shipped abroad and how long it takes "
         "please summarize the attached report in three bullet points focusing on revenue risks and hiring "
         "you are a helpful assistant answer briefly and cite the retrieved documents where possible the model "
         "returned an answer about quarterly growth in the european market with a short table").split()


def prose(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))).capitalize() + "."
            for _ in range(n)]


def rate(fn: Callable[[str], object], texts: list[str], rounds: int) -> float:
    results = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            fn(text)
        results.append(len(texts) / (time.perf_counter() - t0))
    return statistics.median(results)


def presidio() -> Callable[[str], object] | None:
    # before presidio (and tldextract under it) is imported: the bundled suffix list, never a fetch
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            UsSsnRecognizer,
        )
    except ImportError:
        return None
    nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "no_op",
                                               "models": [{"lang_code": "en", "model_name": "no_op"}]}).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (EmailRecognizer, PhoneRecognizer, CreditCardRecognizer, UsSsnRecognizer, IpRecognizer,
                       IbanRecognizer):
        registry.add_recognizer(recognizer())
    engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
    return lambda text: engine.analyze(text=text, language="en")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-texts", type=int, default=300)
    args = parser.parse_args()
    redactor = Redactor()
    policy = Policy()

    def ours(text: str) -> object:
        return redactor.text(text, policy)

    workloads = {"labelled": [s.text for s in positives()], "negatives": [s.text for s in hard_negatives()],
                 "prose": prose(5000)}
    baseline = presidio()
    print(f"{'workload':<10} {'texts':>6} {'mean chars':>10} {'genlens texts/s':>16} {'presidio texts/s':>17} "
          f"{'ratio':>7}")
    for name, texts in workloads.items():
        mine = rate(ours, texts, args.rounds)
        theirs = rate(baseline, texts[:args.baseline_texts], args.rounds) if baseline else float("nan")
        chars = statistics.mean(len(t) for t in texts)
        print(f"{name:<10} {len(texts):>6} {chars:>10.0f} {mine:>16,.0f} {theirs:>17,.0f} {mine / theirs:>7.1f}")


if __name__ == "__main__":
    main()
