"""One article after one crawl batch: which version each host shows, and what, if anything, the article did.

An edit is one act of the outlet, however many domains serve it and however many crawls see
it. So the article's state moves only when its *reference* host moves: the first host in
failover order that answered for the article in this batch (the primary, when it answered).

- The reference moving to another content is an edit (a new version), a revert (back to an
  older version) or a re-edit (forward again to a version seen before): one change per kind,
  listing every host that serves the new version and when each first did (``served_by``).
- The reference moving to 404/410 is one retraction, to a redirect one redirect (per
  target, a target named by its article id or its path, on whichever domain), back to
  an article page one restoration. Nothing is reported again while the state holds.
- Any other host showing something else is either lagging (it still shows what it showed
  before) or ahead (it shows an edit the reference has not caught up with yet, e.g. when the
  edit fell in the middle of the crawl). Neither is an edit. When a host has shown another
  version than the article's current one for longer than the outlet's ``divergence_window``
  (and in more than one crawl), that is one ``mirror_divergence`` per (host, versions).

Versions are matched by their fingerprint under the outlet's noise model
(:mod:`archive.detect.noise`), computed anew for stored versions, so that noise learned today also
applies to versions stored before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from archive.config import Outlet
from archive.detect.changes import classify, divergence, fate_change, slug_mismatch
from archive.detect.fingerprint import fingerprint
from archive.detect.noise import NoiseModel
from archive.index import ArticleState, Capture, Change, HostState, Index, Version
from archive.index import versions as vx
from archive.moments import parse_iso

log = logging.getLogger(__name__)

Value = tuple[str, ...]
"""What a host shows: ``("live", "3")`` (version 3), ``("gone",)`` or ``("redirect", target)``."""


@dataclass(frozen=True)
class Seen:
    """One capture of the batch as detect read it."""

    capture: Capture
    kind: str
    """``live``, ``gone``, ``redirect``, or ``ignored`` (with ``reason``)."""
    content: Version | None = None
    target: str = ""
    """A redirect's target, as a key: ``article <id>`` or the target's path and query."""
    location: str = ""
    reason: str = ""

    @property
    def host(self) -> str:
        return self.capture.host

    @property
    def time(self) -> str:
        return self.capture.fetched_at


def redirect_target(outlet: Outlet, url: str, location: str) -> tuple[str, str]:
    """(key, absolute URL) of a redirect: the same article on any domain is the same target."""
    target = urljoin(url, location)
    article = outlet.article_id(target)
    if article:
        return f"article {article}", target
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    where = parts.path + (f"?{parts.query}" if parts.query else "")
    return (where if host in outlet.domains else f"{host}{where}"), target


Record = Callable[[Change | None], None]


@dataclass(frozen=True)
class History:
    """An article as the index holds it before a batch: its versions, and what each host showed
    last. Read once per batch, for learning its noise and for settling it."""

    versions: dict[int, Version]
    hosts: dict[str, HostState]
    state: ArticleState

    @classmethod
    def read_all(cls, idx: Index, outlet: str, article_ids: list[str]) -> dict[str, History]:
        """The histories of a batch's articles, by id, in a few statements."""
        versions = vx.versions_of_articles(idx, outlet, article_ids)
        hosts = vx.host_states_of_articles(idx, outlet, article_ids)
        states = vx.article_states(idx, outlet, article_ids)
        return {a: cls({v.version: v for v in versions[a]}, hosts[a], states[a]) for a in article_ids}

    def shown(self) -> list[Version]:
        """The versions the article's hosts showed last (each once), to compare the batch's copies with."""
        numbers = {row.version for row in self.hosts.values() if row.version is not None}
        return [self.versions[n] for n in sorted(numbers) if n in self.versions]


