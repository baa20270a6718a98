"""The one settings table: precedence, validation, and documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from genlens.cli import build_parser
from genlens.errors import ConfigError
from genlens.settings import SETTINGS, resolve

README = Path(__file__).resolve().parent.parent / "README.md"


def test_precedence_argument_env_file_default(tmp_path: Path) -> None:
    config = tmp_path / "genlens.yaml"
    config.write_text("port: 5000\ngrpc_port: 5001\nlog_level: debug\n")
    env = {"GENLENS_PORT": "6000", "GENLENS_GRPC_PORT": "6001"}
    settings = resolve({"port": "7000"}, environ=env, config_file=config)
    assert settings.port == 7000  # argument wins
    assert settings.grpc_port == 6001  # then the environment
    assert settings.log_level == "debug"  # then the file
    assert settings.host == "127.0.0.1"  # then the default


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("default-tenant: acme\n")
    assert resolve(environ={"GENLENS_CONFIG": str(config)}).default_tenant == "acme"


@pytest.mark.parametrize("arguments,needle", [
    ({"port": "99999"}, "port"),
    ({"port": "eighty"}, "port"),
    ({"max_body_bytes": "-1"}, "max_body_bytes"),
    ({"retry_after_s": "0"}, "retry_after_s"),
])
def test_bad_values_name_the_key_and_value(arguments: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as error:
        resolve(arguments, environ={})
    assert needle in str(error.value)
    assert repr(next(iter(arguments.values()))) in str(error.value)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="GENLENS_GRPC_PORT"):
        resolve(environ={"GENLENS_GRPC_PORT": "-3"})


@pytest.mark.parametrize("text,needle", [
    ("prot: 1\n", "unknown setting"),
    ("- a\n- b\n", "mapping"),
    ("port: [1\n", "not valid YAML"),
])
def test_bad_config_files(tmp_path: Path, text: str, needle: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        resolve(environ={}, config_file=config)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        resolve(environ={}, config_file=tmp_path / "nope.yaml")


def test_every_setting_and_command_is_documented() -> None:
    readme = README.read_text()
    for setting in SETTINGS:
        assert f"`{setting.variables[0]}`" in readme, f"{setting.variables[0]} missing from README"
        assert setting.help, setting.name
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"genlens {name}" in readme, f"command 'genlens {name}' missing from README"


def test_retention_days_per_tier_from_a_file_and_the_environment(tmp_path: Path) -> None:
    from genlens.store.retention import TIERS

    assert set(resolve(environ={}).retention.days) == set(TIERS)
    config = tmp_path / "r.yaml"
    config.write_text("retention:\n  content_days: 7\n  skeleton-days: 30\n  interval: 6h\n")
    retention = resolve(environ={"GENLENS_RETENTION_AUDIT_DAYS": "3650"}, config_file=config).retention
    assert retention.days == {"content": 7, "skeleton": 30, "rollups": 400, "scores": 400, "alerts": 400,
                              "audit": 3650}
    assert retention.interval_s == 6 * 3600
    assert resolve(environ={"GENLENS_RETENTION_INTERVAL": "0s"}).retention.interval_s == 0


@pytest.mark.parametrize("environ,needle", [
    ({"GENLENS_RETENTION_CONTENT_DAYS": "0"}, "'retention.content_days' from GENLENS_RETENTION_CONTENT_DAYS"),
    ({"GENLENS_RETENTION_SCORES_DAYS": "-5"}, "retention.scores_days"),
    ({"GENLENS_RETENTION_ALERTS_DAYS": "1.5"}, "retention.alerts_days"),
    ({"GENLENS_RETENTION_AUDIT_DAYS": "forever"}, "retention.audit_days"),
    ({"GENLENS_RETENTION_INTERVAL": "10s"}, "at least 1m"),
    ({"GENLENS_RETENTION_INTERVAL": "daily"}, "not a duration"),
    ({"GENLENS_RETENTION_CONTENT_DAYS": "120"},
     "'retention.content_days' must not exceed 'retention.skeleton_days' .*120 from GENLENS_RETENTION_CONTENT_DAYS"
     ".*90 from the default"),
    ({"GENLENS_RETENTION_ROLLUPS_DAYS": "30"}, "'retention.skeleton_days' must not exceed 'retention.rollups_days'"),
])
def test_bad_retention_values_are_clear_errors(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        resolve(environ=environ)


def test_unknown_retention_key_names_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "r.yaml"
    config.write_text("retention:\n  content: 7\n")
    with pytest.raises(ConfigError, match="unknown key 'retention.content'.*content_days, skeleton_days"):
        resolve(environ={}, config_file=config)
