"""Noise profiles: what a real outlet's article pages vary per request without any edit.

Detection must tell an editor's act from a page that merely differs between two fetches, so
the simulated outlet can serve each class of such difference on purpose (``edittrail
simulate --noise PROFILE``, ``SimulatedOutlet(noise=...)``). A profile rewrites the article
page's HTML after :func:`archive.simulate.pages.article` built it, with a generator seeded
per request: two fetches of one page, on one host or on two, differ in bytes. No profile
ever changes what a reader reads as the article (headline, paragraphs, captions, which
photo, date, byline, section): the article model is the same, only its wrapping differs.
Each transform works on the markup :mod:`archive.simulate.pages` writes, which is why they
live beside it rather than in a general HTML rewriter.

Listing pages (home, sections, feeds, sitemaps) are left alone: only article pages become
versions.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlsplit

NONE = "none"
ALL = "all"


@dataclass(frozen=True)
class Request:
    """What a noise transform may use: a per-request generator and the outlet's other articles."""

    rng: random.Random
    nonce: int
    """The outlet's request counter: rotating forms by it guarantees two fetches differ."""
    clock: datetime
    others: Sequence[tuple[str, str]] = ()
    """``(path, headline)`` of other live articles, for related-story cards."""


Transform = Callable[[str, Request], str]


@dataclass(frozen=True)
class Profile:
    """One class of noise: what it imitates, the page transforms, and wire-level variation."""

    description: str
    transforms: tuple[Transform, ...] = ()
    encoding: bool = False
    """Vary gzip/identity and chunked/Content-Length per request."""


def _e(text: str) -> str:
    return escape(text, quote=True)


