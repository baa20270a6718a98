"""``genlens serve``."""

from __future__ import annotations

import argparse
from pathlib import Path

from genlens.settings import resolve


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("serve", help="run the genlens server (OTLP receivers, REST API, UI)")
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1; env GENLENS_HOST)")
    parser.add_argument("--port", help="HTTP port: OTLP/HTTP, REST, UI (default 4318; env GENLENS_PORT)")
    parser.add_argument("--grpc-port", dest="grpc_port", help="OTLP/gRPC port, 0 = off (default 4317)")
    parser.add_argument("--data", help="directory of the DuckDB file (default: per-user data directory)")
    parser.add_argument("--prices", help="YAML/JSON price overrides file (env GENLENS_PRICES)")
    parser.add_argument("--config", type=Path, help="YAML settings file (env GENLENS_CONFIG)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from genlens.server.runtime import serve

    settings = resolve(
        {"host": args.host, "port": args.port, "grpc_port": args.grpc_port, "data": args.data,
         "prices": args.prices},
        config_file=args.config,
    )
    serve(settings)
    return 0
