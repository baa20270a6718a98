"""Headless Debian Chromium driven by Playwright for Python (never a downloaded browser)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> Path | None:
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


@contextmanager
def launch() -> Iterator[Any]:
    """A Chromium with a fresh, throw-away profile directory; closed (and the profile removed) on exit."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("Chromium is not installed: run scripts/setup.sh test (it installs Debian's chromium)")
    with tempfile.TemporaryDirectory(prefix="genlens-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(profile, executable_path=str(exe), args=ARGS, headless=True)
        try:
            yield _Browser(context)
        finally:
            context.close()


class _Browser:
    """The persistent context behaves like a browser whose new_context() hands out fresh pages."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def new_context(self, viewport: dict[str, int] | None = None) -> Any:
        return _Ctx(self._context, viewport)


class _Ctx:
    def __init__(self, context: Any, viewport: dict[str, int] | None) -> None:
        self._context, self._viewport, self._pages = context, viewport, []

    def new_page(self) -> Any:
        page = self._context.new_page()
        if self._viewport:
            page.set_viewport_size(self._viewport)
        self._pages.append(page)
        return page

    def close(self) -> None:
        for page in self._pages:
            page.close()
