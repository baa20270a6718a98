"""Configuration of the simulated provider: model profiles, fault specs, seed, knobs.

Everything here is a plain frozen dataclass so a configuration can be shared
between the event-loop thread and the thread that owns a ``Simulator`` handle
without locks; changing faults at run time swaps whole ``FaultSpec`` objects.

A YAML file (``genlens simulate --config FILE``) looks like::

    seed: 7
    latency_scale: 1.0        # 0 = never sleep (tests, benchmarks)
    max_in_flight: 10000      # provider requests at once; more are answered 503 and counted
    jitter: 0.1               # +-10 % uniform noise on TTFT and TPOT
    models:                   # merged over the built-in table, key = requested name
      gpt-4o-mini:
        queue_s: 0.2
        prefill_s_per_token: 0.00005
        decode_s_per_token: 0.012
        output_tokens: [20, 200]
      my-finetune:
        provider: openai
        response_model: my-finetune-2025-01-01
    faults:                   # per requested model name, "*" for every other model
      gpt-4o-mini:
        error_rates: {429: 0.2, 500: 0.01}
        latency_multiplier: 3
      "*":
        outages: [{start_s: 60, end_s: 90, status: 503}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from genlens.errors import ConfigError

ERROR_STATUSES: tuple[int, ...] = (429, 500, 503, 529)
MAX_STALL_S = 60.0


@dataclass(frozen=True)
class ModelProfile:
    """How one model answers: which API family, the name it reports, and how fast it is.

    TTFT = queue_s + prefill_s_per_token * uncached input tokens
           + prefill_s_per_token * cached_prefill_factor * cached input tokens;
    TPOT = decode_s_per_token.  Both are multiplied by the fault's latency
    multiplier and the simulator's ``latency_scale``.
    """

    response_model: str
    provider: str = "openai"  # "openai" | "anthropic"
    kind: str = "chat"  # "chat" | "embedding" | "completion" (legacy ``/v1/completions`` only)
    queue_s: float = 0.1
    prefill_s_per_token: float = 0.0001
    cached_prefill_factor: float = 0.1
    decode_s_per_token: float = 0.015
    output_tokens: tuple[int, int] = (20, 120)
    context_window: int = 128_000
    embedding_dimensions: int = 1536
    cache_min_tokens: int = 1024
    reasoning_tokens: tuple[int, int] = (0, 0)  # hidden reasoning before the answer (o-series, gpt-5)


def _chat(name: str, provider: str, queue: float, prefill: float, decode: float,
          window: int, cache_min: int = 1024) -> ModelProfile:
    return ModelProfile(name, provider, "chat", queue, prefill, 0.1, decode, (20, 160), window, 1536, cache_min)


def _legacy(name: str, queue: float, decode: float, window: int) -> ModelProfile:
    return ModelProfile(name, "openai", "completion", queue, 0.00003, 1.0, decode, (20, 160), window, 1536, 1 << 30)


def _embedding(name: str, dims: int) -> ModelProfile:
    return ModelProfile(name, "openai", "embedding", 0.03, 0.000005, 0.1, 0.0, (0, 0), 8191, dims, 1 << 30)


#: requested name → profile; dated names answer as themselves, aliases as their dated model.
BUILTIN_MODELS: dict[str, ModelProfile] = {
    "gpt-4o-mini": _chat("gpt-4o-mini-2024-07-18", "openai", 0.15, 0.00004, 0.012, 128_000),
    "gpt-4o": _chat("gpt-4o-2024-08-06", "openai", 0.25, 0.0001, 0.02, 128_000),
    "gpt-4.1": _chat("gpt-4.1-2025-04-14", "openai", 0.3, 0.0001, 0.018, 1_047_576),
    "gpt-4.1-mini": _chat("gpt-4.1-mini-2025-04-14", "openai", 0.15, 0.00004, 0.01, 1_047_576),
    "gpt-4.1-nano": _chat("gpt-4.1-nano-2025-04-14", "openai", 0.1, 0.00002, 0.006, 1_047_576),
    "gpt-5": replace(_chat("gpt-5-2025-08-07", "openai", 0.6, 0.0001, 0.012, 400_000), reasoning_tokens=(64, 512)),
    "gpt-5-mini": replace(_chat("gpt-5-mini-2025-08-07", "openai", 0.4, 0.00005, 0.008, 400_000),
                          reasoning_tokens=(32, 384)),
    "o3-mini": replace(_chat("o3-mini-2025-01-31", "openai", 0.5, 0.0001, 0.01, 200_000),
                       reasoning_tokens=(64, 640)),
    # legacy completions models: no prompt cache, served only by /v1/completions
    "gpt-3.5-turbo-instruct": _legacy("gpt-3.5-turbo-instruct", 0.1, 0.008, 4096),
    "gpt-3.5-turbo-instruct-0914": _legacy("gpt-3.5-turbo-instruct", 0.1, 0.008, 4096),
    "davinci-002": _legacy("davinci-002", 0.2, 0.015, 16_384),
    "babbage-002": _legacy("babbage-002", 0.1, 0.006, 16_384),
    "text-embedding-3-small": _embedding("text-embedding-3-small", 1536),
    "text-embedding-3-large": _embedding("text-embedding-3-large", 3072),
    "text-embedding-ada-002": _embedding("text-embedding-ada-002", 1536),
    "claude-3-5-haiku-latest": _chat("claude-3-5-haiku-20241022", "anthropic", 0.2, 0.00005, 0.01, 200_000, 2048),
    "claude-3-5-sonnet-latest": _chat("claude-3-5-sonnet-20241022", "anthropic", 0.4, 0.0001, 0.016, 200_000),
    "claude-3-7-sonnet-latest": _chat("claude-3-7-sonnet-20250219", "anthropic", 0.4, 0.0001, 0.016, 200_000),
    "claude-sonnet-4-0": _chat("claude-sonnet-4-20250514", "anthropic", 0.45, 0.0001, 0.016, 200_000),
    "claude-opus-4-0": _chat("claude-opus-4-20250514", "anthropic", 0.8, 0.0002, 0.03, 200_000),
    "claude-opus-4-1": _chat("claude-opus-4-1-20250805", "anthropic", 0.8, 0.0002, 0.03, 200_000),
    "claude-opus-4-5": _chat("claude-opus-4-5-20251101", "anthropic", 0.7, 0.00015, 0.025, 200_000),
    "claude-sonnet-4-5": _chat("claude-sonnet-4-5-20250929", "anthropic", 0.45, 0.0001, 0.016, 200_000),
    "claude-haiku-4-5": _chat("claude-haiku-4-5-20251001", "anthropic", 0.2, 0.00005, 0.008, 200_000, 2048),
}
for _builtin in list(BUILTIN_MODELS.values()):
    BUILTIN_MODELS.setdefault(_builtin.response_model, _builtin)


@dataclass(frozen=True)
class Outage:
    """Every request in [start_s, end_s) after the spec was set answers ``status``."""

    start_s: float
    end_s: float
    status: int = 503


@dataclass(frozen=True)
class FaultSpec:
    """Faults for one model; every rate is a probability per request in [0, 1]."""

    error_rates: dict[int, float] = field(default_factory=dict)
    retry_after_s: float = 1.0
    latency_multiplier: float = 1.0
    stall_rate: float = 0.0
    stall_s: float = 5.0
    content_filter_rate: float = 0.0
    refusal_rate: float = 0.0
    invalid_json_rate: float = 0.0
    outages: tuple[Outage, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["error_rates"] = {str(k): v for k, v in self.error_rates.items()}
        out["outages"] = [vars(o) for o in self.outages]
        return out


def _rate(key: str, value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{key} must be within [0, 1], got {value!r}")
    return number


def build_faults(raw: Any) -> FaultSpec:
    """Validate a fault mapping (from YAML, JSON or keyword arguments) into a ``FaultSpec``.

    Raises ``ConfigError`` naming the key and the bad value, so an admin call
    with a typo fails loudly instead of silently injecting nothing.
    """
    if raw is None:
        return FaultSpec()
    if not isinstance(raw, dict):
        raise ConfigError(f"faults must be a mapping, got {raw!r}")
    known = {f.name for f in fields(FaultSpec)}
    unknown = sorted(set(map(str, raw)) - known)
    if unknown:
        raise ConfigError(f"unknown fault key(s) {unknown}; known: {sorted(known)}")
    out: dict[str, Any] = {}
    try:
        for key, value in raw.items():
            if key == "error_rates":
                if not isinstance(value, dict):
                    raise ValueError(f"error_rates must map status to rate, got {value!r}")
                rates = {int(status): _rate(f"error_rates[{status}]", r) for status, r in value.items()}
                bad = sorted(s for s in rates if s not in ERROR_STATUSES)
                if bad:
                    raise ValueError(f"error_rates statuses {bad} not among {list(ERROR_STATUSES)}")
                if sum(rates.values()) > 1.0 + 1e-9:
                    raise ValueError(f"error_rates add up to more than 1: {value!r}")
                out[key] = rates
            elif key == "outages":
                out[key] = tuple(_outage(o) for o in (value or ()))
            elif key.endswith("_rate"):
                out[key] = _rate(key, value)
            elif key in ("latency_multiplier", "retry_after_s", "stall_s"):
                number = float(value)
                if not (math.isfinite(number) and number >= 0):
                    raise ValueError(f"{key} must be a finite number >= 0, got {value!r}")
                out[key] = min(number, MAX_STALL_S) if key == "stall_s" else number
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad fault spec: {exc}") from exc
    return FaultSpec(**out)


def _outage(raw: Any) -> Outage:
    if not isinstance(raw, dict) or not {"start_s", "end_s"} <= set(raw):
        raise ValueError(f"an outage needs start_s and end_s, got {raw!r}")
    outage = Outage(float(raw["start_s"]), float(raw["end_s"]), int(raw.get("status", 503)))
    if outage.end_s < outage.start_s or outage.status not in ERROR_STATUSES:
        raise ValueError(f"bad outage window {raw!r}")
    return outage


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything the simulator needs; ``SimulatorConfig()`` is a sensible default."""

    models: dict[str, ModelProfile] = field(default_factory=lambda: dict(BUILTIN_MODELS))
    faults: dict[str, FaultSpec] = field(default_factory=dict)
    seed: int = 0
    latency_scale: float = 1.0
    jitter: float = 0.1
    strict_models: bool = False  # unknown model → 404 instead of a generic profile
    max_body_bytes: int = 16 * 1024 * 1024
    max_in_flight: int = 10_000  # provider requests served at once; more get 503 (counted)
    cache_block_tokens: int = 128
    cache_entries: int = 200_000

    def profile(self, requested: str, provider: str, kind: str = "chat") -> ModelProfile | None:
        """The profile for a requested model name, or a generic one of ``kind`` unless ``strict_models``."""
        found = self.models.get(requested)
        if found is not None or self.strict_models:
            return found
        return ModelProfile(requested, provider, kind)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> SimulatorConfig:
        known = {"models", "faults", "seed", "latency_scale", "jitter", "strict_models", "max_body_bytes",
                 "max_in_flight", "cache_block_tokens", "cache_entries"}
        unknown = sorted(set(map(str, raw)) - known)
        if unknown:
            raise ConfigError(f"unknown simulator config key(s) {unknown}; known: {sorted(known)}")
        models = dict(BUILTIN_MODELS)
        for name, spec in (raw.get("models") or {}).items():
            models[str(name)] = _profile(str(name), spec, models.get(str(name)))
        faults = {str(name): build_faults(spec) for name, spec in (raw.get("faults") or {}).items()}
        try:
            scalars: dict[str, Any] = {
                "seed": int(raw.get("seed", 0)),
                "latency_scale": float(raw.get("latency_scale", 1.0)),
                "jitter": float(raw.get("jitter", 0.1)),
                "strict_models": bool(raw.get("strict_models", False)),
                "max_body_bytes": int(raw.get("max_body_bytes", 16 * 1024 * 1024)),
                "max_in_flight": int(raw.get("max_in_flight", 10_000)),
                "cache_block_tokens": int(raw.get("cache_block_tokens", 128)),
                "cache_entries": int(raw.get("cache_entries", 200_000)),
            }
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad simulator config value: {exc}") from exc
        if scalars["latency_scale"] < 0 or not 0 <= scalars["jitter"] < 1:
            raise ConfigError(f"latency_scale must be >= 0 and jitter in [0, 1): {raw!r}")
        if min(scalars["cache_block_tokens"], scalars["cache_entries"], scalars["max_body_bytes"],
               scalars["max_in_flight"]) <= 0:
            raise ConfigError("cache_block_tokens, cache_entries, max_body_bytes and max_in_flight must be > 0")
        return cls(models=models, faults=faults, **scalars)

    @classmethod
    def from_file(cls, path: Path) -> SimulatorConfig:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"simulator config {str(path)!r} cannot be read: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"simulator config {str(path)!r} is not valid YAML: {exc}") from exc
        if loaded is None:
            return cls()
        if not isinstance(loaded, dict):
            raise ConfigError(f"simulator config {str(path)!r} must hold a mapping")
        return cls.from_mapping(loaded)


