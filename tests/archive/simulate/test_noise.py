"""Noise profiles: every fetch of an article differs in bytes, and every fetch still shows
the same article (headline, paragraphs, photos with their captions, date, byline, section).

The article is read back with a small parser that knows only what a reader sees, and
compared with the outlet's model, not with :mod:`archive.extract`: the extractor is what
these profiles exist to test.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pytest

from archive.detect.normalize import normalize_text
from archive.simulate import SimulatedOutlet, strip_noise
from archive.simulate import noise as profiles
from archive.simulate.site import Article

from .conftest import HOSTS, TODAY, Reply, request

pytestmark = pytest.mark.integration

NOISY = [name for name in profiles.NAMES if name != profiles.NONE]
LAZY_ATTRS = ("src", "data-src", "data-lazy-src", "data-original")


@dataclass
class Block:
    text: str = ""
    images: list[str] = field(default_factory=list)


class Reader(HTMLParser):
    """What a reader sees: the h1, the date line, the byline, the breadcrumb, og:image and
    the body container's blocks (``p`` text and the image URLs in them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.og_image = ""
        self.blocks: list[Block] = []
        self._field: str | None = None
        self._depth = 0
        self._block: Block | None = None
        self._style = False
        self._hidden_classes: set[str] = set()
        self._hidden: list[str] = []
        """Open elements the page's own style sheet hides (a reader never sees their text)."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        self._style = tag == "style"
        if self._hidden or set(classes) & self._hidden_classes:
            if tag not in VOID:
                self._hidden.append(tag)
            return
        if tag == "br" and self._block is not None:  # a line break ends a paragraph as a reader sees it
            self._block = Block()
            self.blocks.append(self._block)
        if tag == "meta" and a.get("property") == "og:image":
            self.og_image = a.get("content", "")
        if tag == "h1" and "news-title-container" in classes:
            self._field = "headline"
        elif tag == "time":
            self._field = "date"
        elif tag == "div" and ({"news-writer", "news-section-container"} & set(classes)):
            self._field = "byline" if "news-writer" in classes else "section"
        if tag == "div" and (self._depth or "news-body-container" in classes):
            self._depth += 1
        if self._depth and tag == "p":
            self._block = Block()
            self.blocks.append(self._block)
        if self._block is not None and tag == "img":
            self._block.images.extend(a[k] for k in LAZY_ATTRS if a.get(k))
            self._block.images.extend(u.split()[0] for u in a.get("srcset", "").split(",") if u.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if self._hidden[-1] == tag:
                self._hidden.pop()
            return
        if (
            tag in ("h1", "time", "div")
            and self._field
            and tag == {"headline": "h1", "date": "time"}.get(self._field, "div")
        ):
            self._field = None
        if tag == "div" and self._depth:
            self._depth -= 1
        if tag == "p":
            self._block = None

    def handle_data(self, data: str) -> None:
        if self._style:
            self._hidden_classes |= set(re.findall(r"\.([\w-]+)\s*\{[^}]*display\s*:\s*none", data))
            return
        if self._hidden:
            return
        if self._field:
            self.fields[self._field] = self.fields.get(self._field, "") + data
        if self._block is not None:
            self._block.text += data


def squash(text: str) -> str:
    """The text as a reader compares it: entities read, typography folded (archive.detect.normalize)."""
    return normalize_text(" ".join(unescape(text).split()))


VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source", "col", "area", "base", "embed"})


def identity(url: str) -> str:
    """What names a photo whatever the CDN adds: its path without the extension, escapes of
    plain characters decoded and case folded (mirrors that capitalise name the same file)."""
    return unquote(urlsplit(url).path.rsplit(".", 1)[0]).lower()


def assert_shows(body: bytes, article: Article) -> None:
    """The page shows ``article`` as a reader reads it, whatever noise surrounds it."""
    reader = Reader()
    reader.feed(body.decode("utf-8"))
    fields = {k: squash(v) for k, v in reader.fields.items()}
    assert fields["headline"] == article.headline
    assert fields["date"].startswith(f"{article.published.day} {article.published:%B}")
    assert fields.get("byline", "") == (f"By {article.byline}" if article.byline else "")
    assert fields["section"] == f"News / {article.topic}"
    texts = [squash(b.text) for b in reader.blocks]
    found = iter(texts)
    missing = [p for p in article.paragraphs if not any(squash(p) == t for t in found)]
    assert missing == [], "paragraphs missing or out of order"
    for photo in article.photos:
        at = [i for i, b in enumerate(reader.blocks) if any(identity(photo.url) in identity(u) for u in b.images)]
        assert at, f"photo {photo.url} not shown"
        assert texts[at[0] + 1] == squash(photo.caption), "the caption must follow its photo"
    if article.photos:
        assert identity(article.photos[0].url) in identity(reader.og_image)


def get(sim: SimulatedOutlet, host: str, path: str) -> tuple[Reply, bytes]:
    """The reply as sent, and its body decoded from gzip when it was sent so."""
    reply = request(sim, host, path, headers={"Accept-Encoding": "gzip"})
    body = reply.body
    if reply.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return reply, body


@pytest.fixture(scope="module")
def outlets() -> Iterator[dict[str, SimulatedOutlet]]:
    sims = {name: SimulatedOutlet(hosts=HOSTS, seed=1, articles=12, today=TODAY, noise=name) for name in profiles.NAMES}
    for sim in sims.values():
        sim.start()
    yield sims
    for sim in sims.values():
        sim.stop()


def articles(sim: SimulatedOutlet) -> list[int]:
    """The sample (three photos) and generated articles with one and with two photos."""
    generated = [i for i in sim.site.article_ids() if i != sim.sample_id]
    one = next(i for i in generated if len(sim.site.get(i).photos) == 1)
    two = next(i for i in generated if len(sim.site.get(i).photos) == 2)
    return [sim.sample_id, one, two]


@pytest.mark.parametrize("name", profiles.NAMES)
def test_every_fetch_under_every_profile_shows_the_same_article(outlets, name: str) -> None:
    sim = outlets[name]
    for article_id in articles(sim):
        for host in (HOSTS[0], HOSTS[0], HOSTS[2]):
            _, body = get(sim, host, sim.article_path(article_id))
            assert_shows(body, sim.site.view(host, article_id))


@pytest.mark.parametrize("name", NOISY)
def test_two_fetches_differ_beyond_the_default_noise_on_one_host_and_across_hosts(outlets, name: str) -> None:
    sim = outlets[name]
    path = sim.article_path(sim.sample_id)
    pages = [get(sim, host, path)[1] for host in (HOSTS[0], HOSTS[0], HOSTS[1])]
    port = str(sim.port).encode()
    stripped = [strip_noise(p).replace(port, b"PORT") for p in pages]
    assert stripped[0] != stripped[1], "two fetches on one host are the same"
    footer = re.compile(rb"<p>Press TV's website.*?</div>", re.S)  # each host lists the others
    assert footer.sub(b"", stripped[0]) != footer.sub(b"", stripped[2]), "two hosts serve the same bytes"


def test_without_noise_two_fetches_differ_only_in_the_default_noise(outlets) -> None:
    sim = outlets[profiles.NONE]
    path = sim.article_path(sim.sample_id)
    first, second = (get(sim, HOSTS[0], path)[1] for _ in range(2))
    assert first != second and strip_noise(first) == strip_noise(second)


def test_markup_noise_varies_gzip_and_chunking_per_request(outlets) -> None:
    sim = outlets["markup"]
    path = sim.article_path(sim.sample_id)
    seen = set()
    for _ in range(16):
        reply, _ = get(sim, HOSTS[0], path)
        seen.add((reply.headers.get("Content-Encoding"), reply.headers.get("Transfer-Encoding")))
    assert seen == {(e, t) for e in ("gzip", None) for t in ("chunked", None)}


def test_fault_rules_on_encoding_override_the_noise(outlets) -> None:
    sim = outlets["markup"]
    sim.set_encoding(gzip=False, chunked=False)
    try:
        for _ in range(6):
            reply, _ = get(sim, HOSTS[0], sim.article_path(sim.sample_id))
            assert "Content-Encoding" not in reply.headers and "Transfer-Encoding" not in reply.headers
    finally:
        sim.clear_faults()


def test_cachebust_and_filenames_change_every_image_url_but_keep_its_path(outlets) -> None:
    for name in ("cachebust", "filenames"):
        sim = outlets[name]
        photo = sim.site.get(sim.sample_id).photos[0].url
        urls = set()
        for _ in range(3):
            _, body = get(sim, HOSTS[0], sim.article_path(sim.sample_id))
            reader = Reader()
            reader.feed(body.decode())
            urls.add(reader.blocks[0].images[0])
        assert len(urls) == 3 and photo not in urls, name
        assert all(identity(photo) in identity(u) for u in urls), name


def test_related_counters_and_ads_put_text_inside_the_body_that_is_no_paragraph_of_it(outlets) -> None:
    for name, pattern in (
        ("related", r"story-card|READ MORE|Also read|More on this story"),
        ("counters", r"[\d,]+ views.*Shared \d+ times"),
        ("ads", r"adsbygoogle|div-gpt-ad|Advertisement|Sponsored"),
    ):
        sim = outlets[name]
        _, body = get(sim, HOSTS[0], sim.article_path(sim.sample_id))
        container = body.decode().split('<div class="news-body-container">', 1)[1].split("share-widget", 1)[0]
        assert re.search(pattern, container, re.S), name


def test_an_unknown_profile_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown noise profile 'loud'; use one of: none, cachebust"):
        SimulatedOutlet(hosts=HOSTS, noise="loud")
    sim = SimulatedOutlet(hosts=HOSTS, today=date(2026, 11, 20))
    sim.set_noise("ads")
    assert sim.noise == "ads"
