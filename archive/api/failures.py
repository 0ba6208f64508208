"""How the service's errors become HTTP answers: a status, and a JSON ``detail`` saying what to do.

- 400: the client's mistake (a bad URL, CDX parameter, Accept-Datetime or search);
- 503 with Retry-After: the request ran out of its time budget, or every decoding slot was
  busy; it may succeed later, or narrowed. 503 without: the index is unusable (missing, wrong
  schema, out of step with the WARCs: the message says what to run);
- 502: an archived record that cannot be served: damaged, or (``if_``) a body too large
  once decoded. The fault is in what was archived, not in the request; ``id_`` still serves
  the stored bytes when they are whole.

Anything else escaping a route is a bug, and Starlette answers it 500.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from archive.api import articles, cdx, inflate, memento
from archive.api.budget import QueryTimeoutError
from archive.api.urls import BadUrlError
from archive.errors import ArchiveIndexError, EdittrailError

log = logging.getLogger(__name__)

CLIENT_ERRORS = (cdx.CdxQueryError, memento.BadDatetimeError, articles.BadSearchError, BadUrlError)
BUSY_ERRORS = (QueryTimeoutError, inflate.DecodeBusyError)
RETRY_AFTER_SECONDS = 10


async def answer(request: Request, exc: EdittrailError) -> Response:
    """The HTTP answer to an EdittrailError a route raised (see the module docstring)."""
    detail = {"detail": str(exc)}
    if isinstance(exc, CLIENT_ERRORS):
        return JSONResponse(detail, status_code=400)
    if isinstance(exc, BUSY_ERRORS):
        log.warning("request stopped path=%s: %s", request.url.path, exc)
        return JSONResponse(detail, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, inflate.BodyTooLargeError):
        log.warning("archived body refused path=%s: %s", request.url.path, exc)
    else:
        log.error("request failed path=%s: %s", request.url.path, exc)
    return JSONResponse(detail, status_code=503 if isinstance(exc, ArchiveIndexError) else 502)
