"""The mirrors stage functions: the ``mirrors_<outlet>`` DAG and ``edittrail mirrors`` call these.

``probe_outlet`` probes every configured domain, every accepted mirror and every candidate,
writes each exchange to WARC in the outlet's spool (the store and index stages then treat
them like a crawl's), records one history row per domain and adds newly announced hosts as
candidates. ``record_crawl_health`` turns what a crawl's failover saw into the same rows,
so an outage found at 03:00 by the crawl is not waiting for the next probe.
``send_domain_alerts`` tells the outlet's channels about each state transition once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from archive.alerts import Deliveries, Notifier, apprise_notifier, deliver_to_channel
from archive.config import Config, Outlet
from archive.mirrors.classify import ERROR, SEIZED, SERVING, UNREACHABLE
from archive.mirrors.discovery import new_candidates
from archive.mirrors.probe import Fetch, ProbeResult, Resolve, archive_answers, probe_domain
from archive.mirrors.state import ACCEPTED, CANDIDATE, MirrorState, Transition, mirrors_db_path
from archive.moments import parse_iso
from archive.warc import WarcWriter

log = logging.getLogger(__name__)

DOMAIN_ALERT_KIND = "domain"
"""The kind a channel's ``kinds`` filter names to receive domain alerts."""
CERT_WARNING = timedelta(days=14)


def mirror_state(config: Config) -> MirrorState:
    return MirrorState(mirrors_db_path(config.data_dir))


def with_accepted_mirrors(config: Config, outlet_name: str) -> Outlet:
    """The outlet as crawled: its configured domains plus the mirrors an operator accepted.

    Accepted mirrors come last in failover order; the config file stays untouched (an
    operator can make the choice permanent by adding the host to ``mirrors``).
    """
    outlet = config.outlet(outlet_name)
    path = mirrors_db_path(config.data_dir)
    if not path.exists():
        return outlet
    with MirrorState(path) as state:
        extra = tuple(h for h in state.accepted(outlet.name) if h not in outlet.domains)
    return outlet.model_copy(update={"mirrors": (*outlet.mirrors, *extra)}) if extra else outlet


def hosts_to_probe(outlet: Outlet, state: MirrorState) -> tuple[str, ...]:
    """Configured domains in failover order, then accepted mirrors, then open candidates."""
    extra = [r["host"] for r in state.candidates(outlet.name) if r["status"] in (ACCEPTED, CANDIDATE)]
    return tuple(dict.fromkeys((*outlet.domains, *extra)))


def probe_outlet(
    config: Config,
    outlet_name: str,
    *,
    timeout: float = 15.0,
    now: Callable[[], datetime] | None = None,
    fetch: Fetch | None = None,
    resolver: Resolve | None = None,
) -> dict[str, Any]:
    """Probe every domain of the outlet; returns each domain's state and the new candidates."""
    outlet = config.outlet(outlet_name)
    clock = now or (lambda: datetime.now(UTC))
    spool = config.spool_dir(outlet.name)
    spool.mkdir(parents=True, exist_ok=True)
    states: dict[str, str] = {}
    found: list[str] = []
    with (
        mirror_state(config) as state,
        WarcWriter(spool, f"{outlet.name}-probe-{secrets.token_hex(4)}", warcinfo={"outlet": outlet.name}) as writer,
    ):
        for host in hosts_to_probe(outlet, state):
            result = probe_domain(outlet, host, timeout=timeout, now=clock, fetch=fetch, resolver=resolver)
            archive_answers(writer, result)
            state.record_probe(result)
            states[host] = result.state
            announced = (*result.alternates, *((result.redirect_to,) if result.redirect_to else ()))
            for candidate in new_candidates(outlet, announced, state.accepted(outlet.name)):
                if state.add_candidate(outlet.name, candidate, result.checked_at, f"{host}: {result.detail}"[:300]):
                    found.append(candidate)
                    log.warning("candidate mirror found outlet=%s host=%s via=%s", outlet.name, candidate, host)
    log.info("probed outlet=%s states=%s new_candidates=%s", outlet.name, states, found)
    return {"states": states, "new_candidates": found}


