"""The one settings table of genlens.

Every setting is declared once below with its environment variable, type,
default and help text.  :func:`resolve` applies the precedence
argument → ``GENLENS_*`` environment variable → config file → default, exactly
once, in the composition root; nothing deeper in the code reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs
import yaml

from genlens.errors import ConfigError


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _port(value: Any) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"port out of range: {port}")
    return port


def _positive_int(value: Any) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"must be > 0: {number}")
    return number


def _nonneg_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"must be >= 0: {number}")
    return number


def _default_workers() -> int:
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def _positive_float(value: Any) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"must be > 0: {number}")
    return number


def _non_negative_float(value: Any) -> float:
    number = float(value)
    if not number >= 0:
        raise ValueError(f"must be >= 0: {number}")
    return number


def _bucket(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("hour", "day"):
        raise ValueError("must be hour or day")
    return text


def _budgets(value: Any) -> tuple[tuple[str, int], ...]:
    """``"search=2000000,*=5000000"`` (or a mapping in the config file) → ((feature, tokens per day), …)."""
    items = value.items() if isinstance(value, Mapping) else (
        part.rsplit("=", 1) if "=" in part else (part, "") for part in str(value).split(",") if part.strip())
    out = []
    for name, tokens in items:
        out.append((str(name).strip(), _positive_int(tokens)))
    return tuple(out)


def _lookback(value: Any) -> str:
    from genlens.errors import BadRequest
    from genlens.timeparse import parse_duration

    try:
        parse_duration(str(value))
    except BadRequest as exc:
        raise ValueError(str(exc)) from exc
    return str(value).strip()


def _path(value: Any) -> Path:
    return Path(str(value)).expanduser()


def default_data_dir() -> Path:
    """Per-user data directory (e.g. ``~/.local/share/genlens``)."""
    return Path(platformdirs.user_data_dir("genlens"))


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[Any], Any]
    default: Any
    help: str

    @property
    def env(self) -> str:
        return "GENLENS_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "Interface the HTTP server (OTLP/HTTP, REST, UI) binds to."),
    Setting("port", _port, 4318, "HTTP port: OTLP/HTTP at /v1/*, REST at /api/v1, UI at /."),
    Setting("grpc_port", _port, 4317, "OTLP/gRPC port; 0 disables the gRPC receiver."),
    Setting("data", _path, None, "Directory holding the embedded DuckDB file (default: per-user data dir)."),
    Setting("max_body_bytes", _positive_int, 32 * 1024 * 1024,
            "Largest accepted OTLP request body in bytes, after decompression (413 above it)."),
    Setting("max_attribute_chars", _positive_int, 65536,
            "Longer string attribute values are truncated and marked with a '…[truncated N chars]' suffix."),
    Setting("write_queue_spans", _positive_int, 200_000,
            "Spans waiting for the single writer; above this new exports get 503 with Retry-After."),
    Setting("write_batch_spans", _positive_int, 20_000,
            "Most spans the writer commits in one transaction (queued exports are coalesced)."),
    Setting("retry_after_s", _positive_float, 1.0, "Retry-After seconds sent with 429/503 answers."),
    Setting("ingest_workers", _nonneg_int, _default_workers(),
            "Processes that decode and normalize exports (0 = threads in the server process)."),
    Setting("default_tenant", str, "default", "Tenant for spans whose resource or attributes name none."),
    Setting("log_level", str, "info", "Log level of the server (debug, info, warning, error)."),
    Setting("prices", _path, None, "YAML/JSON price file whose entries override the bundled price library."),
    Setting("cost_detect_interval_s", _non_negative_float, 3600.0,
            "Seconds between scheduled runs of the cost detectors in the server; 0 turns them off."),
    Setting("cost_detect_lookback", _lookback, "1d",
            "Range each scheduled detector run scans, ending now (baselines reach further back)."),
    Setting("cost_regression_ratio", _positive_float, 1.5,
            "Prompt-cost regression: cost per call above this multiple of the same prompt template's other "
            "versions over the 7 days before."),
    Setting("cost_regression_min_calls", _positive_int, 20,
            "Prompt-cost regression: fewest priced calls a (feature, prompt id, prompt sha) day and its baseline "
            "need."),
    Setting("cost_cache_drop_pct", _positive_float, 20.0,
            "Cache-hit-rate drop (percent, week over week, per feature) that raises a finding."),
    Setting("cost_anomaly_bucket", _bucket, "day", "Spend-anomaly bucket per feature: hour or day."),
    Setting("cost_anomaly_k", _positive_float, 5.0,
            "Spend anomaly: spend above median + k x 1.4826 x MAD of the previous 7 days of buckets."),
    Setting("cost_token_budgets", _budgets, (),
            "Daily token budgets per feature, 'feature=tokens,...' ('*' for any feature); a breach is a finding."),
    Setting("cost_runaway_tokens", _positive_int, 1_000_000,
            "Runaway conversation: cumulative tokens at or above this raise a finding."),
    Setting("cost_runaway_turns", _positive_int, 30,
            "Runaway conversation: input tokens rising on each of this many last calls raise a finding."),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :func:`resolve`, never by reading the environment."""

    host: str = "127.0.0.1"
    port: int = 4318
    grpc_port: int = 4317
    data: Path = field(default_factory=default_data_dir)
    max_body_bytes: int = 32 * 1024 * 1024
    max_attribute_chars: int = 65536
    write_queue_spans: int = 200_000
    write_batch_spans: int = 20_000
    retry_after_s: float = 1.0
    ingest_workers: int = field(default_factory=_default_workers)
    default_tenant: str = "default"
    log_level: str = "info"
    prices: Path | None = None
    cost_detect_interval_s: float = 3600.0
    cost_detect_lookback: str = "1d"
    cost_regression_ratio: float = 1.5
    cost_regression_min_calls: int = 20
    cost_cache_drop_pct: float = 20.0
    cost_anomaly_bucket: str = "day"
    cost_anomaly_k: float = 5.0
    cost_token_budgets: tuple[tuple[str, int], ...] = ()
    cost_runaway_tokens: int = 1_000_000
    cost_runaway_turns: int = 30

    @property
    def db_path(self) -> Path:
        return self.data / "genlens.duckdb"


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML (or JSON, which is YAML) settings file into a flat mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {exc.strerror}") from exc
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a mapping of setting names to values")
    return {str(k).replace("-", "_"): v for k, v in loaded.items()}


