"""``/docs``: Swagger UI served from the package, so the API's documentation works offline.

FastAPI's default page loads Swagger UI's script and stylesheet from a public CDN: behind a
firewall, on a laptop without network or in an air-gapped cluster the page is blank. The assets
come from ``swagger-ui-bundle-v2`` (a dependency) and are served under ``/docs/assets``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

__all__ = ["ASSETS", "install"]

ASSETS = "/docs/assets"


def install(app: FastAPI, *, title: str) -> None:
    """Serve ``/docs`` (Swagger UI over ``app.openapi_url``) and its assets from the package."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
