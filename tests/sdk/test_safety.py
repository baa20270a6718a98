"""Instrumentation bugs never reach the host app (but are re-raised under strict mode, as in tests)."""

from __future__ import annotations

import openai
import pytest

from genlens.sdk import _safety
from genlens.sdk.providers import openai as openai_provider
from genlens.semconv import attrs


@pytest.fixture
def broken_reader():
    def explode(response):
        raise RuntimeError("bug in genlens")

    object.__setattr__(openai_provider.CHAT, "response", explode)
    yield
    object.__setattr__(openai_provider.CHAT, "response", openai_provider.chat_response)


def test_internal_error_is_swallowed_logged_once_and_counted(sim, tel_factory, broken_reader, caplog):
    tel = tel_factory()
    _safety.set_strict(False)
    _safety.reset_error_counts()
    c = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)
    for _ in range(3):
        resp = c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
        assert resp.choices[0].message.content  # the app got its answer
    assert _safety.error_counts() == {"read response": 3}
    assert sum("genlens instrumentation error" in r.message for r in caplog.records) == 1
    spans = tel.spans()
    assert len(spans) == 3  # spans still end, without the response attributes
    assert all(attrs.GEN_AI_RESPONSE_ID not in s.attributes for s in spans)
    _safety.reset_error_counts()


def test_strict_mode_reraises(sim, tel_factory, broken_reader):
    tel_factory()
    c = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)
    with pytest.raises(RuntimeError, match="bug in genlens"):
        c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    _safety.reset_error_counts()
