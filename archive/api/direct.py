"""The lookups clients make by the thousand (CDX, TimeMap) sent straight to their handlers.

A CDX query went through Starlette's exception and exit-stack middleware, its router and
FastAPI's parameter solving (ten query parameters, each checked for being a sequence, a
model, a file ... on every request) before ``cdx_api`` ran: about half of the server's CPU
time per lookup. :class:`DirectLookups`, a pure ASGI middleware (one hook: pick the handler),
asks the application's own routes which one matches, exactly as the router would, and when
it is one of the lookup routes calls its handler in the same thread pool, with the same error
answers (``HTTPException`` as FastAPI writes it, ``EdittrailError`` by
``archive.api.failures``). Anything else, and any request it does not recognise, goes
through the full stack. It sits inside Starlette's ServerErrorMiddleware, so a bug is still
a logged 500.

The handlers read their query parameters themselves (``archive.api.cdx.build_query`` checks
every one and answers 400 naming it); the FastAPI routes keep their full signatures for the
OpenAPI schema and call the same handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from archive.api import failures
from archive.errors import EdittrailError

Handler = Callable[..., Response]


class DirectLookups:
    """Pure ASGI middleware: requests whose route's endpoint is a key of ``handlers`` run that
    handler (called with the request and the route's path parameters) in the thread pool."""

    def __init__(self, app: ASGIApp, handlers: Mapping[Callable[..., Any], Handler]) -> None:
        self.app = app
        self.handlers = dict(handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._handler(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        handler, child = found
        scope.update(child)
        request = Request(scope, receive)
        try:
            response = await run_in_threadpool(handler, request, **child["path_params"])
        except HTTPException as exc:
            response = await http_exception_handler(request, exc)
        except EdittrailError as exc:
            response = await failures.answer(request, exc)
        await response(scope, receive, send)

    def _handler(self, scope: Scope) -> tuple[Handler, dict[str, Any]] | None:
        """The handler of the route the router would choose, when that route is a lookup."""
        for route in scope["app"].router.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                handler = self.handlers.get(getattr(route, "endpoint", None))  # type: ignore[arg-type]
                return (handler, child) if handler is not None else None
            if match is Match.PARTIAL:  # e.g. HEAD on a GET route: the router looks further on
                return None
        return None
