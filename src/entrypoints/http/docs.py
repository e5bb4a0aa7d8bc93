"""The /docs and /redoc pages, with their JavaScript and CSS served by the service itself.

FastAPI's defaults load them from a CDN, which leaves the pages blank offline or behind a
firewall. The files come from the fastapi-offline package, pinned in pyproject.toml, so the
pages cannot change under users.
"""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
# The browser may load nothing from elsewhere: ReDoc's bundle, for one, links a logo on a CDN.
# Both UIs start from inline script and style, and ReDoc searches in a blob worker.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)
_FAVICON = f"{ASSETS}/favicon.png"
_ASSET_FOLDER = Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages on an app made with `docs_url=None, redoc_url=None`."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    app.mount(ASSETS, StaticFiles(directory=_ASSET_FOLDER), name="docs-assets")

    # Built once: nothing in them changes while the app runs.
    swagger_ui = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=oauth2_redirect_url,
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=_FAVICON,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    redoc = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=_FAVICON,
        with_google_fonts=False,
    )
    _serve(app, "/docs", swagger_ui.body, locked_down=True)
    _serve(app, "/redoc", redoc.body, locked_down=True)
    _serve(app, oauth2_redirect_url, get_swagger_ui_oauth2_redirect_html().body, locked_down=False)


def _serve(app: FastAPI, path: str, page: bytes | memoryview, *, locked_down: bool) -> None:
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY} if locked_down else None

    async def serve() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    app.add_api_route(path, serve, methods=["GET"], name=path, include_in_schema=False)
