"""``genlens keys create|list|revoke``: manage the API keys of a data directory (see genlens.server.keys).

The keys file is changed atomically under a lock, so these work while the
server runs; it picks the change up within a second.  Creating the first key
turns access control on: from then on every request needs a key (an admin
key first, so someone can still manage everything).  The token is printed once
and never stored; keep it in a secret store.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from genlens.server.content_key_cli import register_rotate
from genlens.server.keys import ROLES, Key, create_key, list_keys, revoke_key
from genlens.settings import resolve
from genlens.timeparse import iso


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("keys", help="API keys (create, list, revoke) and content key rotation",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)

    def where(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--data", metavar="DIR", help="data directory (default: the server's, from settings)")
        sub.add_argument("--keys-file", dest="keys_file", metavar="FILE", help="the keys file (access.keys_file)")
        sub.add_argument("--config", type=Path, help="YAML settings file (env GENLENS_CONFIG)")

    create = commands.add_parser("create", help="create a key and print its token (shown once)")
    create.add_argument("--name", required=True, help="who or what uses it (shown in lists and the audit log)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--tenant", action="append", default=[], metavar="TENANT",
                        help="a tenant the key covers (repeat for several; none for admin keys)")
    create.add_argument("--format", choices=("text", "json"), default="text")
    where(create)
    create.set_defaults(func=run_create)

    listing = commands.add_parser("list", help="list keys (never their tokens)")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    where(listing)
    listing.set_defaults(func=run_list)

    revoke = commands.add_parser("revoke", help="revoke a key by id (its sessions end too)")
    revoke.add_argument("key_id", metavar="ID")
    where(revoke)
    revoke.set_defaults(func=run_revoke)
    register_rotate(commands)


def keys_path(args: argparse.Namespace) -> Path:
    settings = resolve({"data": args.data, "access.keys_file": args.keys_file}, config_file=args.config)
    return settings.access.keys_path(settings.data)


def _when(ns: int | None) -> str:
    return "-" if ns is None else iso(ns)


def run_create(args: argparse.Namespace) -> int:
    path = keys_path(args)
    key, token = create_key(path, args.name, args.role, args.tenant)
    if args.format == "json":
        sys.stdout.write(orjson.dumps({**key.public(), "token": token}).decode() + "\n")
    else:
        sys.stdout.write(f"created key {key.id} ({key.role}, tenants {', '.join(key.tenants)}) in {path}\n"
                         f"token (shown once): {token}\n"
                         f"send it as: Authorization: Bearer {token}\n")
    return 0


def _row(key: Key) -> str:
    state = "live" if key.live else f"revoked {_when(key.revoked_ns)}"
    return f"{key.id}  {key.role:<12}  {','.join(key.tenants):<24}  {_when(key.created_ns)}  {state}  {key.name}"


def run_list(args: argparse.Namespace) -> int:
    keys = [k for k in list_keys(keys_path(args)) if args.all or k.live]
    if args.format == "json":
        sys.stdout.write(orjson.dumps([k.public() for k in keys]).decode() + "\n")
    else:
        sys.stdout.write("".join(_row(k) + "\n" for k in keys) or "no keys\n")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    key = revoke_key(keys_path(args), args.key_id)
    sys.stdout.write(f"revoked key {key.id} ({key.name}) at {_when(key.revoked_ns)}\n")
    return 0
