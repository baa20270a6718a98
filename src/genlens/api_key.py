"""The API key a command-line client sends to a server (``--server URL``): ``GENLENS_API_KEY``.

Read from the environment rather than a flag, so it never shows in a process list or a shell history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

ENV = "GENLENS_API_KEY"


def auth_headers(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``Authorization: Bearer …`` when ``GENLENS_API_KEY`` is set, else nothing."""
    key = (os.environ if environ is None else environ).get(ENV, "").strip()
    return {"Authorization": f"Bearer {key}"} if key else {}