_IMG = re.compile(r'<img alt="" src="([^"]*)">')
_OG_IMAGE = re.compile(r'(<meta property="og:image" content=")([^"]*)(">)')
_BODY_OPEN = '<div class="news-body-container">\n'
_FOOTER = "website can also be accessed at the following alternate address"
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def _asset_urls(html: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to every article image URL (body ``img`` and ``og:image``)."""
    html = _IMG.sub(lambda m: f'<img alt="" src="{_e(change(m.group(1)))}">', html)
    return _OG_IMAGE.sub(lambda m: m.group(1) + _e(change(m.group(2))) + m.group(3), html)


def _head(html: str, extra: str) -> str:
    return html.replace("</head>", extra + "</head>", 1)


def _body_slots(html: str) -> tuple[int, list[int]]:
    """Where inside the body container something may be inserted: its start, and the end of
    every block before the alternate-addresses footer (so the footer's host list stays whole)."""
    start = html.find(_BODY_OPEN)
    if start < 0:
        return -1, []
    start += len(_BODY_OPEN)
    end = html.find(_FOOTER, start)
    end = html.rfind("<p", start, end) if end >= 0 else html.find('<div class="share-widget">', start)
    end = len(html) if end < 0 else end
    slots, previous = [start], start
    for match in re.finditer(r"</p>\n|</div>\n", html[start:end]):
        if "<img" not in html[previous : start + match.end()]:  # never between a photo and its caption
            slots.append(start + match.end())
        previous = start + match.end()
    return start, slots


def _insert(html: str, pieces: list[tuple[int, str]]) -> str:
    """Insert text at offsets (computed on the same ``html``), last offset first."""
    for offset, text in sorted(pieces, key=lambda p: p[0], reverse=True):
        html = html[:offset] + text + html[offset:]
    return html


def _scatter(html: str, req: Request, blocks: list[str]) -> str:
    """Put each block at a random slot inside the body container."""
    _, slots = _body_slots(html)
    if not slots:
        return html
    return _insert(html, [(req.rng.choice(slots), block + "\n") for block in blocks])


# -- cachebust ----------------------------------------------------------------------------


def _busted(url: str, req: Request) -> str:
    rng = req.rng
    ms = int(req.clock.timestamp() * 1000) + req.nonce * 37 + rng.randint(0, 999)
    query = (
        f"v={rng.randint(1000, 9999)}",
        f"t={ms}&w={rng.choice((640, 800, 1024, 1280))}",
        f"ver={rng.getrandbits(32):08x}",
        f"_={ms}",
    )[(req.nonce + rng.randint(0, 3)) % 4]
    return f"{url}{'&' if '?' in url else '?'}{query}"


def cachebust(html: str, req: Request) -> str:
    """Every asset URL gets a per-request query: images, og:image, style sheet and script."""
    html = _asset_urls(html, lambda url: _busted(url, req))
    css, js = _busted("/Content/css/site.css", req), _busted("/Content/js/app.js", req)
    return _head(html, f'<link rel="stylesheet" href="{_e(css)}">\n<script src="{_e(js)}"></script>\n')


# -- filenames ----------------------------------------------------------------------------


def _renamed(url: str, req: Request, index: int) -> str:
    """The image's identity (its path) stays in the URL; a signature or size is added."""
    rng = req.rng
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    path = parts.path or "/"
    form = (req.nonce + index) % 4
    if form == 0:
        path = f"/cdn-cgi/image/w={rng.randint(300, 1600)},q={rng.randint(60, 95)}{path}"
    elif form == 1:
        stem, dot, ext = path.rpartition(".")
        sig = f"{rng.getrandbits(32):08x}"
        path = f"{stem}_{sig}.{ext}" if dot and "/" not in ext else f"{path}_{sig}"
    elif form == 2:
        path = f"/resized/{rng.getrandbits(64):016x}{path}"
    else:
        path = f"/img/{rng.randint(100, 999)}x{rng.randint(100, 999)}/smart{path}"
    return origin + path + (f"?{parts.query}" if parts.query else "")


def filenames(html: str, req: Request) -> str:
    """Per-request asset file names, the way signed or resizing CDNs write them."""
    counter = iter(range(1_000_000))
    return _asset_urls(html, lambda url: _renamed(url, req, next(counter)))


# -- lazyload -----------------------------------------------------------------------------


def _lazy(url: str, req: Request, index: int) -> str:
    rng = req.rng
    attr = rng.choice(("data-src", "data-lazy-src", "data-original"))
    form = (req.nonce + index) % 4
    src = _e(url)
    if form == 0:
        return f'<img alt="" src="{src}">'
    if form == 1:
        return f'<img alt="" class="lazyload" src="{_PIXEL}" {attr}="{src}">'
    if form == 2:
        return (
            f'<img alt="" src="/images/placeholder.gif" {attr}="{src}" loading="lazy">'
            f'<noscript><img alt="" src="{src}"></noscript>'
        )
    sep = "&" if "?" in url else "?"
    widths = sorted(rng.sample(range(240, 2000, 40), rng.randint(2, 4)))
    srcset = ", ".join(f"{_e(url)}{sep}w={w} {w}w" for w in widths)
    return f'<img alt="" src="{src}" srcset="{srcset}" sizes="(max-width: {widths[-1]}px) 100vw, {widths[-1]}px">'


def lazyload(html: str, req: Request) -> str:
    """Each image as plain ``src``, a placeholder with the real URL in ``data-*``, or with ``srcset``."""
    counter = iter(range(1_000_000))
    return _IMG.sub(lambda m: _lazy(m.group(1), req, next(counter)), html)


# -- related ------------------------------------------------------------------------------


def _card(path: str, headline: str, req: Request) -> str:
    link = f'<a href="{_e(path)}">{_e(headline)}</a>'
    form = req.rng.randint(0, 3)
    if form == 0:
        return f'<div class="story-card">{link}</div>'
    if form == 1:
        return f"<p><strong>READ MORE: {link}</strong></p>"
    if form == 2:
        return f'<div class="inline-related"><span>Also read</span> {link}</div>'
    return f'<aside class="more-stories"><h4>More on this story</h4><ul><li>{link}</li></ul></aside>'


def related(html: str, req: Request) -> str:
    """Related-story cards inside the body, other articles each time, in several markups."""
    if not req.others:
        return html
    picks = req.rng.sample(list(req.others), min(len(req.others), req.rng.randint(1, 3)))
    return _scatter(html, req, [_card(path, headline, req) for path, headline in picks])


# -- counters -----------------------------------------------------------------------------


def _ago(rng: random.Random) -> str:
    amount, unit = rng.choice(((rng.randint(1, 59), "minute"), (rng.randint(1, 23), "hour"), (1, "day")))
    return f"{amount} {unit}{'s' if amount > 1 else ''} ago"


def counters(html: str, req: Request) -> str:
    """View and share counters and relative times inside the body container."""
    rng = req.rng
    views = f"{rng.randint(200, 90000) + req.nonce:,}"
    stats = (
        f'<div class="article-stats"><span>{views} views</span> · <span>Shared {rng.randint(3, 900)} times</span></div>'
    )
    updated = rng.choice(
        (
            f'<p class="updated-ago">Updated {_ago(rng)}</p>',
            f'<div class="time-ago">{_ago(rng)}</div>',
            f"<p><em>Updated {_ago(rng)}</em></p>",
        )
    )
    start, _ = _body_slots(html)
    if start < 0:
        return html
    return _scatter(_insert(html, [(start, stats + "\n")]), req, [updated])


# -- nonces -------------------------------------------------------------------------------


def nonces(html: str, req: Request) -> str:
    """Script and style nonces, a CSRF token, random ids and data attributes, a comment."""
    rng = req.rng
    nonce = f"{rng.getrandbits(96):024x}"
    html = _head(
        html,
        f'<script nonce="{nonce}">window.__cfg={{rid:"{rng.getrandbits(64):016x}"}};</script>\n'
        f'<style nonce="{nonce}">.rid-{rng.getrandbits(16):04x}{{display:none}}</style>\n',
    )
    counter = iter(range(1_000_000))

    def tag(match: re.Match[str]) -> str:
        if next(counter) % 2:
            return f'<p id="p-{rng.getrandbits(32):08x}">'
        return f'<p data-uid="{rng.getrandbits(40):010x}" data-track="{rng.randint(1, 999)}">'

    start, slots = _body_slots(html)
    if start < 0:
        return html
    end = slots[-1]
    body = re.sub(r"<p>", tag, html[start:end])
    html = html[:start] + body + html[end:]
    form = (
        '<form class="newsletter" method="post" action="/Default/Subscribe">'
        f'<input type="hidden" name="__RequestVerificationToken" value="{rng.getrandbits(128):032x}"></form>'
    )
    comment = f"<!-- served by node-{rng.randint(1, 40)} in {rng.randint(3, 250)} ms req={rng.getrandbits(48):012x} -->"
    return _scatter(html, req, [form, comment])


# -- ads ----------------------------------------------------------------------------------

_SPONSORS = (
    "Discover the best winter holiday deals",
    "Learn a new language in three months",
    "Top-rated hotels near you",
    "Compare car insurance quotes today",
)


def _ad(req: Request) -> str:
    rng = req.rng
    form = rng.randint(0, 3)
    if form == 0:
        return (
            '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-1234567890" '
            f'data-ad-slot="{rng.randint(10**9, 10**10 - 1)}"></ins>'
            "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>"
        )
    if form == 1:
        slot = f"div-gpt-ad-{rng.randint(10**12, 10**13 - 1)}-{rng.randint(0, 9)}"
        return (
            f"<div id=\"{slot}\"><script>googletag.cmd.push(function(){{googletag.display('{slot}');}});</script></div>"
        )
    if form == 2:
        return '<div class="advertisement">Advertisement</div>'
    return (
        f'<p class="sponsored">Sponsored: <a href="https://ads.example.net/c/{rng.getrandbits(32):08x}">'
        f"{rng.choice(_SPONSORS)}</a></p>"
    )


def ads(html: str, req: Request) -> str:
    """Ad slots inside the body with rotating content and places."""
    return _scatter(html, req, [_ad(req) for _ in range(req.rng.randint(1, 3))])


# -- markup -------------------------------------------------------------------------------

_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[\w:.-]+(?:=\"[^\"]*\")?)+)\s*(/?)>")
_ATTR = re.compile(r"\s+([\w:.-]+)(?:=\"([^\"]*)\")?")
_VOID = re.compile(r"<(meta|img|link|input|br)\b([^<>]*?)\s*/?>")


def _shuffle_attrs(match: re.Match[str], rng: random.Random) -> str:
    name, attrs, slash = match.group(1), match.group(2), match.group(3)
    pairs = _ATTR.findall(attrs)
    rng.shuffle(pairs)
    out = []
    for key, value in pairs:
        if key == "class" and " " in value:
            tokens = value.split()
            rng.shuffle(tokens)
            value = " ".join(tokens)
        out.append(f'{key}="{value}"' if value or f'{key}=""' in attrs else key)
    return f"<{name} {' '.join(out)}{' /' if slash else ''}>"


def markup(html: str, req: Request) -> str:
    """Attribute and class order, whitespace, entity spelling and void-tag form vary; the
    wire encoding (gzip or identity, chunked or not) varies too (see :attr:`Profile.encoding`)."""
    rng = req.rng
    html = _TAG.sub(lambda m: _shuffle_attrs(m, rng), html)
    html = _VOID.sub(lambda m: f"<{m.group(1)}{m.group(2)}{rng.choice(('', ' /', '/'))}>", html)
    html = re.sub("&#x27;", lambda _: rng.choice(("&#x27;", "&#39;", "'")), html)
    html = re.sub(r">\n<", lambda _: rng.choice((">\n<", ">\n\n<", ">  \n  <", ">\n\t<")), html)
    return re.sub(r"<p>", lambda _: rng.choice(("<p>", "<p >", "<p>\n   ")), html)


PROFILES: dict[str, Profile] = {
    NONE: Profile("no per-request noise beyond a view counter and clock outside the body (the default)"),
    "cachebust": Profile(
        "a per-request query on every asset URL (images, og:image, css, js): ?v=1043, ?t=<ms>&w=800",
        (cachebust,),
    ),
    "filenames": Profile(
        "per-request image file names, as signed/resizing CDNs write them (/cdn-cgi/image/w=.../Photo/..., "
        "<uuid>_<sig>.jpg, /resized/<sig>/Photo/...)",
        (filenames,),
    ),
    "lazyload": Profile(
        "each image as src, as a placeholder with the real URL in data-src/data-lazy-src/data-original, or with srcset",
        (lazyload,),
    ),
    "related": Profile(
        "related-story cards inside the body, other stories each time (story-card, READ MORE, aside)", (related,)
    ),
    "counters": Profile("view/share counters and relative times ('5 minutes ago') inside the body", (counters,)),
    "nonces": Profile("script/style nonces, CSRF tokens, random ids and data-* attributes, a comment", (nonces,)),
    "ads": Profile("rotating ad slots inside the body (adsbygoogle, div-gpt-ad, Advertisement, sponsored)", (ads,)),
    "markup": Profile(
        "attribute order, whitespace, entities, void-tag form, gzip or identity, chunked or not",
        (markup,),
        encoding=True,
    ),
}
PROFILES[ALL] = Profile(
    "every profile above at once",
    (filenames, cachebust, lazyload, related, counters, ads, nonces, markup),
    encoding=True,
)


# == held-out profiles ===================================================================
#
# Noise of "another Press TV-like site": classes no profile above imitates, written after
# detection was built, to measure whether it learns noise it was not designed for. They are
# not in :data:`ALL` and not tuned to pass; each still never changes what a reader reads.
# Some vary per *host* (each mirror its own template or CDN), always with a per-request part.

HOLDOUT_PREFIX = "holdout_"
_OEMBED_HOST = re.compile(r'data-oembed-url="https?://([^/":]+)')
_FOOTER_LINK = re.compile(r'<p><a href="https?://([^"]+)">')
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r'(<time class="news-modifydate-container" datetime="[^"]*">)(.*?)(</time>)', re.S)
_DESCRIPTION = re.compile(r'(<meta name="description" content=")([^"]*)(">)')
_OG_DESCRIPTION = re.compile(r'(<meta property="og:description" content=")([^"]*)(">)')


def _serving_host(html: str) -> str:
    """The host that serves this page (the page knows it from its oEmbed card's address; else
    a name standing for it: the footer lists every announced host but the serving one)."""
    match = _OEMBED_HOST.search(html)
    if match:
        return match.group(1).lower()
    listed = ",".join(sorted(set(_FOOTER_LINK.findall(html))))
    return f"mirror{int(hashlib.sha256(listed.encode()).hexdigest()[:4], 16) % 7}.presstv.ir"


def _host_rng(html: str, what: str) -> random.Random:
    """A generator fixed per serving host: what one mirror's template always does."""
    return random.Random(f"holdout:{what}:{_serving_host(html)}")


# -- holdout_cdnhost ----------------------------------------------------------------------


def _cdn_hosted(url: str, req: Request, domain: str, index: int) -> str:
    parts = urlsplit(url)
    if not parts.netloc:
        return url
    rng = req.rng
    form = (req.nonce + index) % 4
    host = (f"cdn.{domain}", f"cdn{rng.randint(1, 4)}.{domain}", f"static.{domain}", f"CDN.{domain.upper()}")[form]
    scheme = rng.choice(("http:", "https:", ""))
    return f"{scheme}//{host}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def cdnhost(html: str, req: Request) -> str:
    """Each mirror serves its images from its own CDN (cdn.presstv.co.uk on presstv.co.uk), through
    one of several edge hosts per request, over http, https or protocol-relative, host case varying."""
    domain = _serving_host(html).removeprefix("www.")
    counter = iter(range(1_000_000))
    return _asset_urls(html, lambda url: _cdn_hosted(url, req, domain, next(counter)))


# -- holdout_imgsizes ---------------------------------------------------------------------


def _sized(url: str, req: Request, index: int) -> str:
    rng = req.rng
    parts = urlsplit(url)
    stem, dot, ext = parts.path.rpartition(".")
    if not dot or "/" in ext:
        return url
    width = rng.choice((150, 300, 480, 640, 768, 1024, 1200))
    suffix = (
        "",
        f"-{width}x{width * 2 // 3}",
        f"-{width}w",
        ".s",
        "-scaled",
        f"_{rng.choice(('thumb', 'medium', 'large'))}",
    )[(req.nonce + index) % 6]
    if rng.random() < 0.3:
        ext = rng.choice(("webp", "jpeg", "JPG"))
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return f"{origin}{stem}{suffix}.{ext}" + (f"?{parts.query}" if parts.query else "")


def imgsizes(html: str, req: Request) -> str:
    """Image file names with per-request size and format variants, as WordPress-like resizers write
    them: ``<name>-300x200.jpg``, ``<name>-768w.jpg``, ``<name>.s.jpg`` thumbnails, ``-scaled``,
    ``_medium``, ``.webp``."""
    counter = iter(range(1_000_000))
    return _asset_urls(html, lambda url: _sized(url, req, next(counter)))


# -- holdout_urlcase ----------------------------------------------------------------------


def _cased(url: str, req: Request, upper: bool) -> str:
    url = _UUID.sub(lambda m: m.group(0).upper(), url) if upper else url
    form = req.rng.randint(0, 2)
    if form == 1:  # percent-encoded unreserved characters: the same URL (RFC 3986, 6.2.2.2)
        head, sep, tail = url.rpartition("/")
        url = head + sep + tail.replace("-", "%2D")
    elif form == 2:
        url = re.sub(r"^(https?://)([^/]+)", lambda m: m.group(1) + m.group(2).upper(), url)
    return url


def urlcase(html: str, req: Request) -> str:
    """Some mirrors write photo GUIDs in upper case (an IIS site's paths are case-insensitive);
    per request the file name's hyphens come percent-encoded (``%2D``) or the host in capitals."""
    upper = _host_rng(html, "urlcase").random() < 0.5
    return _asset_urls(html, lambda url: _cased(url, req, upper))


# -- holdout_lazyattrs --------------------------------------------------------------------


def _loader(url: str, req: Request, index: int) -> str:
    src = _e(url)
    fallback = f'<noscript><img alt="" src="{src}"></noscript>'
    form = (req.nonce + index) % 4
    if form == 0:
        return f'<img alt="" src="{src}">'
    if form == 1:  # Cloudflare Mirage / Rocket Loader
        return f'<img alt="" data-cfsrc="{src}" style="display:none;visibility:hidden;">{fallback}'
    if form == 2:
        return (
            f'<picture><source type="image/webp" data-echo-srcset="{src}">'
            f'<img alt="" src="/Content/images/blank.png" data-echo="{src}"></picture>{fallback}'
        )
    attr = req.rng.choice(("data-llsrc", "data-img-src", "data-hi-res-src", "data-bg"))
    return f'<img alt="" class="lazy" src="/Content/images/loading.svg" {attr}="{src}">{fallback}'


def lazyattrs(html: str, req: Request) -> str:
    """Lazy loaders nobody listed: Cloudflare's ``data-cfsrc`` without ``src``, ``<picture>`` with a
    placeholder file and ``data-echo``, ``data-llsrc``/``data-hi-res-src``...; a ``<noscript>`` copy."""
    counter = iter(range(1_000_000))
    return _IMG.sub(lambda m: _loader(m.group(1), req, next(counter)), html)


# -- holdout_trending ---------------------------------------------------------------------


def trending(html: str, req: Request) -> str:
    """A "Trending now" box of rotating headlines (clicks go through JavaScript, no links) and a
    reader poll with live numbers, inside the body container."""
    rng = req.rng
    if not req.others:
        return html
    picks = rng.sample(list(req.others), min(len(req.others), rng.randint(2, 5)))
    items = "".join(f'<li data-href="{_e(path)}">{_e(headline)}</li>' for path, headline in picks)
    box = f'<div class="trending-box"><h4>Trending now</h4><ol>{items}</ol></div>'
    yes = rng.randint(30, 70)
    poll = (
        '<div class="reader-poll"><p>Should the UN Security Council act now?</p>'
        f"<ul><li>Yes {yes}%</li><li>No {100 - yes}%</li></ul>"
        f"<p>{rng.randint(200, 9000):,} votes so far</p></div>"
    )
    return _scatter(html, req, [box, poll][: rng.randint(1, 2)])


# -- holdout_thumbs -----------------------------------------------------------------------


def _thumb_of(path: str) -> str:
    digest = hashlib.sha256(path.encode()).hexdigest()
    name = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"
    return f"http://cdn.presstv.ir/Photo/2026/11/18/{name}.jpg"


def thumbs(html: str, req: Request) -> str:
    """Related cards whose thumbnail sits in a ``<figure>`` of its own (linked or not), the
    headline in the paragraph after it."""
    rng = req.rng
    if not req.others:
        return html
    cards = []
    for path, headline in rng.sample(list(req.others), min(len(req.others), rng.randint(1, 3))):
        img = f'<img alt="" src="{_e(_thumb_of(path))}">'
        figure = f'<a href="{_e(path)}">{img}</a>' if rng.random() < 0.5 else img
        cards.append(
            f'<figure class="rel-thumb">{figure}</figure>\n'
            f'<p class="rel-title"><a href="{_e(path)}">{_e(headline)}</a></p>'
        )
    return _scatter(html, req, cards)


# -- holdout_meta -------------------------------------------------------------------------


def meta(html: str, req: Request) -> str:
    """A relative time inside the ``<time>`` element (its ``datetime`` stays), og:image with a
    per-request query and fragment, and an og:description stamped with the render time."""
    rng = req.rng

    def stamp(match: re.Match[str]) -> str:
        inner = match.group(2)
        return f'{match.group(1)}{inner} <span class="ago">· {_ago(rng)}</span>{match.group(3)}'

    html = _TIME.sub(stamp, html, count=1)
    html = _OG_IMAGE.sub(
        lambda m: (
            f"{m.group(1)}{m.group(2)}?w=1200&amp;h=630&amp;r={rng.getrandbits(24):06x}"
            f"#{rng.randint(1, 99)}{m.group(3)}"
        ),
        html,
    )
    when = (req.clock.hour * 60 + req.clock.minute + req.nonce) % 1440
    return _OG_DESCRIPTION.sub(
        lambda m: f"{m.group(1)}{m.group(2)} [{when // 60:02d}:{when % 60:02d} GMT]{m.group(3)}", html
    )


# -- holdout_desctrunc --------------------------------------------------------------------


def desctrunc(html: str, req: Request) -> str:
    """Some mirrors run an older template that cuts the meta description at a word boundary
    near 150 characters with "..." (og:description stays whole); per request the cut varies
    between "..." and "…" and the description's trailing space."""
    limit = _host_rng(html, "desctrunc").choice((0, 0, 120, 150))

    def cut(match: re.Match[str]) -> str:
        text = match.group(2)
        if limit and len(text) > limit:
            text = text[:limit].rsplit(" ", 1)[0] + req.rng.choice(("...", " ...", "&#8230;"))
        return match.group(1) + text + req.rng.choice(("", " ")) + match.group(3)

    return _DESCRIPTION.sub(cut, html, count=1)


HOLDOUT: dict[str, Profile] = {
    "holdout_cdnhost": Profile(
        "held out: each mirror's own CDN host (cdn.presstv.co.uk...), edge host, scheme and host case per request",
        (cdnhost,),
    ),
    "holdout_imgsizes": Profile(
        "held out: per-request size/format variants in image names (-300x200, -768w, .s, -scaled, _thumb, .webp)",
        (imgsizes,),
    ),
    "holdout_urlcase": Profile(
        "held out: upper-case photo GUIDs on some mirrors; %2D-encoded hyphens or an upper-case host per request",
        (urlcase,),
    ),
    "holdout_lazyattrs": Profile(
        "held out: unlisted lazy loaders (data-cfsrc without src, picture+data-echo, data-llsrc) with noscript",
        (lazyattrs,),
    ),
    "holdout_trending": Profile(
        "held out: a 'Trending now' box of rotating headlines (no links) and a live reader poll in the body",
        (trending,),
    ),
    "holdout_thumbs": Profile(
        "held out: related cards whose thumbnail sits in its own <figure> (linked or not) before the headline",
        (thumbs,),
    ),
    "holdout_meta": Profile(
        "held out: relative time inside <time>, per-request query/fragment on og:image, og:description time stamp",
        (meta,),
    ),
    "holdout_desctrunc": Profile(
        "held out: some mirrors cut the meta description near 150 characters with '...'",
        (desctrunc,),
    ),
}
HOLDOUT["holdout_all"] = Profile(
    "held out: every holdout profile at once, with attribute order and encoding varying",
    (desctrunc, imgsizes, urlcase, cdnhost, meta, lazyattrs, trending, thumbs, markup),
    encoding=True,
)
PROFILES.update(HOLDOUT)


def check(name: str) -> str:
    """The profile name, or a ValueError listing the known ones."""
    if name not in PROFILES:
        raise ValueError(f"unknown noise profile {name!r}; use one of: {', '.join(NAMES)}")
    return name


def request_rng(seed: int, nonce: int) -> random.Random:
    """The generator of one request: reproducible for a seed, different for every request."""
    return random.Random(f"noise:{seed}:{nonce}")


def apply(name: str, html: str, req: Request) -> str:
    """The article page under profile ``name``."""
    for transform in PROFILES[name].transforms:
        html = transform(html, req)
    return html


def encoding(name: str, rng: random.Random) -> tuple[bool | None, bool | None]:
    """``(gzip, chunked)`` for one response: None leaves the server's default."""
    if not PROFILES[name].encoding:
        return None, None
    return rng.random() < 0.5, rng.random() < 0.5


def describe() -> str:
    """One line per profile, for help texts."""
    return "; ".join(f"{name}: {profile.description}" for name, profile in PROFILES.items())


__all__ = ["ALL", "NAMES", "NONE", "PROFILES", "Profile", "Request", "apply", "check", "describe", "encoding"]


# == second held-out round ===============================================================
#
# Noise of yet another Press TV-like site, written after the first held-out round passed:
# classes neither set above imitates (CSS-hidden anti-scraper text, head metadata naming an
# author, dates and "Last Update" in other notations or another zone, escaping and bidi marks
# in the head's descriptions, breadcrumb links, a generated share card as og:image, a mirror's
# own disclaimer and translated UI labels). Not in :data:`ALL`, not tuned to pass; each still
# never changes what a reader reads. Per-host choices always come with a per-request part.

HOLDOUT2_PREFIX = "holdout2_"
_DATETIME = re.compile(r'(<time class="news-modifydate-container" datetime=")([^"]*)(">)')
_DC_CREATED = re.compile(r'(<meta name="DC.Date.Created" content=")([^"]*)(">)')
_LAST_UPDATE_STRONG = re.compile(r"<strong>Last Update: (\d{1,2}) (\w+) (\d{4})</strong>")
_OG_TITLE = re.compile(r'(<meta property="og:title" content=")([^"]*)(">)')
_CRUMB = re.compile(r'(<div class="news-section-container">)(.*?)(</div>)', re.S)
_SECTION_LINK = re.compile(r'href="/Section/(\d+)"')
_TEHRAN = timedelta(hours=3, minutes=30)


def _host_pick(html: str, what: str, options: int) -> int:
    """A choice fixed per serving host (one mirror's template or server settings)."""
    digest = hashlib.sha256(f"holdout2:{what}:{_serving_host(html)}".encode()).hexdigest()
    return int(digest[:8], 16) % options


def _letters(rng: random.Random, low: int = 5, high: int = 9) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(low, high)))


