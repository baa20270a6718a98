"""``genlens prices``: check a price file and ask what a call costs, before a server relies on it."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from genlens.errors import ConfigError
from genlens.pricing import PriceBook, Usage

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(text: str) -> int:
    """``YYYY-MM-DD`` or an ISO datetime (UTC unless it says otherwise) → ns since the epoch."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _tokens(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of tokens: {text!r}") from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("prices", help="check a price file; price one call",
                                   description="Check a price file and ask what a call costs, "
                                               "before a server relies on it.")
    commands = parser.add_subparsers(dest="prices_command", metavar="ACTION")

    check = commands.add_parser("check", help="validate a YAML/JSON price file and list what it overrides")
    check.add_argument("file", type=Path)
    check.set_defaults(func=_check)

    cost = commands.add_parser("cost", help="price one call with the library and an optional price file")
    cost.add_argument("--prices", type=Path, default=None, help="YAML/JSON price file with overrides")
    cost.add_argument("--provider", default=None, help="e.g. openai, anthropic, aws.bedrock (optional)")
    cost.add_argument("--model", required=True)
    cost.add_argument("--input", type=_tokens, default=0, help="input tokens, INCLUDING cache read/write")
    cost.add_argument("--output", type=_tokens, default=0, help="output tokens, INCLUDING reasoning")
    cost.add_argument("--cache-read", type=_tokens, default=0)
    cost.add_argument("--cache-write", type=_tokens, default=0)
    cost.add_argument("--reasoning", type=_tokens, default=0)
    cost.add_argument("--at", type=_when, default=None, help="when the call happened (default: now)")
    cost.set_defaults(func=_cost)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _check(args: argparse.Namespace) -> int:
    book = PriceBook.load(args.file)
    models = sorted({f"{provider or '*'}/{model}" for provider, model in book.override_keys()})
    print(f"{args.file}: OK, {len(models)} model name(s) overridden")
    for name in models:
        print(f"  {name}")
    return 0


def _cost(args: argparse.Namespace) -> int:
    if args.at is not None and args.at < 0:
        raise ConfigError(f"--at: before 1970: {args.at}")
    book = PriceBook.load(args.prices)
    usage = Usage(args.input, args.output, args.cache_read, args.cache_write, args.reasoning)
    result = book.cost(args.provider, args.model, usage, args.at)
    print(json.dumps({"usd": result.usd, "source": result.source, "price_source": result.price_source,
                      "reason": result.reason}))
    return 0 if result.usd is not None else 1
