"""Reading ``/metrics`` of a live server: parse with prometheus_client's own parsers, wait for a count."""

from __future__ import annotations

import time
from typing import Any

import httpx
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str, accept: str | bytes | None = None) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response


def samples(url: str) -> Samples:
    """Every sample of the text format: (sample name, labels) → value."""
    out: Samples = {}
    for family in parse_text(scrape(url).text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def openmetrics_families(url: str) -> list[Any]:
    """The OpenMetrics exposition, parsed by the strict OpenMetrics parser (fails on any format error)."""
    return list(parse_openmetrics(scrape(url, OPENMETRICS).text))


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def total(found: Samples, name: str, **where: str) -> float:
    """Sum of a sample name over every series whose labels include ``where``."""
    return sum(v for (n, labels), v in found.items()
               if n == name and all((k, w) in labels for k, w in where.items()))


def wait_for(url: str, name: str, expected: float, timeout_s: float = 60.0) -> Samples:
    """Scrape until the sum of ``name`` reaches ``expected`` (committed spans reach the observer after commit)."""
    deadline = time.monotonic() + timeout_s
    found = samples(url)
    while total(found, name) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        found = samples(url)
    return found
