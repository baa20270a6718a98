"""Flattened, indexed attribute families (``prefix.N.field...``) back into lists.

OpenInference and OpenLLMetry both flatten lists into one attribute per leaf
(``llm.input_messages.0.message.role``, ``...message.tool_calls.1.tool_call.id``).
Producers may send indices out of order, with gaps, or with garbage where
the index should be.  An index is accepted only in canonical form (ASCII
digits, no leading zero, at most six digits), groups come back sorted by
index, gaps simply vanish, and every key that does not fit or that no
builder reads is handed back (``leftover``) so the caller keeps it in
``attributes``.

No regexes, and the key parsing is done once per attribute-key shape: a
group is ``(index, fields, nested)`` where ``fields`` maps the rest of the key
to its value and ``nested`` maps one of the ``nested`` prefixes to
``{j: {leaf: value}}`` (``j`` in index order).
"""

from __future__ import annotations

from typing import Any

Leftover = list[tuple[str, Any]]
Group = tuple[str, dict[str, Any], dict[str, dict[str, dict[str, Any]]]]
_MAX_INDEX_DIGITS = 6


Template = tuple[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]], ...]], ...]


def _index_ok(idx: str) -> bool:
    """Canonical indices only, so that a key rebuilt from (index, field) is the key that came in."""
    return 0 < len(idx) <= _MAX_INDEX_DIGITS and idx.isascii() and idx.isdigit() and (idx[0] != "0" or idx == "0")


def layout(items: list[tuple[str, str]], nested: tuple[str, ...]) -> tuple[Template, tuple[str, ...]]:
    """``[(full_key, "N.rest")]`` → (a template of the groups in index order, keys that fit no group).

    Computed once per attribute-key shape (the caller caches it); :func:`materialize`
    then fills it with one span's values.
    """
    groups: dict[int, tuple[str, list[tuple[str, str]], dict[str, dict[int, tuple[str, list[tuple[str, str]]]]]]] = {}
    bad: list[str] = []
    for full, suffix in items:
        idx, _, rest = suffix.partition(".")
        if not rest or not _index_ok(idx):
            bad.append(full)
            continue
        g = groups.get(int(idx))
        if g is None:
            g = groups[int(idx)] = (idx, [], {})
        if nested and rest.startswith(nested):
            p = next(p for p in nested if rest.startswith(p))
            j, _, leaf = rest[len(p):].partition(".")
            if not leaf or not _index_ok(j):
                bad.append(full)
                continue
            g[2].setdefault(p, {}).setdefault(int(j), (j, []))[1].append((leaf, full))
        else:
            g[1].append((rest, full))
    template = tuple(
        (idx, tuple(fields), tuple((p, tuple((by_j[j][0], tuple(by_j[j][1])) for j in sorted(by_j)))
                                   for p, by_j in sub.items()))
        for idx, fields, sub in (groups[i] for i in sorted(groups))
    )
    return template, tuple(bad)


def materialize(template: Template, attrs: dict[str, Any]) -> list[Group]:
    """One span's values poured into a cached :func:`layout` template (fresh dicts: builders pop them)."""
    return [
        (idx, {f: attrs[k] for f, k in fields},
         {p: {j: {leaf: attrs[k] for leaf, k in leaves} for j, leaves in rows} for p, rows in sub} if sub else {})
        for idx, fields, sub in template
    ]


def nested_rows(g: Group, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """The nested rows of one group under ``prefix``, in index order."""
    by_j = g[2].get(prefix)
    return list(by_j.items()) if by_j else []


def unused(family: str, g: Group, leftover: Leftover) -> None:
    """Hand back whatever no builder popped, under its original key."""
    idx, fields, nested = g
    head = f"{family}{idx}."
    for k, v in fields.items():
        leftover.append((head + k, v))
    for p, by_j in nested.items():
        for j, leaf_map in by_j.items():
            for leaf, v in leaf_map.items():
                leftover.append((f"{head}{p}{j}.{leaf}", v))