def record_crawl_health(config: Config, outlet_name: str, report: dict[str, Any]) -> dict[str, str]:
    """One history row per domain the crawl used: serving if it answered, the failover's verdict if it died.

    The verdict (seized, error, unreachable) is the failover middleware's, from the report's
    ``dead_domain_states``; a report written before it was recorded is read by its reason.
    """
    outlet = config.outlet(outlet_name)
    at = str(report.get("finished_at") or datetime.now(UTC).isoformat())
    checked_at = datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    dead: dict[str, str] = report.get("dead_domains") or {}
    dead_states: dict[str, str] = report.get("dead_domain_states") or {}
    answered = {
        h for h, codes in (report.get("status_per_host") or {}).items() if any(c.startswith("2") for c in codes)
    }
    states: dict[str, str] = {}
    with mirror_state(config) as state:
        for host in outlet.domains:
            if host in dead:
                kind = dead_states.get(host) or _legacy_state(dead[host])
                detail = f"during crawl {report.get('run_id', '')}: {dead[host]}"
            elif host in answered:
                kind, detail = SERVING, f"answered during crawl {report.get('run_id', '')}"
            else:
                continue
            state.record_probe(ProbeResult(outlet.name, host, checked_at, kind, detail), source="crawl")
            states[host] = kind
    return states


def _legacy_state(reason: str) -> str:
    """The state of a dead domain in a report from before ``dead_domain_states``, by its reason."""
    return SEIZED if "seizure" in reason else ERROR if reason.startswith("HTTP 5") else UNREACHABLE


def domain_alerts(state: MirrorState, outlet: Outlet, now: datetime) -> list[tuple[str, str, str]]:
    """(key, title, body) of every domain event worth telling: transitions, candidates, expiring certificates."""
    events = []
    for t in state.transitions(outlet.name):
        if t.before is None and t.after == SERVING:
            continue  # first sight of a healthy domain: nothing happened
        events.append(
            (t.key, _transition_title(outlet, t), f"{t.host}: {t.before or 'first seen'} → {t.after}\n{t.detail}")
        )
    for row in state.candidates(outlet.name):
        events.append(
            (
                f"candidate:{outlet.name}:{row['host']}",
                f"[{outlet.name}] new candidate mirror: {row['host']}",
                f"{row['host']} was found {row['found_at']} via {row['found_via']}.\n"
                f"It is not crawled until accepted: edittrail mirrors accept {row['host']} --outlet {outlet.name}",
            )
        )
    for row in state.current(outlet.name):
        expires = row["tls_expires"]
        if expires and parse_iso(expires) - now < CERT_WARNING:
            events.append(
                (
                    f"cert:{outlet.name}:{row['host']}:{expires}",
                    f"[{outlet.name}] TLS certificate of {row['host']} expires {expires}",
                    f"The certificate of {row['host']} is valid until {expires}.",
                )
            )
    return events


def _transition_title(outlet: Outlet, t: Transition) -> str:
    return f"[{outlet.name}] domain {t.host}: {t.before or 'new'} → {t.after}"


def send_domain_alerts(
    config: Config,
    outlet_name: str,
    *,
    notifier_factory: Callable[[], Notifier] = apprise_notifier,
    now: datetime | None = None,
) -> dict[str, int]:
    """Each domain event once per channel that wants ``domain`` alerts; failures retried next run."""
    outlet = config.outlet(outlet_name)
    counts = {"sent": 0, "failed": 0, "already_sent": 0}
    with mirror_state(config) as state:
        events = domain_alerts(state, outlet, now or datetime.now(UTC))
    deliveries = Deliveries(config.alerts_db)
    try:
        for channel in outlet.alerts:
            if channel.kinds and DOMAIN_ALERT_KIND not in channel.kinds:
                continue
            # Bookkept as "<channel>:domains", apart from the channel's article changes, so the
            # first sight of one never swallows the history of the other.
            deliver_to_channel(
                channel,
                (outlet.name, f"{channel.name}:domains"),
                lambda: [key for key, _, _ in events],
                events,
                deliveries,
                counts,
                notifier_factory,
            )
    finally:
        deliveries.close()
    return counts
