"""Hostile values for every declared setting, server and SDK alike: each is either taken (typed as declared)
or refused with a ConfigError naming the setting and where the value came from; nothing else escapes."""

from __future__ import annotations

import math
from typing import Any

import pytest

from genlens.config_table import Setting
from genlens.errors import ConfigError
from genlens.sdk.config import SETTINGS as SDK_SETTINGS
from genlens.sdk.config import resolve_config
from genlens.settings import SETTINGS as SERVER_SETTINGS
from genlens.settings import resolve

HOSTILE: tuple[Any, ...] = (
    "", " ", "x" * 100_000, "\x00", "nan", "inf", "-inf", "1e309", "-1", "0", "999999999999999999999999",
    "${HOME}", "'; DROP TABLE spans; --", "a=b,=c,d", "{", "{\"a\": {\"b\": 1}}", "ß=é,😀=1", "true", "on",
    float("nan"), float("inf"), -1, 2**70, True, [], [1, [2]], {"a": object()}, {"k": float("nan")}, object(),
)


def _check(setting: Setting, resolve_one: Any, value: Any, source: str) -> None:
    try:
        resolve_one(value)
    except ConfigError as exc:
        assert setting.name.split(".")[0] in str(exc) or setting.variables[0] in str(exc), str(exc)
        assert source in str(exc), str(exc)
    except RecursionError:  # pragma: no cover - would be a bug
        raise


@pytest.mark.parametrize("setting", SDK_SETTINGS, ids=lambda s: s.name)
def test_sdk_settings_take_or_refuse_hostile_values(setting: Setting) -> None:
    for value in HOSTILE:
        _check(setting, lambda v: resolve_config({setting.name: v}, {}), value, "argument")
        if isinstance(value, str) and "\x00" not in value:
            variable = setting.variables[-1]
            _check(setting, lambda v, var=variable: resolve_config({}, {var: v}), value, variable)


@pytest.mark.parametrize("setting", SERVER_SETTINGS, ids=lambda s: s.name)
def test_server_settings_take_or_refuse_hostile_values(setting: Setting) -> None:
    for value in HOSTILE:
        if setting.section is None:
            _check(setting, lambda v: resolve({setting.name: v}, {}), value, "argument")
        if isinstance(value, str) and "\x00" not in value:
            variable = setting.variables[0]
            _check(setting, lambda v, var=variable: resolve({}, {var: v}), value, variable)


def test_numbers_refuse_nan_and_infinity() -> None:
    for name in ("content_sample_rate", "schedule_delay_s", "export_timeout_s"):
        for bad in (math.nan, math.inf, "nan", "inf"):
            with pytest.raises(ConfigError, match=name):
                resolve_config({name: bad}, {})


def test_instrument_takes_text_or_any_collection_of_known_names() -> None:
    assert resolve_config({"instrument": {"openai"}}, {}).instrument == ("openai",)
    assert resolve_config({"instrument": "anthropic, openai"}, {}).instrument == ("anthropic", "openai")
    assert resolve_config({}, {"GENLENS_INSTRUMENT": "openai"}).instrument == ("openai",)
    with pytest.raises(ConfigError, match="instrument"):
        resolve_config({"instrument": {"cohere"}}, {})
