"""The edits `make eval` makes the simulated outlet perform, and what detection should report.

One :class:`Script` drives one outlet through its rounds: before each crawl it applies that
round's events and says which URLs the crawl must ask for explicitly (listings drop
retracted and redirected articles). Its :attr:`Script.expected` is the ground truth: one
entry per scripted act of the outlet, with the change kind it must make and how many. The
semantics (issue 10): an edit is one change, however many domains serve it and however many
crawls see it; a mirror that keeps the old version past the divergence window is one
``mirror_divergence`` per lagging mirror; a retraction, redirect or restoration is one change
per transition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from archive.index import StoredChange
from archive.simulate import SimulatedOutlet

ROLES = (
    "headline",
    "declared_headline",
    "abab",
    "lead",
    "body",
    "first_paragraph",
    "caption",
    "photo",
    "photo_and_caption",
    "date",
    "section",
    "byline",
    "retract",
    "redirect",
    "target",
    "lag",
    "mid_crawl",
)
"""One generated article per scripted act; ``target`` is where ``redirect`` points (no change)."""
LAGGING = ("presstv.tv", "www.presstv.com")
"""Mirrors that keep serving the old version of the ``lag`` article for two crawls."""


@dataclass(frozen=True)
class Expected:
    """A change detection must report ``count`` times: article, kind, declared flag, and why."""

    article: str
    kind: str
    declared: bool
    note: str
    count: int = 1
    host: str | None = None
    """For ``mirror_divergence``: the lagging mirror it must name."""


@dataclass(frozen=True)
class Check:
    """A property of the detected changes beyond their kinds (e.g. the revert flag)."""

    article: str
    note: str
    holds: Callable[[list[StoredChange]], bool]
    """Given the article's changes, oldest first."""


