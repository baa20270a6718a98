"""The two helper processes of a demo: ``genlens serve`` and ``genlens simulate``.

Both run as child processes in their own session (so a Ctrl-C in the terminal
reaches only the demo, which then flushes the SDK before stopping them) and,
on Linux, are told to exit if the demo process dies.  They are stopped by PID:
SIGTERM, a bounded wait, then SIGKILL.  Their output goes to log files in the
data directory, keeping the terminal for the demo's own progress lines.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from genlens.errors import ConfigError, GenlensError

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


class DemoError(GenlensError):
    """A demo component could not start or stop."""


def check_port_free(host: str, port: int) -> None:
    """Fail early, naming the flag, when something already listens on host:port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is already in use (another genlens serve?); "
                                  f"choose another with --port") from exc
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> int | None:
        """SIGTERM by PID, wait, SIGKILL if it will not go; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        return self.process.returncode


def _spawn(name: str, args: list[str], log_path: Path, defaults: dict[str, str] | None = None) -> Child:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    for key, value in (defaults or {}).items():
        env.setdefault(key, value)  # the user's own GENLENS_* settings win
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "genlens", *args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
    return Child(name, process, log_path)


# The demo's SLOs (package data), a short evaluation interval, and the built-in detectors with their windows
# scaled from minutes to tens of seconds, so alerts follow incidents planted a minute into a short run.
DEMO_SLOS = Path(__file__).resolve().parent / "slos.yaml"
# (a live incident starts 60 s in, when a model has seen only a handful of calls: 5 make a baseline here)
_SCALED = {"window": "1m", "for": "20s", "trailing": "5m", "min_calls": 5, "keep_firing_for": "15s"}
DEMO_DETECTORS = {"LLMErrorBurst": {"window": "1m", "for": "20s", "min_calls": 5, "keep_firing_for": "15s"},
                  "LLMTTFTSpike": _SCALED,
                  "LLMLatencySpike": _SCALED, "LLMRefusalSpike": _SCALED,
                  "LLMSpendSpike": {"window": "5m", "trailing": "15m"}}
SERVER_DEFAULTS = {"GENLENS_SLOS_FILE": str(DEMO_SLOS), "GENLENS_ALERTS_INTERVAL_S": "5",
                   "GENLENS_ALERTS_STEP": "5s", "GENLENS_ALERTS_DELAY": "10s",
                   "GENLENS_ALERTS_DETECTORS": json.dumps(DEMO_DETECTORS)}


def spawn_server(host: str, port: int, data: Path) -> Child:
    """Start ``genlens serve`` on host:port (gRPC off) with the demo's SLOs; :func:`wait_server` waits for it."""
    return _spawn("server", ["serve", "--host", host, "--port", str(port), "--grpc-port", "0", "--data",
                             str(data)], data / "demo-server.log", SERVER_DEFAULTS)


def wait_server(child: Child, host: str, port: int) -> None:
    """Ready when /readyz answers 200; an exit or a timeout is an error that shows the log's tail."""
    url = f"http://{_url_host(host)}:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise DemoError(f"genlens serve exited with status {child.process.returncode}:\n{child.log_tail()}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise DemoError(f"genlens serve did not become ready within {START_TIMEOUT_S:.0f} s:\n{child.log_tail()}")


def spawn_simulator(data: Path, latency_scale: float, seed: int) -> tuple[Child, int]:
    """Start ``genlens simulate`` on a free loopback port; returns the child and where its log starts."""
    log_path = data / "demo-simulator.log"
    offset = log_path.stat().st_size if log_path.exists() else 0
    child = _spawn("simulator", ["simulate", "--host", "127.0.0.1", "--port", "0", "--latency-scale",
                                 str(latency_scale), "--seed", str(seed)], log_path)
    return child, offset


def wait_simulator(child: Child, offset: int) -> str:
    """The simulator's base URL, read from its 'listening on URL' line."""
    marker = "listening on "
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise DemoError(f"genlens simulate exited with status {child.process.returncode}:\n{child.log_tail()}")
        with open(child.log_path, "rb") as f:
            f.seek(offset)
            text = f.read(65536).decode(errors="replace")
        if marker in text:
            return text.split(marker, 1)[1].split()[0].rstrip("/")
        time.sleep(0.05)
    raise DemoError(f"genlens simulate did not start within {START_TIMEOUT_S:.0f} s:\n{child.log_tail()}")


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
