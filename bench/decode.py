"""Decode cost per span: protobuf's parser + Python walk (upb path) vs the native decoder.

Both paths turn the same serialized ``ExportTraceServiceRequest`` bodies (``bench.workload``:
batches of 512 realistic LLM spans) into ``RawSpan`` lists; each timing includes parsing and
freeing the result.  The two paths alternate run by run so that both see the same machine
load.  Reported: median and best µs/span, spans/s on one core, and the median ratio.

    python bench/decode.py [--batches 40] [--runs 9] [--max-chars 32768]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.workload import batches  # noqa: E402
from genlens.pipeline.fastdecode import AVAILABLE, decode_trace_bytes, decode_upb  # noqa: E402

Decoder = Callable[[bytes, int], tuple[list[Any], Any]]


def one_pass(decode: Decoder, payloads: list[bytes], max_chars: int) -> float:
    """µs per span for one pass over all payloads."""
    spans = 0
    started = time.perf_counter()
    for body in payloads:
        spans += len(decode(body, max_chars)[0])
    return (time.perf_counter() - started) / spans * 1e6


def report(name: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    print(f"{name:<26} median {median:6.2f} µs/span ({1e6 / median:>9,.0f} spans/s/core), "
          f"best {min(samples):6.2f} µs/span")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--max-chars", type=int, default=32768)
    args = parser.parse_args()
    payloads = batches(args.batches)
    first = decode_upb(payloads[0], args.max_chars)[0]
    attrs = statistics.mean(len(s.attributes) for s in first)
    size = sum(map(len, payloads)) / len(payloads) / 1024
    print(f"{len(payloads)} batches of {len(first)} spans, {size:.0f} KiB each, {attrs:.1f} attributes/span")
    if not AVAILABLE:
        print("native decoder not built: only the upb path is measured")
    upb: list[float] = []
    native: list[float] = []
    for _ in range(args.runs):
        upb.append(one_pass(decode_upb, payloads, args.max_chars))
        if AVAILABLE:
            native.append(one_pass(decode_trace_bytes, payloads, args.max_chars))
    report("upb parse + Python walk:", upb)
    if native:
        report("native decoder:", native)
        ratio = statistics.median(u / n for u, n in zip(upb, native, strict=True))
        print(f"speed-up (median of per-run ratios): {ratio:.1f}x")


if __name__ == "__main__":
    main()
