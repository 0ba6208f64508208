"""Markup of the simulated outlet's pages, following PRESSTV.md selector by selector.

These are pure functions from article views to text. The real extractor is tested against
this markup, so it reproduces what matters to extraction: the ``details-page`` container,
the breadcrumb, ``h1.news-title-container``, the ``news-modifydate-container`` time with an
optional "Last Update", a CKEditor-style body (image paragraphs, caption paragraphs, an
embedded ``data-oembed-url`` card) and the boilerplate the real site types into the body
itself (the alternate-addresses footer, "Press TV News Roku").

Some markup changes on every request (a view counter, a widget clock, the order of the
related-story list) so that tests prove such noise does not count as an edit; the
:data:`NOISE_PATTERNS` cut it out again.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

from archive.simulate.corpus import SECTIONS

if TYPE_CHECKING:
    from archive.simulate.site import Article

NOISE_PATTERNS: tuple[re.Pattern[bytes], ...] = (
    re.compile(rb'<span class="news-views">.*?</span>', re.S),
    re.compile(rb'<div class="widget-clock">.*?</div>', re.S),
    re.compile(rb'<ul class="related-news">.*?</ul>', re.S),
)
"""The parts of a page that vary per request; everything else is a function of the model."""

BAD_BYTES = b"\xff\xfe\xc3("
"""Invalid UTF-8 written into malformed pages."""
_BAD_MARK = "\ufffe"


def strip_noise(body: bytes) -> bytes:
    """The page without its per-request noise, for comparing two fetches."""
    for pattern in NOISE_PATTERNS:
        body = pattern.sub(b"", body)
    return body


@dataclass(frozen=True)
class Context:
    """What a page needs to know about the request it answers."""

    host: str
    authority: str
    nonce: int
    clock: datetime
    markup_noise: bool = False


def _e(text: str) -> str:
    return escape(text, quote=True)


def _chrome(ctx: Context, title: str, head: str, main: str) -> str:
    nav = "".join(f'<li><a href="/Section/{sid}">{_e(name)}</a></li>' for sid, name in SECTIONS.items())
    stamp = (ctx.clock + timedelta(seconds=ctx.nonce)).strftime("%H:%M:%S")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n{head}</head>\n<body>\n"
        '<div class="app-install-banner">Install the new version of PressTv application '
        '<a href="/Default/App">Install</a></div>\n'
        f'<header class="main-header"><a class="logo" href="/">PressTV</a>\n'
        f'<nav class="main-menu"><ul>{nav}</ul></nav></header>\n{main}\n'
        f'<footer class="main-footer"><div class="widget-clock">Updated {stamp}</div>\n'
        "<p>&copy; PressTV. All rights reserved.</p></footer>\n</body>\n</html>\n"
    )


def _link(article: Article) -> str:
    return f'<a class="section-latest-news-link" href="{_e(article.path)}">{_e(article.headline)}</a>'


def home(ctx: Context, latest: Sequence[Article]) -> str:
    """The front page: section links (in the menu) and the latest articles."""
    items = "\n".join(f"<li>{_link(a)}</li>" for a in latest)
    main = (
        '<div class="body-content home-page">\n<h2 class="section-title">Latest News</h2>\n'
        f'<ul class="latest-news">\n{items}\n</ul>\n</div>'
    )
    return _chrome(ctx, "PressTV", '<meta name="title" content="PressTV-Home">\n', main)


def section(ctx: Context, section_id: int, page: int, articles: Sequence[Article], has_next: bool) -> str:
    """One page of a section listing; ``.next > a`` leads to the following page."""
    name = SECTIONS[section_id]
    items = "\n".join(f'<li>{_link(a)}<p class="lead">{_e(a.description)}</p></li>' for a in articles)
    pager = ""
    if page > 1:
        prev = f"/Section/{section_id}" if page == 2 else f"/Section/{section_id}/{page - 1}"
        pager += f'<div class="prev"><a href="{prev}">Previous</a></div>'
    if has_next:
        pager += f'<div class="next"><a href="/Section/{section_id}/{page + 1}">Next</a></div>'
    main = (
        f'<div class="body-content section-page">\n<h1 class="section-title">{_e(name)}</h1>\n'
        f'<ul class="section-news-list">\n{items}\n</ul>\n<div class="pagination">{pager}</div>\n</div>'
    )
    return _chrome(ctx, f"{name} - PressTV", "", main)


def _when(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment:%A, %d %B %Y} {hour}:{moment:%M} {moment:%p}"


def _dc_created(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S %p}"


def _body(ctx: Context, article: Article, card: Article | None, mirrors: Iterable[str], broken: bool) -> str:
    photos: dict[int, list[str]] = {}
    for photo in article.photos:
        photos.setdefault(photo.position, []).append(
            f'<p><img alt="" src="{_e(photo.url)}"></p>\n<p>{_e(photo.caption)}</p>'
        )
    parts = []
    for index, text in enumerate(article.paragraphs):
        parts.extend(photos.pop(index, []))
        if index == 2 and card is not None:
            url = f"http://{ctx.authority}{card.path}"
            close = "" if broken else "</div>"
            parts.append(
                f'<div data-oembed-url="{_e(url)}"><div class="oembed-card">'
                f'<a href="{_e(card.path)}">{_e(card.headline)}</a>{close}</div>'
            )
        parts.append(_paragraph(index, text, broken))
    for rest in photos.values():
        parts.extend(rest)
    parts.append("<p>Press TV's website can also be accessed at the following alternate addresses:</p>")
    parts.extend(f'<p><a href="http://{_e(m)}">{_e(m)}</a></p>' for m in mirrors)
    parts.append('<p><a href="https://channelstore.roku.com/">Press TV News Roku</a></p>')
    return '<div class="news-body-container">\n' + "\n".join(parts) + "\n</div>"


def _paragraph(index: int, text: str, broken: bool) -> str:
    if not broken or index > 2:
        return f"<p>{_e(text)}</p>"
    if index == 0:
        return f"<p>{_e(text)}"
    first, _, rest = text.partition(" ")
    if index == 1:
        return f"<p><b><i>{_e(first)}{_BAD_MARK}</b></i> {_e(rest)}</p>"
    return f"<p>{_e(first)}\x00 {_e(rest)}</p>"


def article(
    ctx: Context,
    item: Article,
    *,
    mirrors: Sequence[str],
    card: Article | None,
    related: Sequence[Article],
) -> str:
    """An article page; ``item.malformed`` breaks its markup (see :func:`encode`)."""
    published, desc = item.published, item.description
    lead = item.photos[0].url if item.photos else ""
    head = (
        f'<meta name="title" content="PressTV-{_e(item.headline)}">\n'
        f'<meta name="description" content="{_e(desc)}">\n'
        f'<meta name="DC.Date.Created" content="{_dc_created(published)}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{_e(item.headline)}">\n'
        f'<meta property="og:description" content="{_e(desc)}">\n'
        f'<meta property="og:image" content="{_e(lead)}">\n'
    )
    update = ""
    if item.updated is not None:
        update = f" <strong>Last Update: {item.updated.day} {item.updated:%B %Y}</strong>"
    views = 1000 + item.id % 900 + 7 * ctx.nonce
    shift = ctx.nonce % len(related) if related else 0
    ordered = list(related[shift:]) + list(related[:shift])
    cards = "\n".join(f'<li><a href="{_e(r.path)}">{_e(r.headline)}</a></li>' for r in ordered)
    sec = item.section
    main = (
        '<div class="body-content details-page">\n'
        f'<div class="news-section-container"><a href="/Section/{sec}">News</a> / '
        f'<a href="/Section/{sec}">{_e(item.topic)}</a></div>\n'
        f'<h1 class="news-title-container">{_e(item.headline)}</h1>\n'
        f"{_writer(item.byline)}"
        f'<div class="news-info"><time class="news-modifydate-container" datetime="{_when(published)}">'
        f"{published.day} {published:%B}{update}</time>\n"
        f'<span class="news-views">{views} views</span></div>\n'
        f"{_body(ctx, item, card, mirrors, item.malformed)}\n"
        '<div class="share-widget"><span class="share-title">SHARE THIS ARTICLE</span>\n'
        '<a class="share-twitter" href="#share-twitter">X</a> '
        '<a class="share-facebook" href="#share-facebook">Facebook</a> '
        '<a class="share-embed" href="#embed">Embed</a></div>\n'
        f'<h3 class="related-title">Related stories</h3>\n<ul class="related-news">\n{cards}\n</ul>\n</div>'
    )
    if ctx.markup_noise:
        main = _markup_noise(ctx.nonce, main)
    return _chrome(ctx, f"{item.headline} - PressTV", head, main)


def _writer(byline: str) -> str:
    """The byline under the headline, on the few articles that have one."""
    return f'<div class="news-writer">By {_e(byline)}</div>\n' if byline else ""


def _markup_noise(nonce: int, main: str) -> str:
    """Every other request: attribute and class order, whitespace and an ad slot differ, as
    they do between a CMS's cache nodes; none of it is content."""
    if nonce % 2 == 0:
        return main
    return (
        main.replace('class="body-content details-page"', 'class="details-page body-content" data-node="b"')
        .replace('<h1 class="news-title-container">', '<h1 data-ad="0"  class="news-title-container" >')
        .replace("<p>", "<p>\n   ")
        .replace(
            '<div class="share-widget">',
            f'<div class="ad-slot" data-slot="{nonce}">Advertisement</div>\n<div class="share-widget">',
        )
    )


