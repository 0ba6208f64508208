"""The one place where a URL a client names (a URL-R in a replay, TimeMap or CDX request) is read.

Everything after it (the SURT key, the outlet's article pattern, ``urlsplit(...).port``)
assumes a URL that parses; ``urllib.parse`` raises ``ValueError`` deep inside those calls on
a bad port (``:99999``, ``:alert(1)``), a broken IPv6 literal (``http://[::1``) and the like,
which used to escape as HTTP 500. :func:`archived_url` runs every check those steps rely on
up front and turns any failure into a :class:`BadUrlError` (HTTP 400) naming the parameter.

pywb's leniency is kept: a URL without a scheme is ``http://`` (``example.com/a``,
``example.com:8080/a``), ``http:/example.com`` (slashes merged by a client or proxy) is
``http://example.com``, and a URL percent-encoded whole (``http%3A%2F%2Fexample.com%2F``,
as a client encodes a query value) is decoded. Any other scheme (``javascript:``, ``file:``,
``ftp:``) is refused: the archive holds only http(s) captures; so is a host name with
characters no host name has. A URL written with non-ASCII characters (an Arabic or Persian
path, an IDN host) is encoded as the crawler stored it (percent-encoded UTF-8, punycode host:
w3lib's ``safe_url_string``, which Scrapy applies to every request).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import surt

from archive.errors import EdittrailError

MAX_URL_LENGTH = 16 * 1024
"""Longer URLs are refused outright (the crawler, Scrapy, drops URLs over 2083 characters)."""
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_PORT_AFTER_HOST = re.compile(r"^\d+(?:[/?#]|$)")
_ENCODED_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*%3[aA]")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_SHOWN = 200


class BadUrlError(EdittrailError):
    """A URL the archive cannot look up: not http(s), no host, a bad port or IPv6 literal (HTTP 400)."""


def archived_url(text: str, *, name: str = "url") -> str:
    """``text`` as the archive stores URLs: scheme added when missing, checked to parse.

    Raises BadUrlError, saying what is wrong with it, for anything the index lookups could not use.
    """
    url = text.strip()
    if _ENCODED_SCHEME.match(url):
        url = unquote(url).strip()  # the whole URL was percent-encoded, as a query value is
    _check_text(url, name)
    url = _with_scheme(url, name)
    if not url.isascii():
        url = _as_crawled(url, name)
    _check_parts(url, name)
    return url


def _check_text(url: str, name: str) -> None:
    if not url:
        raise BadUrlError(f"{name} is empty; give an http(s) URL, e.g. http://www.presstv.ir/")
    if len(url) > MAX_URL_LENGTH:
        raise BadUrlError(f"{name} is {len(url)} characters long; at most {MAX_URL_LENGTH} are accepted")
    if _CONTROL.search(url) or any(c.isspace() for c in url):
        raise BadUrlError(f"{name} {_shown(url)} holds whitespace or control characters; percent-encode them")


def _check_parts(url: str, name: str) -> None:
    """Everything the lookups will ask of the URL, asked now: port, host, SURT key."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is no number from 0 to 65535)
        host = parts.hostname
        surt.surt(url)
    except ValueError as exc:
        raise BadUrlError(f"{name} {_shown(url)} is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise BadUrlError(f"{name} {_shown(url)} is not an http(s) URL with a host name")
    if not all(c.isalnum() or c in "-._:" for c in host):
        raise BadUrlError(f"{name} {_shown(url)}: {host!r} is not a host name or an IP address")


def _as_crawled(url: str, name: str) -> str:
    from w3lib.url import safe_url_string

    try:
        return str(safe_url_string(url))
    except ValueError as exc:  # an IDN label IDNA refuses
        raise BadUrlError(f"{name} {_shown(url)} is not a valid URL ({exc})") from None


def _with_scheme(url: str, name: str) -> str:
    """``http://`` added to a URL without a scheme; ``http:/x`` repaired; other schemes refused.

    ``example.com:8080/a`` has no scheme: what follows the colon is a port.
    """
    match = _SCHEME.match(url)
    if match is None or _PORT_AFTER_HOST.match(url[match.end() :]):
        return "http://" + url
    scheme, rest = match[1].lower(), url[match.end() :]
    if scheme not in ("http", "https"):
        raise BadUrlError(f"{name} {_shown(url)} is not an http(s) URL (scheme {scheme!r})")
    authority = rest[2:] if rest.startswith("//") else rest[1:] if rest.startswith("/") else rest
    return f"{scheme}://{authority}"


def _shown(url: str) -> str:
    """The URL as a message quotes it: repr, cut to a readable length."""
    return repr(url if len(url) <= _SHOWN else url[:_SHOWN] + "...")
