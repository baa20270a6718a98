"""Bad flags fail fast with a message naming the flag, before anything is started."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from genlens.cli import main


@pytest.mark.parametrize("argv,needle", [
    (["--duration", "-5"], "--duration"),
    (["--duration", "nan"], "--duration"),
    (["--duration", "0"], "--backfill"),
    (["--rate", "0"], "--rate"),
    (["--rate", "1e9"], "--rate"),
    (["--backfill", "8d"], "at most 7d"),
    (["--backfill", "soon"], "not a duration"),
    (["--backfill", "0s"], "--backfill"),
    (["--backfill-rate", "-1", "--backfill", "1h"], "--backfill-rate"),
    (["--latency-scale", "-1"], "--latency-scale"),
    (["--port", "99999"], "port"),
])
def test_bad_values(argv: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--data", str(tmp_path / "d"), *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.startswith("genlens: error:")
    assert not (tmp_path / "d").exists()  # nothing was started or written


def test_unknown_scenario_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["demo", "--scenario", "meteor-strike"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "meteor-strike" in err and "provider-outage" in err and "runaway-conversation" in err


def test_busy_port_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["demo", "--port", str(port), "--data", str(tmp_path / "d"), "--duration", "5"]) == 2
    err = capsys.readouterr().err
    assert f"port {port}" in err and "already in use" in err and "--port" in err
    assert not (tmp_path / "d").exists()


def test_missing_provider_sdks_are_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "anthropic" else real(name, *a))
    assert main(["demo", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "anthropic" in err and "genlens[demo]" in err


def test_the_cli_loads_without_importing_the_provider_sdks() -> None:
    import subprocess
    import sys

    code = ("import sys; from genlens.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('openai', 'anthropic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
