"""An archived HTML page with its links pointed into the archive, for viewing in the web UI.

The raw route (``id_``) serves the response byte for byte, as evidence; its links still name
the live web, so in a browser the page's images and style sheets are blocked (the sandbox
CSP) and a click on a link leaves the archive for the outlet's live site. The framed view
(``if_``, pywb's name for the same thing) serves a rewritten copy instead: every link,
``src``, ``srcset``, ``action``, CSS ``url()`` and meta refresh of the page is made absolute
against the page's own URL and sent to ``/{outlet}/{timestamp}if_/{url}``, the capture
nearest that moment; a style sheet served that way gets its ``url()`` and ``@import``
rewritten the same way. A click thus stays in the archive, at the time the researcher is
looking at. lxml parses the page and names the attributes that hold URLs
(``lxml.html.defs.link_attrs``); meta refreshes, CSS and ``srcset`` are parsed here. Only
``http(s)`` URLs are rewritten, fragments and ``mailto:``, ``data:``, ``javascript:``
(which the sandbox never runs) are left alone. Non-HTML responses are served as ``id_`` is.

An archived page is hostile input, and rewriting it must cost time and memory in proportion
to its size, whatever it holds. So the body is decoded with a bounded decoder
(``archive.api.inflate``: a gzip bomb is refused, not inflated), CSS ``url()`` and ``@import``
are found with RE2 (linear time), and the links are walked here rather than by lxml's
``rewrite_links``, whose CSS patterns backtrack (time quadratic in a ``<style>``'s length,
under the GIL: a 128 KB page of ``url(url(url(...`` stopped the whole server for seconds)
and which rebuilds a style's text once per link.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import lxml.html
import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints
from lxml import etree
from lxml.html import defs
from w3lib.encoding import html_to_unicode

from archive.api.inflate import SLOTS, BodyTooLargeError, decoded_body
from archive.extract.content import header
from archive.extract.model import ExtractError
from archive.read.retrieve import RetrievedCapture

log = logging.getLogger(__name__)

_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
HTML_TYPES = ("text/html", "application/xhtml+xml")
_CSS_URL = re2.compile(r"""(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^'")]+?))\s*\)""")
_CSS_IMPORT = re2.compile(r"""(?i)@import\s+(?:"([^'"]+)"|'([^'"]+)')""")
_CSS_CHARSET = re.compile(rb'^@charset "([A-Za-z0-9_.:-]+)";')
_CSS_CHARSET_TEXT = re.compile(r'^\ufeff?@charset "[^"]*";\s*')
_LINK_ATTRIBUTES = tuple(sorted(defs.link_attrs))
"""The attributes lxml knows to hold URLs (``href``, ``src``, ``action``, ``data``, ...)."""


def is_html(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() in HTML_TYPES


def charset_of(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def rewrite_html(
    body: bytes, page_url: str, to_archive: Callable[[str], str], content_type: str | None = None
) -> bytes:
    """The page re-serialized as UTF-8 with each http(s) link replaced by ``to_archive(absolute URL)``.

    The bytes are decoded as browsers do (w3lib: the header's charset, else a BOM or the page's
    own ``<meta>``, else detection; ISO-8859-1 read as windows-1252), so the copy shows the same
    characters as the page did. Raises ExtractError when lxml cannot make a document of them
    (the raw route still serves them as they are).
    """
    _, text = html_to_unicode(content_type, body)
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8")
        doc = cast(lxml.html.HtmlElement, lxml.html.document_fromstring(text.encode("utf-8"), parser=parser))
    except (etree.ParserError, ValueError, LookupError) as exc:
        raise ExtractError(f"{page_url}: cannot rewrite this page for viewing ({exc}); open the raw capture") from exc
    base = page_url
    for element in doc.xpath("//base[@href]"):
        base = _join(page_url, element.get("href")) or page_url
        element.getparent().remove(element)  # its target is the live site; links are absolute after this
        break

    def rewrite(link: str) -> str:
        return _into_archive(base, link, to_archive)

    _rewrite_links(doc, rewrite)
    for element in doc.xpath("//*[@srcset]"):
        element.set("srcset", rewrite_srcset(element.get("srcset", ""), rewrite))
    return bytes(lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>", method="html"))


def _rewrite_links(doc: lxml.html.HtmlElement, rewrite: Callable[[str], str]) -> None:
    """What ``rewrite_links`` does, in one pass and linear time: each link attribute, a meta
    refresh's URL, and the ``url()``/``@import`` targets of ``<style>`` elements and ``style``
    attributes replaced by ``rewrite(link)``."""
    for element in doc.iter(etree.Element):
        for name in _LINK_ATTRIBUTES:
            value = element.get(name)
            if value is not None:
                element.set(name, " ".join(map(rewrite, value.split())) if name == "archive" else rewrite(value))
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "meta" and (element.get("http-equiv") or "").strip().lower() == "refresh":
            element.set("content", _refresh(element.get("content") or "", rewrite))
        elif tag == "style" and element.text:
            element.text = css_links(element.text, rewrite)
        if element.get("style"):
            element.set("style", css_links(element.get("style", ""), rewrite))


def _refresh(content: str, rewrite: Callable[[str], str]) -> str:
    """``<meta http-equiv=refresh content="3; url=/next">`` with its URL rewritten (a bare delay
    is left alone)."""
    semicolon = content.find(";")
    if semicolon < 0:
        return content
    rest = content[semicolon + 1 :].lstrip()
    if rest[:3].lower() == "url" and rest[3:].lstrip().startswith("="):
        rest = rest[3:].lstrip()[1:].lstrip()
    head, url = content[: len(content) - len(rest)], rest.strip()
    quote = url[0] if url[:1] in ("'", '"') else ""
    if quote:
        url = url[1:].split(quote, 1)[0]
    return f"{head}{quote}{rewrite(url)}{quote}" if url else content


def css_links(text: str, target: Callable[[str], str]) -> str:
    """CSS text with each ``url(...)`` and ``@import "..."`` target replaced by ``target(link)``."""

    def url(match: Any) -> str:
        for group, quote in ((1, '"'), (2, "'"), (3, "")):
            if match.group(group) is not None:
                return f"url({quote}{target(match.group(group))}{quote})"
        return str(match.group(0))

    def imported(match: Any) -> str:
        quote, link = ('"', match.group(1)) if match.group(1) is not None else ("'", match.group(2))
        return f"@import {quote}{target(link)}{quote}"

    return str(_CSS_IMPORT.sub(imported, _CSS_URL.sub(url, text)))


def _into_archive(base: str, link: str, to_archive: Callable[[str], str]) -> str:
    """An http(s) link made absolute against ``base`` and sent into the archive; fragments (also
    SVG's ``url(#filter)``) and other schemes as they are."""
    stripped = link.strip()
    if not stripped or stripped.startswith("#"):
        return link
    absolute = _join(base, stripped)
    if absolute is None:
        return ""  # unparseable: pointing nowhere beats pointing at the live site
    if urlsplit(absolute).scheme not in ("http", "https"):
        return link
    return to_archive(absolute)


def _join(base: str, link: str) -> str | None:
    """``urljoin``, or None for a link it cannot parse (``http://[x/``: an invalid IPv6 host)."""
    try:
        joined = urljoin(base, link)
        urlsplit(joined).port  # noqa: B018  (raises ValueError on a bad host or port)
    except ValueError:
        return None
    return joined


def rewrite_srcset(srcset: str, rewrite: Callable[[str], str]) -> str:
    """Each image candidate's URL rewritten, its descriptors kept, parsed as the HTML standard does.

    A URL runs to whitespace and may itself hold commas (``/w_400,h_300/a.jpg``, ``data:``
    URLs); trailing commas end a candidate that has no descriptors.
    """
    candidates, position = [], 0
    while position < len(srcset):
        while position < len(srcset) and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < len(srcset) and not srcset[position].isspace():
            position += 1
        url = srcset[start:position]
        if not url:
            break
        descriptors = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = srcset.find(",", position)
            end = len(srcset) if end < 0 else end
            descriptors, position = srcset[position:end].strip(), end + 1
        candidates.append(f"{rewrite(url)} {descriptors}".strip())
    return ", ".join(candidates)


def rewrite_css(body: bytes, sheet_url: str, to_archive: Callable[[str], str], charset: str | None = None) -> bytes:
    """A style sheet as UTF-8 with its ``url(...)`` and ``@import "..."`` targets into the archive."""
    declared = _CSS_CHARSET.match(body)
    encoding = charset or (declared.group(1).decode("ascii") if declared else "utf-8-sig")
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        text = body.decode("utf-8-sig", errors="replace")

    text = css_links(text, lambda link: _into_archive(sheet_url, link, to_archive))
    text = _CSS_CHARSET_TEXT.sub("", text, count=1)  # it is UTF-8 now, as the header says
    return text.encode("utf-8")


def framed(
    got: RetrievedCapture, url: str, archived: Callable[[str], str], sent: list[tuple[str, str]]
) -> tuple[bytes, list[tuple[str, str]]]:
    """An HTML page or a style sheet decoded and rewritten into the archive; anything else as archived.

    An unknown or corrupt encoding, or markup lxml cannot parse, falls back to the archived bytes;
    a body too large once decoded raises ``archive.api.inflate.BodyTooLargeError`` (HTTP 502).
    """
    content_type = header(got.http_headers, "content-type")
    is_css = (content_type or "").split(";", 1)[0].strip().lower() == "text/css"
    if not is_html(content_type) and not is_css:
        return got.payload, sent
    with SLOTS.held():
        try:
            body = decoded_body(got.http_headers, got.payload, where=url)
            if is_css:
                out, out_type = rewrite_css(body, url, archived, charset_of(content_type)), "text/css; charset=utf-8"
            else:
                out, out_type = rewrite_html(body, url, archived, content_type), "text/html; charset=utf-8"
        except BodyTooLargeError:
            raise
        except (ExtractError, ValueError, LookupError) as exc:
            log.warning("framed view falls back to the raw capture url=%s: %s", url, exc)
            return got.payload, sent
    kept = [(k, v) for k, v in sent if k.lower() not in ("content-type", "content-encoding")]
    return out, [*kept, ("Content-Type", out_type)]
