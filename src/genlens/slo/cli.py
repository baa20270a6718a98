"""``genlens slo check FILE`` and ``genlens slo rules FILE``: SLO files before a server or Prometheus uses them.

``rules`` writes Prometheus recording and alerting rules over the ``/metrics``
series in Sloth's names (``--out FILE``, default stdout); an SLO that cannot be
written as PromQL over those series is named on stderr with the reason, and the
command exits 1 if none could be written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("slo", help="check SLO files; export them as Prometheus rules",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="slo_command", metavar="ACTION")
    check = commands.add_parser("check", help="validate an SLO file (genlens, Sloth prometheus/v1 or OpenSLO)")
    check.add_argument("file")
    check.set_defaults(func=_check)
    rules = commands.add_parser("rules", help="write Prometheus rules (Sloth names) for the SLOs of a file")
    rules.add_argument("file")
    rules.add_argument("--out", default=None, help="file to write (default: standard output)")
    rules.set_defaults(func=_rules)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _check(args: argparse.Namespace) -> int:
    from genlens.slo.spec import load_file

    slos = load_file(args.file)
    print(f"{args.file}: OK, {len(slos)} SLO(s)")
    for slo in slos:
        how = "computed by genlens" if slo.computed_by_genlens else "PromQL, computed by Prometheus"
        print(f"  {slo.id}: objective {slo.objective * 100:g}% over {slo.period_s // 86400}d ({how})")
    return 0


def _rules(args: argparse.Namespace) -> int:
    import yaml

    from genlens.slo.rules import rules_document
    from genlens.slo.spec import load_file

    doc, skipped = rules_document(load_file(args.file))
    for reason in skipped:
        print(f"genlens slo rules: left out: {reason}", file=sys.stderr)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"{args.out}: {len(doc['groups']) // 3} SLO(s), {sum(len(g['rules']) for g in doc['groups'])} rules",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0 if doc["groups"] else 1
