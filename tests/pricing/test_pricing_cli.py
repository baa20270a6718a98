"""``genlens prices check|cost`` through the real command-line entry point."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from genlens.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_lists_overridden_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - {model: House-Model, provider: self-hosted, aliases: [hm], input: 1, output: 2}\n")
    code, out, _ = run(capsys, "prices", "check", str(path))
    assert code == 0
    assert "OK, 2 model name(s)" in out and "self-hosted/house-model" in out and "self-hosted/hm" in out


def test_check_reports_the_bad_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - {model: a, input: 1, output: 1}\n  - {model: b, input: 1, output: 1, cache: 2}\n")
    code, _, err = run(capsys, "prices", "check", str(path))
    assert code == 2 and "entry 1" in err and "'cache'" in err and str(path) in err


def test_cost_with_override_and_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps([{"model": "gpt-4o", "provider": "openai", "input": 2, "output": 8,
                                 "valid_from": "2025-10-01"}]))
    args = ["prices", "cost", "--prices", str(path), "--provider", "openai", "--model", "gpt-4o",
            "--input", "1000", "--output", "100", "--cache-read", "800"]
    code, out, _ = run(capsys, *args, "--at", "2025-09-30T23:59:59")
    library = json.loads(out)
    assert code == 0 and library["source"] == "computed" and library["price_source"].startswith("genai-prices")
    assert math.isclose(library["usd"], (200 * 2.5 + 800 * 1.25 + 100 * 10) / 1e6)
    code, out, _ = run(capsys, *args, "--at", "2025-10-01")
    override = json.loads(out)
    assert override["price_source"].startswith("override:")
    assert math.isclose(override["usd"], (1000 * 2 + 100 * 8) / 1e6)


def test_cost_of_an_unknown_model_is_null_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prices", "cost", "--model", "no-such-model", "--input", "5")
    assert code == 1 and json.loads(out) == {"usd": None, "source": "unknown", "price_source": None,
                                             "reason": "unknown model"}


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["prices", "cost", "--model", "gpt-4o", "--at", "soon"],
                 ["prices", "cost", "--model", "gpt-4o", "--input", "1.5"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    code, out, _ = run(capsys, "prices", "cost", "--model", "gpt-4o", "--input", "-3")
    assert code == 1 and "negative input" in json.loads(out)["reason"]


def test_registered_in_the_installed_command() -> None:
    done = subprocess.run([sys.executable, "-m", "genlens", "prices", "cost", "--provider", "anthropic", "--model",
                           "claude-3-5-sonnet-20241022", "--input", "1000000", "--at", "2025-01-01"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert math.isclose(json.loads(done.stdout)["usd"], 3.0)
