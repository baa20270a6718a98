"""Declared settings: one implementation of "name, environment variables, type, default, help" and their resolution.

The server's table (:mod:`genlens.settings`) and the SDK's (:mod:`genlens.sdk.config`)
are both tuples of :class:`Setting`, resolved by :func:`resolve_table` with one
precedence — argument → environment variable → config file — and one error
shape that names the key, where it came from and the bad value.  The module
imports nothing heavy: the SDK imports it inside the user's application, and the
SDK may not depend on the server side (``genlens.settings``).

A setting inside a section of the server's settings file has a dotted name
(``budgets.tokens_per_call``); its environment variable replaces the dot with an
underscore (``GENLENS_BUDGETS_TOKENS_PER_CALL``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from genlens.errors import ConfigError

Parser = Callable[[Any], Any]
SECRET_SHOWN = "<secret, not shown>"


class BadEntry(ValueError):
    """One entry of a mapping value is bad; the error then names ``setting.entry`` and the entry's value."""

    def __init__(self, key: str, value: Any, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.value = value


def env_name(name: str) -> str:
    """``GENLENS_`` + the name in capitals, a section's dot as an underscore."""
    return "GENLENS_" + name.upper().replace(".", "_").replace("-", "_")


@dataclass(frozen=True)
class Setting:
    """One setting: its name, how a raw value becomes a typed one, its default, what it means.

    ``type`` raises ``ValueError``/``TypeError`` (or :class:`BadEntry`) with the
    reason; :meth:`parse` turns that into a :class:`ConfigError`.  ``env`` lists
    the variables read, first set one wins (default: ``GENLENS_<NAME>``);
    ``env_types`` gives a variable its own parser when its unit differs (the OTel
    variables in milliseconds).  ``aliases`` are former names, still accepted as
    arguments, config-file keys and ``GENLENS_<ALIAS>`` variables, with the same
    meaning.  A ``secret`` setting (a key) is never echoed: errors say what is
    wrong with its value without repeating it (and anything that prints settings
    must hide it the same way: ``SECRET_SHOWN``).
    """

    name: str
    type: Parser
    default: Any
    help: str
    env: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    env_types: tuple[tuple[str, Parser], ...] = ()
    secret: bool = False

    @property
    def variables(self) -> tuple[str, ...]:
        own = self.env if self.env is not None else (env_name(self.name),)
        return own + tuple(env_name(a) for a in self.aliases if env_name(a) not in own)

    @property
    def section(self) -> str | None:
        return self.name.split(".", 1)[0] if "." in self.name else None

    @property
    def key(self) -> str:
        """The name inside its section (the whole name for a top-level setting)."""
        return self.name.rsplit(".", 1)[-1]

    def parse(self, raw: Any, source: str) -> Any:
        parser = dict(self.env_types).get(source, self.type)
        try:
            return parser(raw)
        except BadEntry as exc:
            raise ConfigError(f"setting '{self.name}.{exc.key}' from {source}: bad value "
                              f"{self._echo(exc.value)} ({exc})") from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {self.name!r} from {source}: bad value {self._echo(raw)} ({exc})") from exc

    def _echo(self, raw: Any) -> str:
        return SECRET_SHOWN if self.secret else repr(raw)


def suggestion(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'port'?)`` when a known name is close, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _by_name(table: Iterable[Setting]) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for setting in table:
        for name in (setting.name, *setting.aliases):
            out[name] = setting
    return out


def canonical(given: Mapping[str, Any], table: Iterable[Setting], where: str) -> dict[str, Any]:
    """Key each given value by its setting's name (aliases folded in); unknown or doubled names are errors."""
    by_name = _by_name(table)
    out: dict[str, Any] = {}
    unknown = [name for name in given if name not in by_name]
    if unknown:
        hints = "".join(suggestion(name, by_name) for name in unknown[:1])
        raise ConfigError(f"unknown setting(s) {', '.join(map(repr, sorted(unknown)))} {where}{hints}")
    for name, value in given.items():
        setting = by_name[name]
        if setting.name in out:
            raise ConfigError(f"setting {setting.name!r} given twice {where} (as {', '.join(map(repr, sorted(n for n in given if by_name[n] is setting)))})")
        out[setting.name] = value
    return out


def resolve_table(
    table: Iterable[Setting],
    arguments: Mapping[str, Any],
    environ: Mapping[str, str],
    file_values: Mapping[str, Any] | None = None,
    file_label: str = "config file",
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``name → typed value`` of every setting given somewhere; absent ones are left to their defaults.

    ``arguments`` of ``None`` and empty environment variables count as not given
    (as the OpenTelemetry specification has it for variables).  ``sources``, if
    given, is filled with where each value came from (for errors about several
    settings together).
    """
    table = tuple(table)
    args = canonical({k: v for k, v in arguments.items() if v is not None}, table, "in the arguments")
    from_file = canonical(file_values or {}, table, f"in {file_label}")
    values: dict[str, Any] = {}
    for setting in table:
        variable = next((v for v in setting.variables if environ.get(v, "") != ""), None)
        if setting.name in args:
            raw, source = args[setting.name], "argument"
        elif variable is not None:
            raw, source = environ[variable], variable
        elif setting.name in from_file:
            raw, source = from_file[setting.name], file_label
        else:
            continue
        values[setting.name] = setting.parse(raw, source)
        if sources is not None:
            sources[setting.name] = source
    return values


# -- value types shared by both tables ----------------------------------------------------------------


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected a boolean: true/false, yes/no, on/off, 1/0")


def number(kind: type[int] | type[float], low: float | None = None, high: float | None = None, *,
           above: float | None = None) -> Parser:
    """A parser of ``kind`` within ``[low, high]`` (either bound may be open), or strictly ``> above``."""

    def parse(value: Any) -> int | float:
        if isinstance(value, bool) or (kind is int and isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"expected {'an integer' if kind is int else 'a number'}, not {value!r}")
        got = kind(value)
        if above is not None and not got > above:
            raise ValueError(f"must be > {above:g}")
        if (low is not None and not got >= low) or (high is not None and not got <= high):
            bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
            raise ValueError(f"must be within {bounds}" if high is not None else f"must be >= {low}")
        return got

    return parse


def word_list(value: Any) -> tuple[str, ...]:
    """A list in a config file, or comma-separated text (an environment variable): empty items are dropped."""
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValueError("expected a list or comma-separated text")
    return tuple(str(item).strip() for item in items if str(item).strip())


def name_counts(value: Any, low: int = 1, high: int = 10**15) -> tuple[tuple[str, int], ...]:
    """``"chat=2000,summary=8000"`` or a mapping → ((name, count), …) in the given order; errors name the entry."""
    if isinstance(value, Mapping):
        pairs: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, str):
        pairs = []
        for part in (p for p in value.split(",") if p.strip()):
            if "=" not in part:
                raise ValueError(f"{part.strip()!r} is not name=count; use name=count,…")
            name, count = part.rsplit("=", 1)
            pairs.append((name, count))
    else:
        raise ValueError("expected name=count,… or a mapping of names to counts")
    out: list[tuple[str, int]] = []
    for name, count in pairs:
        key = str(name).strip()
        try:
            out.append((key, int(number(int, low, high)(str(count).strip() if isinstance(count, str) else count))))
        except (TypeError, ValueError) as exc:
            raise BadEntry(key, count, str(exc)) from exc
    return tuple(out)
