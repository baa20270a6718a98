"""Running the simulator: in a background thread (``run_simulator``) or in the foreground (CLI).

Both bind the listening socket first and hand it to uvicorn, so ``port=0``
works and the real port is known before the first request.  Uvicorn runs with
httptools and uvloop when installed, no access log and no lifespan: the
simulator is a load-test dependency and must stay cheap per request.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from genlens.errors import ConfigError
from genlens.simulate.app import Runtime, create_app
from genlens.simulate.config import SimulatorConfig
from genlens.simulate.http import StreamAborted

_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0


class _DropStalledStreams(logging.Filter):
    """A stalled stream is dropped on purpose; uvicorn need not log it as a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamAborted))


_filter = _DropStalledStreams()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"simulator cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(rt: Runtime, log_level: str = "warning") -> uvicorn.Server:
    logging.getLogger("uvicorn.error").addFilter(_filter)
    config = uvicorn.Config(
        create_app(rt), lifespan="off", access_log=False, log_level=log_level, http="auto", loop="auto",
        timeout_graceful_shutdown=2, backlog=2048, timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


class Simulator:
    """Handle on a running simulator; faults and stats act on the live instance."""

    def __init__(self, rt: Runtime, host: str, port: int) -> None:
        self._rt = rt
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    @property
    def config(self) -> SimulatorConfig:
        return self._rt.config

    def set_faults(self, model: str, **faults: Any) -> dict[str, Any]:
        """Replace the faults of ``model`` ("*" = every other model); same as ``PUT /admin/faults/MODEL``."""
        return self._rt.state.set_faults(model, faults).to_json()

    def clear_faults(self, model: str | None = None) -> None:
        self._rt.state.clear_faults(model)

    def faults(self) -> dict[str, dict[str, Any]]:
        return self._rt.state.faults()

    def stats(self) -> dict[str, Any]:
        """``{"total": n, "requests": {model: {status: n}}, "counters": {...}}``."""
        stats = self._rt.state.stats()
        stats["cache"] = {"entries": len(self._rt.cache), "evictions": self._rt.cache.evictions}
        return stats

    def reset_stats(self) -> None:
        self._rt.state.reset_stats()

    def set_latency_scale(self, scale: float) -> None:
        if not scale >= 0:
            raise ConfigError(f"latency_scale must be >= 0, got {scale!r}")
        self._rt.state.latency_scale = float(scale)


@contextmanager
def run_simulator(host: str = "127.0.0.1", port: int = 0,
                  config: SimulatorConfig | None = None) -> Iterator[Simulator]:
    """Start a simulator in a background thread; stop it (and wait for the thread) on exit."""
    rt = Runtime(config or SimulatorConfig())
    sock = bind(host, port)
    server = make_server(rt)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="genlens-simulate",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise ConfigError(f"simulator did not start on {host}:{port}")
        time.sleep(0.005)
    try:
        yield Simulator(rt, host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT_S)
        sock.close()


def serve_forever(host: str, port: int, config: SimulatorConfig, log_level: str = "warning") -> int:
    """Foreground server for ``genlens simulate``; prints one ready line with the URL, then serves."""
    rt = Runtime(config)
    sock = bind(host, port)
    server = make_server(rt, log_level)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"genlens simulate listening on http://{shown}:{bound}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
