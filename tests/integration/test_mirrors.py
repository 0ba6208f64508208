"""Probing every domain of the simulated outlet over real sockets: each state, recorded and archived."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import load_config
from archive.mirrors.classify import ERROR, SEIZED, SERVING, UNREACHABLE
from archive.mirrors.run import mirror_state, probe_outlet
from archive.warc import iter_records
from tests.support import HOSTS

pytestmark = pytest.mark.integration


def test_each_domain_state_is_classified_recorded_and_archived(sim, sim_config):
    sim.seize(HOSTS[3])
    sim.take_down(HOSTS[2])
    sim.fail(status=503, host=HOSTS[1])
    config = load_config(sim_config)

    result = probe_outlet(config, "demo", timeout=5)

    assert result["states"] == {HOSTS[0]: SERVING, HOSTS[1]: ERROR, HOSTS[2]: UNREACHABLE, HOSTS[3]: SEIZED}
    with mirror_state(config) as state:
        rows = {r["host"]: r for r in state.current("demo")}
    assert "seized by the United States" in rows[HOSTS[3]]["detail"]
    assert rows[HOSTS[1]]["detail"] == "HTTP 503"
    assert rows[HOSTS[0]]["last_success"] and rows[HOSTS[0]]["last_error"] is None
    warcs = sorted(config.spool_dir("demo").glob("*.warc.gz"))
    assert warcs, "probe exchanges were not written to WARC"
    uris = set()
    for path in warcs:
        with open(path, "rb") as fh:
            uris |= {r.target_uri for r in iter_records(fh, name=path.name) if r.record_type == "response"}
    assert sim.base_url(HOSTS[3]) + "/" in uris  # the seizure banner is kept as evidence
    assert not any(HOSTS[2] in u for u in uris)  # nothing answered there, nothing archived


def test_the_history_keeps_transitions_once(sim, sim_config):
    config = load_config(sim_config)
    probe_outlet(config, "demo", timeout=5)
    sim.seize(HOSTS[3])
    probe_outlet(config, "demo", timeout=5)
    probe_outlet(config, "demo", timeout=5)
    with mirror_state(config) as state:
        transitions = [(t.host, t.before, t.after) for t in state.transitions("demo") if t.before]
        current = {r["host"]: r for r in state.current("demo")}
    assert transitions == [(HOSTS[3], SERVING, SEIZED)]
    assert current[HOSTS[3]]["state"] == SEIZED
    assert current[HOSTS[3]]["last_success"] is not None  # it served before it was seized


def test_parked_and_redirecting_domains_are_classified(sim, sim_config):
    sim.park(HOSTS[2])
    sim.redirect_host(HOSTS[0], HOSTS[1])
    config = load_config(sim_config)
    states = probe_outlet(config, "demo", timeout=5)["states"]
    assert states == {HOSTS[0]: "redirect", HOSTS[1]: SERVING, HOSTS[2]: "parked", HOSTS[3]: SERVING}
    with mirror_state(config) as state:
        rows = {r["host"]: r for r in state.current("demo")}
    assert rows[HOSTS[0]]["redirect_to"] == HOSTS[1]
    assert "for sale" in rows[HOSTS[2]]["detail"]


def test_a_new_footer_address_is_discovered_probed_reported_and_not_crawled_until_accepted(
    sim, sim_config, monkeypatch
):
    from archive import pipeline
    from archive.demo import webhook_receiver
    from archive.mirrors.probe import ProbeFailedError, resolve
    from archive.mirrors.run import send_domain_alerts
    from archive.plan.crawljob import CrawlJob

    def no_real_dns(host, overrides):
        """The candidate must never be looked up for real: tests touch no real domain."""
        if host in overrides:
            return resolve(host, overrides)
        raise ProbeFailedError("dns", f"{host} does not resolve (test resolver)")

    config = load_config(sim_config)
    with webhook_receiver() as (hook, received):
        monkeypatch.setenv("EDITTRAIL_DEMO_WEBHOOK", hook)
        send_domain_alerts(config, "demo")  # the channel is seen: what follows is news to it
        sim.announce_mirror("presstv.news")
        probe_outlet(config, "demo", timeout=5, resolver=no_real_dns)
        second = probe_outlet(config, "demo", timeout=5, resolver=no_real_dns)  # the candidate is probed now
        send_domain_alerts(config, "demo")
        send_domain_alerts(config, "demo")
    with mirror_state(config) as state:
        (candidate,) = state.candidates("demo")
        current = {r["host"]: r for r in state.current("demo")}
    assert candidate["host"] == "presstv.news" and candidate["status"] == "candidate"
    assert second["states"]["presstv.news"] == UNREACHABLE
    assert current["presstv.news"]["detail"].startswith("dns:")

    titles = [m.get("title", "") for m in received]
    assert titles.count("[demo] new candidate mirror: presstv.news") == 1, titles

    planned = pipeline.plan(config, "demo")
    job = CrawlJob.load(Path(planned["job"]))
    assert job.extra_domains == ()
    assert not any("presstv.news" in seed.url for seed in job.seeds)

    from click.testing import CliRunner

    from archive.cli.main import cli

    result = CliRunner().invoke(
        cli, ["--config", str(sim_config), "mirrors", "accept", "presstv.news", "--outlet", "demo"]
    )
    assert result.exit_code == 0, result.output
    job = CrawlJob.load(Path(pipeline.plan(config, "demo")["job"]))
    assert job.extra_domains == ("presstv.news",)
    assert any(seed.url.startswith("http://presstv.news:") for seed in job.seeds)


def test_primary_down_during_crawls_is_recorded_and_alerted_once(sim, sim_config, monkeypatch):
    from archive import pipeline
    from archive.demo import webhook_receiver

    config = load_config(sim_config)
    with webhook_receiver() as (hook, received):
        monkeypatch.setenv("EDITTRAIL_DEMO_WEBHOOK", hook)
        pipeline.run_cycle(config, "demo")
        sim.take_down(HOSTS[0])
        pipeline.run_cycle(config, "demo")
        pipeline.run_cycle(config, "demo")
    with mirror_state(config) as state:
        current = {r["host"]: r for r in state.current("demo")}
        transitions = [(t.host, t.before, t.after) for t in state.transitions("demo") if t.before]
    assert current[HOSTS[0]]["state"] == UNREACHABLE
    assert transitions == [(HOSTS[0], SERVING, UNREACHABLE)]
    outage = [m for m in received if m.get("title", "").startswith(f"[demo] domain {HOSTS[0]}")]
    assert len(outage) == 1, [m.get("title") for m in received]
    assert "serving → unreachable" in outage[0]["title"]
