"""The privacy section: bad values are errors naming the key; the policies it describes are the ones applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from genlens.errors import ConfigError
from genlens.pipeline.ingest import StageContext
from genlens.pipeline.redaction import PolicyBook, redaction_stage
from genlens.settings import resolve
from genlens.store.base import WriteBatch


def settings_from(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "genlens.yaml"
    path.write_text(text)
    return resolve(environ={}, config_file=path)


@pytest.mark.parametrize(("text", "message"), [
    ("privacy: {tiers: [pattern, magic]}", "unknown redaction tier 'magic'"),
    ("privacy: {action: shred}", "must be drop"),
    ("privacy: {actions: [EMAIL]}", "expected a mapping of types"),
    ("privacy: {features: {chat: {tiers: [pattern], colour: red}}}", "a policy is"),
    ("privacy: {features: {chat: [pattern]}}", "a policy is"),
    ("privacy: {features: {chat: {action: burn}}}", "must be drop"),
    ("privacy: {redact_everything: true}", "unknown key 'privacy.redact_everything'"),
    ("privacy: {llm_redactor: 'not a spec'}", "is not 'module:callable'"),
])
def test_bad_privacy_settings_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from(tmp_path, text)


def test_hash_without_a_salt_refuses_to_start(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "privacy: {features: {chat: {action: hash}}}")
    with pytest.raises(ConfigError, match="hash_salt"):
        redaction_stage(settings.privacy, 1000)


def test_llm_tier_needs_its_hook_and_a_missing_ner_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="llm_redactor"):
        redaction_stage(settings_from(tmp_path, "privacy: {tiers: [pattern, llm]}").privacy, 1000)
    with pytest.raises(ConfigError, match="no_such_model_pkg"):
        redaction_stage(settings_from(tmp_path, "privacy: {tiers: [ner], ner_model: no_such_model_pkg}").privacy,
                        1000)


def test_feature_policies_and_the_strictest_for_content_of_no_known_span(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, """
privacy:
  hash_salt: pepper
  actions: {IP: keep}
  features:
    billing: {action: hash}
""")
    book = PolicyBook.from_settings(settings.privacy)
    assert book.for_feature("billing").action == "hash"
    assert book.for_feature("billing").actions == (("IP", "keep"),)  # inherited from the section
    assert book.for_feature("chat").action == "drop"
    assert book.unknown.action == "drop"
    stage = redaction_stage(settings.privacy, 10_000)
    assert stage is not None
    span = {"trace_id": "t1", "span_id": "s1", "feature": "billing", "status_message": "card 4111111111111111"}
    other = {"trace_id": "t1", "span_id": "s2", "feature": "chat", "attributes": {"peer": "10.1.2.3 x@y.io"}}
    batch = WriteBatch(spans=[span, other], content=[
        {"trace_id": "t1", "span_id": "s1", "data": [{"content": "mail x@y.io"}]},
        {"trace_id": "t9", "span_id": "s9", "data": "orphan x@y.io"}])
    out = stage(batch, StageContext("traces", "default"))
    assert out.content[0]["data"][0]["content"].startswith("mail [EMAIL:")
    assert out.content[1]["data"] == "orphan [EMAIL]"
    assert span["status_message"].startswith("card [CARD:") and span["redacted"] is True
    assert other["attributes"] == {"peer": "10.1.2.3 [EMAIL]"}
    assert span["redaction_tiers"] == ["pattern"]
    assert out.notes == {"redaction:pattern:EMAIL": 3, "redaction:pattern:CARD": 1, "redaction:pattern:IP": 1}


def test_privacy_off_stores_content_as_sent(tmp_path: Path) -> None:
    assert redaction_stage(settings_from(tmp_path, "privacy: {enabled: false}").privacy, 1000) is None
