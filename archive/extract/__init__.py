"""Article extraction: from a stored page to headline, text, captions, images and dates.

One module per outlet that needs one (``presstv``), and ``generic`` (trafilatura) for the
rest; ``outlets.toml`` names the extractor of each outlet. Extraction runs from the WARC
record, never from a second fetch, so any version can be re-extracted later and must come
out the same::

    html, content_type = html_from_record(load_record(data))
    extracted = extract("presstv", html, url, content_type=content_type)

Broken markup never raises (the result holds what could be read); content that is not a
page at all (an image, a PDF, a body still compressed) raises :class:`ExtractError`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from archive.extract import generic, presstv
from archive.extract.content import MAX_DECODED_BYTES, MAX_HTML_BYTES, decode_content, html_from_record
from archive.extract.model import Extracted, ExtractError, not_an_article


class Extractor(Protocol):
    """What an extractor module's ``extract`` is."""

    def __call__(self, html: bytes, url: str, *, content_type: str | None = None) -> Extracted: ...


_EXTRACTORS: dict[str, Extractor] = {
    "generic": generic.extract,
    "presstv": presstv.extract,
}

__all__ = [
    "MAX_DECODED_BYTES",
    "MAX_HTML_BYTES",
    "ExtractError",
    "Extracted",
    "decode_content",
    "extract",
    "extractor_names",
    "html_from_record",
    "not_an_article",
]


def extractor_names() -> tuple[str, ...]:
    """The names ``outlets.toml`` may give as an outlet's ``extractor``, sorted."""
    return tuple(sorted(_EXTRACTORS))


def extract(name: str, html: bytes, url: str, *, content_type: str | None = None) -> Extracted:
    """Extract one page with the extractor called ``name``.

    ``url`` is the page's own URL (it resolves relative image links and gives the slug);
    ``content_type`` is the response's Content-Type header, whose charset is honoured.
    A page that is no article (:func:`not_an_article`, or the extractor's own judgement of
    the markup) comes back with ``not_article`` saying why.
    """
    extractor = _EXTRACTORS.get(name)
    if extractor is None:
        raise ExtractError(f"unknown extractor {name!r}: use one of {', '.join(extractor_names())} (outlets.toml)")
    extracted = extractor(html, url, content_type=content_type)
    reason = not_an_article(extracted) or extracted.not_article
    return extracted if reason == extracted.not_article else replace(extracted, not_article=reason)
