"""Real receivers for alert delivery tests: a webhook server on loopback, and Debian's Alertmanager."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port, launch, stop_process, wait_ready

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


@dataclass
class Webhook:
    """Records every JSON body posted to it; answers ``statuses`` in turn (then 200)."""

    statuses: list[int] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Webhook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server interface
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                status = hook.statuses.pop(0) if hook.statuses else 200
                if status == 200:
                    hook.bodies.append({"body": body, "headers": dict(self.headers)})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Alertmanager:
    process: subprocess.Popen[bytes]
    url: str

    def alerts(self, active_only: bool = True) -> list[dict[str, Any]]:
        params = {"active": "true", "silenced": "false", "inhibited": "false"} if active_only else {}
        return list(httpx.get(f"{self.url}/api/v2/alerts", params=params, timeout=10).json())

    def stop(self) -> None:
        stop_process(self.process)


def start_alertmanager(workdir: Path, webhook_url: str | None = None) -> Alertmanager:
    """Debian's Alertmanager on loopback; with ``webhook_url`` it notifies that receiver of every alert (each its
    own group, resolved ones too, repeats only after an hour), else it keeps alerts to itself."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    if webhook_url is None:
        config.write_text("route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n")
    else:
        config.write_text(
            "route:\n  receiver: hook\n  group_by: ['...']\n  group_wait: 1s\n  group_interval: 1s\n"
            "  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n"
            f"      - url: {webhook_url}\n        send_resolved: true\n")
    port = free_port()
    log_path = workdir / "alertmanager.log"
    process = launch([ALERTMANAGER, f"--config.file={config}", f"--storage.path={workdir / 'data'}",
                      f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="], log_path)
    manager = Alertmanager(process, f"http://127.0.0.1:{port}")
    wait_ready(process, f"{manager.url}/-/ready", log_path, "alertmanager", manager.stop)
    return manager