def _published_of(html: str) -> datetime | None:
    match = _DATETIME.search(html)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(2), "%A, %d %B %Y %I:%M %p")  # noqa: DTZ007  # UTC wall clock
    except ValueError:
        return None


# -- holdout2_hidden ----------------------------------------------------------------------


def hidden(html: str, req: Request) -> str:
    """Anti-scraper canaries: a block of text no browser shows (inline ``display:none``, the
    ``hidden`` attribute, ``visibility:hidden``, ``aria-hidden`` off-screen, a ``d-none`` utility
    class), naming the source with a random code of letters that is new on every request."""
    rng = req.rng
    blocks = []
    for _ in range(rng.randint(1, 2)):
        text = rng.choice(
            (
                f"This article was first published by Press TV {_letters(rng)}",
                f"Source presstv ref {_letters(rng)} {_letters(rng)}",
                f"{_letters(rng)} {_letters(rng)} {_letters(rng)}",
                f"Copied from Press TV without permission {_letters(rng)}",
            )
        )
        form = rng.randint(0, 4)
        blocks.append(
            (
                f'<p style="display:none">{text}</p>',
                f"<p hidden>{text}</p>",
                f'<div style="visibility: hidden; height: 0; overflow: hidden">{text}</div>',
                f'<div aria-hidden="true" style="position:absolute;left:-9999px;top:-9999px">{text}</div>',
                f'<div class="d-none">{text}</div>',
            )[form]
        )
    return _scatter(html, req, blocks)


