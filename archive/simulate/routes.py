"""URL routing of the simulated outlet: which page a path on a host gets.

Accepts every variant of an article URL the real site accepts (unpadded month and day,
another or no slug, a trailing slash, lower-case ``/detail/``) and redirects the 2012
form ``/detail/<id>.html``. Listings (home, sections, RSS, sitemaps) show live articles
only, as the diverging host sees them.
"""

from __future__ import annotations

import re

from archive.simulate import corpus, noise, pages
from archive.simulate.site import HTML, RSS, XML, Article, Page, Site

PAGE_SIZE = 10
"""Articles per section page, as on the real site."""
RSS_ITEMS = 100

_ARTICLE = re.compile(r"^/detail/(\d{4})/(\d{1,2})/(\d{1,2})/(\d+)(?:/[^/]*)?/?$", re.I)
_OLD_ARTICLE = re.compile(r"^/detail/(\d+)\.html$", re.I)
_SECTION = re.compile(r"^/section/(\d+)(?:/(\d+))?/?$", re.I)
_MONTH = re.compile(r"^/sitemap/(\d{4}-\d{2})/sitemap-news-(\d{4}-\d{2})\.xml$", re.I)


def respond(site: Site, host: str, authority: str, path: str, nonce: int) -> Page:
    """The page for ``path`` on ``host``; ``authority`` (host:port) builds absolute links."""
    ctx = pages.Context(host, authority, nonce, site.clock, site.markup_noise)
    with site.lock:
        if path == "/":
            latest = [site.view(host, i) for i in site.live_ids()[:30]]
            return Page(200, HTML, pages.encode(pages.home(ctx, latest)))
        if path.lower() == "/rss.xml":
            return Page(200, RSS, pages.encode(pages.rss(authority, _feed(site, host, authority))))
        if path.lower() == "/sitemap.xml":
            return Page(200, XML, pages.encode(pages.sitemap_index(authority, _months(site)[0])))
        if match := _MONTH.match(path):
            return _month(site, ctx, match.group(1), match.group(2))
        if match := _SECTION.match(path):
            return _section(site, ctx, int(match.group(1)), int(match.group(2) or 1))
        if match := _OLD_ARTICLE.match(path):
            article = site.articles.get(int(match.group(1)))
            if article is not None:
                location = f"http://{authority}{article.path}"
                return Page(301, HTML, pages.encode(pages.redirect(location)), (("Location", location),))
        if match := _ARTICLE.match(path):
            return _article(site, ctx, int(match.group(4)))
        return missing(ctx)


def missing(ctx: pages.Context, status: int = 404) -> Page:
    """The HTML error page (also for /robots.txt, which the real site lacks)."""
    return Page(status, HTML, pages.encode(pages.not_found(ctx, status)))


def _article(site: Site, ctx: pages.Context, article_id: int) -> Page:
    article = site.articles.get(article_id)
    if article is None:
        return missing(ctx)
    if article.gone is not None:
        return missing(ctx, article.gone)
    if article.redirect is not None:
        target, status = article.redirect
        location = f"http://{ctx.authority}{site.articles[target].path}"
        return Page(status, HTML, pages.encode(pages.redirect(location)), (("Location", location),))
    item = site.view(ctx.host, article_id)
    live = site.live_ids()
    others = [i for i in live if i != article_id]
    older = [i for i in others if i < article_id]
    card = site.view(ctx.host, older[0] if older else others[-1]) if others else None
    related = [site.view(ctx.host, i) for i in (older[1:5] or others[:4])]
    mirrors = [h for h in (*site.hosts, *site.announced) if h != ctx.host]
    text = pages.article(ctx, item, mirrors=mirrors, card=card, related=related)
    if site.noise == noise.NONE:
        return Page(200, HTML, pages.encode(text, pad_to=article.oversize))
    rng = noise.request_rng(site.seed, ctx.nonce)
    stories = [(site.articles[i].path, site.view(ctx.host, i).headline) for i in others]
    text = noise.apply(site.noise, text, noise.Request(rng, ctx.nonce, ctx.clock, stories))
    gzip, chunked = noise.encoding(site.noise, rng)
    return Page(200, HTML, pages.encode(text, pad_to=article.oversize), gzip=gzip, chunked=chunked)


def article_id(path: str) -> int | None:
    """The id in an article page path (any accepted variant, not the 2012 form), else None."""
    match = _ARTICLE.match(path)
    return int(match.group(4)) if match else None


def _section(site: Site, ctx: pages.Context, section_id: int, page: int) -> Page:
    if section_id not in corpus.SECTIONS or page < 1:
        return missing(ctx)
    ids = site.live_ids(section_id)
    chunk = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if page > 1 and not chunk:
        return missing(ctx)
    items = [site.view(ctx.host, i) for i in chunk]
    has_next = len(ids) > page * PAGE_SIZE
    return Page(200, HTML, pages.encode(pages.section(ctx, section_id, page, items, has_next)))


def _feed(site: Site, host: str, authority: str) -> list[tuple[Article, str]]:
    """Newest first, with the real feed's quirks: an old item placed among the new ones and
    two duplicate ids (one under another host, one under another slug)."""
    ids = site.live_ids()
    if not ids:
        return []
    chosen, old = ids[: RSS_ITEMS - 3], ids[-1]
    if old in chosen and len(chosen) > 4:
        chosen.remove(old)
    chosen.insert(min(3, len(chosen)), old)
    items = [(site.view(host, i), f"http://{authority}{site.articles[i].path}") for i in chosen]
    other = next((h for h in site.hosts if h != host), host)
    port = authority.rpartition(":")[2]
    dup_host = site.view(host, ids[min(1, len(ids) - 1)])
    items.insert(min(5, len(items)), (dup_host, f"http://{other}:{port}{dup_host.path}"))
    dup_slug = site.view(host, ids[min(2, len(ids) - 1)])
    words = dup_slug.slug.split("-")
    slug = "-".join(words[:-1]) if len(words) > 1 else dup_slug.slug + "-"
    path = dup_slug.path.rsplit("/", 1)[0] + "/" + slug
    items.insert(min(9, len(items)), (dup_slug, f"http://{authority}{path}"))
    return items[:RSS_ITEMS]


def _months(site: Site) -> tuple[list[str], str]:
    """Months listed in the sitemap index, newest first, and the listed month that 404s."""
    live = {f"{site.articles[i].url_date:%Y-%m}" for i in site.live_ids()}
    oldest = min(a.url_date for a in site.articles.values())
    dead = f"{oldest.year - 1}-{oldest.month:02d}"
    return [*sorted(live, reverse=True), dead], dead


def _month(site: Site, ctx: pages.Context, month: str, again: str) -> Page:
    listed, dead = _months(site)
    if month != again or month == dead or month not in listed:
        return missing(ctx)
    items = [site.view(ctx.host, i) for i in site.live_ids() if f"{site.articles[i].url_date:%Y-%m}" == month]
    return Page(200, XML, pages.encode(pages.sitemap_month(ctx.authority, items)))