def _profile(name: str, spec: Any, base: ModelProfile | None) -> ModelProfile:
    if not isinstance(spec, dict):
        raise ConfigError(f"models.{name} must be a mapping, got {spec!r}")
    known = {f.name for f in fields(ModelProfile)}
    unknown = sorted(set(map(str, spec)) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown} in models.{name}; known: {sorted(known)}")
    values: dict[str, Any] = dict(spec)
    try:
        for key in ("output_tokens", "reasoning_tokens"):
            if key in values:
                low, high = (int(v) for v in values[key])
                if not 0 <= low <= high:
                    raise ValueError(f"{key} must be [low, high] with 0 <= low <= high: {low}, {high}")
                values[key] = (low, high)
        for key in ("queue_s", "prefill_s_per_token", "cached_prefill_factor", "decode_s_per_token"):
            if key in values and not float(values[key]) >= 0:
                raise ValueError(f"{key} must be >= 0")
        if values.get("provider", "openai") not in ("openai", "anthropic"):
            raise ValueError(f"provider must be openai or anthropic, got {values['provider']!r}")
        if values.get("kind", "chat") not in ("chat", "embedding", "completion"):
            raise ValueError(f"kind must be chat, embedding or completion, got {values['kind']!r}")
        profile = replace(base, **values) if base else ModelProfile(**{"response_model": name, **values})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad profile models.{name}: {exc}") from exc
    return profile
