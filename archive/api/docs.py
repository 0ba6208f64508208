"""``/docs``: Swagger UI from the installed ``swagger-ui-bundle``, so it works with no internet.

FastAPI's own ``/docs`` page loads Swagger UI's script, style sheet and icon from a public
CDN: offline (and no machine here reaches the internet) it is blank, and online it tells
the CDN who reads the archive's documentation. Here the same page loads them from
``/static/swagger-ui/``, files of the ``swagger-ui-bundle`` package, and no request leaves the
service's origin. Only the files the page needs are served (the bundle's own ``index.html``
would load a demo API from the internet). ReDoc, which has no such package, is not served.

The bundle is Swagger UI 4, which reads OpenAPI 3.0 but not the 3.1 FastAPI writes
(``/openapi.json`` stays 3.1). So the page loads ``/docs/openapi-3.0.json``: the same schema
with the one 3.1 construct FastAPI uses for these routes, ``anyOf: [X, {type: null}]``
(an optional parameter), written the 3.0 way, ``X`` with ``nullable: true``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # no type hints shipped

ASSETS = "/static/swagger-ui"
FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
SCHEMA_30 = "/docs/openapi-3.0.json"
OPENAPI_30 = "3.0.3"
PARAMETERS = {"validatorUrl": None}
"""Swagger UI would otherwise show a badge image fetched from validator.swagger.io."""
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Swagger UI starts from an inline script; whatever it loads, the browser fetches from this origin only."""


def install(app: FastAPI) -> None:
    """Add ``/docs``, its 3.0 schema and the Swagger UI files; call before routes that match ``/{outlet}``."""

    def page(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path") or "").rstrip("/")
        html = get_swagger_ui_html(
            openapi_url=root + SCHEMA_30,
            title=f"{app.title} - API documentation",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters=PARAMETERS,
        )
        html.headers.update(PAGE_HEADERS)
        return html

    def schema() -> JSONResponse:
        return JSONResponse(openapi_30(app.openapi()))

    def asset(name: str) -> FileResponse:
        if name not in FILES:
            raise HTTPException(404, f"no file {name!r} here")
        return FileResponse(swagger_ui_path / name, headers={"Cache-Control": "public, max-age=86400"})

    app.add_api_route("/docs", page, methods=["GET"], include_in_schema=False)
    app.add_api_route(SCHEMA_30, schema, methods=["GET"], include_in_schema=False)
    app.add_api_route(ASSETS + "/{name}", asset, methods=["GET", "HEAD"], include_in_schema=False)


def openapi_30(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 ``schema`` as Swagger UI 4 reads it: version 3.0.3, nullable instead of a null type."""
    converted = _nullable(schema)
    return {**converted, "openapi": OPENAPI_30}


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items()}
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and isinstance(rest[0], dict):
            out = {**rest[0], **out}
        elif rest:
            out["anyOf"] = rest
        out["nullable"] = True
    return out