def resolve(
    arguments: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every setting: argument → environment → config file → default.

    ``arguments`` values of ``None`` count as "not given".  Unknown keys in the
    config file are an error, so a typo never silently does nothing.
    """
    arguments = {k: v for k, v in (arguments or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    if config_file is None and environ.get("GENLENS_CONFIG"):
        config_file = Path(environ["GENLENS_CONFIG"])
    from_file = load_config_file(config_file) if config_file else {}
    unknown = sorted(set(from_file) - set(SETTINGS_BY_NAME) - _FILE_SECTIONS)
    if unknown:
        raise ConfigError(f"unknown setting(s) in {str(config_file)!r}: {', '.join(unknown)}")
    unknown_args = sorted(set(arguments) - set(SETTINGS_BY_NAME))
    if unknown_args:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown_args)}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        source: str
        if setting.name in arguments:
            raw, source = arguments[setting.name], "argument"
        elif setting.env in environ:
            raw, source = environ[setting.env], setting.env
        elif setting.name in from_file:
            raw, source = from_file[setting.name], f"config file {config_file}"
        else:
            continue
        try:
            values[setting.name] = setting.type(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {setting.name!r} from {source}: bad value {raw!r} ({exc})") from exc
    return Settings(**values)


# Sections a config file may hold besides flat settings (owned by later components).
_FILE_SECTIONS: frozenset[str] = frozenset({"budgets", "slos", "alerts"})

assert {f.name for f in fields(Settings)} == set(SETTINGS_BY_NAME), "settings table and Settings differ"
