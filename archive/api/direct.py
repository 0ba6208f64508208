"""The lookups clients make by the thousand (CDX, TimeMap) sent straight to their handlers.

A CDX query went through Starlette's exception and exit-stack middleware, its router and
FastAPI's parameter solving (ten query parameters, each checked for being a sequence, a
model, a file ... on every request) before ``cdx_api`` ran: about half of the server's CPU
time per lookup. :class:`DirectLookups`, a pure ASGI middleware (one hook: pick the handler),
asks the application's own routes which one matches, exactly as the router would, and when
it is one of the lookup routes calls its handler in a small pool of its own, with the same error
answers (``HTTPException`` as FastAPI writes it, ``EdittrailError`` by
``archive.api.failures``). Anything else, and any request it does not recognise, goes
through the full stack. It sits inside Starlette's ServerErrorMiddleware, so a bug is still
a logged 500.

Lookups run in :data:`LOOKUP_THREADS` threads of their own, not in Starlette's pool of 40: a
lookup is a few hundred microseconds of CPU under the GIL, so sixteen clients served by sixteen
threads spent their time handing the GIL over (2.5x the CPU per request, p99 61 ms at 1M
captures); queued for two threads they wait their turn instead, and the pages, which can be
slow, keep Starlette's pool to themselves.

The handlers read their query parameters themselves (``archive.api.cdx.build_query`` checks
every one and answers 400 naming it); the FastAPI routes keep their full signatures for the
OpenAPI schema and call the same handlers.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from archive.api import failures
from archive.errors import EdittrailError

Handler = Callable[..., Response]
LOOKUP_THREADS = 2
"""Threads that answer lookups: one in SQLite while the other runs Python (see the module's doc)."""


class DirectLookups:
    """Pure ASGI middleware: requests whose route's endpoint is a key of ``handlers`` run that
    handler (called with the request and the route's path parameters) in the lookup threads."""

    def __init__(self, app: ASGIApp, handlers: Mapping[Callable[..., Any], Handler]) -> None:
        self.app = app
        self.handlers = dict(handlers)
        self.pool = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="edittrail-lookup")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._handler(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        handler, child = found
        scope.update(child)
        request = Request(scope, receive)
        try:
            call = functools.partial(handler, request, **child["path_params"])
            context = contextvars.copy_context()
            response = await asyncio.get_running_loop().run_in_executor(self.pool, context.run, call)
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
