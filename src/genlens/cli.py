"""The ``genlens`` command line: one sub-command per job, each registered by its own module.

A sub-command module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (taking the parsed ``argparse.Namespace``, returning an exit code).
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
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genlens",
        description="Self-hosted, OpenTelemetry-native observability for LLM applications.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # component not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