# -- holdout2_author ----------------------------------------------------------------------


def author(html: str, req: Request) -> str:
    """Head metadata naming an author: some mirrors' templates write ``<meta name="author">``
    with the site's name, others a ``<link rel="author">`` to a humans.txt; each is left out on
    some requests (two template versions behind one cache). The byline a reader sees stays."""
    rng = req.rng
    form = _host_pick(html, "byline-meta", 3)
    if rng.random() < 0.35:
        return _head(html, f'<meta name="generator" content="PressCMS {rng.randint(1, 9)}.{rng.randint(0, 20)}">\n')
    if form == 0:
        site = rng.choice(("PressTV", "Press TV", "PressTV News Desk"))
        return _head(html, f'<meta name="author" content="{site}">\n')
    if form == 1:
        return html.replace("<head>\n", f'<head>\n<link rel="author" href="/humans.txt?{rng.randint(1, 99)}">\n', 1)
    return _head(
        html,
        '<link rel="author" href="/humans.txt">\n<meta name="author" content="Press TV">\n',
    )


# -- holdout2_datetime --------------------------------------------------------------------


def datetimes(html: str, req: Request) -> str:
    """The ``<time>``'s ``datetime`` and ``DC.Date.Created`` name the same instant in another
    notation per request: the site's own, ISO 8601 with ``Z``, with Tehran's ``+03:30``, RFC 1123
    (``Wed, 23 Sep 2026 08:20:00 GMT``) or "September 23, 2026 at 8:20 AM UTC"."""
    moment = _published_of(html)
    if moment is None:
        return html
    rng = req.rng
    tehran = moment + _TEHRAN
    hour = moment.hour % 12 or 12
    form = (req.nonce + rng.randint(0, 4)) % 5
    value = (
        None,
        f"{moment:%Y-%m-%dT%H:%M:%S}Z",
        f"{tehran:%Y-%m-%dT%H:%M:%S}+03:30",
        f"{moment:%a, %d %b %Y %H:%M:%S} GMT",
        f"{moment:%B} {moment.day}, {moment.year} at {hour}:{moment:%M} {moment:%p} UTC",
    )[form]
    if value is not None:
        html = _DATETIME.sub(lambda m: m.group(1) + value + m.group(3), html, count=1)
    if rng.random() < 0.5:
        html = _DC_CREATED.sub(lambda m: f"{m.group(1)}{moment:%Y-%m-%dT%H:%M:%S}Z{m.group(3)}", html, count=1)
    return html


