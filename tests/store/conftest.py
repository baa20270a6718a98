"""The backends the store contract suite runs on, and how a test opens a fresh one.

To add a backend: add its name to BACKENDS and a branch to ``open_store``; every
test that takes ``backend`` (or the fixtures built on it) then runs on it too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from genlens.store.base import Store
from genlens.store.duckdb import DuckDBStore

BACKENDS = ("duckdb",)


def open_store(backend: str, directory: Path) -> Store:
    """A fresh, empty store of ``backend`` with its files in ``directory``."""
    if backend == "duckdb":
        return DuckDBStore(directory / "store.duckdb")
    raise ValueError(f"unknown store backend {backend!r}")


@pytest.fixture(params=BACKENDS, scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_store(backend: str, tmp_path: Path) -> Callable[[str], Store]:
    """``new_store(name)`` opens a fresh store of the backend under test (closed by the test)."""

    def make(name: str) -> Store:
        directory = tmp_path / name
        directory.mkdir()
        return open_store(backend, directory)

    return make
