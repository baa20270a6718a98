"""Stores filled with the seeded two-week workload, built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genlens.pricing import PriceBook, apply_costs
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from tests.cost.workload import PRICE_FILE, Plants, expected_cost, generate


@dataclass
class Filled:
    store: DuckDBStore
    rows: list[dict[str, Any]]  # as stored, plus the private _price_key
    price_file: Path


def fill(path: Path, plants: Plants) -> Filled:
    price_file = path / "prices.yaml"
    path.mkdir(parents=True, exist_ok=True)
    price_file.write_text(PRICE_FILE)
    book = PriceBook.load(price_file)
    rows = generate(plants=plants)
    store = DuckDBStore(path / "genlens.duckdb")
    chunk = 50_000
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]  # private "_" keys are not columns: the store ignores them
        apply_costs(part, book)  # the ingest pipeline's pricing stage, in place
        store.write(WriteBatch(spans=part))
    for row in rows:
        row["_expected"] = expected_cost(row) if row["kind"] == "llm" else None
    return Filled(store, rows, price_file)


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    filled = fill(tmp_path_factory.mktemp("planted"), Plants())
    yield filled
    filled.store.close()


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    filled = fill(tmp_path_factory.mktemp("clean"), Plants(False, False, False))
    yield filled
    filled.store.close()
