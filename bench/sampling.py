"""What tail sampling of content costs ingest: acknowledged spans/s and server CPU per span, sampling on vs off.

Each run starts a fresh ``genlens serve`` (its own process) and loads it from this process with pre-encoded
OTLP/HTTP batches of realistic LLM traces (bench/workload.py), as in bench/ingest.py.  Runs alternate
off, on, off, on … so both see the same machine; the baseline is sampling off, measured in the same run.
With sampling on the server also decides every trace each second (the default policies: errors, slow,
expensive, over budget, negative feedback, 10 % of the rest) and deletes the content of dropped traces.

    python bench/sampling.py [--runs 3] [--seconds 15] [--clients 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ingest import one_run  # noqa: E402
from bench.workload import batches  # noqa: E402

ON = {"GENLENS_SAMPLING_ENABLED": "true", "GENLENS_SAMPLING_COMPLETION_GRACE": "0s",
      "GENLENS_COST_DETECT_INTERVAL_S": "0"}
OFF = {"GENLENS_SAMPLING_ENABLED": "false", "GENLENS_COST_DETECT_INTERVAL_S": "0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    payloads = batches(200)
    results: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    for run in range(args.runs):
        for name, env in (("off", OFF), ("on", ON)):
            rate, _rss, refused, cpu_us = one_run(payloads, args.seconds, args.clients, env)
            results[name].append((rate, cpu_us))
            print(f"run {run + 1} sampling {name:>3}: {rate:,.0f} spans/s, {cpu_us:.1f} CPU µs/span, "
                  f"{refused} refused (503)")
    med = {name: (statistics.median(r for r, _ in rows), statistics.median(c for _, c in rows))
           for name, rows in results.items()}
    print(f"sampling off (baseline): median {med['off'][0]:,.0f} spans/s, {med['off'][1]:.1f} CPU µs/span")
    print(f"sampling on:             median {med['on'][0]:,.0f} spans/s, {med['on'][1]:.1f} CPU µs/span")
    print(f"on/off: rate ratio {med['on'][0] / med['off'][0]:.3f}, CPU per span ratio "
          f"{med['on'][1] / med['off'][1]:.3f} ({args.runs} runs of {args.seconds:.0f}s each, {args.clients} clients)")


if __name__ == "__main__":
    main()
