"""An archived HTML page with its links pointed into the archive, for viewing in the web UI.

The raw route (``id_``) serves the response byte for byte, as evidence; its links still name
the live web, so in a browser the page's images and style sheets are blocked (the sandbox
CSP) and a click on a link leaves the archive for the outlet's live site. The framed view
(``if_``, pywb's name for the same thing) serves a rewritten copy instead: every link,
``src``, ``srcset``, ``action``, CSS ``url()`` and meta refresh of the page is made absolute
against the page's own URL and sent to ``/{outlet}/{timestamp}if_/{url}``, the capture
nearest that moment; a style sheet served that way gets its ``url()`` and ``@import``
rewritten the same way. A click thus stays in the archive, at the time the researcher is
looking at. lxml finds the links (``iterlinks`` knows which attributes, CSS and meta refreshes hold
URLs; ``srcset`` is done here);
only ``http(s)`` URLs are rewritten, fragments and ``mailto:``, ``data:``, ``javascript:``
(which the sandbox never runs) are left alone. Non-HTML responses are served as ``id_`` is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import cast
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from archive.errors import EdittrailError
from archive.extract.content import decode_content
from archive.extract.model import ExtractError
from archive.retrieve import RetrievedCapture

log = logging.getLogger(__name__)

_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
HTML_TYPES = ("text/html", "application/xhtml+xml")
_CSS_URL = re.compile(r"url\(\s*(?P<q>['\"]?)(?P<url>[^'\")]+)(?P=q)\s*\)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+(?P<q>['\"])(?P<url>[^'\"]+)(?P=q)", re.IGNORECASE)


def is_html(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() in HTML_TYPES


def charset_of(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def rewrite_html(body: bytes, page_url: str, to_archive: Callable[[str], str], charset: str | None = None) -> bytes:
    """The page re-serialized as UTF-8 with each http(s) link replaced by ``to_archive(absolute URL)``.

    Raises ExtractError when lxml cannot make a document of the bytes (the raw route still
    serves them as they are).
    """
    parser = lxml.html.HTMLParser(encoding=charset) if charset else lxml.html.HTMLParser()
    try:
        doc = cast(lxml.html.HtmlElement, lxml.html.document_fromstring(body, parser=parser))
    except (etree.ParserError, ValueError, LookupError) as exc:
        raise ExtractError(f"{page_url}: cannot rewrite this page for viewing ({exc}); open the raw capture") from exc
    base = page_url
    for element in doc.xpath("//base[@href]"):
        base = urljoin(page_url, element.get("href"))
        element.getparent().remove(element)  # its target is the live site; links are absolute after this
        break

    def rewrite(link: str) -> str:
        stripped = link.strip()
        if not stripped or stripped.startswith("#"):
            return link
        absolute = urljoin(base, stripped)
        if urlsplit(absolute).scheme not in ("http", "https"):
            return link
        return to_archive(absolute)

    doc.rewrite_links(rewrite, resolve_base_href=False)
    _rewrite_srcsets(doc, rewrite)
    return bytes(lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>", method="html"))


def _rewrite_srcsets(doc: lxml.html.HtmlElement, rewrite: Callable[[str], str]) -> None:
    """``srcset="a.jpg 1x, b.jpg 2x"``: lxml's iterlinks does not read it."""
    for element in doc.xpath("//*[@srcset]"):
        candidates = []
        for candidate in element.get("srcset", "").split(","):
            parts = candidate.strip().split(None, 1)
            if parts:
                candidates.append(" ".join([rewrite(parts[0]), *parts[1:]]))
        element.set("srcset", ", ".join(candidates))


def rewrite_css(body: bytes, sheet_url: str, to_archive: Callable[[str], str], charset: str | None = None) -> bytes:
    """A style sheet as UTF-8 with its ``url(...)`` and ``@import "..."`` targets into the archive."""
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError as exc:
        raise ExtractError(f"{sheet_url}: unknown charset {charset!r}; open the raw capture") from exc

    def target(link: str) -> str:
        absolute = urljoin(sheet_url, link.strip())
        return to_archive(absolute) if urlsplit(absolute).scheme in ("http", "https") else link

    text = _CSS_URL.sub(lambda m: f"url({m['q']}{target(m['url'])}{m['q']})", text)
    text = _CSS_IMPORT.sub(lambda m: f"@import {m['q']}{target(m['url'])}{m['q']}", text)
    return text.encode("utf-8")


def framed(
    got: RetrievedCapture, url: str, archived: Callable[[str], str], sent: list[tuple[str, str]]
) -> tuple[bytes, list[tuple[str, str]]]:
    """An HTML page or a style sheet decoded and rewritten into the archive; anything else as archived."""
    content_type = next((v for k, v in got.http_headers if k.lower() == "content-type"), None)
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if not is_html(content_type) and kind != "text/css":
        return got.payload, sent
    try:
        encodings = next((v for k, v in got.http_headers if k.lower() == "content-encoding"), "")
        body = got.payload
        for encoding in reversed([e.strip() for e in encodings.split(",") if e.strip()]):
            body = decode_content(body, encoding, where=url)
        if kind == "text/css":
            out, out_type = rewrite_css(body, url, archived, charset_of(content_type)), "text/css; charset=utf-8"
        else:
            out, out_type = rewrite_html(body, url, archived, charset_of(content_type)), "text/html; charset=utf-8"
    except EdittrailError as exc:
        log.warning("framed view falls back to the raw capture url=%s: %s", url, exc)
        return got.payload, sent
    kept = [(k, v) for k, v in sent if k.lower() not in ("content-type", "content-encoding")]
    return out, [*kept, ("Content-Type", out_type)]
