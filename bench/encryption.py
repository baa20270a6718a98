"""What encryption at rest of content costs ingest: acknowledged spans/s and server CPU per span, a content
key set vs none.

Each run starts a fresh ``genlens serve`` (its own process) and loads it from this process with pre-encoded
OTLP/HTTP batches of realistic LLM traces (bench/workload.py) whose chat spans carry a prompt and an answer
(``--content-chars`` each), as in bench/ingest.py.  Runs alternate off, on, off, on … so both see the same
machine; the baseline is no content key, measured in the same run.  With a key every content row is sealed
(AES-256-GCM) by the last stage, in the ingest worker.

    python bench/encryption.py [--runs 5] [--seconds 15] [--clients 4] [--content-chars 600]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ingest import one_run  # noqa: E402
from bench.workload import batches  # noqa: E402

OFF = {"GENLENS_COST_DETECT_INTERVAL_S": "0", "GENLENS_ALERTS_INTERVAL_S": "0"}
ON = {**OFF, "GENLENS_CONTENT_KEY": "bench:" + base64.b64encode(os.urandom(32)).decode()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--content-chars", type=int, default=600)
    args = parser.parse_args()
    payloads = batches(200, content_chars=args.content_chars)
    results: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    for run in range(args.runs):
        for name, env in (("off", OFF), ("on", ON)):
            rate, _rss, refused, cpu_us = one_run(payloads, args.seconds, args.clients, env)
            results[name].append((rate, cpu_us))
            print(f"run {run + 1} encryption {name:>3}: {rate:,.0f} spans/s, {cpu_us:.1f} CPU µs/span, "
                  f"{refused} refused (503)", flush=True)
    med = {name: (statistics.median(r for r, _ in rows), statistics.median(c for _, c in rows))
           for name, rows in results.items()}
    print(f"no key (baseline): median {med['off'][0]:,.0f} spans/s, {med['off'][1]:.1f} CPU µs/span")
    print(f"content key set:   median {med['on'][0]:,.0f} spans/s, {med['on'][1]:.1f} CPU µs/span")
    print(f"on/off: rate ratio {med['on'][0] / med['off'][0]:.3f}, CPU per span ratio "
          f"{med['on'][1] / med['off'][1]:.3f} ({args.runs} runs of {args.seconds:.0f}s each, {args.clients} "
          f"clients, {args.content_chars} chars of prompt and of answer per chat span)")


if __name__ == "__main__":
    main()
