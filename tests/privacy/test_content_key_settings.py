"""The content key settings: from the environment or a key file readable by its owner only; bad material, a
group- or world-readable file, or both settings at once are start-up errors naming the problem; the key never
appears in an error, a repr or a settings dump."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from genlens.config_table import SECRET_SHOWN
from genlens.errors import ConfigError
from genlens.settings import SETTINGS_BY_NAME, resolve

KEY = base64.b64encode(bytes(range(32))).decode()
SHORT = base64.b64encode(bytes(range(20))).decode()


def test_no_key_configured_means_no_encryption() -> None:
    ring = resolve(environ={}).content_keyring()
    assert ring.active is None and ring.ids == ()


def test_keys_from_the_environment_first_one_active() -> None:
    settings = resolve(environ={"GENLENS_CONTENT_KEY": f"new:{KEY}, old:{base64.b64encode(b'o' * 32).decode()}"})
    ring = settings.content_keyring()
    assert ring.active == "new" and ring.ids == ("new", "old")
    assert KEY not in repr(settings) and KEY not in str(settings)


@pytest.mark.parametrize("value,needle", [
    (f"k1:{SHORT}", "20 bytes; AES-256 needs 32"),
    ("k1:%%%%", "not valid base64"),
    (KEY, "not ID:BASE64KEY"),
])
def test_bad_key_material_names_the_variable_and_hides_the_value(value: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as error:
        resolve(environ={"GENLENS_CONTENT_KEY": value})
    message = str(error.value)
    assert "'content_key' from GENLENS_CONTENT_KEY" in message and SECRET_SHOWN in message
    assert value not in message and SHORT not in message and KEY not in message


def test_a_key_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "content.key"
    path.write_text(f"k1:{KEY}\n")
    path.chmod(0o600)
    assert resolve(environ={"GENLENS_CONTENT_KEY_FILE": str(path)}).content_keyring().active == "k1"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "content.key"
    path.write_text(f"k1:{KEY}\n")
    path.chmod(mode)
    with pytest.raises(ConfigError, match=f"mode {mode:04o}.*must be 0600: chmod 600") as error:
        resolve(environ={"GENLENS_CONTENT_KEY_FILE": str(path)}).content_keyring()
    assert KEY not in str(error.value)


def test_bad_material_in_a_key_file_names_the_file_not_the_key(tmp_path: Path) -> None:
    path = tmp_path / "content.key"
    path.write_text(f"k1:{SHORT}")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=r"content key file .*content.key.*entry 1 \(key id 'k1'\)") as error:
        resolve(environ={"GENLENS_CONTENT_KEY_FILE": str(path)}).content_keyring()
    assert SHORT not in str(error.value)
    with pytest.raises(ConfigError, match="cannot be read"):
        resolve(environ={"GENLENS_CONTENT_KEY_FILE": str(tmp_path / "missing")}).content_keyring()


def test_both_a_key_and_a_key_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "content.key"
    path.write_text(f"k1:{KEY}")
    path.chmod(0o600)
    settings = resolve(environ={"GENLENS_CONTENT_KEY": f"k1:{KEY}", "GENLENS_CONTENT_KEY_FILE": str(path)})
    with pytest.raises(ConfigError, match="both given"):
        settings.content_keyring()


def test_the_key_setting_is_secret_and_its_file_is_not() -> None:
    assert SETTINGS_BY_NAME["content_key"].secret and not SETTINGS_BY_NAME["content_key_file"].secret
    with pytest.raises(ConfigError, match="'content_key_file' from GENLENS_CONTENT_KEY_FILE: bad value ' '"):
        resolve({}, {"GENLENS_CONTENT_KEY_FILE": " "})  # a path is not secret: its errors quote it


def test_a_key_from_a_config_file_is_taken(tmp_path: Path) -> None:
    config = tmp_path / "genlens.yaml"
    config.write_text(f"content_key: 'k2:{KEY}'\n")
    assert resolve(environ={}, config_file=config).content_keyring().active == "k2"
