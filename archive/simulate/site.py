"""The simulated outlet's articles, the events that change them, and URL routing.

A :class:`Site` is the state of the outlet at one moment: articles keyed by their numeric id
(the identity across hosts and slugs), which of them are retracted or redirected, and which
host serves a diverging version. Events mutate it under one lock; :func:`archive.simulate.routes.respond`
turns a request into a :class:`Page` under the same lock, so a crawler never sees half an
event. Routing lives in :mod:`~archive.simulate.routes`, markup in :mod:`~archive.simulate.pages`,
and transport matters (gzip, chunking, faults, seizures) in the server.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from archive.simulate import corpus

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
DEFAULT_OVERSIZE = 5 * 1024 * 1024


@dataclass(slots=True)
class Photo:
    """A photo in an article body; ``position`` is the paragraph index it precedes."""

    url: str
    caption: str
    position: int = 0


@dataclass(slots=True)
class Article:
    """One article as the outlet currently publishes it.

    ``slug`` and ``url_date`` freeze at publication, as on the real site: after a headline
    edit or a backdating the URL still shows the old ones, which is evidence of the change.
    """

    id: int
    section: int
    topic: str
    headline: str
    slug: str
    url_date: date
    published: datetime
    paragraphs: list[str]
    photos: list[Photo]
    updated: datetime | None = None
    byline: str = ""
    """The writer shown under the headline; most articles have none."""
    lead: str | None = None
    """The description when the editors wrote one; else the first paragraph stands in."""
    gone: int | None = None
    redirect: tuple[int, int] | None = None
    malformed: bool = False
    oversize: int | None = None

    @property
    def path(self) -> str:
        """The canonical path ``/Detail/YYYY/MM/DD/<id>/<slug>``."""
        return f"/Detail/{self.url_date:%Y/%m/%d}/{self.id}/{self.slug}"

    @property
    def description(self) -> str:
        """The meta/og/RSS description: the editors' lead, else the first paragraph, shortened."""
        if self.lead is not None:
            return self.lead
        first = self.paragraphs[0] if self.paragraphs else self.headline
        return first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "..."

    @property
    def live(self) -> bool:
        """Served as a page (neither retracted nor redirected)."""
        return self.gone is None and self.redirect is None


