"""A real Prometheus (Debian's ``prometheus`` package) on loopback, scraping a live genlens every second."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port, launch, stop_process, wait_ready

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@dataclass
class Prometheus:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body.get("status") == "success", (expr, body)
        return list(body["data"]["result"])

    def scalar(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr: str, expected: float, timeout_s: float = 60.0) -> float | None:
        """Query until ``expr`` equals ``expected`` (the scrape every second brings it there), or time out."""
        deadline = time.monotonic() + timeout_s
        got = self.scalar(expr)
        while (got is None or abs(got - expected) > 1e-9 * max(1.0, abs(expected))) and time.monotonic() < deadline:
            time.sleep(0.5)
            got = self.scalar(expr)
        return got

    def stop(self) -> None:
        stop_process(self.process)


def start_prometheus(workdir: Path, target: str, rule_files: list[Path] | None = None,
                     interval: str = "1s") -> Prometheus:
    """Prometheus scraping ``target`` (host:port) at ``interval``, evaluating ``rule_files`` as often."""
    workdir.mkdir(parents=True, exist_ok=True)
    rules = "".join(f"  - {path}\n" for path in rule_files or ())
    config = workdir / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}\n"
        + (f"rule_files:\n{rules}" if rules else "")
        + f"scrape_configs:\n  - job_name: genlens\n    static_configs:\n      - targets: ['{target}']\n"
    )
    port = free_port()
    log_path = workdir / "prometheus.log"
    process = launch([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
                      f"--web.listen-address=127.0.0.1:{port}", "--enable-feature=exemplar-storage"], log_path)
    prom = Prometheus(process, f"http://127.0.0.1:{port}", log_path)
    wait_ready(process, f"{prom.url}/-/ready", log_path, "prometheus", prom.stop)
    return prom
