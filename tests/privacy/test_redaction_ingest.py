"""Redaction at ingest, through a real ``genlens serve``: the labelled set sent as OTel GenAI, OpenInference and
OpenLLMetry content over OTLP/HTTP finds the same values as the engine does in process, nothing found is stored,
every span records its tiers, and ``/metrics`` counts what was found by tier and type."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import duckdb
import httpx
import pytest

from genlens.privacy.engine import Counts, Policy, Redactor
from tests.conftest import start_server
from tests.metrics.helpers import samples
from tests.otlp_helpers import new_span_id, new_trace_id, span_request
from tests.privacy.labelled import STRUCTURED, Sample, hard_negatives, positives

CONVENTIONS = ("otel", "openinference", "openllmetry")


def attributes_for(convention: str, text: str) -> dict[str, Any]:
    """A chat span carrying ``text`` as the user message, in one convention's shape."""
    if convention == "otel":
        return {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]}])}
    if convention == "openinference":
        return {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "llm.provider": "openai",
                "llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": text}
    return {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "llm.request.type": "chat",
            "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": text}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def subset(items: list[Sample], every: int) -> list[Sample]:
    return items[::every]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Send a slice of the labelled set in every convention; return what the store holds, per (convention, i)."""
    data = tmp_path_factory.mktemp("redaction") / "data"
    server = start_server(data, extra_env={"GENLENS_COST_DETECT_INTERVAL_S": "0", "GENLENS_ALERTS_INTERVAL_S": "0"})
    texts = [s.text for s in subset(positives(), 2)] + [s.text for s in subset(hard_negatives(), 3)]
    keys: dict[str, tuple[str, int]] = {}
    try:
        now = time.time_ns()
        for convention in CONVENTIONS:
            spans = []
            for i, text in enumerate(texts):
                trace_id, span_id = new_trace_id(), new_span_id()
                keys[span_id.hex()] = (convention, i)
                spans.append({"trace_id": trace_id, "span_id": span_id, "name": "chat gpt-4o", "start": now,
                              "end": now + 1_000_000, "attributes": attributes_for(convention, text)})
            for start in range(0, len(spans), 200):
                body = span_request(spans[start:start + 200]).SerializeToString()
                answer = httpx.post(f"{server.url}/v1/traces", content=body,
                                    headers={"content-type": "application/x-protobuf"}, timeout=30)
                assert answer.status_code == 200, answer.text
        metrics = samples(server.url)
    finally:
        server.stop()
    con = duckdb.connect(str(data / "genlens.duckdb"), read_only=True)
    content: dict[tuple[str, int], list[str]] = {}
    for span_id, payload in con.execute("SELECT span_id, data FROM span_content").fetchall():
        content.setdefault(keys[span_id], []).extend(strings(json.loads(payload)))
    tiers = con.execute("SELECT span_id, redaction_tiers, redacted FROM spans").fetchall()
    con.close()
    return {"texts": texts, "content": content, "tiers": tiers, "metrics": metrics}


def test_every_span_records_its_tiers(stored: dict[str, Any]) -> None:
    assert len(stored["tiers"]) == len(stored["texts"]) * len(CONVENTIONS)
    assert all(list(t) == ["pattern"] for _, t, _ in stored["tiers"])


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_each_convention_stores_what_the_engine_leaves(stored: dict[str, Any], convention: str) -> None:
    redactor = Redactor()
    for i, text in enumerate(stored["texts"]):
        kept = stored["content"][(convention, i)]
        expected = redactor.text(text, Policy())
        assert expected in kept, (convention, text, kept)


def test_no_structured_value_is_stored(stored: dict[str, Any]) -> None:
    labelled = subset(positives(), 2)
    missed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for convention in CONVENTIONS:
        for i, sample in enumerate(labelled):
            blob = "\n".join(stored["content"][(convention, i)])
            for entity in sample.entities:
                if entity.type in STRUCTURED:
                    total[entity.type] += 1
                    missed[entity.type] += sample.text[entity.start:entity.end] in blob
    for kind in STRUCTURED:
        assert total[kind] >= 20, kind
        assert missed[kind] / total[kind] <= 0.02, (kind, missed[kind], total[kind])


def test_metrics_count_findings_by_tier_and_type(stored: dict[str, Any]) -> None:
    counts = Counts()
    redactor = Redactor()
    for text in stored["texts"]:
        redactor.text(text, Policy(), counts)
    got = {dict(labels)["type"]: v for (name, labels), v in stored["metrics"].items()
           if name == "genlens_redactions_total" and dict(labels).get("tier") == "pattern"}
    want = {kind: n * len(CONVENTIONS) for (tier, kind), n in counts.found.items()}
    assert got == want