def not_found(ctx: Context, status: int = 404) -> str:
    """The outlet's error page (also served for retracted articles)."""
    text = "The page you requested has been removed." if status == 410 else "Page not found."
    main = f'<div class="body-content error-page"><h1>{status}</h1><p>{text}</p></div>'
    return _chrome(ctx, f"{status} - PressTV", "", main)


def redirect(location: str) -> str:
    """The short body some servers send with a 3xx."""
    return f'<html><body>Object moved to <a href="{_e(location)}">here</a>.</body></html>\n'


def seizure(host: str) -> str:
    """The notice shown on presstv.com after the US seizure of June 2021."""
    domain = host.removeprefix("www.")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>This domain has been seized</title>\n</head>\n<body>\n"
        '<div class="seizure-banner">\n<h1>This domain has been seized</h1>\n'
        f"<p>The domain {_e(domain)} has been seized by the United States Government in accordance "
        "with a seizure warrant issued pursuant to 50 U.S.C. &sect;&sect; 1701-1708; 50 U.S.C. "
        "&sect; 4801 et seq.; and 18 U.S.C. &sect; 981 as part of a law enforcement action by the "
        "Bureau of Industry and Security, Office of Export Enforcement and the Federal Bureau of "
        "Investigation.</p>\n</div>\n</body>\n</html>\n"
    )


