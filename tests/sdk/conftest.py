"""Fixtures: the genlens simulator on loopback and an initialised SDK with in-memory exporters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import genlens
from genlens.sdk import _safety, state
from genlens.simulate import SimulatorConfig, run_simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Any]:
    with run_simulator(host="127.0.0.1", port=0, config=SimulatorConfig(latency_scale=0)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _clean_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").clear_faults()


class Telemetry:
    def __init__(self, spans: InMemorySpanExporter, reader: InMemoryMetricReader) -> None:
        self.exporter = spans
        self.reader = reader

    def spans(self) -> list[Any]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> Any:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def metrics(self) -> dict[str, list[Any]]:
        """metric name → its data points (cumulative), after the queued call records are written."""
        if state.CURRENT.metrics is not None:
            state.CURRENT.metrics.drain()
        data = self.reader.get_metrics_data()
        out: dict[str, list[Any]] = {}
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
        return out

    def total(self, name: str, **labels: Any) -> float:
        points = self.metrics().get(name, [])
        total = 0.0
        for p in points:
            if all(p.attributes.get(k) == v for k, v in labels.items()):
                total += p.value if hasattr(p, "value") else p.sum
        return total

    def count(self, name: str, **labels: Any) -> int:
        return sum(p.count for p in self.metrics().get(name, [])
                   if all(p.attributes.get(k) == v for k, v in labels.items()))


def start(**settings: Any) -> Telemetry:
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    settings.setdefault("service_name", "test-svc")
    assert genlens.init(span_exporter=exporter, metric_reader=reader, batch=False, set_global=False,
                        strict=True, environ={}, **settings)
    return Telemetry(exporter, reader)


@pytest.fixture
def tel() -> Iterator[Telemetry]:
    telemetry = start()
    yield telemetry
    genlens.shutdown()
    _safety.set_strict(False)
    assert _safety.error_counts() == {}


@pytest.fixture
def tel_factory() -> Iterator[Any]:
    yield start
    genlens.shutdown()
    _safety.set_strict(False)
