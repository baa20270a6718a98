"""Running ``genlens demo`` as a real subprocess on free loopback ports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

READY = "genlens demo: first traces stored"
PIDS = re.compile(r"server pid (\d+), simulator pid (\d+)")


def demo_command(data: Path, port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "genlens", "demo", "--data", str(data), "--port", str(port), *args]


def spawn_demo(data: Path, port: int, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLENS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(demo_command(data, port, *args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)


def child_pids(output: str) -> tuple[int, int]:
    match = PIDS.search(output)
    assert match, output
    return int(match.group(1)), int(match.group(2))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); its state letter says so
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def assert_clean_logs(output: str, data: Path) -> None:
    for text, where in [(output, "demo output"), *((p.read_text(errors="replace"), p.name)
                                                    for p in data.glob("demo-*.log"))]:
        for bad in ("Traceback", " ERROR ", "CRITICAL"):
            assert bad not in text, f"{bad!r} in {where}:\n{text[-3000:]}"
