"""Shared fixtures: a real ``genlens serve`` process on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    http_port: int
    grpc_port: int
    data: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, no chance to flush anything."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(data: Path, *, extra_env: dict[str, str] | None = None, http_port: int | None = None,
                 grpc_port: int | None = None, args: list[str] | None = None) -> LiveServer:
    http_port = http_port or free_port()
    grpc_port = grpc_port or free_port()
    log_path = data / f"server-{http_port}.log"
    data.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLENS_")}
    env.update(extra_env or {})
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "genlens", "serve", "--port", str(http_port), "--grpc-port", str(grpc_port),
             "--data", str(data), *(args or [])],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    server = LiveServer(process, http_port, grpc_port, data, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"genlens serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"genlens serve did not become ready:\n{server.log()}")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("genlens-data"))
    yield server
    server.stop()
