"""``genlens slo`` and ``genlens dashboards`` as a user runs them: good files work, bad input is a clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "genlens", *args], capture_output=True, text=True, timeout=60)


GOOD = "service: s\nslos:\n  - {name: api, sli: {type: availability}, objective: 0.99}\n" \
       "  - {name: p, sli: {bad: 'status = error', total: 'kind = llm'}, objective: 0.9}\n"


def test_check_and_rules_of_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(GOOD)
    done = _run("slo", "check", str(path))
    assert done.returncode == 0 and "2 SLO(s)" in done.stdout and "s-api" in done.stdout
    out = tmp_path / "rules.yml"
    done = _run("slo", "rules", str(path), "--out", str(out))
    assert done.returncode == 0
    assert "left out: SLO s-p" in done.stderr  # the span-predicate SLO has no PromQL form, and says so
    assert len(yaml.safe_load(out.read_text())["groups"]) == 3
    assert "groups:" in _run("slo", "rules", str(path)).stdout  # to standard output without --out


@pytest.mark.parametrize("content", ["", "slos: [unclosed", "\x00\x01binary", "slos: [{name: x}]",
                                     "version: prometheus/v1\nservice: s\nslos: []", "- 1\n- 2"])
def test_bad_files_are_clear_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    for command in ("check", "rules"):
        done = _run("slo", command, str(path))
        assert done.returncode in (1, 2) and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip(), command


def test_missing_file_and_only_predicates(tmp_path: Path) -> None:
    done = _run("slo", "check", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2 and "No such file" in done.stderr
    path = tmp_path / "p.yaml"
    path.write_text("slos:\n  - {name: p, sli: {bad: 'status = error', total: 'kind = llm'}, objective: 0.9}\n")
    done = _run("slo", "rules", str(path))
    assert done.returncode == 1 and "computed by genlens" in done.stderr  # nothing could be written


def test_dashboards_export_and_its_bad_arguments(tmp_path: Path) -> None:
    done = _run("dashboards", "export", "--out", str(tmp_path / "boards"), "--genlens-url", "https://gl.example")
    assert done.returncode == 0, done.stderr
    board = json.loads((tmp_path / "boards" / "genlens-debug.json").read_text())
    assert any(link["url"] == "https://gl.example/traces?status=error" for link in board["links"])
    assert _run("dashboards", "export", "--genlens-url", "javascript:alert(1)").returncode == 2
    a_file = tmp_path / "file"
    a_file.write_text("x")
    done = _run("dashboards", "export", "--out", str(a_file))
    assert done.returncode == 2 and "not a directory" in done.stderr
