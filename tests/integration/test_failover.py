"""A domain that dies mid-crawl: the same paths come from the next domain, and the captures say so."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from archive.mirrors.classify import ERROR, SEIZED, UNREACHABLE
from archive.mirrors.run import record_crawl_health
from tests.integration.test_crawl import crawl_once
from tests.support import HOSTS, warc_responses

pytestmark = pytest.mark.integration


def test_primary_down_crawl_completes_from_mirrors_and_captures_name_the_serving_domain(sim, sim_config):
    primary = HOSTS[0]
    sim.take_down(primary)
    article = sim.base_url(primary) + sim.article_path(sim.site.article_ids()[2])
    report, warcs = crawl_once(sim_config, articles=(article,))

    assert primary in report["dead_domains"], report["dead_domains"]
    assert report["dead_domain_states"][primary] == UNREACHABLE
    failovers = [o for o in report["outcomes"] if o["kind"] == "failover"]
    assert failovers, "no request was failed over to a mirror"
    assert all(o["host"] != primary for o in failovers)
    assert all(primary in o["detail"] for o in failovers)

    served = {urlsplit(r["uri"]).hostname for r in warc_responses(warcs)}
    assert primary not in served  # nothing was archived as if the dead domain had answered
    asked_id = sim.site.article_ids()[2]
    article_hosts = {
        urlsplit(r["uri"]).hostname for r in warc_responses(warcs) if f"/{asked_id}/" in r["uri"] and r["status"] == 200
    }
    assert article_hosts and primary not in article_hosts
    assert report["finish_reason"] == "finished"


def test_index_records_the_mirror_as_the_capture_host(sim, sim_config):
    sim.take_down(HOSTS[0])
    crawl_once(sim_config)
    config = load_config(sim_config)
    pipeline.store(config, "demo")
    pipeline.index(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        hosts = {r["host"] for r in idx._db.query("SELECT DISTINCT host FROM captures WHERE status = 200")}
        articles = idx._db.execute("SELECT count(*) FROM articles WHERE outlet = 'demo'").fetchone()[0]
    assert HOSTS[0] not in hosts
    assert articles >= 30  # discovery went on through the mirrors' feeds, sitemaps and sections


def test_seized_mirror_is_left_for_the_next_domain(sim, sim_config):
    seized = HOSTS[3]
    sim.seize(seized)
    report, warcs = crawl_once(sim_config)
    assert "seizure notice" in report["dead_domains"].get(seized, ""), report["dead_domains"]
    assert report["dead_domain_states"][seized] == SEIZED
    # The banner itself is kept as evidence: the first answer that showed it is archived.
    assert any(urlsplit(r["uri"]).hostname == seized for r in warc_responses(warcs))


def test_a_domain_answering_only_5xx_is_dead_as_an_error_and_recorded_so(sim, sim_config):
    """The failover's verdict reaches the domains' history as it is: error, not unreachable."""
    failing = HOSTS[1]
    sim.fail(status=502, host=failing)
    report, _ = crawl_once(sim_config)
    assert report["dead_domains"][failing].startswith("HTTP 502 on"), report["dead_domains"]
    assert report["dead_domain_states"] == {failing: ERROR}
    assert record_crawl_health(load_config(sim_config), "demo", report)[failing] == ERROR