# -- holdout2_timezone --------------------------------------------------------------------


def timezone(html: str, req: Request) -> str:
    """Some mirrors' servers run in Asia/Tehran: their ``datetime`` is the same instant as Tehran
    wall-clock time without a zone (the visible "23 September" stays); per request the hour is
    written in 12- or 24-hour form."""
    moment = _published_of(html)
    if moment is None:
        return html
    if _host_pick(html, "timezone", 2):
        moment += _TEHRAN
    hour = moment.hour % 12 or 12
    value = (
        f"{moment:%A, %d %B %Y} {hour}:{moment:%M} {moment:%p}"
        if req.rng.random() < 0.5
        else f"{moment:%A, %d %B %Y %H:%M}"
    )
    return _DATETIME.sub(lambda m: m.group(1) + value + m.group(3), html, count=1)


# -- holdout2_lastupdate ------------------------------------------------------------------


def lastupdate(html: str, req: Request) -> str:
    """The "Last Update" date in another notation per request (as the pre-2020 pages and other
    templates wrote it): "Tue Nov 24, 2026", "24/11/2026", "2026-11-24", "24 Nov 2026"."""
    rng = req.rng

    def spelled(match: re.Match[str]) -> str:
        try:
            day = datetime.strptime(" ".join(match.groups()), "%d %B %Y")  # noqa: DTZ007  # a calendar date
        except ValueError:
            return match.group(0)
        text = (
            f"{day.day} {day:%B %Y}",
            f"{day:%a %b} {day.day}, {day.year}",
            f"{day:%d/%m/%Y}",
            f"{day:%Y-%m-%d}",
            f"{day.day} {day:%b %Y}",
        )[(req.nonce + rng.randint(0, 4)) % 5]
        label = rng.choice(("Last Update:", "Last Update :", "Last update:"))
        return f"<strong>{label} {text}</strong>"

    html = _LAST_UPDATE_STRONG.sub(spelled, html, count=1)
    return _head(html, f'<meta name="revision" content="{rng.getrandbits(32):08x}">\n')


# -- holdout2_escaping --------------------------------------------------------------------


def _double_escaped(text: str, rng: random.Random) -> str:
    """An attribute escaped twice: what the page's parser reads back still has entities in it."""
    apostrophe = rng.choice(("&amp;#39;", "&amp;#x27;", "&amp;apos;"))
    text = text.replace("&amp;", "&amp;amp;").replace("&quot;", "&amp;quot;")
    return text.replace("&#x27;", apostrophe).replace("'", apostrophe)


def escaping(html: str, req: Request) -> str:
    """Some mirrors' templates escape the head's texts twice (``Iran&amp;#39;s``: the description
    reads "Iran&#39;s" there), the entity chosen per request; others write ``'`` or ``&#39;``."""
    rng = req.rng
    twice = _host_pick(html, "escaping", 2) == 1

    def fix(match: re.Match[str]) -> str:
        text = match.group(2)
        single = text.replace("&#x27;", rng.choice(("&#39;", "'", "&#x27;")))
        return match.group(1) + (_double_escaped(text, rng) if twice else single) + match.group(3)

    for pattern in (_DESCRIPTION, _OG_DESCRIPTION, _OG_TITLE):
        html = pattern.sub(fix, html, count=1)
    return html


# -- holdout2_bidi ------------------------------------------------------------------------

_BIDI = ("&lrm;", "&rlm;", "&#x200E;", "&#8207;", "&#x061C;")


def bidi(html: str, req: Request) -> str:
    """A bilingual CMS's bidi marks (LRM, RLM, ALM) in the head's descriptions and og:title: some
    mirrors open every one with a mark; per request a few more fall between words."""
    rng = req.rng
    opening = _BIDI[_host_pick(html, "bidi", 3)] if _host_pick(html, "bidi-open", 2) else ""

    def mark(match: re.Match[str]) -> str:
        words = match.group(2).split(" ")
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(1, max(1, len(words) - 1))
            words[at - 1] += rng.choice(_BIDI)
        return match.group(1) + opening + " ".join(words) + match.group(3)

    for pattern in (_DESCRIPTION, _OG_DESCRIPTION, _OG_TITLE):
        html = pattern.sub(mark, html, count=1)
    return html


# -- holdout2_crumblinks ------------------------------------------------------------------


