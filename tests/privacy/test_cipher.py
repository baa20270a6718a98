"""The content cipher: AES-256-GCM sealed values bound to their row, a keyring for rotation, key material
refused with a clear reason that never repeats the key, and a placeholder (counted) where content cannot be
opened."""

from __future__ import annotations

import base64
import os

import orjson
import pytest

from genlens.privacy.cipher import (
    PREFIX,
    DecryptError,
    Keyring,
    associated_data,
    content_aad,
    key_id_of,
    parse_keys,
)

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()
ROW = {"tenant": "acme", "trace_id": "t" * 32, "span_id": "s" * 16, "kind": "input_messages", "source": "genlens"}


def _row(**changes: str) -> dict[str, str]:
    return {**ROW, **changes}


def test_seal_then_open_round_trips_under_the_active_key() -> None:
    ring = parse_keys(f"a:{KEY_A}, b:{KEY_B}")
    assert ring.active == "a" and ring.ids == ("a", "b")
    text = '[{"role": "user", "content": "my card is 4111 1111 1111 1111 ✓"}]'
    sealed = ring.seal(text, content_aad(ROW))
    assert sealed.startswith(f"{PREFIX}a:") and "4111" not in sealed
    assert key_id_of(sealed) == "a" and key_id_of(orjson.dumps(sealed).decode()) == "a"
    assert ring.open(sealed, content_aad(ROW)) == text
    assert ring.seal(text, content_aad(ROW)) != sealed  # a fresh nonce each time


def test_an_older_key_of_the_ring_still_opens_what_it_sealed() -> None:
    old = parse_keys(f"a:{KEY_A}")
    sealed = old.seal("hello", content_aad(ROW))
    assert parse_keys(f"b:{KEY_B},a:{KEY_A}").open(sealed, content_aad(ROW)) == "hello"


def test_values_not_sealed_come_back_unchanged() -> None:
    ring = parse_keys(f"a:{KEY_A}")
    assert ring.open('"plain text"', content_aad(ROW)) == '"plain text"'
    assert ring.open_json('[{"role": "user"}]', content_aad(ROW)) == '[{"role": "user"}]'
    assert Keyring().open_json('"glcx:not ours"', b"") == '"glcx:not ours"'


@pytest.mark.parametrize("field", ["tenant", "trace_id", "span_id", "kind", "source"])
def test_a_ciphertext_moved_to_another_row_fails_authentication(field: str) -> None:
    ring = parse_keys(f"a:{KEY_A}")
    sealed = ring.seal("secret", content_aad(ROW))
    with pytest.raises(DecryptError, match="authentication failed") as error:
        ring.open(sealed, content_aad(_row(**{field: "other"})))
    assert error.value.reason == "authentication"


def test_a_changed_ciphertext_fails_authentication() -> None:
    ring = parse_keys(f"a:{KEY_A}")
    sealed = ring.seal("secret", content_aad(ROW))
    raw = bytearray(base64.b64decode(sealed.rsplit(":", 1)[1]))
    raw[15] ^= 1
    tampered = f"{PREFIX}a:{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(DecryptError, match="authentication failed"):
        ring.open(tampered, content_aad(ROW))
    with pytest.raises(DecryptError, match="malformed") as error:
        ring.open(sealed[:-30], content_aad(ROW))  # cut: no longer base64 of a whole value
    assert error.value.reason == "malformed"


def test_the_same_key_id_with_another_key_fails_authentication() -> None:
    sealed = parse_keys(f"a:{KEY_A}").seal("secret", content_aad(ROW))
    with pytest.raises(DecryptError, match="authentication failed under key 'a'"):
        parse_keys(f"a:{KEY_B}").open(sealed, content_aad(ROW))


def test_a_missing_key_is_named_without_any_key_material() -> None:
    sealed = parse_keys(f"a:{KEY_A}").seal("secret", content_aad(ROW))
    with pytest.raises(DecryptError, match=r"key 'a', which is not configured \(configured: b\)") as error:
        parse_keys(f"b:{KEY_B}").open(sealed, content_aad(ROW))
    assert error.value.reason == "unknown_key"
    with pytest.raises(DecryptError, match="no content key is configured") as error:
        Keyring().open(sealed, content_aad(ROW))
    assert error.value.reason == "no_key"


def test_associated_data_is_length_prefixed() -> None:
    assert associated_data(["ab", "c"]) != associated_data(["a", "bc"])
    assert associated_data([None]) != associated_data([""])


@pytest.mark.parametrize("text,needle", [
    ("", "no keys"),
    ("a" + KEY_A, "not ID:BASE64KEY"),
    (f"a:{base64.b64encode(b'x' * 16).decode()}", "16 bytes; AES-256 needs 32"),
    (f"a:{base64.b64encode(b'x' * 33).decode()}", "33 bytes"),
    ("a:not*base64!!", "not valid base64"),
    (f"a:{KEY_A},a:{KEY_B}", "given twice"),
    (f"bad id:{KEY_A}", "key id must be"),
    (f"a:{KEY_A},b:{KEY_B[:-4]}", "entry 2"),
])
def test_bad_key_material_is_refused_with_the_reason_and_never_the_key(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as error:
        parse_keys(text)
    message = str(error.value)
    for secret in (KEY_A, KEY_B, KEY_B[:-4], "not*base64"):
        assert secret not in message


def test_the_keyring_repr_shows_ids_only() -> None:
    assert KEY_A not in repr(parse_keys(f"a:{KEY_A}")) and "'a'" in repr(parse_keys(f"a:{KEY_A}"))


def test_rows_that_cannot_be_opened_get_a_placeholder_and_are_counted() -> None:
    ring = parse_keys(f"a:{KEY_A}")
    good = {**ROW, "data": ring.seal_json('{"x": 1}', content_aad(ROW))}
    moved = {**_row(span_id="elsewhere"), "data": good["data"]}
    plain = {**ROW, "data": '{"y": 2}'}
    foreign = {**ROW, "data": parse_keys(f"z:{KEY_B}").seal_json("1", content_aad(ROW))}
    rows = ring.open_rows([good, moved, plain, foreign])
    assert rows[0]["data"] == '{"x": 1}' and "unreadable" not in rows[0]
    assert rows[2]["data"] == '{"y": 2}'
    assert orjson.loads(rows[1]["data"]).startswith("[content not readable: authentication failed")
    assert rows[1]["unreadable"] == "authentication"
    assert "'z', which is not configured" in orjson.loads(rows[3]["data"])
    assert ring.failures == {"authentication": 1, "unknown_key": 1}


def test_random_plaintexts_round_trip() -> None:
    ring = parse_keys(f"a:{KEY_A}")
    for n in (0, 1, 15, 16, 17, 1000):
        text = base64.b64encode(os.urandom(n)).decode() + "\U0001f600"
        assert ring.open_json(ring.seal_json(text, b"aad"), b"aad") == text
