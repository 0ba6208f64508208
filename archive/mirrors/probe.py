"""Probe one domain of an outlet: DNS, TCP, TLS, HTTP and its redirects, archived to WARC.

A probe asks a domain for its home page the way a reader's browser would, follows
redirects that stay on the same host (http → https, a path), and stops at the first
redirect to another host: that redirect is the finding. When the home page serves the
outlet, it also fetches one article, whose "alternate addresses" footer is how the outlet
announces its mirrors. Every exchange is written to WARC like a crawl's, so a seizure
banner or a parked page is kept as evidence, not just as a row.

Standard library HTTP on purpose: a probe is a handful of requests, must see each answer
as it came (no automatic redirects, no decompression), and must run inside an Airflow task
without a Twisted reactor. The host → address override of the outlet (the simulated
outlet) is honoured here exactly as in the crawler's DNS resolver.
"""

from __future__ import annotations

import gzip
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from archive.config import Outlet
from archive.mirrors.classify import SERVING, Verdict, classify_answer, classify_failure
from archive.mirrors.discovery import alternate_hosts
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
MAX_SAME_HOST_REDIRECTS = 5
_HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)""", re.IGNORECASE)


class ProbeFailedError(Exception):
    """A step of the probe failed before any HTTP answer: ``kind`` is dns, connect, tls or timeout."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange of a probe, as sent and received."""

    request: HttpRequestData
    response: HttpResponseData
    address: str
    tls_expires: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """What one probe of one domain found; a row of the ``domains`` history."""

    outlet: str
    host: str
    checked_at: str
    state: str
    detail: str
    http_status: int | None = None
    redirect_to: str | None = None
    chain: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    tls_expires: str | None = None
    alternates: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = field(default=(), repr=False, compare=False)

    @property
    def healthy(self) -> bool:
        return self.state == SERVING


Fetch = Callable[[str, str, float], Answer]
Resolve = Callable[[str, Mapping[str, str]], list[str]]


def probe_domain(
    outlet: Outlet,
    host: str,
    *,
    timeout: float = 15.0,
    now: Callable[[], datetime] | None = None,
    fetch: Fetch | None = None,
    resolver: Resolve | None = None,
) -> ProbeResult:
    """Probe ``host`` (one of the outlet's domains or a candidate mirror) and classify it.

    ``fetch`` and ``resolver`` replace the network parts (tests of candidates, whose names
    must never be looked up in real DNS, pass a resolver of their own).
    """
    checked_at = (now or (lambda: datetime.now(UTC)))().strftime("%Y-%m-%dT%H:%M:%SZ")
    fetch = fetch or (lambda url, address, t: fetch_once(url, address, t, user_agent=outlet.politeness.user_agent))
    answers: list[Answer] = []
    try:
        addresses = (resolver or resolve)(host, outlet.host_overrides)
        url = outlet.base_url(host) + "/"
        for _ in range(MAX_SAME_HOST_REDIRECTS + 1):
            answer = fetch(url, addresses[0], timeout)
            answers.append(answer)
            location = _header(answer.response, "location")
            target = urljoin(url, location) if location else None  # the last one is classified below
            if target and 300 <= answer.response.status < 400 and urlsplit(target).hostname == host:
                url = target
                continue
            break
    except ProbeFailedError as exc:
        verdict = classify_failure(exc.kind, exc.message)
        log.info("probe outlet=%s host=%s state=%s %s", outlet.name, host, verdict.state, verdict.detail)
        return _result(outlet, host, checked_at, verdict, answers, addresses=())
    last = answers[-1]
    body = decoded_text(last.response)
    links = article_links(outlet, url, body)
    verdict = classify_answer(host, last.response.status, body, location=target, article_links=len(links))
    alternates: tuple[str, ...] = ()
    if verdict.state == SERVING:
        alternates = _footer_hosts(outlet, links[0], addresses[0], timeout, fetch, answers)
    log.info("probe outlet=%s host=%s state=%s %s", outlet.name, host, verdict.state, verdict.detail)
    return _result(outlet, host, checked_at, verdict, answers, addresses=tuple(addresses), alternates=alternates)


def _footer_hosts(
    outlet: Outlet, article_url: str, address: str, timeout: float, fetch: Fetch, answers: list[Answer]
) -> tuple[str, ...]:
    """The hosts an article's "alternate addresses" footer names (a failure here is not the domain's)."""
    try:
        answer = fetch(article_url, address, timeout)
    except ProbeFailedError as exc:
        log.info("probe could not fetch an article for its footer url=%s: %s", article_url, exc)
        return ()
    answers.append(answer)
    if answer.response.status != 200:
        return ()
    return alternate_hosts(outlet, decoded_text(answer.response).encode("utf-8"))


