"""Fixtures for the UI tests: one live server filled over OTLP, one headless Chromium.

The browser tests need Debian's Chromium (``scripts/setup.sh test`` installs it); they
fail, never skip, when it is missing, so CI cannot pass without running them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LiveServer, start_server
from tests.ui.browser import chromium_path, launch
from tests.ui.workload import TraceBuilder, fill_server


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, list[TraceBuilder]]]:
    server = start_server(tmp_path_factory.mktemp("genlens-ui"), extra_env={"GENLENS_LOG_LEVEL": "warning"})
    try:
        built = fill_server(server.url)
        yield server, built
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is not installed (/usr/bin/chromium): run scripts/setup.sh test, which installs it")
    with launch() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    p.js_errors = errors
    yield p
    ctx.close()
