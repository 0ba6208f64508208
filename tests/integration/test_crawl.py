"""The real spider over real sockets against the simulated outlet: what lands in the WARCs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive import pipeline
from archive.config import load_config
from tests.support import HOSTS, warc_responses, write_config

pytestmark = pytest.mark.integration


def crawl_once(config_path: Path, articles: tuple[str, ...] = ()) -> tuple[dict, list[Path]]:
    """plan + crawl; returns the run report and the closed WARC files in the spool."""
    config = load_config(config_path)
    planned = pipeline.plan(config, "demo", articles=articles)
    pipeline.crawl(config, planned["job"])
    run_dir = Path(planned["job"]).parent
    report = json.loads((run_dir / "report.json").read_text()) | {"run_dir": str(run_dir)}
    return report, sorted(config.spool_dir("demo").glob("*.warc.gz"))


@pytest.fixture
def crawled(sim, sim_config):
    """One crawl with a redirect, a persistent 503 and the default gzip answers in place.

    A redirected article drops out of the outlet's listings, so it is asked for by URL,
    as a revisit of a known article would be.
    """
    ids = sim.site.article_ids()
    sim.redirect(ids[3], ids[4], status=301)
    sim.fail(status=503, path=sim.article_path(ids[5]))
    report, warcs = crawl_once(sim_config, articles=(sim.base_url(HOSTS[0]) + sim.article_path(ids[3]),))
    return sim, report, warcs, ids


def test_warcs_pass_warcio_check_and_index(crawled):
    _, _, warcs, _ = crawled
    assert warcs, "the crawl wrote no closed WARC file"
    for path in warcs:
        for command in ("check", "index"):
            result = subprocess.run(
                [sys.executable, "-m", "warcio.cli", command, str(path)], capture_output=True, text=True
            )
            assert result.returncode == 0, f"warcio {command} {path.name}: {result.stdout}{result.stderr}"


def test_records_come_from_several_hosts_and_only_the_outlets(crawled):
    sim, _, warcs, _ = crawled
    hosts = {urlsplit(r["uri"]).hostname for r in warc_responses(warcs)}
    assert len(hosts) >= 2
    assert hosts <= set(HOSTS)
    assert {r.host for r in sim.requests} <= set(HOSTS)


def test_gzip_response_is_stored_compressed_as_received(crawled):
    _, _, warcs, _ = crawled
    gzipped = [r for r in warc_responses(warcs) if r["headers"].get("Content-Encoding") == "gzip"]
    assert gzipped, "no gzip-encoded response archived"
    assert all(r["payload"][:2] == b"\x1f\x8b" for r in gzipped)


def test_redirect_and_5xx_are_recorded_as_responses_and_outcomes(crawled):
    _, report, warcs, ids = crawled
    responses = warc_responses(warcs)
    redirects = [r for r in responses if r["status"] == 301 and f"/{ids[3]}" in r["uri"]]
    assert redirects and f"/{ids[4]}/" in redirects[0]["headers"]["Location"]
    failures = [r for r in responses if r["status"] == 503 and f"/{ids[5]}" in r["uri"]]
    assert len(failures) >= 2, "the first attempt and the retry should both be archived"
    kinds = {(o["kind"], o["status"]) for o in report["outcomes"]}
    assert ("http_error", 503) in kinds
    assert any(o["kind"] == "redirect" for o in report["outcomes"])


def test_every_listed_article_is_fetched_on_every_domain(crawled, sim_config):
    _, _, warcs, ids = crawled
    outlet = load_config(sim_config).outlet("demo")
    fetched = {
        (urlsplit(r["uri"]).hostname, outlet.article_id(r["uri"])) for r in warc_responses(warcs) if r["status"] == 200
    }
    listed = {str(i) for i in ids} - {str(ids[3]), str(ids[5])}  # redirected away; failing with 503
    for host in HOSTS:
        assert listed <= {i for h, i in fetched if h == host}, host


def test_unreachable_mirror_malformed_and_oversized_pages_end_as_outcomes(tmp_path, sim):
    config_path = write_config(
        tmp_path,
        port=sim.port,
        replace={
            '"presstv.tv" = "127.0.0.1"': '"presstv.tv" = "127.0.0.2"',
            'max_page_size = "4MB"': 'max_page_size = "1MB"',
        },
    )
    ids = sim.site.article_ids()
    sim.malformed(ids[1])
    sim.oversized(ids[2], size=3_000_000)
    report, warcs = crawl_once(config_path)
    assert report["finish_reason"] == "finished"
    errors = [o for o in report["outcomes"] if o["kind"] in ("fetch_error", "domain_dead")]
    assert any(o["host"] == "presstv.tv" and "refused" in o["detail"].lower() for o in errors), errors
    assert "refused" in report["dead_domains"]["presstv.tv"].lower()
    assert any(f"/{ids[2]}" in o["url"] and "size" in o["detail"].lower() for o in errors), errors
    malformed = [r for r in warc_responses(warcs) if f"/{ids[1]}" in r["uri"] and r["status"] == 200]
    assert malformed, "the malformed page should be archived like any other"
    log_text = (Path(report["run_dir"]) / "crawl.log").read_text()
    assert "outcome=domain_dead outlet=demo host=presstv.tv" in log_text


def test_links_to_hosts_outside_the_outlet_are_never_fetched(tmp_path, sim):
    """The simulated outlet still links to www.presstv.co.uk (the primary's feed lists an article
    there, the footer names it), but this config does not count it as one of the outlet's domains."""
    foreign = "www.presstv.co.uk"
    config_path = write_config(
        tmp_path,
        port=sim.port,
        replace={
            '["www.presstv.co.uk", "presstv.tv", "www.presstv.com"]': '["presstv.tv", "www.presstv.com"]',
            f'"{foreign}" = "127.0.0.1"\n': "",
        },
    )
    report, warcs = crawl_once(config_path)
    assert report["finish_reason"] == "finished"
    assert foreign not in {urlsplit(r["uri"]).hostname for r in warc_responses(warcs)}
    assert foreign not in {r.host for r in sim.requests}
    assert not [o for o in report["outcomes"] if o["host"] == foreign and o["kind"] == "fetch_error"]
    assert any(o["kind"] == "offsite" and o["host"] == foreign for o in report["outcomes"])


def test_a_slow_page_times_out_as_an_outcome(tmp_path, sim):
    config_path = write_config(
        tmp_path, port=sim.port, replace={"download_timeout = 5": "download_timeout = 1", "retries = 1": "retries = 0"}
    )
    slow_id = sim.site.article_ids()[2]
    sim.slow(3.0, path=sim.article_path(slow_id))
    report, _ = crawl_once(config_path)
    assert report["finish_reason"] == "finished"
    timeouts = [o for o in report["outcomes"] if f"/{slow_id}/" in o["url"] and o["kind"] == "fetch_error"]
    assert timeouts and all("timeout" in o["detail"].lower() for o in timeouts), timeouts


def test_the_run_report_has_figures_per_host_and_a_copy_waits_beside_the_warcs(crawled):
    _, report, warcs, _ = crawled
    assert report["duration_s"] > 0
    for host, figures in report["per_host"].items():
        assert figures["responses"] == sum(report["status_per_host"][host].values())
        assert figures["bytes"] > 0 and figures["latency_max_ms"] >= figures["latency_mean_ms"] >= 0
    assert set(report["per_host"]) >= set(HOSTS[:2])
    copies = list(warcs[0].parent.glob("*.report.json"))
    assert len(copies) == 1 and json.loads(copies[0].read_text())["run_id"] == report["run_id"]
