"""``genlens detect errors|latency|refusals|spend|rules|all`` over a data directory and a live server, and
``GET /api/v1/detect/{family}``: the same episodes as the evaluator, and clear errors for bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from genlens.alerts.detectors import load_rules
from genlens.alerts.evaluation import detect
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from tests.alerts.detector_data import END, T0, workload
from tests.conftest import LiveServer, run_main, start_server

WINDOW = ["--since", str(T0), "--until", str(END)]
EXPECTED = {"errors": ["LLMErrorBurst"], "latency": ["LLMTTFTSpike", "LLMLatencySpike"],
            "refusals": ["LLMRefusalSpike"], "spend": ["LLMSpendSpike"]}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = Path(tmp_path_factory.mktemp("detect"))
    db = DuckDBStore(directory / "genlens.duckdb")
    db.write(WriteBatch(spans=workload()))
    db.close()
    return directory


@pytest.fixture(scope="module")
def direct(data: Path) -> list[dict[str, object]]:
    db = DuckDBStore(data / "genlens.duckdb", read_only=True)
    try:
        return detect(db, load_rules(), "all", T0, END, 60 * 10**9)
    finally:
        db.close()


def test_each_family_over_a_data_directory(data: Path, direct: list[dict[str, object]],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert {e["alert"] for e in direct} >= {"LLMErrorBurst", "LLMTTFTSpike", "LLMRefusalSpike", "LLMSpendSpike"}
    for family, names in EXPECTED.items():
        done = run_main(capsys, "detect", family, *WINDOW, "--data", str(data), "--format", "json")
        assert done.returncode == 0, done.stderr
        episodes = orjson.loads(done.stdout)["episodes"]
        assert episodes == [e for e in direct if e["family"] == family]
        assert {e["alert"] for e in episodes} == set(names)
    md = run_main(capsys, "detect", "all", *WINDOW, "--data", str(data))
    assert md.returncode == 0 and "| LLMErrorBurst | page | provider=anthropic, model=claude-haiku-4-5 |" in md.stdout
    assert "## Cost findings" in md.stdout and "Conditions:" in md.stdout
    both = orjson.loads(run_main(capsys, "detect", "all", *WINDOW, "--data", str(data), "--format", "json").stdout)
    assert both["episodes"] == direct and "findings" in both
    calm = run_main(capsys, "detect", "errors", "--since", str(T0), "--until", str(T0 + 80 * 60 * 10**9),
                    "--data", str(data))
    assert calm.returncode == 0 and "Nothing would have fired." in calm.stdout


def test_tuned_by_settings_in_the_environment(data: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENLENS_ALERTS_DETECTORS", '{"LLMErrorBurst": {"above": 0.5}}')
    done = run_main(capsys, "detect", "errors", *WINDOW, "--data", str(data), "--format", "json")
    assert done.returncode == 0 and orjson.loads(done.stdout)["episodes"] == []
    monkeypatch.setenv("GENLENS_ALERTS_DETECTORS", '{"LLMErrorBurst": {"abov": 0.5}}')
    bad = run_main(capsys, "detect", "errors", *WINDOW, "--data", str(data))
    assert bad.returncode == 2 and "unknown key 'abov'" in bad.stderr and "Traceback" not in bad.stderr


def test_tuned_by_a_settings_file(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "genlens.yaml"
    config.write_text("alerts:\n  detectors:\n    LLMErrorBurst: {above: 0.5}\n  rules:\n"
                      "    - {name: AnyError, aggregate: error_rate, by: [model], above: 0.01, window: 5m}\n")
    done = run_main(capsys, "detect", "errors", *WINDOW, "--data", str(data), "--config", str(config),
                    "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [(e["alert"], e["slice"]) for e in orjson.loads(done.stdout)["episodes"]] == [
        ("AnyError", {"model": "claude-haiku-4-5"})]
    missing = run_main(capsys, "detect", "errors", *WINDOW, "--data", str(data), "--config", str(tmp_path / "no"))
    assert missing.returncode == 2 and "cannot be read" in missing.stderr


@pytest.mark.parametrize("args", [
    ["detect", "outages"], ["detect", "errors", "--step", "soon"], ["detect", "errors", "--step", "10ms"],
    ["detect", "errors", "--since", "1d", "--until", "3d"], ["detect", "errors", "--format", "xml"],
    ["detect", "latency", "--since", "80d", "--step", "1s"],
])
def test_bad_command_lines_fail_cleanly(data: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    done = run_main(capsys, *args, "--data", str(data))
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.strip(), args


@pytest.fixture(scope="module")
def server(data: Path, direct: list[dict[str, object]]) -> Iterator[LiveServer]:
    live = start_server(data, extra_env={"GENLENS_ALERTS_INTERVAL_S": "0"})
    yield live
    live.stop()


def test_server_answers_the_same_as_the_data_directory(server: LiveServer, direct: list[dict[str, object]],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    api = httpx.get(f"{server.url}/api/v1/detect/all", params={"start": T0, "end": END}, timeout=30).json()
    assert api["episodes"] == direct
    done = run_main(capsys, "detect", "latency", *WINDOW, "--server", server.url, "--format", "json")
    assert orjson.loads(done.stdout)["episodes"] == [e for e in direct if e["family"] == "latency"]
    scoped = httpx.get(f"{server.url}/api/v1/detect/errors", params={"start": T0, "end": END, "tenant": "nobody"},
                       timeout=30).json()
    assert scoped["episodes"] == []


@pytest.mark.parametrize(("path", "params", "needle"), [
    ("/api/v1/detect/outages", {}, "unknown detector family"),
    ("/api/v1/detect/errors", {"step": "100ms"}, "at least 1s"),
    ("/api/v1/detect/errors", {"step": "whenever"}, "duration"),
    ("/api/v1/detect/errors", {"start": "2026-10-10", "end": "2026-10-01"}, "after start"),
    ("/api/v1/detect/errors", {"start": "2020-01-01", "end": "2026-01-01"}, "longer than"),
    ("/api/v1/detect/errors", {"start": "60d", "step": "1s"}, "at most"),
    ("/api/v1/detect/errors", {"start": "x" * 500}, "start"),
    ("/api/v1/detect/" + "e" * 50, {}, "family"),
])
def test_bad_requests_are_400(server: LiveServer, path: str, params: dict[str, str], needle: str) -> None:
    response = httpx.get(f"{server.url}{path}", params=params, timeout=30)
    assert response.status_code in (400, 422), response.text
    assert needle in response.text
