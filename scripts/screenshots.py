"""Regenerate the UI screenshots in docs/screenshots/ with headless Chromium.

Starts ``genlens serve`` on a fresh data directory, fills it with realistic agent
traces over OTLP (``genlens demo`` when that command exists, the test workload
otherwise), and photographs every page at 1280 px and 1920 px width.

    python scripts/screenshots.py [--url http://127.0.0.1:4318] [--out docs/screenshots] [--widths 1280,1920]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ui.browser import launch  # noqa: E402
from tests.ui.workload import fill_server, pick_pages  # noqa: E402


def shoot(url: str, out: Path, widths: list[int]) -> list[Path]:
    pages = pick_pages(url)
    written: list[Path] = []
    with launch() as browser:
        for width in widths:
            ctx = browser.new_context(viewport={"width": width, "height": 900 if width < 1600 else 1080})
            page = ctx.new_page()
            for name, path, full in pages:
                page.goto(url + path, wait_until="networkidle")
                if name == "trace-span":  # show the conversation: scroll the span panel to its messages
                    page.wait_for_selector(".sp")
                    heading = page.locator("#span-panel h3", has_text="Messages")
                    if heading.count():
                        heading.first.evaluate("el => el.closest('#span-panel').scrollTop = el.offsetTop - 8")
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=full)
                written.append(target)
            ctx.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running, already filled server (default: start and fill one)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--widths", default="1280,1920")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    widths = [int(w) for w in args.widths.split(",")]
    if args.url:
        written = shoot(args.url.rstrip("/"), out, widths)
    else:
        from tests.conftest import free_port, start_server

        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            demo = [sys.executable, "-m", "genlens", "demo"]
            has_demo = subprocess.run([*demo, "--help"], capture_output=True).returncode == 0
            if has_demo:  # the demo's backfilled history, written through its own server, then served here
                subprocess.run([*demo, "--duration", "0", "--backfill", "3d", "--seed", "7", "--data", str(data),
                                "--port", str(free_port())], check=True, capture_output=True)
            server = start_server(data, extra_env={"GENLENS_LOG_LEVEL": "warning"})
            try:
                if not has_demo:
                    fill_server(server.url)
                written = shoot(server.url, out, widths)
            finally:
                server.stop()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
