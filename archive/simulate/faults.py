"""Host- and transport-level behaviour of the simulated outlet: outages, seizures, slowness,
5xx answers and body encodings.

These are kept apart from :mod:`archive.simulate.site` because they concern how a host
answers, not what the outlet publishes: a mirror that is down or seized still "has" the
articles. Rules match a host and a request path; the newest matching rule wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload


@dataclass(frozen=True)
class Match:
    """Which requests a rule applies to: ``None`` matches any host or path; a path ending in
    ``*`` is a prefix, anything else must equal the request path (query excluded)."""

    host: str | None = None
    path: str | None = None

    def __call__(self, host: str, path: str) -> bool:
        if self.host is not None and self.host != host:
            return False
        if self.path is None:
            return True
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


@dataclass
class _Failure:
    match: Match
    status: int
    remaining: int | None


@dataclass(frozen=True)
class Encoding:
    """How one response body goes on the wire."""

    gzip: bool | None
    chunked: bool | None
    """None: the page's own choice (a noise profile's), else Content-Length framing."""


@dataclass(frozen=True)
class ServedRequest:
    """One request as the outlet saw it; ``status`` 0 means the connection was reset."""

    host: str
    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class RequestLog(Sequence[ServedRequest]):
    """A thread-safe, append-only record of served requests, in the order they were answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[ServedRequest] = []

    def append(self, item: ServedRequest) -> None:
        """Record one request (called by the server threads)."""
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        """Forget what was served so far, e.g. between two crawls of one test."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[ServedRequest]:
        """A copy that later requests do not change."""
        with self._lock:
            return list(self._items)

    def for_host(self, host: str) -> list[ServedRequest]:
        """The requests one host answered."""
        return [r for r in self.snapshot() if r.host == host]

    @overload
    def __getitem__(self, index: int) -> ServedRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[ServedRequest]: ...
    def __getitem__(self, index: int | slice) -> ServedRequest | list[ServedRequest]:
        with self._lock:
            return self._items[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[ServedRequest]:
        return iter(self.snapshot())


class Faults:
    """The mutable host/transport rules; every method is safe to call while serving."""

    def __init__(self, hosts: Sequence[str], lock: threading.RLock | None = None) -> None:
        self.hosts = tuple(hosts)
        self._lock = lock or threading.RLock()
        """Shared with the site, so a timeline step changes content and hosts atomically."""
        self.down: set[str] = set()
        self.seized: set[str] = set()
        self.parked: set[str] = set()
        self.redirects: dict[str, tuple[str, int]] = {}
        self._slow: list[tuple[Match, float]] = []
        self._failures: list[_Failure] = []
        self._encodings: list[tuple[Match, bool | None, bool | None]] = []

    def check_host(self, host: str | None) -> None:
        """Reject hosts the outlet does not serve (``None`` means every host)."""
        if host is not None and host not in self.hosts:
            raise ValueError(f"unknown host {host!r}; the outlet serves {', '.join(self.hosts)}")

    def take_down(self, host: str) -> None:
        """Connections for ``host`` are accepted, then reset without an answer."""
        self.check_host(host)
        with self._lock:
            self.down.add(host)

    def bring_up(self, host: str) -> None:
        """Undo :meth:`take_down`, :meth:`seize`, :meth:`park` and :meth:`redirect_host` for ``host``."""
        self.check_host(host)
        with self._lock:
            self.down.discard(host)
            self.seized.discard(host)
            self.parked.discard(host)
            self.redirects.pop(host, None)

    def park(self, host: str) -> None:
        """Every path on ``host`` answers 200 with a registrar's for-sale page."""
        self.check_host(host)
        with self._lock:
            self.parked.add(host)

    def redirect_host(self, host: str, to: str, status: int = 301) -> None:
        """Every path on ``host`` redirects to the same path on ``to`` (any host name)."""
        self.check_host(host)
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, got {status}")
        with self._lock:
            self.redirects[host] = (to.strip().lower(), status)

    def seize(self, host: str) -> None:
        """Every path on ``host`` answers 200 with the US seizure notice."""
        self.check_host(host)
        with self._lock:
            self.seized.add(host)

    def slow(self, delay: float, host: str | None = None, path: str | None = None) -> None:
        """Wait ``delay`` seconds before answering matching requests (0 undoes it)."""
        if delay < 0:
            raise ValueError(f"delay must be >= 0 seconds, got {delay}")
        self.check_host(host)
        with self._lock:
            self._slow.append((Match(host, path), float(delay)))

    def fail(
        self, status: int = 503, host: str | None = None, path: str | None = None, times: int | None = None
    ) -> None:
        """Answer matching requests with a 5xx, forever or ``times`` times."""
        if not 500 <= status <= 599:
            raise ValueError(f"fail status must be a 5xx, got {status}")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None for ever), got {times}")
        self.check_host(host)
        with self._lock:
            self._failures.append(_Failure(Match(host, path), status, times))

    def set_encoding(
        self, gzip: bool | None = None, chunked: bool | None = None, host: str | None = None, path: str | None = None
    ) -> None:
        """Force gzip on/off or chunked framing on/off for matching requests; ``None`` keeps
        the value earlier rules or the defaults give (gzip when accepted, no chunking)."""
        self.check_host(host)
        with self._lock:
            self._encodings.append((Match(host, path), gzip, chunked))

    def clear(self) -> None:
        """Drop every rule and bring every host back."""
        with self._lock:
            self.down.clear()
            self.seized.clear()
            self.parked.clear()
            self.redirects.clear()
            self._slow.clear()
            self._failures.clear()
            self._encodings.clear()

    def is_down(self, host: str) -> bool:
        with self._lock:
            return host in self.down

    def is_seized(self, host: str) -> bool:
        with self._lock:
            return host in self.seized

    def is_parked(self, host: str) -> bool:
        with self._lock:
            return host in self.parked

    def host_redirect(self, host: str) -> tuple[str, int] | None:
        with self._lock:
            return self.redirects.get(host)

    def delay(self, host: str, path: str) -> float:
        """Seconds to wait before answering (the newest matching rule)."""
        with self._lock:
            return next((d for m, d in reversed(self._slow) if m(host, path)), 0.0)

    def failure(self, host: str, path: str) -> int | None:
        """The 5xx status to answer with, consuming one use of a counted rule."""
        with self._lock:
            for rule in reversed(self._failures):
                if rule.match(host, path):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._failures.remove(rule)
                    return rule.status
            return None

    def encoding(self, host: str, path: str) -> Encoding:
        """Gzip (``None`` = the default: when accepted, for HTML/XML) and chunking for a response."""
        gzip: bool | None = None
        chunked: bool | None = None
        with self._lock:
            for match, g, c in reversed(self._encodings):
                if match(host, path):
                    gzip = g if gzip is None else gzip
                    chunked = c if chunked is None else chunked
        return Encoding(gzip=gzip, chunked=chunked)
