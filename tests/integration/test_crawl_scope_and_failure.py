"""The crawl stays on the outlet's origins, and a crawl that reaches nothing fails loudly.

Over real sockets with the real spider: one mirror redirects every path to an outlet host on
another port (with ``host_overrides`` to 127.0.0.1 that would be any local service: here a
trap that counts connections), another to an outlet host over TLS on the simulator's plain
HTTP port (a handshake that can only fail). Neither may be fetched, and neither may make a
live domain look dead. Then the simulator stops, and the next crawl must fail with the reason
for each domain instead of finishing green with 0 captures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive import pipeline
from archive.config import load_config
from archive.errors import ConfigError
from archive.simulate import SimulatedOutlet
from tests.integration.test_scope_ssrf import Trap
from tests.support import HOSTS, warc_responses, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

THREE_DOMAINS = {
    'mirrors = ["www.presstv.co.uk", "presstv.tv", "www.presstv.com"]\n': (
        'mirrors = ["www.presstv.co.uk", "presstv.tv"]\n'
    ),
    '"www.presstv.com" = "127.0.0.1"\n': "",
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulatedOutlet, dict, list[Path], Trap]]:
    directory = tmp_path_factory.mktemp("origins")
    trap = Trap()
    with SimulatedOutlet(hosts=HOSTS[:3], port=0, articles=4) as sim:
        config = load_config(write_config(directory, port=sim.port, replace=THREE_DOMAINS))
        sim.redirect_host(HOSTS[1], f"http://{HOSTS[0]}:{trap.port}", status=302)
        sim.redirect_host(HOSTS[2], f"https://{HOSTS[0]}:{sim.port}", status=302)
        job_path = Path(pipeline.plan(config, "demo")["job"])
        pipeline.crawl(config, job_path)
        report = json.loads((job_path.parent / "report.json").read_text())
        yield sim, report, sorted(config.spool_dir("demo").glob("*.warc.gz")), trap
    trap.close()


def test_a_redirect_to_an_outlet_host_on_another_port_is_neither_fetched_nor_archived(crawled):
    _, report, warcs, trap = crawled
    assert trap.connections == 0, "the crawler connected to another port of an outlet host"
    other_port = [o for o in report["outcomes"] if o["kind"] == "offsite" and f":{trap.port}/" in o["url"]]
    assert other_port and all("origins" in o["detail"] for o in other_port)
    assert not [r for r in warc_responses(warcs) if urlsplit(r["uri"]).port == trap.port]


def test_a_redirect_to_tls_on_the_plain_port_is_refused_and_no_live_domain_is_declared_dead(crawled):
    sim, report, _, _ = crawled
    refused = [o for o in report["outcomes"] if o["kind"] == "offsite" and o["url"].startswith("https://")]
    assert refused
    assert report["dead_domains"] == {}, "a refused URL changed a domain's health"
    assert report["exchanges_archived"] > 0
    assert any(r.host == HOSTS[0] for r in sim.requests)


def test_an_operator_url_on_another_scheme_or_port_is_refused_before_any_crawl(tmp_path):
    config = load_config(write_config(tmp_path, port=8765))
    for url in ("ftp://www.presstv.ir/Detail/2026/1/1/1", "http://www.presstv.ir:8766/Detail/2026/1/1/1"):
        with pytest.raises(ConfigError, match="scheme and port"):
            pipeline.plan(config, "demo", articles=(url,))
    with pytest.raises(ConfigError, match="malformed"):
        pipeline.plan(config, "demo", articles=("http://[::1/Detail/2026/1/1/1",))
    assert not config.runs_dir("demo").exists() or not any(config.runs_dir("demo").iterdir())


def test_a_crawl_that_reaches_no_domain_fails_with_each_domains_reason(tmp_path):
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=2) as sim:
        port = sim.port  # a port nothing listens on once the simulator has stopped
    config = load_config(write_config(tmp_path, port=port, replace=THREE_DOMAINS))
    job = pipeline.plan(config, "demo")["job"]
    with pytest.raises(pipeline.NothingArchivedError) as failed:
        pipeline.crawl(config, job)
    message = str(failed.value)
    for host in HOSTS[:3]:
        assert f"{host}: unreachable" in message
    assert "edittrail simulate --outlet demo" in message
    report = json.loads((Path(job).parent / "report.json").read_text())
    assert report["exchanges_archived"] == 0
    assert list(config.spool_dir("demo").glob("*.report.json")), "the failed run's report is not kept for the store"