def parked(host: str) -> str:
    """A registrar's parking page: what a lapsed mirror domain shows."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(host)}</title>\n</head>\n<body>\n"
        f'<div class="parking"><h1>{_e(host)}</h1>\n'
        "<p>This domain is for sale! Make an offer today.</p>\n"
        '<p><a href="/related-searches">Related searches</a></p>\n</div>\n</body>\n</html>\n'
    )


def rss(authority: str, items: Sequence[tuple[Article, str]]) -> str:
    """RSS 2.0 like the real feed: link, title, description, empty content:encoded; no dates.

    ``items`` pairs each article with the full link to write, so the caller decides the
    duplicate-id and old-item quirks.
    """
    entries = "\n".join(
        f"<item>\n<title>{_e(a.headline)}</title>\n<link>{_e(link)}</link>\n"
        f"<description>{_e(a.description)}</description>\n<content:encoded></content:encoded>\n</item>"
        for a, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>\n'
        f"<title>PressTV</title>\n<link>http://{_e(authority)}/</link>\n"
        "<description>PressTV News Feeds</description>\n<language>en</language>\n"
        f"{entries}\n</channel>\n</rss>\n"
    )


def sitemap_index(authority: str, months: Sequence[str]) -> str:
    """``/sitemap.xml``: one monthly news sitemap per ``YYYY-MM``, newest first."""
    entries = "\n".join(
        f"<sitemap><loc>http://{_e(authority)}/SiteMap/{m}/sitemap-news-{m}.xml</loc></sitemap>" for m in months
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}\n</sitemapindex>\n'
    )


def sitemap_month(authority: str, articles: Sequence[Article]) -> str:
    """A Google News urlset for one month."""
    entries = "\n".join(
        f"<url><loc>http://{_e(authority)}{_e(a.path)}</loc><news:news><news:publication>"
        "<news:name>PressTV</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
        f"<news:title>{_e(a.headline)}</news:title></news:news></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{entries}\n</urlset>\n"
    )


def encode(text: str, *, pad_to: int | None = None) -> bytes:
    """UTF-8 bytes of a page, with the malformed marker turned into invalid bytes.

    ``pad_to`` grows the page to exactly that many bytes with a comment of base64 filler
    before ``</body>`` (like an inlined image); a page already that large is left alone.
    """
    body = text.encode("utf-8").replace(_BAD_MARK.encode("utf-8"), BAD_BYTES)
    if pad_to is None or pad_to <= len(body):
        return body
    cut = body.rfind(b"</body>")
    cut = len(body) if cut < 0 else cut
    filler = _filler(pad_to - len(body) - len(b"<!--  -->"))
    return body[:cut] + b"<!-- " + filler + b" -->" + body[cut:] if filler else body + b" " * (pad_to - len(body))


@lru_cache(maxsize=8)
def _filler(length: int) -> bytes:
    if length <= 0:
        return b""
    raw = random.Random(length).randbytes(length * 3 // 4 + 3)
    return base64.b64encode(raw)[:length]
