"""``genlens simulate`` as a separate process, the way the demo will run it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from genlens.cli import build_parser
from tests.conftest import stop_process


def test_simulate_is_registered() -> None:
    args = build_parser().parse_args(["simulate", "--port", "0", "--latency-scale", "0"])
    assert args.command == "simulate" and args.port == 0 and args.latency_scale == 0


def test_subprocess_serves_sdks_and_admin(tmp_path: Path) -> None:
    config = tmp_path / "sim.yaml"
    config.write_text("seed: 1\nfaults:\n  gpt-4o:\n    error_rates: {429: 1.0}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "genlens", "simulate", "--port", "0", "--latency-scale", "0", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        url = match.group(1)
        with openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0) as oai:
            r = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
            assert r.model == "gpt-4o-mini-2024-07-18"
            with pytest.raises(openai.RateLimitError):
                oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        with httpx.Client(base_url=url) as admin:
            assert admin.delete("/admin/faults/gpt-4o").status_code == 200
            assert admin.get("/admin/stats").json()["requests"]["gpt-4o"] == {"429": 1}
        with anthropic.Anthropic(base_url=url, api_key="k", max_retries=0) as claude:
            m = claude.messages.create(model="claude-haiku-4-5", max_tokens=8,
                                       messages=[{"role": "user", "content": "hi"}])
            assert m.usage.output_tokens == 8
    finally:
        stop_process(proc)
    assert proc.returncode is not None


def test_bad_config_exits_with_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("faults:\n  x:\n    error_rates: {429: 2}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "genlens", "simulate", "--port", "0", "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "error_rates[429]" in done.stderr
