"""What every route of the service reads from its request: the shared :class:`Archive` (config,
the outlets' stores, the read-only index, the time budgets, the public URL), the collection's
links, and the headers of the service's own pages.

``archive.api.app`` builds the application and puts the :class:`Archive` in its state; the
routers (``archive.api.ui``, ``ui_outlet``, ``ui_article``) and the error pages
(``archive.api.failures``) read it from here, so none of them imports the app that includes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException, Request

from archive.api import memento
from archive.api.budget import QUERY_SECONDS, REQUEST_SECONDS, Deadline
from archive.api.origin import checked_public_url, service_base
from archive.api.readers import Readers
from archive.config import Config, Outlet
from archive.index import Index
from archive.storage import ObjectStore

APP_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""The headers of every page the service renders itself (not of archived responses)."""


class Archive:
    """What the routes share: the config, the outlets' stores, the read-only index connections,
    the time budget of a query and the service's public URL (when it has one)."""

    def __init__(self, config: Config, *, public_url: str | None = None, query_seconds: float = QUERY_SECONDS) -> None:
        self.config = config
        self.public_url = checked_public_url(public_url)
        self.query_seconds = query_seconds
        self._stores: dict[str, ObjectStore] = {}
        self._readers = Readers(config.index_path)

    def outlet(self, name: str) -> Outlet:
        if name not in self.config.outlets:
            raise HTTPException(404, f"no collection {name!r}; collections: {', '.join(sorted(self.config.outlets))}")
        return self.config.outlets[name]

    def query_deadline(self, what: str) -> Deadline:
        """The budget of a CDX, TimeMap or replay lookup."""
        return Deadline(self.query_seconds, what=what)

    @contextmanager
    def index(self, deadline: Deadline | None = None) -> Iterator[Index]:
        """The index, read-only, its statements stopped past ``deadline`` (a generous one by default)."""
        deadline = deadline or Deadline(REQUEST_SECONDS, what="the request")
        idx = self._readers.get()
        with deadline.guard(idx):
            yield idx

    def store(self, outlet: Outlet) -> ObjectStore:
        if outlet.name not in self._stores:
            from archive.config import store_for

            self._stores[outlet.name] = store_for(self.config, outlet)
        return self._stores[outlet.name]


def archive_of(request: Request) -> Archive:
    return request.app.state.archive  # type: ignore[no-any-return]


def links_for(request: Request, outlet: Outlet) -> memento.Links:
    """Absolute URIs of the collection's resources, on the service's trusted origin (``archive.api.origin``)."""
    base = service_base(request.scope, archive_of(request).public_url)
    return memento.Links(f"{base}/{outlet.name}/")


def redirects_for(request: Request, outlet: Outlet) -> memento.Links:
    """Path-absolute URIs of the collection's resources, for ``Location``: valid whatever host the client used."""
    root = str(request.scope.get("root_path") or "").rstrip("/")
    return memento.Links(f"{root}/{outlet.name}/")
