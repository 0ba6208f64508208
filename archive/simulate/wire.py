"""How the simulated outlet's answers go on the wire.

One request handler turns each HTTP request into one decision of the outlet
(:meth:`~archive.simulate.server.SimulatedOutlet.page_for`) and writes it the way real
servers do and crawlers must cope with: HTTP/1.1 keep-alive, gzip with an exact
Content-Length, optional chunked framing cut into several chunks, and for a host that is
"down" a TCP reset instead of any answer.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import socket
import socketserver
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from archive.simulate.faults import ServedRequest
from archive.simulate.site import Page

if TYPE_CHECKING:
    from archive.simulate.server import SimulatedOutlet

logger = logging.getLogger(__name__)

CHUNKS = 4
"""How many chunks a chunked body is cut into, so clients must really reassemble it."""


def _host_and_path(host_header: str | None, target: str) -> tuple[str, str]:
    """The lower-case host without port, and the path without query, of one request."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        host_header, target = parts.netloc, parts.path or "/"
    path = target.split("?", 1)[0].split("#", 1)[0] or "/"
    host = (host_header or "").strip().lower()
    host = host[1 : host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
    return host.rstrip("."), path


def _accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (``gzip;q=0`` refuses it)."""
    for token in (header or "").split(","):
        name, _, params = token.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            quality = params.strip().lower()
            if not quality.startswith("q="):
                return True
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
    return False


class Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into one decision of the outlet; keeps connections alive."""

    protocol_version = "HTTP/1.1"
    server_version = "edittrail-sim/1.0"
    timeout = 60
    disable_nagle_algorithm = True
    """Headers and body leave in separate writes; with Nagle on, keep-alive stalls 40 ms."""
    server: Server

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("simulated outlet: " + format, *args)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        outlet = self.server.outlet
        host, path = _host_and_path(self.headers.get("Host"), self.path)
        if host in outlet.hosts and outlet.faults.is_down(host):
            self._record(host, 0)
            self._reset()
            return
        page = outlet.page_for(host, path)
        self._record(host, page.status)
        self._send(host, path, page, head)

    def _record(self, host: str, status: int) -> None:
        """Log the request before answering, so a client that got its answer can rely on it."""
        served = ServedRequest(host, self.command, self.path, status, dict(self.headers.items()))
        self.server.outlet.requests.append(served)

    def _reset(self) -> None:
        """Close with SO_LINGER 0, so the client gets a TCP RST instead of an answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send(self, host: str, path: str, page: Page, head: bool) -> None:
        encoding = self.server.outlet.faults.encoding(host, path)
        body = page.body
        wants_gzip = encoding.gzip if encoding.gzip is not None else page.gzip
        wants_gzip = page.compressible if wants_gzip is None else wants_gzip
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        for name, value in page.headers:
            self.send_header(name, value)
        if wants_gzip:
            self.send_header("Vary", "Accept-Encoding")
            if _accepts_gzip(self.headers.get("Accept-Encoding")):
                body = gzip.compress(body, compresslevel=6, mtime=0)
                self.send_header("Content-Encoding", "gzip")
        chunked = bool(encoding.chunked if encoding.chunked is not None else page.chunked)
        chunked = chunked and self.request_version == "HTTP/1.1"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if chunked:
            size = max(1, -(-len(body) // CHUNKS))
            frames = [
                b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)
            ]
            self.wfile.write(b"".join(frames) + b"0\r\n\r\n")
        else:
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    """Tracks open connections so that :meth:`SimulatedOutlet.stop` can close idle keep-alives."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], outlet: SimulatedOutlet) -> None:
        self.outlet = outlet
        self._open: set[socket.socket] = set()
        self._changed = threading.Condition()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self._changed:
            self._open.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._changed:
                self._open.discard(request)
                self._changed.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("simulated outlet: connection from %s ended badly", client_address, exc_info=True)

    def close_connections(self, timeout: float) -> None:
        """Shut down every open connection and wait (bounded) for their threads to finish."""
        with self._changed:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._changed.wait_for(lambda: not self._open, timeout)
