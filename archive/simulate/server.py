"""The simulated outlet's HTTP server: one loopback port, every outlet hostname at once.

Requests are dispatched on the Host header, so a crawler that maps the outlet's names to
127.0.0.1 (Scrapy's DNS resolver setting in the integration tests) sees
``http://www.presstv.ir:PORT/Detail/...`` and ``http://presstv.tv:PORT/...`` as different
sites, exactly as in production. The server speaks HTTP/1.1 with keep-alive, gzip and
optional chunked framing (:mod:`archive.simulate.wire`), and can misbehave on purpose
(:mod:`archive.simulate.faults`). :class:`SimulatedOutlet` is the one object tests, the demo
and benchmarks hold: lifecycle, events, timelines and the request log.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from types import TracebackType

from archive.simulate import noise as noise_profiles
from archive.simulate import pages, routes
from archive.simulate.faults import Faults, RequestLog
from archive.simulate.site import DEFAULT_OVERSIZE, HTML, Page, Site
from archive.simulate.timeline import Event, Timeline, TimelineError
from archive.simulate.wire import Server

logger = logging.getLogger(__name__)

DEFAULT_HOSTS = ("www.presstv.ir", "www.presstv.co.uk", "presstv.tv", "www.presstv.com")
"""The primary host first, then the mirrors (PRESSTV.md, "Domains")."""


@dataclass
class _Trigger:
    """An action waiting for ``remaining`` more article page requests (of ``article`` only, if set)."""

    remaining: int
    action: Callable[[], object]
    article: int | None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


class SimulatedOutlet:
    """Press TV on loopback: pages, feeds and sitemaps under every host, driven by events.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. Every event method is
    safe to call while a crawler is fetching; a timeline step is applied atomically.
    """

    def __init__(
        self,
        hosts: Sequence[str] = DEFAULT_HOSTS,
        port: int = 0,
        seed: int = 1,
        articles: int = 30,
        today: date | None = None,
        bind: str = "127.0.0.1",
        noise: str = noise_profiles.NONE,
    ) -> None:
        names = tuple(h.strip().lower().rstrip(".") for h in hosts)
        if not names or len(set(names)) != len(names) or not all(names):
            raise ValueError(f"hosts must be distinct non-empty names, got {list(hosts)!r}")
        self.hosts = names
        self.site = Site(names, seed=seed, articles=articles, today=today or datetime.now(UTC).date())
        self.site.noise = noise_profiles.check(noise)
        self.faults = Faults(names, self.site.lock)
        self.requests = RequestLog()
        self._stopping = threading.Event()
        self.sleep: Callable[[float], object] = self._stopping.wait
        """How slow answers wait; replace it in tests to observe delays without waiting."""
        self._address = (bind, port)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._nonce = itertools.count(1)
        self._pending: deque[tuple[Event, ...]] = deque()
        self._triggers: list[_Trigger] = []

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SimulatedOutlet:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the simulated outlet is already running")
        self._stopping.clear()
        self._server = Server(self._address, self)
        self._address = (self._address[0], self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"simulated-outlet-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("simulated outlet serving hosts=%s port=%d", ",".join(self.hosts), self.port)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and join the thread; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections(timeout=5)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None
        logger.info("simulated outlet stopped port=%d", self.port)

    def __enter__(self) -> SimulatedOutlet:
        return self if self._server is not None else self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (known once started when constructed with port 0)."""
        if self._address[1] == 0:
            raise RuntimeError("port 0 is chosen when the outlet starts; call start() first")
        return self._address[1]

    @property
    def primary(self) -> str:
        """The first host: the outlet's main name."""
        return self.hosts[0]

    @property
    def sample_id(self) -> int:
        """Id of the PRESSTV.md sample article (White Helmets, Idlib)."""
        return self.site.sample_id

    def base_url(self, host: str | None = None) -> str:
        """``http://{host}:{port}`` (the primary host by default)."""
        return f"http://{host or self.primary}:{self.port}"

    def article_path(self, article_id: int) -> str:
        """The canonical ``/Detail/YYYY/MM/DD/<id>/<slug>`` path of an article."""
        return self.site.get(article_id).path

    def article_url(self, article_id: int, host: str | None = None) -> str:
        """The canonical absolute URL of an article on ``host`` (the primary by default)."""
        return self.base_url(host) + self.article_path(article_id)

    # -- answering ------------------------------------------------------------------------

    def page_for(self, host: str, path: str) -> Page:
        """The response a live (not down) host gives: seizure, injected 5xx, or the site's page.

        A configured delay is waited out here, outside the lock, so slow answers never
        hold up other requests or events.
        """
        if host not in self.hosts:
            return Page(404, "text/plain; charset=utf-8", f"404 unknown host {host!r}\n".encode(), compressible=False)
        delay = self.faults.delay(host, path)
        if delay > 0:
            self.sleep(delay)
        with self.site.lock:
            nonce = next(self._nonce)
            if self.faults.is_seized(host):
                return Page(200, HTML, pages.encode(pages.seizure(host)))
            if self.faults.is_parked(host):
                return Page(200, HTML, pages.encode(pages.parked(host)))
            moved = self.faults.host_redirect(host)
            if moved is not None:
                target = moved[0]
                location = f"{target}{path}" if "://" in target else f"http://{target}:{self.port}{path}"
                return Page(moved[1], HTML, pages.encode(pages.redirect(location)), (("Location", location),))
            status = self.faults.failure(host, path)
            if status is not None:
                body = f"<html><body><h1>{status} {_phrase(status)}</h1></body></html>\n"
                return Page(status, HTML, body.encode(), (("Retry-After", "1"),))
            page = routes.respond(self.site, host, f"{host}:{self.port}", path, nonce)
            self._count_article_request(path)
            return page

    def _count_article_request(self, path: str) -> None:
        """Fire the :meth:`after_requests` actions this article page request makes due."""
        served = routes.article_id(path)
        if served is None or not self._triggers:
            return
        due = []
        for trigger in self._triggers:
            if trigger.article is None or trigger.article == served:
                trigger.remaining -= 1
                if trigger.remaining <= 0:
                    due.append(trigger)
        for trigger in due:
            self._triggers.remove(trigger)
            trigger.action()
            logger.info("simulated outlet: action after article requests ran (article=%s)", trigger.article)

    def after_requests(self, n: int, action: Callable[[], object], *, article: int | None = None) -> None:
        """Run ``action`` (e.g. an edit) right after the ``n``-th article page request from now
        is answered; with ``article``, count only that article's pages (on any host).

        This is an edit during a crawl: the hosts fetched before it serve the old version,
        those fetched after it the new one, within one crawl.
        """
        if n < 1:
            raise ValueError(f"n must be 1 or more, got {n}")
        if article is not None:
            self.site.get(article)
        with self.site.lock:
            self._triggers.append(_Trigger(n, action, article))

    @property
    def pending_actions(self) -> int:
        """How many :meth:`after_requests` actions still wait."""
        return len(self._triggers)

    # -- noise ----------------------------------------------------------------------------

    @property
    def noise(self) -> str:
        """The noise profile of article pages (:data:`archive.simulate.noise.PROFILES`)."""
        return self.site.noise

    def set_noise(self, profile: str) -> None:
        """Serve article pages under another noise profile from now on."""
        self.site.noise = noise_profiles.check(profile)

    # -- events (each is also a timeline kind of the same name) ----------------------------

    def publish(self, headline: str | None = None, section: int = 101) -> int:
        """Publish a new article; returns its id (above every existing one)."""
        return self.site.publish(headline, section)

    def edit_headline(self, id: int, text: str, declared: bool = False) -> None:
        """Change the headline; ``declared`` also moves "Last Update"."""
        self.site.edit_headline(id, text, declared)

    def edit_body(
        self,
        id: int,
        paragraphs: list[str] | None = None,
        *,
        replace: dict[int, str] | None = None,
        declared: bool = False,
    ) -> None:
        """Replace the paragraphs, or some by index (``replace={0: "..."}``)."""
        self.site.edit_body(id, paragraphs, replace=replace, declared=declared)

    def edit_lead(self, id: int, text: str, declared: bool = False) -> None:
        """Rewrite the description (meta, og:description, feed) only."""
        self.site.edit_lead(id, text, declared)

    def rewrite_first_paragraph(self, id: int, text: str, declared: bool = False) -> None:
        """Rewrite the first paragraph and the description to the same new text (one rewrite
        of the text that is both the lead and the start of the body)."""
        self.site.rewrite_first_paragraph(id, text, declared)

    def edit_byline(self, id: int, text: str, declared: bool = False) -> None:
        """Sign the article with another name; "" removes the byline."""
        self.site.edit_byline(id, text, declared)

    def edit_caption(self, id: int, index: int, text: str, declared: bool = False) -> None:
        """Change a photo caption (0 is the lead photo)."""
        self.site.edit_caption(id, index, text, declared)

    def move_section(self, id: int, section: int, declared: bool = False) -> None:
        """File the article under another section."""
        self.site.move_section(id, section, declared)

    def replace_photo(self, id: int, index: int, url: str, declared: bool = False, caption: str | None = None) -> None:
        """Swap a photo's image URL (0 is the lead photo), and its caption when given."""
        self.site.replace_photo(id, index, url, declared, caption)

    def markup_noise(self, on: bool = True) -> None:
        """Vary attribute and class order, whitespace and ad slots between requests."""
        self.site.markup_noise = on

    def edit_date(self, id: int, published: datetime) -> None:
        """Change the shown publication date (backdating); the URL date stays."""
        self.site.edit_date(id, published)

    def declare_update(self, id: int, when: datetime | None = None) -> None:
        """Move "Last Update" only."""
        self.site.declare_update(id, when)

    def retract(self, id: int, status: int = 404) -> None:
        """Answer 404 or 410 for the article on every host."""
        self.site.retract(id, status)

    def redirect(self, id: int, to_id: int, status: int = 301) -> None:
        """Redirect the article's URLs to another article's URL."""
        self.site.redirect(id, to_id, status)

    def restore(self, id: int) -> None:
        """Serve a retracted or redirected article again."""
        self.site.restore(id)

    def diverge(self, host: str, id: int, headline: str | None = None, paragraphs: list[str] | None = None) -> None:
        """``host`` serves a different version of the article (default: a stale copy)."""
        self.site.diverge(host, id, headline, paragraphs)

    def converge(self, host: str, id: int) -> None:
        """``host`` serves the common version again."""
        self.site.converge(host, id)

    def take_down(self, host: str) -> None:
        """Reset every connection for ``host`` without answering."""
        self.faults.take_down(host)

    def bring_up(self, host: str) -> None:
        """Undo :meth:`take_down`, :meth:`seize`, :meth:`park` and :meth:`redirect_host`."""
        self.faults.bring_up(host)

    def seize(self, host: str) -> None:
        """Every path on ``host`` shows the US seizure notice (200)."""
        self.faults.seize(host)

    def park(self, host: str) -> None:
        """Every path on ``host`` shows a registrar's for-sale page (200): a lapsed domain."""
        self.faults.park(host)

    def redirect_host(self, host: str, to: str, status: int = 301) -> None:
        """Every path on ``host`` redirects to the same path on ``to`` (known or not): a host name
        (on the simulator's port) or an origin such as ``https://www.presstv.ir:8443``."""
        self.faults.redirect_host(host, to, status)

    def announce_mirror(self, host: str) -> None:
        """Articles' "alternate addresses" footer also names ``host`` (a new mirror)."""
        self.site.announce_mirror(host)

    def slow(self, delay: float, host: str | None = None, path: str | None = None) -> None:
        """Wait ``delay`` seconds before answering matching requests."""
        self.faults.slow(delay, host, path)

    def fail(
        self, status: int = 503, host: str | None = None, path: str | None = None, times: int | None = None
    ) -> None:
        """Answer matching requests with ``status``; ``times`` of them, or for ever."""
        self.faults.fail(status, host, path, times)

    def malformed(self, id: int) -> None:
        """Break the article's HTML (unclosed tags, bad nesting, invalid UTF-8, a NUL)."""
        self.site.malformed(id)

    def oversized(self, id: int, size: int = DEFAULT_OVERSIZE) -> None:
        """Pad the article page to ``size`` bytes."""
        self.site.oversized(id, size)

    def set_encoding(
        self, gzip: bool | None = None, chunked: bool | None = None, host: str | None = None, path: str | None = None
    ) -> None:
        """Force gzip and/or chunked framing on or off for matching requests."""
        self.faults.set_encoding(gzip, chunked, host, path)

    def clear_faults(self) -> None:
        """Bring every host up and drop slow/fail/encoding rules."""
        self.faults.clear()

    # -- timelines ------------------------------------------------------------------------

    def apply(self, timeline: Timeline) -> None:
        """Queue a timeline's steps (replacing any left); :meth:`advance` applies them."""
        for where, host in timeline.hosts():
            if host not in self.hosts:
                raise TimelineError(f"{where}: unknown host {host!r}; this outlet serves {', '.join(self.hosts)}")
        with self.site.lock:
            self._pending = deque(timeline.steps)

    def advance(self) -> bool:
        """Apply the next queued step atomically; False when no step is left."""
        with self.site.lock:
            if not self._pending:
                return False
            for event in self._pending.popleft():
                self.apply_event(event)
        return True

    @property
    def pending_steps(self) -> int:
        """How many queued steps :meth:`advance` has yet to apply."""
        return len(self._pending)

    def apply_event(self, event: Event) -> None:
        """Apply one event now, resolving "sample"/"newest"; errors name the event's origin."""
        with self.site.lock:
            params = dict(event.params)
            for key in ("id", "to_id"):
                if params.get(key) == "sample":
                    params[key] = self.site.sample_id
                elif params.get(key) == "newest":
                    params[key] = self.site.newest_id()
            try:
                getattr(self, event.kind)(**params)
            except ValueError as exc:
                raise TimelineError(f"{event.where}: {exc}") from None
            logger.info("simulated outlet event %s %s", event.kind, params)
