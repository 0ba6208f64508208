"""This service's own origin, the base of the absolute URIs it writes, never taken on the client's word.

Memento Link headers, TimeMaps, the CDX ``output=link`` lines, the article JSON and the
frame's ``src`` name the service's own resources with absolute URIs. Building them from the
request's ``Host`` header (Starlette's ``request.base_url``) let any client choose the site
those links point to (``Host: evil.example`` gave ``Link: <http://evil.example/demo/...>``),
and a shared cache in front of the service would hand such links to everyone. The base is
therefore, in this order:

1. the public URL the service was created with (``create_app(config, public_url=...)``), for
   a service behind a reverse proxy or reached by a DNS name;
2. else the address of the socket the request arrived on (ASGI ``scope["server"]``, set by the
   server, not by the client), with the request's own spelling of it when its Host names that
   same socket: the same address and port, or ``localhost`` on a loopback socket, so that a
   browser on ``http://localhost:8000/`` gets links, and frames, of the origin it is on;
3. else (a Unix socket: no address) path-absolute URIs, ``/demo/...``.

``root_path`` (the server's ``--root-path``, also not the client's) prefixes every path.
Redirects do not need any of this: their ``Location`` is path-absolute (``archive.api.memento``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from archive.errors import ConfigError

_HOST = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def checked_public_url(url: str | None) -> str | None:
    """A configured public URL without its trailing slash, or ConfigError when it is no http(s) origin."""
    if url is None:
        return None
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise ConfigError(f"public URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"public URL {url!r} must be http(s)://host[:port][/path], e.g. https://archive.example.org")
    return url.rstrip("/")


def service_base(scope: Mapping[str, Any], public_url: str | None = None) -> str:
    """The base URL (no trailing slash) of this service's resources, for the request ``scope``."""
    root = str(scope.get("root_path") or "").rstrip("/")
    if public_url is not None:
        return public_url
    server = scope.get("server")
    if not server or server[1] is None:
        return root
    scheme = str(scope.get("scheme")) if scope.get("scheme") in _DEFAULT_PORTS else "http"
    host, port = str(server[0]), int(server[1])
    named = _named_host(scope, host, port, scheme)
    authority = named or _authority(host, port, scheme)
    return f"{scheme}://{authority}{root}"


def _named_host(scope: Mapping[str, Any], host: str, port: int, scheme: str) -> str | None:
    """The request's Host header when it names the socket (``host``, ``port``) the request came in on."""
    value = _header(scope, b"host")
    match = _HOST.match(value or "")
    if match is None:
        return None
    asked = match["host"].lower()
    asked_port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
    same_address = asked.strip("[]") == host.lower()
    if asked_port != port or not (same_address or (asked == "localhost" and _is_loopback(host))):
        return None
    return match.group(0).lower()


def _authority(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
