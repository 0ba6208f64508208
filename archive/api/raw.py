"""The archived HTTP response as it can be served again without acting on the app.

Status, headers and body are the archived ones (the body still Content-Encoded, as captured),
with three kinds of exceptions:

- hop-by-hop headers (RFC 9110 section 7.6.1) belonged to the original connection and are dropped,
  as is Content-Length (the server frames the body it sends);
- headers that would act on *this* origin rather than describe the page (cookies, HSTS,
  Clear-Site-Data, its own CSP or framing rules, CORS grants, preload links, refresh) are kept
  under pywb's ``X-Archive-Orig-`` prefix, so they are visible but inert;
- ``Location`` is rewritten into the archive (the archived value is kept prefixed), so a
  redirect replays inside it instead of leaving for the live web.

``Date`` and ``Server`` are kept prefixed too: this server sends its own, and
``Memento-Datetime`` says when the response was captured.

Every raw response gets ``Content-Security-Policy: sandbox`` (no script, no form, no top
navigation, an opaque origin: even opened directly, an archived script cannot read the app's
cookies or call its API) with ``default-src 'self' data: blob:``, so that the page's images,
style sheets and frames load from the archive or not at all: a replay that fetched them live
would show today's content as if archived and tell the outlet who is reading. Also
``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urljoin

ORIG_PREFIX = "X-Archive-Orig-"
ARCHIVE_ONLY = "default-src 'self' data: blob:; form-action 'none'"
"""What an archived page may load: only from the archive (and inline data), never the live web."""
SANDBOX_HEADERS = (
    ("Content-Security-Policy", f"sandbox; {ARCHIVE_ONLY}"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
INERT = frozenset(
    {
        "set-cookie",
        "set-cookie2",
        "strict-transport-security",
        "public-key-pins",
        "clear-site-data",
        "content-security-policy",
        "content-security-policy-report-only",
        "x-frame-options",
        "x-content-type-options",
        "x-xss-protection",
        "referrer-policy",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-expose-headers",
        "cross-origin-opener-policy",
        "cross-origin-embedder-policy",
        "cross-origin-resource-policy",
        "permissions-policy",
        "service-worker-allowed",
        "link",
        "refresh",
        "alt-svc",
        "report-to",
        "nel",
        "origin-agent-cluster",
        "location",
        "date",
        "server",
    }
)


def replay_headers(
    headers: Sequence[tuple[str, str]], url: str, archived_location: Callable[[str], str]
) -> list[tuple[str, str]]:
    """The archived headers made safe to send from the app's origin (see the module docstring).

    ``archived_location`` maps an absolute live URL to its place in the archive.
    """
    named_by_connection = {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in named_by_connection:
            continue
        if lower in INERT:
            out.append((ORIG_PREFIX + name, value))
            if lower == "location":
                out.append(("Location", archived_location(urljoin(url, value.strip()))))
            continue
        out.append((name, value))
    return out + list(SANDBOX_HEADERS)
