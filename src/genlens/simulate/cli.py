"""``genlens simulate``: run the simulated OpenAI/Anthropic provider in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from genlens.errors import ConfigError
from genlens.simulate.config import SimulatorConfig


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="Run a simulated OpenAI/Anthropic provider with fault injection.",
        description="Serve the OpenAI Chat Completions, Responses and Embeddings APIs and the Anthropic "
                    "Messages API on HTTP with deterministic answers, latency profiles and fault injection. "
                    "Prints 'genlens simulate listening on URL' once ready.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=8090, help="Port to bind; 0 picks a free one (default 8090).")
    parser.add_argument("--config", type=Path, default=None, help="YAML file: seed, models, faults, knobs.")
    parser.add_argument("--latency-scale", type=float, default=None,
                        help="Multiply every simulated latency (0 = never sleep); overrides the file.")
    parser.add_argument("--seed", type=int, default=None, help="Seed of the fault dice; overrides the file.")
    parser.add_argument("--log-level", default="warning", help="Server log level (default warning).")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from genlens.simulate.server import serve_forever

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port out of range: {args.port}")
    config = SimulatorConfig.from_file(args.config) if args.config else SimulatorConfig()
    overrides: dict[str, Any] = {}
    if args.latency_scale is not None:
        if not args.latency_scale >= 0:
            raise ConfigError(f"--latency-scale must be >= 0, got {args.latency_scale}")
        overrides["latency_scale"] = args.latency_scale
    if args.seed is not None:
        overrides["seed"] = args.seed
    if overrides:
        from dataclasses import replace

        config = replace(config, **overrides)
    return serve_forever(args.host, args.port, config, args.log_level)
