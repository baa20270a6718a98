"""Fixtures: one live simulator on loopback (no sleeping) and the official SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

from genlens.simulate import Simulator, SimulatorConfig, run_simulator


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with run_simulator(config=SimulatorConfig(latency_scale=0, jitter=0, seed=11)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").clear_faults()


@pytest.fixture()
def oai(sim: Simulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0, timeout=20) as client:
        yield client


@pytest.fixture()
def claude(sim: Simulator) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=sim.url, api_key="sk-ant-test", max_retries=0, timeout=20) as client:
        yield client