def _result(
    outlet: Outlet,
    host: str,
    checked_at: str,
    verdict: Verdict,
    answers: list[Answer],
    *,
    addresses: tuple[str, ...],
    alternates: tuple[str, ...] = (),
) -> ProbeResult:
    return ProbeResult(
        outlet=outlet.name,
        host=host,
        checked_at=checked_at,
        state=verdict.state,
        detail=verdict.detail,
        http_status=answers[-1].response.status if answers else None,
        redirect_to=verdict.redirect_to,
        chain=tuple(f"{a.response.status} {a.request.url}" for a in answers),
        addresses=addresses,
        tls_expires=next((a.tls_expires for a in answers if a.tls_expires), None),
        alternates=alternates,
        answers=tuple(answers),
    )


def resolve(host: str, overrides: Mapping[str, str]) -> list[str]:
    """The host's addresses; only the outlet's explicit override may point at a non-public one.

    A name that resolves to loopback, a private range or link-local (169.254.169.254, the
    cloud metadata service) is refused: a probe must never become a way into the network
    it runs in.
    """
    if host in overrides:
        return [overrides[host]]
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeFailedError("dns", f"{host} does not resolve ({exc.strerror})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    public = [a for a in addresses if ipaddress.ip_address(a).is_global]
    if not public:
        raise ProbeFailedError("dns", f"{host} resolves only to non-public addresses {addresses}; refused")
    return public


def fetch_once(url: str, address: str, timeout: float, *, user_agent: str, tls: ssl.SSLContext | None = None) -> Answer:
    """One GET of ``url`` from ``address``, nothing followed or decoded; raises ProbeFailedError.

    ``tls`` replaces the system's trust store (a private CA); certificates are always verified.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = (
        ("Host", parts.netloc),
        ("User-Agent", user_agent),
        ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        ("Accept-Encoding", "gzip"),
        ("Connection", "close"),
    )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = _PinnedHTTPSConnection(address, port, server_hostname=host, timeout=timeout, tls=tls)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        raw = conn.getresponse()
        body = raw.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise ProbeFailedError("size", f"{url} answered more than {MAX_BODY} bytes")
        tls_expires = conn.tls_expires if isinstance(conn, _PinnedHTTPSConnection) else None
        response = HttpResponseData(
            status=raw.status,
            reason=raw.reason or "",
            headers=tuple((k, v) for k, v in raw.getheaders()),
            body=body,
            protocol="HTTP/1.0" if raw.version == 10 else "HTTP/1.1",
        )
    except ssl.SSLError as exc:
        raise ProbeFailedError("tls", f"{host}: {exc.reason or exc}") from None
    except TimeoutError:
        raise ProbeFailedError("timeout", f"{url} did not answer within {timeout:g} s") from None
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise ProbeFailedError("connect", f"{url}: {type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
    request = HttpRequestData("GET", url, headers)
    return Answer(request=request, response=response, address=address, tls_expires=tls_expires)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connect to a given address but verify the certificate for the host name (SNI too)."""

    def __init__(
        self, address: str, port: int, *, server_hostname: str, timeout: float, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=tls or ssl.create_default_context())
        self._server_hostname = server_hostname
        self.tls_expires: str | None = None

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_hostname)  # type: ignore[attr-defined]
        not_after = (self.sock.getpeercert() or {}).get("notAfter")
        if isinstance(not_after, str):
            expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
            self.tls_expires = expires.strftime("%Y-%m-%dT%H:%M:%SZ")


def decoded_text(response: HttpResponseData) -> str:
    """The body as text for classification: gzip undone (bounded), bytes decoded leniently."""
    body = response.body
    if (_header(response, "content-encoding") or "").lower() in ("gzip", "x-gzip"):
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, MAX_BODY)
        except (zlib.error, gzip.BadGzipFile):
            return ""
    return body.decode("utf-8", errors="replace")


def article_links(outlet: Outlet, page_url: str, html: str) -> list[str]:
    """Absolute URLs of links on the page that the outlet's article pattern accepts."""
    links = []
    host = urlsplit(page_url).hostname
    for href in _HREF.findall(html):
        url = urljoin(page_url, href.strip())
        parts = urlsplit(url)
        if parts.hostname == host and outlet.article_regex.match(parts.path):
            links.append(url)
    return list(dict.fromkeys(links))


def archive_answers(writer: WarcWriter, result: ProbeResult) -> int:
    """Write every exchange of a probe to WARC; returns how many."""
    for answer in result.answers:
        writer.write_exchange(answer.request, answer.response, ip_address=answer.address)
    return len(result.answers)


def _header(response: HttpResponseData, name: str) -> str | None:
    return next((v for k, v in response.headers if k.lower() == name), None)
