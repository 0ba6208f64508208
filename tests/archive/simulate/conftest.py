"""Fixtures for the simulated outlet's own tests: a running outlet and a raw HTTP client.

The client speaks to 127.0.0.1 with an explicit Host header, as a crawler with a DNS
override does, and returns the bytes exactly as sent (no decompression, no redirects).
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from archive.simulate import SimulatedOutlet

TODAY = date(2026, 11, 20)
HOSTS = ["www.presstv.ir", "www.presstv.co.uk", "presstv.tv", "www.presstv.com"]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def first(self, pattern: str) -> str:
        """The first group of ``pattern`` in the body (fails the test when absent)."""
        match = re.search(pattern, self.text, re.S)
        assert match, f"{pattern!r} not in page"
        return match.group(1)


Fetch = Callable[..., Reply]


def request(
    sim: SimulatedOutlet, host: str, path: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        conn.request(method, path, headers={"Host": f"{host}:{sim.port}", **(headers or {})})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


@pytest.fixture
def outlet() -> Iterator[SimulatedOutlet]:
    with SimulatedOutlet(hosts=HOSTS, port=0, seed=1, articles=30, today=TODAY) as sim:
        yield sim


@pytest.fixture
def fetch(outlet: SimulatedOutlet) -> Fetch:
    """``fetch(path, host=primary, method="GET", headers=None)`` against the running outlet."""

    def _fetch(path: str, host: str = HOSTS[0], **kwargs: object) -> Reply:
        return request(outlet, host, path, **kwargs)  # type: ignore[arg-type]

    return _fetch


@pytest.fixture
def raw_request() -> Callable[..., Reply]:
    """``raw_request(sim, host, path, ...)`` for tests that run outlets of their own."""
    return request
