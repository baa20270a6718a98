"""``genlens --help`` imports no provider SDK, server or store; every sub-command's help still works."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from genlens.cli import _COMMAND_MODULES, _SUMMARIES, build_parser

HEAVY = ("openai", "anthropic", "fastapi", "uvicorn", "duckdb", "grpc", "pyarrow")


def test_top_level_help_imports_nothing_heavy() -> None:
    code = ("import sys\nfrom genlens.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stderr.strip().splitlines()[-1] == "[]"
    for name in _SUMMARIES:
        assert name in out.stdout


@pytest.mark.parametrize("command", sorted(_SUMMARIES))
def test_every_sub_command_help_works(command: str) -> None:
    out = subprocess.run([sys.executable, "-m", "genlens", command, "--help"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"usage: genlens {command}")


def test_summaries_match_the_registered_commands() -> None:
    """The lazy help table names exactly the registered commands, with their own help text."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {choice.dest: choice.help for choice in action._choices_actions}
    assert registered == {name: help_text for name, (_, help_text) in _SUMMARIES.items()}
    assert {module for module, _ in _SUMMARIES.values()} <= set(_COMMAND_MODULES)
