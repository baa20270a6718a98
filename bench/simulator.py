"""Throughput of ``genlens simulate``: non-streaming requests per second on loopback.

The simulator runs as its own process (``python -m genlens simulate --latency-scale 0``),
exactly as a load test or the demo would start it.  Load comes from this
process: ``--connections`` keep-alive HTTP/1.1 connections on asyncio (uvloop
when installed), each sending one request at a time and reading the whole
answer.  A hand-rolled client keeps the load generator cheap so that the
figure measures the server, not the client.  Every answer's status is checked;
the script fails if any is not 200.  As a baseline, each run also measures
``GET /health`` on the same server (the same uvicorn stack and connection
handling with no simulation work), and the ratio is reported.

    .venv/bin/python bench/simulator.py [--seconds 5] [--runs 5] [--connections 32]
                                        [--api chat|chat-stream|messages|embeddings]

Prints one line per run and the median, plus the machine it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

BODIES = {
    "chat": ("/v1/chat/completions", {"model": "gpt-4o-mini", "max_tokens": 64, "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France? Answer briefly."}]}),
    "messages": ("/v1/messages", {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [
        {"role": "user", "content": "What is the capital of France? Answer briefly."}]}),
    "chat-stream": ("/v1/chat/completions", {"model": "gpt-4o-mini", "max_tokens": 64, "stream": True,
                                             "stream_options": {"include_usage": True}, "messages": [
        {"role": "user", "content": "What is the capital of France? Answer briefly."}]}),
    "embeddings": ("/v1/embeddings", {"model": "text-embedding-3-small", "dimensions": 256,
                                      "input": "What is the capital of France?"}),
}
MAX_HEADER_BYTES = 64 * 1024


def start_server() -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen([sys.executable, "-m", "genlens", "simulate", "--port", "0", "--latency-scale", "0"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"http://([\d.]+):(\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, match.group(1), int(match.group(2))


async def worker(host: str, port: int, request: bytes, stop_at: float, counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > MAX_HEADER_BYTES:
                raise RuntimeError("response header too large")
            status = head[9:12]
            found = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if found:
                await reader.readexactly(int(found.group(1)))
            else:  # chunked (a stream): read chunks up to the empty last one
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            counts["ok" if status == b"200" else "bad"] += 1
    finally:
        writer.close()


async def one_run(host: str, port: int, request: bytes, seconds: float, connections: int) -> tuple[float, int]:
    counts = {"ok": 0, "bad": 0}
    start = time.perf_counter()
    await asyncio.gather(*(worker(host, port, request, start + seconds, counts) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    return counts["ok"] / elapsed, counts["bad"]


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            found = re.search(r"model name\s*:\s*(.+)", f.read())
            cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}{load}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--api", choices=sorted(BODIES), default="chat")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    path, body = BODIES[args.api]
    payload = json.dumps(body).encode()
    proc, host, port = start_server()
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
               f"Authorization: Bearer bench\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload
    health = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    rates: list[float] = []
    baselines: list[float] = []
    try:
        asyncio.run(one_run(host, port, request, 1.0, args.connections))  # warm-up
        for run in range(1, args.runs + 1):
            base, bad_base = asyncio.run(one_run(host, port, health, args.seconds, args.connections))
            rate, bad = asyncio.run(one_run(host, port, request, args.seconds, args.connections))
            if bad or bad_base:
                raise SystemExit(f"run {run}: {bad + bad_base} answers were not 200")
            rates.append(rate)
            baselines.append(base)
            print(f"run {run}: {rate:,.0f} req/s ({args.api}); baseline GET /health {base:,.0f} req/s", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    median, base = statistics.median(rates), statistics.median(baselines)
    print(f"simulator {args.api}: median {median:,.0f} req/s over {args.runs} runs of "
          f"{args.seconds:g} s (min {min(rates):,.0f}, max {max(rates):,.0f}), {args.connections} connections; "
          f"baseline GET /health median {base:,.0f} req/s "
          f"(ratio {median / base:.2f}); machine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
