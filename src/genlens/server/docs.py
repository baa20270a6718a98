"""The OpenAPI page (``/docs``, Swagger UI), served air-gapped.

FastAPI's own pages load their scripts from a CDN, so they stay blank on a
machine without internet.  The assets come instead from the installed
``fastapi-offline`` package (Swagger UI 5, which renders OpenAPI 3.1), mounted
under ``/static/docs``; the page is FastAPI's own template pointed at those
files, and no request leaves the server.  There is no ``/redoc``: ReDoc's page
still fetches its logo from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_URL = "/static/docs"


def assets_dir() -> Path:
    import fastapi_offline  # the package ships the assets; none of its code runs

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def mount_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Add ``/docs`` and ``/docs/oauth2-redirect`` to an app created with ``docs_url=None``."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets_dir())), name="docs-assets")
    title = f"{app.title} — API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=title, oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
