"""``genlens demo``: the README's first command."""

from __future__ import annotations

import argparse
import math
from typing import Any

from genlens.errors import BadRequest, ConfigError

MAX_BACKFILL_NS = 7 * 86400 * 1_000_000_000


def register(subparsers: Any) -> None:
    from genlens.demo.scenarios import SCENARIOS

    parser = subparsers.add_parser(
        "demo", help="run genlens with an instrumented demo app against a simulated LLM provider",
        description="Start genlens serve and a simulated OpenAI/Anthropic provider, run an instrumented support "
                    "assistant against them and show progress; Ctrl-C stops everything cleanly. Prints "
                    "'genlens demo: first traces stored' once data can be read back.")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="run this long, then stop (default: until Ctrl-C; 0 = only the backfill)")
    parser.add_argument("--rate", type=float, default=2.0, metavar="RPS", help="requests per second (default 2)")
    parser.add_argument("--backfill", default=None, metavar="SPAN",
                        help="first write this much history, e.g. 7d or 12h (at most 7d)")
    parser.add_argument("--backfill-rate", dest="backfill_rate", type=float, default=12.0, metavar="PER_HOUR",
                        help="average backfilled requests per hour (default 12)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default=None,
                        help="plant an incident (in the backfilled history, else live) and write its ground truth")
    parser.add_argument("--host", help="interface the server binds (as for serve)")
    parser.add_argument("--port", help="server HTTP port (as for serve; default 4318)")
    parser.add_argument("--data", help="data directory (as for serve)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the traffic and the simulator (default 7)")
    parser.add_argument("--latency-scale", dest="latency_scale", type=float, default=1.0,
                        help="multiply the simulated provider's live latencies (default 1)")
    parser.set_defaults(func=run)


def options(args: argparse.Namespace) -> Any:
    import importlib.util

    from genlens.demo.run import DemoOptions
    from genlens.demo.scenarios import get
    from genlens.settings import resolve
    from genlens.timeparse import parse_duration

    missing = [name for name in ("openai", "anthropic") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"genlens demo needs the {' and '.join(missing)} package(s): "
                          f"pip install 'genlens[demo]' (scripts/setup.sh installs them)")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration >= 0):
        raise ConfigError(f"--duration must be a number of seconds >= 0, got {args.duration}")
    if not (math.isfinite(args.rate) and 0 < args.rate <= 200):
        raise ConfigError(f"--rate must be above 0 and at most 200 requests/s, got {args.rate}")
    if not (math.isfinite(args.backfill_rate) and 0 < args.backfill_rate <= 10_000):
        raise ConfigError(f"--backfill-rate must be above 0 and at most 10000 per hour, got {args.backfill_rate}")
    if not (math.isfinite(args.latency_scale) and 0 <= args.latency_scale <= 100):
        raise ConfigError(f"--latency-scale must be within 0..100, got {args.latency_scale}")
    backfill_ns = 0
    if args.backfill is not None:
        try:
            backfill_ns = parse_duration(args.backfill)
        except BadRequest as exc:
            raise ConfigError(f"--backfill: {exc}") from exc
        if not 0 < backfill_ns <= MAX_BACKFILL_NS:
            raise ConfigError(f"--backfill must be above 0 and at most 7d, got {args.backfill!r}")
    if args.duration == 0 and not backfill_ns:
        raise ConfigError("--duration 0 only makes sense with --backfill")
    settings = resolve({"host": args.host, "port": args.port, "data": args.data})
    return DemoOptions(
        host=settings.host, port=settings.port, data=settings.data, duration_s=args.duration, rate=args.rate,
        backfill_ns=backfill_ns, backfill_per_hour=args.backfill_rate,
        scenario=get(args.scenario) if args.scenario else None, seed=args.seed, latency_scale=args.latency_scale,
    )


def run(args: argparse.Namespace) -> int:
    from genlens.demo.run import run_demo

    return run_demo(options(args))