def crumblinks(html: str, req: Request) -> str:
    """The breadcrumb's section links in other spellings of the same address per request:
    absolute on the serving host or the primary, protocol-relative, lower case, a trailing
    slash, a tracking query. The crumb's text ("News / Syria") stays."""
    rng = req.rng
    host = _serving_host(html)

    def link(match: re.Match[str]) -> str:
        sid = match.group(1)
        form = rng.randint(0, 5)
        href = (
            f"/Section/{sid}",
            f"http://{host}/Section/{sid}",
            f"https://www.presstv.ir/Section/{sid}",
            f"//{host}/Section/{sid}/",
            f"/section/{sid}",
            f"/Section/{sid}?ref=breadcrumb",
        )[form]
        return f'href="{_e(href)}"'

    return _CRUMB.sub(lambda m: m.group(1) + _SECTION_LINK.sub(link, m.group(2)) + m.group(3), html, count=1)


# -- holdout2_sharecard -------------------------------------------------------------------


def sharecard(html: str, req: Request) -> str:
    """Some mirrors put a generated share card (the headline over the photo, 1200x630) before
    the photo as the first og:image; one cache node of two omits it, and its version varies.
    The body's photos, and the last og:image, stay the article's."""
    if not _host_pick(html, "sharecard", 2) or req.rng.random() < 0.3:
        return _head(html, f'<meta property="og:image:alt" content="PressTV {req.rng.randint(1, 999)}">\n')
    title = _OG_TITLE.search(html)
    key = hashlib.sha256((title.group(2) if title else "").encode()).hexdigest()[:12]
    card = f"https://cdn.presstv.ir/ShareCard/{key}-1200x630.jpg?v={req.rng.randint(1, 40)}"
    return html.replace(
        '<meta property="og:image" content="',
        f'<meta property="og:image" content="{card}">\n<meta property="og:image" content="',
        1,
    )


# -- holdout2_mirrornote ------------------------------------------------------------------

_UI_LABELS = (
    ("Share", "Comments"),
    ("Partager", "Commentaires"),
    ("Compartir", "Comentarios"),
    ("اشتراک", "نظرات"),
)


def mirrornote(html: str, req: Request) -> str:
    """One mirror opens every body with a disclaimer of its own; every mirror shows the article
    tools (share, comments with a per-request count) in its own language inside the body."""
    rng = req.rng
    host = _serving_host(html)
    share, comments = _UI_LABELS[_host_pick(html, "labels", len(_UI_LABELS))]
    tools = f'<div class="article-tools"><span>{share}</span> <span>{comments} ({rng.randint(0, 300)})</span></div>'
    start, _ = _body_slots(html)
    if start < 0:
        return html
    pieces = [(start, tools + "\n")]
    if _host_pick(html, "note", 3) == 0:
        note = (
            f"<p><em>You are reading Press TV on {_e(host)}, an official mirror of presstv.ir "
            "kept for readers who cannot reach the main site.</em></p>"
        )
        pieces.append((start, note + "\n"))
    return _scatter(_insert(html, pieces), req, [tools] if rng.random() < 0.3 else [])


HOLDOUT2: dict[str, Profile] = {
    "holdout2_hidden": Profile(
        "held out 2: CSS-hidden anti-scraper text with a random code (display:none, hidden, aria-hidden, d-none)",
        (hidden,),
    ),
    "holdout2_author": Profile(
        "held out 2: meta author / link rel=author in the head per mirror, left out on some requests",
        (author,),
    ),
    "holdout2_datetime": Profile(
        "held out 2: the time's datetime per request as ISO Z, ISO +03:30, RFC 1123 or 'Month D, YYYY at ... UTC'",
        (datetimes,),
    ),
    "holdout2_timezone": Profile(
        "held out 2: some mirrors write datetime as Tehran wall-clock time without a zone; 12/24-hour per request",
        (timezone,),
    ),
    "holdout2_lastupdate": Profile(
        "held out 2: 'Last Update' per request as 'Tue Nov 24, 2026', '24/11/2026', '2026-11-24', '24 Nov 2026'",
        (lastupdate,),
    ),
    "holdout2_escaping": Profile(
        "held out 2: some mirrors escape description/og:title twice (Iran&#39;s as text), the entity per request",
        (escaping,),
    ),
    "holdout2_bidi": Profile(
        "held out 2: LRM/RLM/ALM bidi marks in description and og:title, per mirror and per request",
        (bidi,),
    ),
    "holdout2_crumblinks": Profile(
        "held out 2: breadcrumb section links absolute, protocol-relative, lower case or with a query per request",
        (crumblinks,),
    ),
    "holdout2_sharecard": Profile(
        "held out 2: some mirrors put a generated share card first as og:image (not on every request)",
        (sharecard,),
    ),
    "holdout2_mirrornote": Profile(
        "held out 2: one mirror's own disclaimer atop the body; translated share/comments labels with a count",
        (mirrornote,),
    ),
}
HOLDOUT2["holdout2_all"] = Profile(
    "held out 2: every second-round profile at once but the known limit (timezone), with markup noise",
    (hidden, author, datetimes, lastupdate, escaping, bidi, crumblinks, sharecard, mirrornote, markup),
    encoding=True,
)
PROFILES.update(HOLDOUT2)
# == third held-out round ================================================================
#
# Noise of a third Press TV-like site, written after the second held-out round passed:
# classes none of the sets above imitates (typographic variants of the article's own text,
# inline wrappers and keyword links, a glossary plugin whose tooltips a page style sheet
# hides, a legacy template joining paragraphs with <br><br>, embedded posts and videos with
# live counts and short relative times, the layout's own description and logo in the head
# before the article's, a relative time inside "Last Update", a tag line in random order,
# native ads without any class). Not in :data:`ALL`, not tuned to pass; each still never
# changes what a reader reads. Per-host choices always come with a per-request part.

HOLDOUT3_PREFIX = "holdout3_"
_BODY_PARAGRAPH = re.compile(r"<p>([^<>]+)</p>")
_H1 = re.compile(r'(<h1 class="news-title-container">)([^<]*)(</h1>)')
_LAST_UPDATE_ANY = re.compile(r"(<strong>Last Update: )([^<]*)(</strong>)")


def _host3(html: str, what: str, options: int) -> int:
    """A choice fixed per serving host (one mirror's template, plugin or server setting)."""
    digest = hashlib.sha256(f"holdout3:{what}:{_serving_host(html)}".encode()).hexdigest()
    return int(digest[:8], 16) % options


def _article_key(html: str) -> int:
    """A number fixed per article whatever its editors change (the time of day of its creation:
    a backdated story keeps it), for what the article carries in every copy (a tweet, tags)."""
    match = _DC_CREATED.search(html)
    moment = match.group(2).split(" ", 1)[-1] if match else ""
    return int(hashlib.sha256(f"holdout3:{moment}".encode()).hexdigest()[:8], 16)


def _body_region(html: str) -> tuple[int, int]:
    """The body container from its start to the alternate-addresses footer (or its end)."""
    start, _ = _body_slots(html)
    if start < 0:
        return -1, -1
    footer = html.find(_FOOTER, start)
    end = html.rfind("<p", start, footer) if footer >= 0 else html.find('</div>\n<div class="share-widget">', start)
    return start, (len(html) if end < 0 else end)


def _in_body(html: str, change: Callable[[str], str]) -> str:
    start, end = _body_region(html)
    if start < 0:
        return html
    return html[:start] + change(html[start:end]) + html[end:]


# -- holdout3_typography ------------------------------------------------------------------

_APOSTROPHES = ("&#x27;", "&#8217;", "&#700;", "&rsquo;")
"""ASCII, RIGHT SINGLE QUOTATION MARK, MODIFIER LETTER APOSTROPHE (U+02BC), and the entity name."""
_ELLIPSES = ("...", "&#8230;", ". . .", "&hellip;")


