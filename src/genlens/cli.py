"""The ``genlens`` command line: one sub-command per job, each registered by its own module.

A sub-command module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (taking the parsed ``argparse.Namespace``, returning an exit code).

``genlens --help`` must stay cheap: importing a sub-command module pulls its
package (the simulator's ASGI app, the price library, the server), so the top
level help is built from ``_SUMMARIES`` alone and only the module of the
command actually named on the command line is imported. A module listed in
``_COMMAND_MODULES`` without a summary is imported eagerly, so adding one entry
is enough to get a working command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from genlens.errors import GenlensError

# module path → registers one or more sub-commands
_COMMAND_MODULES: tuple[str, ...] = (
    "genlens.server.cli",
    "genlens.simulate.cli",
    "genlens.pricing.cli",
    "genlens.reports.cli",
    "genlens.demo.cli",
    "genlens.store.cli",
    "genlens.store.erase_cli",
    "genlens.server.keys_cli",
    "genlens.slo.cli",
    "genlens.alerts.cli",
)

# command name → (module that registers it, one-line help shown by ``genlens --help``)
_SUMMARIES: dict[str, tuple[str, str]] = {
    "serve": ("genlens.server.cli", "run the genlens server (OTLP receivers, REST API, UI)"),
    "simulate": ("genlens.simulate.cli", "Run a simulated OpenAI/Anthropic provider with fault injection."),
    "prices": ("genlens.pricing.cli", "check a price file; price one call"),
    "report": ("genlens.reports.cli", "reports over stored spans (genlens report cost)"),
    "detect": ("genlens.reports.cli", "what the detectors would have raised, and when (all, errors, latency, …, cost)"),
    "demo": ("genlens.demo.cli", "run genlens with an instrumented demo app against a simulated LLM provider"),
    "store": ("genlens.store.cli", "maintenance of a data directory (genlens store rebuild)"),
    "erase": ("genlens.store.erase_cli", "erase every trace of a user, conversation or trace (a receipt)"),
    "keys": ("genlens.server.keys_cli", "API keys (create, list, revoke) and content key rotation"),
    "slo": ("genlens.slo.cli", "check SLO files; export them as Prometheus rules"),
    "dashboards": ("genlens.alerts.cli", "export Grafana dashboards over genlens' /metrics"),
    "alerts": ("genlens.alerts.cli", "export Prometheus threshold alert rules over /metrics"),
}


def _named_command(argv: Sequence[str]) -> str | None:
    """The first positional token (the sub-command) if it is one of ``_SUMMARIES``."""
    for token in argv:
        if not token.startswith("-"):
            return token if token in _SUMMARIES else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The full parser, or with ``argv`` one where only the named command's module is imported."""
    parser = argparse.ArgumentParser(
        prog="genlens",
        description="Self-hosted, OpenTelemetry-native observability for LLM applications.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    summarised = {module for module, _ in _SUMMARIES.values()}
    if argv is None:
        modules = list(_COMMAND_MODULES)
    else:
        command = _named_command(argv)
        if command is not None:
            modules = [_SUMMARIES[command][0]]
        else:
            # help or a bad command: placeholders carry the help text without importing anything
            for name, (_, help_text) in _SUMMARIES.items():
                subparsers.add_parser(name, help=help_text)
            modules = [m for m in _COMMAND_MODULES if m not in summarised]
    for module_name in modules:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GenlensError as exc:
        print(f"genlens: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
