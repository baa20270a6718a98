"""Start-up cost of ``genlens --help`` against a bare interpreter, measured in the same run.

Run: ``.venv/bin/python bench/cli_help.py [--runs N]``.  Prints the median wall time of
``python -m genlens --help`` and of ``python -c pass`` over N interleaved runs, and their
ratio (target: at most 10x). The machine's load moves both medians alike, so the ratio is
the figure to compare between runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    help_cmd = [sys.executable, "-m", "genlens", "--help"]
    bare_cmd = [sys.executable, "-c", "pass"]
    helps: list[float] = []
    bares: list[float] = []
    for _ in range(args.runs):  # interleaved, so a burst of load hits both series
        helps.append(_wall(help_cmd))
        bares.append(_wall(bare_cmd))
    h, b = statistics.median(helps), statistics.median(bares)
    print(f"genlens --help  median {h * 1000:8.1f} ms over {args.runs} runs")
    print(f"python -c pass  median {b * 1000:8.1f} ms over {args.runs} runs")
    print(f"ratio           {h / b:8.1f}x (target <= 10x)")


if __name__ == "__main__":
    main()
