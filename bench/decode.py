"""Decode cost per span: protobuf's parser + Python walk (upb path) vs the native decoder.

Both paths turn the same serialized ``ExportTraceServiceRequest`` bodies (``bench.workload``:
batches of 512 realistic LLM spans) into ``RawSpan`` lists; each timing includes parsing.
Reported: median µs/span over repeated runs, spans/s on one core, and the ratio.

    python bench/decode.py [--batches 40] [--runs 7] [--max-chars 32768]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.workload import batches  # noqa: E402
from genlens.pipeline.fastdecode import AVAILABLE, decode_trace_bytes, decode_upb  # noqa: E402


def time_path(decode: Callable[[bytes, int], tuple[list, object]], payloads: list[bytes], max_chars: int,
              runs: int) -> tuple[float, int]:
    """Median µs per span over ``runs`` passes over all payloads."""
    per_span: list[float] = []
    spans = 0
    for _ in range(runs):
        spans = 0
        started = time.perf_counter()
        for body in payloads:
            spans += len(decode(body, max_chars)[0])
        per_span.append((time.perf_counter() - started) / spans * 1e6)
    return statistics.median(per_span), spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--max-chars", type=int, default=32768)
    args = parser.parse_args()
    payloads = batches(args.batches)
    size = sum(map(len, payloads))
    print(f"{len(payloads)} batches, {size / len(payloads) / 1024:.0f} KiB per batch")
    if not AVAILABLE:
        print("native decoder not built: only the upb path can be measured")
    upb, spans = time_path(decode_upb, payloads, args.max_chars, args.runs)
    print(f"upb parse + Python walk: {upb:6.2f} µs/span ({1e6 / upb:>10,.0f} spans/s/core, {spans} spans)")
    if AVAILABLE:
        native, _ = time_path(decode_trace_bytes, payloads, args.max_chars, args.runs)
        print(f"native decoder:          {native:6.2f} µs/span ({1e6 / native:>10,.0f} spans/s/core)")
        print(f"speed-up: {upb / native:.1f}x")


if __name__ == "__main__":
    main()