class Article:
    """The bookkeeping of one article across one batch (the caller holds the write transaction)."""

    def __init__(
        self,
        idx: Index,
        outlet: Outlet,
        article_id: str,
        model: NoiseModel,
        record: Record,
        history: History,
    ) -> None:
        self.idx, self.outlet, self.article_id, self.model, self.record = idx, outlet, article_id, model, record
        self.versions = dict(history.versions)
        self.by_print: dict[str, Version] = {}
        for number in sorted(self.versions):
            self.by_print.setdefault(fingerprint(self.versions[number], model).whole, self.versions[number])
        self.state = history.state
        if self.state.current_version is None and self.versions:  # an index from before current_version was kept
            self.state = replace(self.state, current_version=max(self.versions))
        self.hosts = dict(history.hosts)
        self.moved: set[str] = set()
        """Hosts whose state this batch set: :meth:`host_rows` gives them to the caller to write."""
        self.created: set[int] = set()
        """Versions first seen in this batch."""

    # -- versions -------------------------------------------------------------------------

    def number(self, content: Version) -> int:
        """The version this content is, made when it is new."""
        prints = fingerprint(content, self.model)
        known = self.by_print.get(prints.whole)
        if known is not None:
            return known.version
        number = max(self.versions, default=0) + 1
        version = replace(content, version=number, whole_hash=prints.whole, hashes=dict(prints.fields))
        vx.add_version(self.idx, version)
        self.versions[number] = version
        self.by_print[prints.whole] = version
        self.created.add(number)
        return number

    def effective(self, number: int) -> Version:
        """The stored version with its hashes under today's noise model (what classify compares)."""
        version = self.versions[number]
        prints = fingerprint(version, self.model)
        return replace(version, whole_hash=prints.whole, hashes=dict(prints.fields))

    # -- values ---------------------------------------------------------------------------

    def current_value(self) -> Value | None:
        state, number = self.state.state, self.state.current_version
        if number is None:
            return None
        if state == "gone":
            return ("gone",)
        if state == "redirect":
            return ("redirect", self.state.redirect_to or "")
        return ("live", str(number))

    def host_value(self, host: str) -> Value | None:
        row = self.hosts.get(host)
        if row is None:
            return None
        if row.state == "gone":
            return ("gone",)
        if row.state == "redirect":
            return ("redirect", row.redirect_to or "")
        return ("live", str(row.version)) if row.version is not None else None

    # -- the batch ------------------------------------------------------------------------

    def settle(self, seen: Sequence[Seen], batch_start: str) -> dict[str, tuple[str, int | None]]:
        """Apply one batch's captures of the article; returns each capture's outcome and version."""
        outcomes: dict[str, tuple[str, int | None]] = {}
        rank = {host: i for i, host in enumerate(self.outlet.domains)}
        answered = [s for s in seen if s.kind != "ignored"]
        for s in seen:
            if s.kind == "ignored":
                outcomes[s.capture.record_id] = (s.reason, None)
        if not answered:
            return outcomes
        values: dict[str, Value] = {}
        new: set[str] = set()
        for s in sorted(answered, key=lambda s: (rank.get(s.host, len(rank)), s.host, s.time)):
            known = len(self.created)
            values[s.capture.record_id] = self._value(s)  # reference first: its new version gets the lower number
            if len(self.created) > known:
                new.add(s.capture.record_id)
        reference = min({s.host for s in answered}, key=lambda h: (rank.get(h, len(rank)), h))
        before = {s.host: self.host_value(s.host) for s in answered}
        last: dict[str, Seen] = {}
        for s in sorted(answered, key=lambda s: s.time):
            value, shown = values[s.capture.record_id], self.host_value(s.host)
            self._set_host(s.host, s, value, shown)
            last[s.host] = s
            cur, moved = self.current_value(), ""
            if s.host == reference and cur is None and value[0] == "live":
                self._first_sight(s, int(value[1]))
            elif s.host == reference and cur is not None and value not in (cur, shown):
                moved = self._transition(cur, value, s)
            if s.capture.record_id in new:
                moved = "new version"
            if moved or s.host == reference:
                outcomes[s.capture.record_id] = (moved or self._outcome(value, self.current_value()), None)
        now = self.current_value()
        for s in answered:  # other hosts: against what the article shows after the batch
            value, record = values[s.capture.record_id], s.capture.record_id
            outcome = outcomes[record][0] if record in outcomes else self._outcome(value, now)
            outcomes[record] = (outcome, int(value[1]) if value[0] == "live" else None)
        self._catch_up(last, values, before)
        self._diverging(last, values, batch_start)
        return outcomes

    def _value(self, s: Seen) -> Value:
        if s.kind == "live" and s.content is not None:
            return ("live", str(self.number(s.content)))
        if s.kind == "redirect":
            return ("redirect", s.target)
        return ("gone",)

    @staticmethod
    def _outcome(value: Value, now: Value | None) -> str:
        """How a capture relates to the article's state once it was taken into account."""
        if value[0] == "gone":
            return "gone"
        if value[0] == "redirect":
            return f"redirect: {value[1]}"
        if value == now:
            return "same"
        current = f"version {now[1]}" if now and now[0] == "live" else (now[0] if now else "none")
        return f"lagging or ahead: shows version {value[1]}, the article {current}"

    def _set_host(self, host: str, s: Seen, value: Value, before: Value | None) -> None:
        row = self.hosts.get(host)
        since: str | None = s.time
        since_record: str | None = s.capture.record_id
        if row is not None and row.since and before == value:  # still showing what it showed: since then
            since, since_record = row.since, row.since_record
        shown = HostState(
            host=host,
            state=value[0],
            version=int(value[1]) if value[0] == "live" else (row.version if row else None),
            redirect_to=value[1] if value[0] == "redirect" else None,
            record_id=s.capture.record_id,
            since=since,
            since_record=since_record,
        )
        self.hosts[host] = shown  # written with the batch's others (host_rows): nothing reads it back before
        self.moved.add(host)

    def host_rows(self) -> list[tuple[str, HostState]]:
        """(article id, what the host shows) of every host this batch set, for ``vx.set_host_states``."""
        return [(self.article_id, self.hosts[host]) for host in sorted(self.moved)]

    # -- transitions ----------------------------------------------------------------------

    def _first_sight(self, s: Seen, number: int) -> None:
        self._set_current(number, s.time, s.capture.record_id)
        self.record(slug_mismatch(self._as_seen(self.versions[number], s)))

    def _transition(self, cur: Value, new: Value, s: Seen) -> str:
        """Record what the article did; returns it in a few words (the capture's outcome)."""
        last_live = self._current_version()
        if new[0] == "live":
            number = int(new[1])
            done = "restoration" if cur[0] != "live" else ""
            if done:
                self._fate("restoration", f"served again by {s.host} after {cur[0]}", s, last_live)
            if last_live is not None and last_live.version != number:
                return " and ".join(filter(None, (done, self._edit(last_live, number, s))))
            self._set_current(number, s.time, s.capture.record_id)
            return done
        status = int(s.capture.status or 0)
        if new[0] == "gone":
            self._fate("retraction", f"HTTP {status} from {s.host} after being {cur[0]}", s, last_live, status=status)
            vx.set_article_state(
                self.idx, self.outlet.name, self.article_id, state="gone", record_id=s.capture.record_id
            )
        else:
            target = s.location
            where = new[1] if new[1].startswith("article ") else (urlsplit(target).netloc or target)
            target_id = new[1].removeprefix("article ") if new[1].startswith("article ") else None
            self._fate(
                "redirect",
                f"redirects to {where}: {target}",
                s,
                last_live,
                location=target,
                target_article=target_id,
                status=status,
            )
            vx.set_article_state(
                self.idx,
                self.outlet.name,
                self.article_id,
                state="redirect",
                redirect_to=new[1],
                record_id=s.capture.record_id,
            )
        self.state = vx.article_state(self.idx, self.outlet.name, self.article_id)
        return new[0] if new[0] == "redirect" else "retraction"

    def _edit(self, before: Version, number: int, s: Seen) -> str:
        """The reference now shows version ``number``: one change per kind, from the first host that showed it."""
        served = self._served_by(number)
        first_host, first_time, first_record = served[0]
        after = replace(self.effective(number), host=first_host, record_id=first_record, fetched_at=first_time)
        returning = number not in self.created and self._was_current(number)
        revert, again = returning and number < before.version, returning and number > before.version
        for change in classify(self.effective(before.version), after, revert=revert, reapplied=again):
            self.record(replace(change, details={**change.details, "served_by": _served(served)}))
        self._set_current(number, first_time, first_record)
        return f"{'revert' if revert else 're-edit' if again else 'edit'} to version {number}"

    def _was_current(self, number: int) -> bool:
        return vx.changed_to(self.idx, self.outlet.name, self.article_id, number) or number == min(self.versions)

    def _served_by(self, number: int) -> list[tuple[str, str, str]]:
        """(host, since, record) of every host showing version ``number``, earliest first."""
        rows = [
            (h, r.since, r.since_record or "")
            for h, r in self.hosts.items()
            if r.state == "live" and r.version == number and r.since
        ]
        return sorted(rows, key=lambda r: (r[1], r[0]))

    def _fate(self, kind: str, summary: str, s: Seen, last: Version | None, **details: Any) -> None:
        self.record(
            fate_change(
                kind,
                outlet=self.outlet.name,
                article_id=self.article_id,
                host=s.host,
                record_id=s.capture.record_id,
                fetched_at=s.time,
                summary=summary,
                last=last,
                details=details,
            )
        )

    def _set_current(self, number: int, since: str, record_id: str) -> None:
        self.state = vx.set_current_version(
            self.idx, self.outlet.name, self.article_id, number, since=since, record_id=record_id
        )

    def _current_version(self) -> Version | None:
        number = self.state.current_version
        return self.versions.get(number) if number is not None else None

    # -- after the transition -------------------------------------------------------------

    def _catch_up(self, last: dict[str, Seen], values: dict[str, Value], before: dict[str, Value | None]) -> None:
        """Hosts that moved to the current version join the ``served_by`` of the change that made it current."""
        now = self.current_value()
        record = self.state.transition_record
        if now is None or now[0] != "live" or not record:
            return
        joined = [
            (host, s.time) for host, s in last.items() if values[s.capture.record_id] == now and before[host] != now
        ]
        if joined:
            vx.add_served_by(self.idx, self.outlet.name, self.article_id, record, joined)

    def _diverging(self, last: dict[str, Seen], values: dict[str, Value], batch_start: str) -> None:
        """Hosts that have shown another version than the current one for longer than the window."""
        now = self.current_value()
        if now is None or now[0] != "live":
            return
        current = int(now[1])
        showing = [h for h, s in last.items() if values[s.capture.record_id] == now]
        for host, s in last.items():
            value = values[s.capture.record_id]
            if value[0] != "live" or value == now:
                continue
            start = max(self.hosts[host].since or s.time, self.state.current_since or s.time)
            if start >= batch_start or _seconds(start, s.time) < self.outlet.divergence_window:
                continue
            if vx.divergence_reported(self.idx, self.outlet.name, self.article_id, host, current, int(value[1])):
                continue
            rank = {h: i for i, h in enumerate(self.outlet.domains)}
            ref_host = min(showing, key=lambda h: (rank.get(h, len(rank)), h)) if showing else None
            reference = self._as_seen(self.effective(current), last[ref_host]) if ref_host else self.effective(current)
            other = self._as_seen(self.effective(int(value[1])), s)
            self.record(divergence(reference, other, reference_host=reference.host))

    @staticmethod
    def _as_seen(version: Version, s: Seen) -> Version:
        return replace(version, host=s.host, record_id=s.capture.record_id, fetched_at=s.time, url=s.capture.url)


def _served(served: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"host": host, "first_seen": since} for host, since, _ in served]


def _seconds(start: str, end: str) -> float:
    return (_moment(end) - _moment(start)).total_seconds()


def _moment(text: str) -> datetime:
    return parse_iso(text)