def typography(html: str, req: Request) -> str:
    """A "smart typography" filter that one cache node of two runs over the article's own text
    (headline, paragraphs, captions): apostrophes as ASCII, U+2019 or U+02BC (the modifier
    letter some converters prefer), "..." as "…" or spaced ". . ." (Chicago style); each mirror
    its own preference, the filter on or off per request. The words stay."""
    rng = req.rng
    html += f"<!-- cache node {rng.getrandbits(32):08x} -->\n"  # which node answered: never the same twice
    if rng.random() < 0.4:
        return html
    apostrophe = _APOSTROPHES[(_host3(html, "apostrophe", 4) + rng.randint(0, 1)) % 4]
    ellipsis = _ELLIPSES[(_host3(html, "ellipsis", 4) + rng.randint(0, 1)) % 4]

    def smart(text: str) -> str:
        return text.replace("&#x27;", apostrophe).replace("...", ellipsis)

    html = _H1.sub(lambda m: m.group(1) + smart(m.group(2)) + m.group(3), html, count=1)
    return _in_body(html, lambda body: _BODY_PARAGRAPH.sub(lambda m: f"<p>{smart(m.group(1))}</p>", body))


# -- holdout3_inline ----------------------------------------------------------------------


def _wrapped(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    out = []
    for word in words:
        plain = word.isalpha()
        roll = rng.random()
        if plain and len(word) > 9 and roll < 0.3:  # a break opportunity inside a long word
            cut = rng.randint(3, len(word) - 3)
            word = f"{word[:cut]}{rng.choice(('<wbr>', '<wbr/>', '<wbr />'))}{word[cut:]}"
        elif plain and word[:1].isupper() and roll < 0.25:  # a keyword linked to its tag page
            word = f'<a href="/Tag/{word}" class="kw">{word}</a>'
        elif plain and roll < 0.1:
            word = f'<span class="w{rng.randint(1, 9)}">{word}</span>'
        out.append(word)
    return " ".join(out)


def inline(html: str, req: Request) -> str:
    """A per-request text enhancer: keyword links to tag pages, ``<wbr>``
    inside long words (a break opportunity only), ``<span>`` wrappers around words. The text a
    reader reads is unchanged."""
    rng = req.rng
    return _in_body(html, lambda body: _BODY_PARAGRAPH.sub(lambda m: f"<p>{_wrapped(m.group(1), rng)}</p>", body))


# -- holdout3_tooltip ---------------------------------------------------------------------

_GLOSSARY = (
    ("UN", "United Nations, an intergovernmental organization"),
    ("Iran", "Islamic Republic of Iran, a country in West Asia"),
    ("Israel", "occupying regime in Palestine"),
    ("Syria", "Syrian Arab Republic"),
    ("US", "United States of America"),
    ("Russia", "Russian Federation"),
    ("Gaza", "Gaza Strip, a Palestinian territory"),
)


def tooltip(html: str, req: Request) -> str:
    """A glossary plugin that one cache node of two runs: the first mention of each known term
    becomes ``<span class="gl-term">Iran<span class="gl-tip">Islamic Republic ...</span></span>``
    and the page's own ``<style>`` hides the tip until hover (class names per mirror). A reader
    sees "Iran"; the tip's words are in the markup only on those requests."""
    rng = req.rng
    if rng.random() < 0.5:
        return html
    tip = ("gl-tip", "glossary-def", "tt-content")[_host3(html, "tooltip", 3)]
    html = _head(html, f"<style>.{tip}{{display:none}}.gl-term:hover .{tip}{{display:block}}</style>\n")
    done: set[str] = set()

    def annotate(match: re.Match[str]) -> str:
        text = match.group(1)
        for term, meaning in _GLOSSARY:
            if term in done:
                continue
            found = re.search(rf"\b{re.escape(term)}\b", text)
            if found:
                done.add(term)
                text = (
                    f'{text[: found.start()]}<span class="gl-term">{term}<span class="{tip}">'
                    f"{_e(meaning)}</span></span>{text[found.end() :]}"
                )
        return f"<p>{text}</p>"

    return _in_body(html, lambda body: _BODY_PARAGRAPH.sub(annotate, body))


# -- holdout3_brsplit ---------------------------------------------------------------------


def brsplit(html: str, req: Request) -> str:
    """One mirror's legacy template writes runs of paragraphs as one ``<p>`` with ``<br><br>``
    between them (the break's spelling, and which runs are joined, vary per request); photos
    and their captions keep their own paragraphs. Every paragraph's text stays, in order."""
    rng = req.rng
    if _host3(html, "brsplit", 2) == 0 and rng.random() < 0.7:
        return html
    brk = rng.choice(("<br><br>", "<br/><br/>", "<br>\n<br>", "<br /><br />", "<br>&nbsp;<br>"))

    def join(body: str) -> str:
        lines = body.split("\n")
        out: list[str] = []
        joinable = False  # the last line written is a plain paragraph that may take the next one
        for index, line in enumerate(lines):
            plain = _BODY_PARAGRAPH.fullmatch(line) is not None and (index == 0 or "<img" not in lines[index - 1])
            if plain and joinable and rng.random() < 0.6:
                out[-1] = out[-1][: -len("</p>")] + brk + line[len("<p>") :]
                continue
            out.append(line)
            joinable = plain
        return "\n".join(out)

    return _in_body(html, join)


# -- holdout3_embeds ----------------------------------------------------------------------

_TWEETS = (
    ("Tasnim News", "Tasnimnews_EN", "Tehran says it will respond to any aggression decisively."),
    ("IRNA English", "IrnaEnglish", "Foreign ministry spokesman briefs reporters on the latest talks."),
    ("Press TV", "PressTV", "Watch our correspondent report from the scene."),
    ("UN News", "UN_News_Centre", "The Secretary General calls for restraint and dialogue."),
    ("Al Mayadeen English", "MayadeenEnglish", "Residents describe the night of strikes."),
)
_VIDEO_WORDS = (
    ("Report", "Interview", "Analysis", "Footage"),
    ("from", "on", "about"),
    ("the ground", "the talks", "the region"),
)


def _count(value: int, rng: random.Random) -> str:
    """A count as embed widgets print it: 1,234, 1234, 1.2K."""
    form = rng.randint(0, 2)
    if form == 2 and value >= 1000:
        return f"{value / 1000:.1f}K"
    return f"{value:,}" if form == 0 else str(value)


def _short_ago(rng: random.Random) -> str:
    return rng.choice((f"{rng.randint(1, 59)}m", f"{rng.randint(1, 23)}h", f"{rng.randint(2, 6)}d", "yesterday", "now"))


def embeds(html: str, req: Request) -> str:
    """An embedded post and a video the editors put in the story (the same in every copy, at the
    same place), as a server-side embed renders them: the post's likes and reposts and the
    video's views live (1,234 / 1234 / 1.2K), with a short relative time ("3h", "yesterday")."""
    rng = req.rng
    key = _article_key(html)
    _, slots = _body_slots(html)
    if len(slots) < 3:
        return html
    name, handle, text = _TWEETS[key % len(_TWEETS)]
    status = 1_800_000_000_000_000_000 + key
    tweet = (
        f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">{_e(text)}</p>'
        f'&mdash; {_e(name)} (@{handle}) <a href="https://twitter.com/{handle}/status/{status}">{_short_ago(rng)}</a>'
        f'<div class="tweet-metrics">{_count(rng.randint(80, 20000), rng)} likes · '
        f"{_count(rng.randint(5, 5000), rng)} reposts</div></blockquote>"
    )
    a, b, c = (w[(key >> (4 * i)) % len(w)] for i, w in enumerate(_VIDEO_WORDS))
    video = (
        f'<div class="video-embed"><video controls src="https://preview.presstv.ir/{key:08x}.mp4"></video>'
        f'<div class="video-info">{a} {b} {c} · {_count(rng.randint(500, 90000), rng)} views · '
        f"{_short_ago(rng)}</div></div>"
    )
    first, second = slots[1 + key % (len(slots) - 2)], slots[-1]
    return _insert(html, [(first, tweet + "\n"), (second, video + "\n")])


# -- holdout3_headdupes -------------------------------------------------------------------

_SITE_DESCRIPTION = "Press TV: the latest news and analysis from Iran, West Asia and the world"
_LOGO = "https://www.presstv.ir/Content/images/logo-share.png"


def headdupes(html: str, req: Request) -> str:
    """The layout's own head tags, which one cache node of two writes before the article's:
    the site's description (``meta[name=description]`` and ``og:description``) and its logo
    as og:image, so that the page carries both; the head's meta order varies too."""
    rng = req.rng
    head_start, head_end = html.find("<head>\n"), html.find("</head>")
    if head_start < 0 or head_end < 0:
        return html
    head_start += len("<head>\n")
    lines = html[head_start:head_end].split("\n")
    metas = [line for line in lines if line.startswith("<meta property=") or line.startswith("<meta name=")]
    rest = [line for line in lines if line not in metas]
    rng.shuffle(metas)
    if rng.random() < 0.5:
        site = [
            f'<meta name="description" content="{_e(_SITE_DESCRIPTION)}">',
            f'<meta property="og:description" content="{_e(_SITE_DESCRIPTION)}">',
            f'<meta property="og:image" content="{_LOGO}">',
        ][: rng.randint(1, 3)]
        metas = site + metas
    return html[:head_start] + "\n".join(rest[:-1] + metas + rest[-1:]) + html[head_end:]


# -- holdout3_updated ---------------------------------------------------------------------


def updated(html: str, req: Request) -> str:
    """The "Last Update" date followed, per request, by how long ago that was, as each mirror's
    template writes it: "24 November 2026 (3 hours ago)", "24 November 2026, 2 days ago",
    "24 November 2026 · updated 5 minutes ago"; the date itself stays."""
    rng = req.rng
    style = _host3(html, "updated", 3)

    def ago(match: re.Match[str]) -> str:
        if rng.random() < 0.3:
            return match.group(0)
        when = _ago(rng)
        suffix = (f" ({when})", f", {when}", f' <span class="ago">· updated {when}</span>')[
            (style + rng.randint(0, 1)) % 3
        ]
        return f"{match.group(1)}{match.group(2)}{suffix}{match.group(3)}"

    return _LAST_UPDATE_ANY.sub(ago, html, count=1)


# -- holdout3_tags ------------------------------------------------------------------------

_TAG_POOL = ("Iran", "Syria", "Russia", "United States", "Israel", "Gaza", "Idlib", "Sanctions", "UN", "Diplomacy")


def tags(html: str, req: Request) -> str:
    """A "Tags:" line at the end of the story: the article's tags (the same in every copy),
    linked to tag pages, in the order the tag store returns them (none in particular: per
    request), separated by commas or bullets."""
    rng = req.rng
    start, end = _body_region(html)
    if start < 0:
        return html
    key = _article_key(html)
    chosen = [t for i, t in enumerate(_TAG_POOL) if (key >> i) & 1][:5] or list(_TAG_POOL[:2])
    rng.shuffle(chosen)
    sep = (", ", " · ", " | ")[_host3(html, "tags", 3)]
    links = sep.join(f'<a href="/Tag/{_e(t.replace(" ", "-"))}">{_e(t)}</a>' for t in chosen)
    return _insert(html, [(end, f"<p>Tags: {links}</p>\n")])


# -- holdout3_sponsored -------------------------------------------------------------------

_AD_LABELS = ("Sponsored", "Promoted", "Partner content", "Recommended for you")
_AD_PARTS = (
    ("Discover", "Compare", "Find", "Book", "Try", "See", "Learn", "Get", "Explore", "Order"),
    (
        "winter holidays",
        "car insurance",
        "language courses",
        "hotel deals",
        "home loans",
        "hearing aids",
        "solar panels",
        "online degrees",
        "smart watches",
        "flight tickets",
        "dental implants",
        "private pensions",
    ),
    ("near you", "this season", "at half price", "in minutes", "before prices rise", "for seniors", "today", "online"),
)


def sponsored(html: str, req: Request) -> str:
    """Native ads from an ad network with a large stock of creatives, written as plain body
    paragraphs without class or id: a label ("Sponsored", "Promoted") and a line of letters,
    sometimes linked to the advertiser; one to two per request, at random places."""
    rng = req.rng
    blocks = []
    for _ in range(rng.randint(1, 2)):
        line = " ".join(rng.choice(part) for part in _AD_PARTS)
        label = rng.choice(_AD_LABELS)
        if rng.random() < 0.5:
            line = f'<a href="https://{_letters(rng)}.example.com/{_letters(rng)}" rel="nofollow">{line}</a>'
        blocks.append(
            rng.choice(
                (
                    f"<p>{label}: {line}</p>",
                    f"<p><small>{label}</small> · {line}</p>",
                    f"<p><em>{label}</em> {line}</p>",
                )
            )
        )
    return _scatter(html, req, blocks)


HOLDOUT3: dict[str, Profile] = {
    "holdout3_typography": Profile(
        "held out 3: a smart-typography filter per request/mirror: apostrophes ASCII/U+2019/U+02BC, "
        "'...' as '…' or '. . .'",
        (typography,),
    ),
    "holdout3_inline": Profile(
        "held out 3: per-request keyword links to tag pages, <wbr> in long words, <span> wrappers",
        (inline,),
    ),
    "holdout3_tooltip": Profile(
        "held out 3: a glossary plugin on one cache node: tooltip text in the markup, hidden by the page's own <style>",
        (tooltip,),
    ),
    "holdout3_brsplit": Profile(
        "held out 3: one mirror's legacy template joins runs of paragraphs with <br><br> (spelling, runs per request)",
        (brsplit,),
    ),
    "holdout3_embeds": Profile(
        "held out 3: an embedded post and video with live likes/reposts/views (1,234/1234/1.2K) and '3h'/'yesterday'",
        (embeds,),
    ),
    "holdout3_headdupes": Profile(
        "held out 3: the layout's site description and logo og:image before the article's on one "
        "cache node; meta order",
        (headdupes,),
    ),
    "holdout3_updated": Profile(
        "held out 3: 'Last Update: 24 November 2026 (3 hours ago)' and other relative suffixes per mirror and request",
        (updated,),
    ),
    "holdout3_tags": Profile(
        "held out 3: a 'Tags:' line at the end of the body, the article's tags in per-request order",
        (tags,),
    ),
    "holdout3_sponsored": Profile(
        "held out 3: native ads as plain body paragraphs ('Sponsored: ...', no class), from a large stock of creatives",
        (sponsored,),
    ),
}
HOLDOUT3["holdout3_all"] = Profile(
    "held out 3: every third-round profile at once, with markup noise",
    (headdupes, updated, embeds, tags, sponsored, typography, brsplit, tooltip, inline, markup),
    encoding=True,
)
PROFILES.update(HOLDOUT3)
NAMES: tuple[str, ...] = tuple(PROFILES)
KNOWN_LIMITS = ("holdout2_timezone",)
"""Profiles that show a known limit of detection (docs/detection.md, "Limits"): runnable with
``--profile``, left out of ``make eval``'s default set so that it scores what detection claims."""
SCORED: tuple[str, ...] = tuple(name for name in NAMES if name not in KNOWN_LIMITS)
