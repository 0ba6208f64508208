"""How the service's errors become HTTP answers: a status, and a JSON ``detail`` saying what to do.

- 400: the client's mistake (a bad URL, CDX parameter, Accept-Datetime or search);
- 503 with Retry-After: the request ran out of its time budget, or every decoding slot was
  busy; it may succeed later, or narrowed. 503 without: the index is unusable (missing, wrong
  schema, out of step with the WARCs: the message says what to run);
- 502: an archived record that cannot be served: damaged, or (``if_``) a body too large
  once decoded. The fault is in what was archived, not in the request; ``id_`` still serves
  the stored bytes when they are whole.

Anything else escaping a route is a bug, and Starlette answers it 500.

The web pages (the routes of ``archive.api.ui``, ``ui_outlet`` and ``ui_article``) answer
their errors as an HTML page (``error.html``: the status, the message, a link home); the
machine routes (CDX, TimeMap, ``/api/*``, the feeds and exports, and the Memento TimeGate and
replay, whose clients read the JSON) keep their JSON answers. Which is which is decided by
the route that matched (``PageRoutes``), never by guessing from the Accept header.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from archive.api import articles, cdx, inflate, memento
from archive.api.budget import QueryTimeoutError
from archive.api.deps import APP_PAGE_HEADERS, archive_of
from archive.api.templating import templates
from archive.api.urls import BadUrlError
from archive.errors import ArchiveIndexError, EdittrailError
from archive.moments import BadTimeError
from archive.read.change_rows import BadFilterError

log = logging.getLogger(__name__)

CLIENT_ERRORS = (
    cdx.CdxQueryError,
    memento.BadDatetimeError,
    articles.BadSearchError,
    BadFilterError,
    BadTimeError,
    BadUrlError,
)
BUSY_ERRORS = (QueryTimeoutError, inflate.DecodeBusyError)
RETRY_AFTER_SECONDS = 10


MACHINE_SUFFIXES = (".atom", ".csv", ".jsonl")


class PageRoutes:
    """The endpoints whose errors are HTML pages: the given routes', less feeds and exports."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self.endpoints = {
            route.endpoint
            for route in routes
            if not getattr(route, "path", "").endswith(MACHINE_SUFFIXES) and hasattr(route, "endpoint")
        }

    def is_page(self, request: Request) -> bool:
        return request.scope.get("endpoint") in self.endpoints


def _is_page(request: Request) -> bool:
    pages: PageRoutes | None = getattr(request.app.state, "page_routes", None)
    return pages is not None and pages.is_page(request)


def error_page(request: Request, status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The HTML answer of a page route's error: its status, what was wrong, and a way home."""
    config = archive_of(request).config
    context: dict[str, Any] = {"status": status_code, "message": message, "outlets": config.outlets}
    named = str(request.path_params.get("outlet", ""))
    if named in config.outlets:
        context["outlet"] = config.outlets[named]
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status_code, headers={**APP_PAGE_HEADERS, **(headers or {})}
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """An HTTPException (404 no such collection, article or capture; 400 ...): a page on a page route."""
    if _is_page(request):
        return error_page(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))
    return await http_exception_handler(request, exc)


async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """A query parameter FastAPI could not read (``?a=x`` for a version number): on a page route a
    400 page naming the parameter, elsewhere FastAPI's 422 JSON."""
    if not _is_page(request):
        return await request_validation_exception_handler(request, exc)
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    ]
    return error_page(request, 400, "; ".join(problems) or "invalid request")


async def answer(request: Request, exc: EdittrailError) -> Response:
    """The HTTP answer to an EdittrailError a route raised (see the module docstring)."""
    detail = {"detail": str(exc)}
    if isinstance(exc, CLIENT_ERRORS):
        if _is_page(request):
            return error_page(request, 400, str(exc))
        return JSONResponse(detail, status_code=400)
    if isinstance(exc, BUSY_ERRORS):
        log.warning("request stopped path=%s: %s", request.url.path, exc)
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if _is_page(request):
            return error_page(request, 503, str(exc), retry)
        return JSONResponse(detail, status_code=503, headers=retry)
    if isinstance(exc, inflate.BodyTooLargeError):
        log.warning("archived body refused path=%s: %s", request.url.path, exc)
    else:
        log.error("request failed path=%s: %s", request.url.path, exc)
    return JSONResponse(detail, status_code=503 if isinstance(exc, ArchiveIndexError) else 502)