@dataclass
class Script:
    """The rounds of one eval run on one outlet; ``rounds`` is how many crawls it takes."""

    sim: SimulatedOutlet
    rounds: int
    expected: list[Expected] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    """What was done before each round, for the report."""
    a: dict[str, int] = field(default_factory=dict)
    _originals: dict[str, str] = field(default_factory=dict)
    _crawl2_start: int = 0

    def __post_init__(self) -> None:
        if self.rounds < 4:
            raise ValueError(f"the script needs at least 4 rounds, got {self.rounds}")
        ids = [i for i in self.sim.site.article_ids() if i != self.sim.sample_id]
        if len(ids) < len(ROLES):
            raise ValueError(f"the script needs {len(ROLES)} generated articles, the outlet has {len(ids)}")
        self.a = dict(zip(ROLES, ids, strict=False))
        self._originals = {role: self.sim.site.get(self.a[role]).headline for role in ("abab", "lag")}

    def expect(self, role: str, kind: str, note: str, *, declared: bool = False, count: int = 1) -> None:
        self.expected.append(Expected(str(self.a[role]), kind, declared, note, count))

    def before(self, round_number: int) -> tuple[str, ...]:
        """Apply the events scheduled before crawl ``round_number`` (1-based); returns the
        article URLs that crawl must ask for besides what it discovers."""
        if round_number == 2:
            self._crawl2_start = len(self.sim.requests)
        step = {2: self._edits, 3: self._second, 4: self._third}.get(round_number)
        if step is not None:
            step()
        unlisted = ("retract", "redirect") if round_number >= 2 else ()
        return tuple(self.sim.article_url(self.a[role], host) for role in unlisted for host in self.sim.hosts)

    def after(self, round_number: int) -> None:
        """After crawl ``round_number``: a mid-crawl edit that never fired is applied now."""
        if round_number != 2:
            return
        if self.sim.pending_actions:
            self._note("the mid-crawl edit did not fire during crawl 2; applied after it")
            self._mid_crawl()
            return
        mark = f"/{self.a['mid_crawl']}/"
        hosts = [r.host for r in self.sim.requests.snapshot()[self._crawl2_start :] if mark in r.path]
        self._note(
            f"during crawl 2: article {self.a['mid_crawl']} edited after its first page request: old version "
            f"on {hosts[0]}, new on {', '.join(hosts[1:]) or 'no other host'}"
        )

    def _note(self, text: str) -> None:
        self.log.append(text)

    def _edits(self) -> None:
        sim, a, article = self.sim, self.a, self.sim.site.get
        self._note("before crawl 2: one edit of each kind, a retraction, a redirect, a lagging edit")
        sim.edit_headline(a["headline"], "A headline nobody announced")
        self.expect("headline", "headline", "silent headline edit")
        sim.edit_headline(a["declared_headline"], "A headline the outlet owned up to", declared=True)
        self.expect("declared_headline", "headline", "declared headline edit", declared=True)
        sim.edit_headline(a["abab"], "Headline B of an A/B/A/B sequence")
        sim.edit_lead(a["lead"], "A description rewritten without touching the story.")
        self.expect("lead", "lead", "description rewritten, body untouched")
        reworded = article(a["body"]).paragraphs[1] + " Officials declined to comment further."
        sim.edit_body(a["body"], replace={1: reworded})
        self.expect("body", "body", "second paragraph reworded")
        sim.rewrite_first_paragraph(
            a["first_paragraph"], "The opening paragraph, and the description with it, rewritten.", declared=True
        )
        self.expect(
            "first_paragraph", "body", "first paragraph = lead rewritten (one change naming both)", declared=True
        )
        self.checks.append(
            Check(
                str(a["first_paragraph"]),
                'the body change names both fields (details["fields"] has "lead" and "body")',
                lambda rows: any({"lead", "body"} <= set(r.details.get("fields") or ()) for r in rows),
            )
        )
        sim.edit_caption(a["caption"], 0, "A different caption. (Photo by Reuters)")
        self.expect("caption", "caption", "lead photo caption changed")
        day = article(a["photo"]).url_date
        sim.replace_photo(a["photo"], 0, f"http://cdn.presstv.ir/Photo/{day.year}/{day.month}/{day.day}/swapped.jpg")
        self.expect("photo", "image", "lead photo swapped (same caption)")
        sim.replace_photo(
            a["photo_and_caption"],
            0,
            "http://cdn.presstv.ir/Photo/2026/11/19/another.jpg",
            caption="Another scene. (Photo by AP)",
        )
        self.expect("photo_and_caption", "image", "lead photo and its caption swapped together (one act)")
        sim.edit_date(a["date"], article(a["date"]).published - timedelta(days=3))
        self.expect("date", "date", "publication date backdated three days")
        sim.move_section(a["section"], 106)
        self.expect("section", "section", "moved to section 106")
        sim.edit_byline(a["byline"], "Nadia Farahani")
        self.expect("byline", "byline", "byline changed")
        sim.retract(a["retract"], status=410)
        self.expect("retract", "retraction", "retracted (410), restored before crawl 3")
        sim.redirect(a["redirect"], a["target"])
        self.expect("redirect", "redirect", f"redirected to {a['target']} for every later crawl")
        sim.edit_headline(a["lag"], "A headline two mirrors are slow to show")
        for host in LAGGING:
            sim.diverge(host, a["lag"], headline=self._originals["lag"])
            self.expected.append(
                Expected(
                    str(a["lag"]), "mirror_divergence", False, f"{host} keeps the old headline for 2 crawls", 1, host
                )
            )
        self.expect("lag", "headline", f"headline edit served by {', '.join(h for h in sim.hosts if h not in LAGGING)}")
        sim.after_requests(1, self._mid_crawl, article=a["mid_crawl"])
        self.expect("mid_crawl", "headline", "headline edited during crawl 2, after its first page request")

    def _mid_crawl(self) -> None:
        self.sim.edit_headline(self.a["mid_crawl"], "An edit made while the crawl was running")

    def _second(self) -> None:
        sim, a = self.sim, self.a
        self._note("before crawl 3: A/B/A/B reverted to A, the retraction restored; two mirrors still lag")
        sim.edit_headline(a["abab"], self._originals["abab"])
        sim.restore(a["retract"])
        self.expect("retract", "restoration", "restored after one crawl")

    def _third(self) -> None:
        sim, a = self.sim, self.a
        self._note("before crawl 4: A/B/A/B re-edited to B; the lagging mirrors catch up")
        sim.edit_headline(a["abab"], "Headline B of an A/B/A/B sequence")
        self.expect("abab", "headline", "A → B, B → A (a revert), A → B (a re-edit)", count=3)
        self.checks.append(
            Check(
                str(a["abab"]),
                'exactly the 2nd of its 3 headline changes has details["revert"] true',
                lambda rows: (
                    [bool(r.details.get("revert")) for r in rows if r.kind == "headline"] == [False, True, False]
                ),
            )
        )
        for host in LAGGING:
            sim.converge(host, a["lag"])
        if self.rounds > 4:
            self._note("crawls 5..: nothing happens (quiet crawls)")