@dataclass(frozen=True)
class Page:
    """A response before transport encoding; ``compressible`` marks HTML/XML for default gzip."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    compressible: bool = True
    gzip: bool | None = None
    """Per-request choice of a noise profile (None: the server's default); fault rules win."""
    chunked: bool | None = None


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


class Site:
    """The outlet's articles plus the article-level events of the simulation."""

    def __init__(self, hosts: Sequence[str], *, seed: int = 1, articles: int = 30, today: date) -> None:
        self.markup_noise = False  # attribute order, whitespace, ad slots vary per request when on
        self.noise = "none"
        """The noise profile of article pages (:mod:`archive.simulate.noise`)."""
        if articles < 0:
            raise ValueError(f"articles must be 0 or more, got {articles}")
        self.hosts = tuple(hosts)
        self.seed = seed
        self.today = today
        self.lock = threading.RLock()
        self.clock = datetime.combine(today, time(18), tzinfo=UTC)
        """Simulated "now": the default time of declared updates."""
        self.articles: dict[int, Article] = {}
        self.divergent: dict[tuple[str, int], dict[str, Any]] = {}
        self.announced: tuple[str, ...] = ()
        """Hosts the articles' alternate-addresses footer names besides the served ones."""
        self._rng = random.Random(f"events:{seed}")
        self.sample_id = self._add_sample(today)
        self._generate(articles)

    # -- construction -------------------------------------------------------------------

    def _add_sample(self, today: date) -> int:
        moment = corpus.sample_moment(today)
        article_id = corpus.id_at(moment)
        rng = corpus.article_rng(self.seed, article_id)
        photos = [Photo(corpus.photo_url(rng, moment.date()), c, p) for p, c in corpus.SAMPLE_CAPTIONS]
        self.articles[article_id] = Article(
            id=article_id,
            section=corpus.SAMPLE_SECTION,
            topic=corpus.SAMPLE_TOPIC,
            headline=corpus.SAMPLE_HEADLINE,
            slug=corpus.slugify(corpus.SAMPLE_HEADLINE),
            url_date=moment.date(),
            published=moment,
            paragraphs=list(corpus.SAMPLE_PARAGRAPHS),
            photos=photos,
            updated=moment + timedelta(days=1, hours=2),
        )
        return article_id

    def _generate(self, count: int) -> None:
        rng = random.Random(self.seed)
        current = corpus.id_at(datetime.combine(self.today, time(12), tzinfo=UTC)) - rng.randint(0, 30)
        for index in range(count):
            while current in self.articles:
                current -= 1
            if current < 1:
                raise ValueError(f"today={self.today} with {count} articles runs ids below 1")
            self.articles[current] = self._make(current, index)
            current -= rng.randint(40, 260)

    def _make(
        self, article_id: int, index: int | None, headline: str | None = None, section: int | None = None
    ) -> Article:
        """Article ``index`` of the generated sequence, or (index None) a published one whose
        slug is plain so that tests can predict it."""
        rng = corpus.article_rng(self.seed, article_id)
        section = corpus.section_for(index or 0, self.seed) if section is None else section
        quirk = 0 if index is None else (0, 0, 1, 0, 2, 0, 3, 0, 4)[index % 9]
        headline = headline or corpus.headline_for(rng, section, apostrophe=quirk == 4)
        published = corpus.moment_of(article_id)
        paragraphs = corpus.paragraphs_for(rng, section, published.date())
        topic = corpus.topic_for(rng, section)
        photos = [Photo(corpus.photo_url(rng, published.date()), corpus.caption_for(rng, topic), 0)]
        if rng.random() < 0.5:
            photos.append(
                Photo(
                    corpus.photo_url(rng, published.date()),
                    corpus.caption_for(rng, topic),
                    rng.randint(2, len(paragraphs) - 1),
                )
            )
        updated = None
        if rng.random() < 0.125:
            updated = min(published + timedelta(hours=rng.randint(12, 40)), self.clock)
        return Article(
            id=article_id,
            section=section,
            topic=topic,
            headline=headline,
            slug=corpus.quirky_slug(headline, quirk),
            url_date=published.date(),
            published=published,
            paragraphs=paragraphs,
            photos=photos,
            updated=updated,
            byline=corpus.byline_for(self.seed, article_id),
        )

    # -- queries ------------------------------------------------------------------------

    def article_ids(self) -> list[int]:
        """Every article id, newest first, including retracted and redirected ones."""
        with self.lock:
            return sorted(self.articles, reverse=True)

    def live_ids(self, section: int | None = None) -> list[int]:
        """Ids the listings show (live articles), newest first."""
        with self.lock:
            return [
                i
                for i in self.article_ids()
                if self.articles[i].live and (section is None or self.articles[i].section == section)
            ]

    def get(self, article_id: int) -> Article:
        """The article, or a ValueError naming the known id range."""
        try:
            return self.articles[article_id]
        except KeyError:
            ids = self.article_ids()
            raise ValueError(f"no article {article_id}; ids run {ids[-1]}..{ids[0]}") from None

    def view(self, host: str, article_id: int) -> Article:
        """The article as ``host`` serves it (a diverging host overrides some fields)."""
        article = self.get(article_id)
        overrides = self.divergent.get((host, article_id))
        return dataclasses.replace(article, **overrides) if overrides else article

    def newest_id(self) -> int:
        """The highest id (the latest article)."""
        return self.article_ids()[0]

    # -- events -------------------------------------------------------------------------

    def publish(self, headline: str | None = None, section: int = 101) -> int:
        """A new article whose id continues the rising sequence; returns the id."""
        if section not in corpus.SECTIONS:
            raise ValueError(f"unknown section {section}; use one of {sorted(corpus.SECTIONS)}")
        with self.lock:
            newest = self.articles[self.newest_id()]
            article_id = newest.id + self._rng.randint(3, 12)
            article = self._make(article_id, None, headline, section)
            article.published = max(article.published, newest.published + timedelta(minutes=1))
            article.url_date, article.updated = article.published.date(), None
            self.articles[article_id] = article
            return article_id

    def edit_headline(self, article_id: int, text: str, declared: bool = False) -> None:
        """Change the headline (h1, title, meta, og); the slug stays."""
        with self.lock:
            self.get(article_id).headline = text
            self._declared(article_id, declared)

    def edit_body(
        self,
        article_id: int,
        paragraphs: list[str] | None = None,
        *,
        replace: dict[int, str] | None = None,
        declared: bool = False,
    ) -> None:
        """Replace all paragraphs, or some of them by index."""
        if paragraphs is None and not replace:
            raise ValueError("edit_body needs paragraphs or replace")
        with self.lock:
            article = self.get(article_id)
            new = list(paragraphs) if paragraphs is not None else list(article.paragraphs)
            for index, text in (replace or {}).items():
                if not 0 <= index < len(new):
                    raise ValueError(f"article {article_id} has no paragraph {index} (0..{len(new) - 1})")
                new[index] = text
            article.paragraphs = new
            self._declared(article_id, declared)

    def edit_lead(self, article_id: int, text: str, declared: bool = False) -> None:
        """Rewrite the description (meta, og and feed) without touching the body."""
        with self.lock:
            self.get(article_id).lead = text
            self._declared(article_id, declared)

    def rewrite_first_paragraph(self, article_id: int, text: str, declared: bool = False) -> None:
        """New text for the first paragraph, and the same text as the description.

        Without an editors' lead the description is the first paragraph shortened to 200
        characters; setting the lead makes it equal the new paragraph whatever its length.
        """
        if not text.strip():
            raise ValueError("rewrite_first_paragraph needs a non-empty text")
        with self.lock:
            article = self.get(article_id)
            if not article.paragraphs:
                raise ValueError(f"article {article_id} has no paragraph to rewrite")
            article.paragraphs = [text, *article.paragraphs[1:]]
            article.lead = text
            self._declared(article_id, declared)

    def edit_byline(self, article_id: int, text: str, declared: bool = False) -> None:
        """Sign the article with another name, or ("") remove its byline."""
        with self.lock:
            self.get(article_id).byline = text
            self._declared(article_id, declared)

    def edit_caption(self, article_id: int, index: int, text: str, declared: bool = False) -> None:
        """Change the caption of photo ``index`` (0 is the lead photo)."""
        with self.lock:
            photos = self.get(article_id).photos
            if not 0 <= index < len(photos):
                raise ValueError(f"article {article_id} has no photo {index} (it has {len(photos)})")
            photos[index].caption = text
            self._declared(article_id, declared)

    def move_section(self, article_id: int, section: int, declared: bool = False) -> None:
        """File the article under another section (breadcrumb and section listings follow)."""
        if section not in corpus.SECTIONS:
            raise ValueError(f"unknown section {section}; use one of {sorted(corpus.SECTIONS)}")
        with self.lock:
            self.get(article_id).section = section
            self._declared(article_id, declared)

    def replace_photo(
        self, article_id: int, index: int, url: str, declared: bool = False, caption: str | None = None
    ) -> None:
        """Swap the image of photo ``index``; its caption stays unless ``caption`` is given."""
        with self.lock:
            photos = self.get(article_id).photos
            if not 0 <= index < len(photos):
                raise ValueError(f"article {article_id} has no photo {index} (it has {len(photos)})")
            photos[index].url = url
            if caption is not None:
                photos[index].caption = caption
            self._declared(article_id, declared)

    def edit_date(self, article_id: int, published: datetime) -> None:
        """Backdate (or postdate) the shown publication date; the URL keeps the old one."""
        moment = _aware(published, "published")
        with self.lock:
            self.get(article_id).published = moment

    def declare_update(self, article_id: int, when: datetime | None = None) -> None:
        """Move "Last Update"; by default to the simulated clock, always to a new date."""
        with self.lock:
            article = self.get(article_id)
            if when is not None:
                article.updated = _aware(when, "when")
                return
            moment = max(self.clock, article.published)
            if article.updated is not None and moment.date() <= article.updated.date():
                moment = article.updated + timedelta(days=1)
            article.updated = moment
            self.clock = max(self.clock, moment)

    def _declared(self, article_id: int, declared: bool) -> None:
        if declared:
            self.declare_update(article_id)

    def retract(self, article_id: int, status: int = 404) -> None:
        """From now on the article answers 404 or 410 on every host."""
        if status not in (404, 410):
            raise ValueError(f"retract status must be 404 or 410, got {status}")
        with self.lock:
            article = self.get(article_id)
            article.gone, article.redirect = status, None

    def redirect(self, article_id: int, to_id: int, status: int = 301) -> None:
        """The article's URLs redirect to another article's canonical URL."""
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, got {status}")
        with self.lock:
            article = self.get(article_id)
            self.get(to_id)
            if to_id == article_id:
                raise ValueError(f"article {article_id} cannot redirect to itself")
            article.redirect, article.gone = (to_id, status), None

    def restore(self, article_id: int) -> None:
        """Undo a retraction or redirect (edits, divergence and malformation stay)."""
        with self.lock:
            article = self.get(article_id)
            article.gone = article.redirect = None

    def diverge(
        self, host: str, article_id: int, headline: str | None = None, paragraphs: list[str] | None = None
    ) -> None:
        """``host`` serves a different version; with neither field given, a stale copy
        that lacks the last paragraph."""
        self._check_host(host)
        with self.lock:
            article = self.get(article_id)
            overrides: dict[str, Any] = {}
            if headline is not None:
                overrides["headline"] = headline
            if paragraphs is not None:
                overrides["paragraphs"] = list(paragraphs)
            if not overrides:
                overrides["paragraphs"] = article.paragraphs[:-1] or [article.headline]
            self.divergent[(host, article_id)] = overrides

    def converge(self, host: str, article_id: int) -> None:
        """``host`` serves the common version of the article again."""
        self._check_host(host)
        with self.lock:
            self.divergent.pop((host, article_id), None)

    def malformed(self, article_id: int) -> None:
        """Serve the article with unclosed tags, bad nesting, invalid UTF-8 and a NUL."""
        with self.lock:
            self.get(article_id).malformed = True

    def oversized(self, article_id: int, size: int = DEFAULT_OVERSIZE) -> None:
        """Pad the article page to exactly ``size`` bytes (before any compression)."""
        if size < 1:
            raise ValueError(f"size must be positive, got {size}")
        with self.lock:
            self.get(article_id).oversize = size

    def announce_mirror(self, host: str) -> None:
        """Name ``host`` in every article's alternate-addresses footer (served or not)."""
        name = host.strip().lower().rstrip(".")
        if not name or "/" in name or " " in name:
            raise ValueError(f"announce_mirror needs a bare host name, got {host!r}")
        with self.lock:
            if name not in self.hosts and name not in self.announced:
                self.announced = (*self.announced, name)

    def _check_host(self, host: str) -> None:
        if host not in self.hosts:
            raise ValueError(f"unknown host {host!r}; the outlet serves {', '.join(self.hosts)}")
