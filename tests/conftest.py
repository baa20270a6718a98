"""Shared fixtures: a real ``genlens serve`` process on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
        stop_process(self.process)


def launch(argv: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a process a test drives, its output appended to ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited after 20 s: only for processes a test started."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
    wait_ready(process, f"{server.url}/readyz", log_path, "genlens serve", server.stop, timeout_s=30)
    return server


def wait_ready(process: subprocess.Popen[bytes], ready_url: str, log_path: Path, what: str,
               stop: Callable[[], None], timeout_s: float = 60) -> None:
    """Poll ``ready_url`` until it answers 200; a process that exits or never gets ready fails with its log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop()
    raise RuntimeError(f"{what} did not become ready:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("genlens-data"))
    yield server
    server.stop()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``genlens …`` as its own process."""
    return subprocess.run([sys.executable, "-m", "genlens", *args], capture_output=True, text=True, timeout=120)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same command line in this process (real parser and code; saves a process start-up)."""
    capsys.readouterr()
    try:
        from genlens.cli import main

        code = main(list(args))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)
