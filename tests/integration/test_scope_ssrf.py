"""Scope and SSRF through the real spider over real sockets: nothing outside the outlet is fetched.

One crawl of a three-domain outlet in which one mirror redirects every path to the cloud
metadata address (169.254.169.254), another to a host outside the outlet, a third domain
is a name that resolves to loopback without a host override, and the job asks for links to
a link-local, a loopback and an outside address. A refused request must be refused before
any connection, so the crawl runs with an HTTP proxy on a loopback trap for every host but
the outlet's: a request that got past the guard would reach the trap (never the address
itself), and the trap counts it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive import pipeline
from archive.config import load_config
from archive.plan.crawljob import CrawlJob
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS, warc_responses, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

METADATA = "169.254.169.254"
OUTSIDE = "www.example.org"
TO_METADATA, TO_OUTSIDE = HOSTS[1], HOSTS[2]
RESOLVES_TO_LOOPBACK = "localhost"  # in /etc/hosts; deliberately not in host_overrides


class Trap:
    """A loopback listener that counts connections: the stand-in for every address outside the outlet."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulatedOutlet, dict, list[Path], Trap]]:
    directory = tmp_path_factory.mktemp("scope")
    trap = Trap()
    with SimulatedOutlet(hosts=HOSTS[:3], port=0, articles=6) as sim, pytest.MonkeyPatch.context() as env:
        config_path = write_config(
            directory,
            port=sim.port,
            replace={
                '["www.presstv.co.uk", "presstv.tv", "www.presstv.com"]': (
                    f'["{TO_METADATA}", "{TO_OUTSIDE}", "{RESOLVES_TO_LOOPBACK}"]'
                ),
                '"www.presstv.com" = "127.0.0.1"\n': "",
            },
        )
        sim.redirect_host(TO_METADATA, METADATA)
        sim.redirect_host(TO_OUTSIDE, OUTSIDE)
        config = load_config(config_path)
        job_path = Path(pipeline.plan(config, "demo")["job"])
        article = sim.article_path(sim.site.article_ids()[0])
        job = CrawlJob.load(job_path)
        links = (f"http://{METADATA}:{sim.port}{article}", f"http://127.0.0.1:{sim.port}{article}")
        replace(job, articles=(*links, f"http://{OUTSIDE}:{sim.port}{article}", *job.articles)).save(job_path)
        for name in ("http_proxy", "HTTP_PROXY"):
            env.setenv(name, f"http://127.0.0.1:{trap.port}")
        for name in ("no_proxy", "NO_PROXY"):
            env.setenv(name, ",".join([*HOSTS[:3], RESOLVES_TO_LOOPBACK]))
        pipeline.crawl(config, job_path)
        report = json.loads((job_path.parent / "report.json").read_text())
        yield sim, report, sorted(config.spool_dir("demo").glob("*.warc.gz")), trap
    trap.close()


def outcomes(report: dict, kind: str, host: str) -> list[dict]:
    return [o for o in report["outcomes"] if o["kind"] == kind and o["host"] == host]


def test_nothing_outside_the_outlet_is_connected_to_or_archived(refused):
    sim, report, warcs, trap = refused
    assert report["finish_reason"] == "finished"
    assert trap.connections == 0, "a request outside the outlet got past the scope guard"
    assert {r.host for r in sim.requests} <= {HOSTS[0], TO_METADATA, TO_OUTSIDE}
    assert {urlsplit(r["uri"]).hostname for r in warc_responses(warcs)} <= {HOSTS[0], TO_METADATA, TO_OUTSIDE}


def redirect_targets(warcs: list[Path], host: str) -> set[str]:
    """Where the archived answers of ``host`` sent the crawler; every one must be a redirect."""
    answers = [r for r in warc_responses(warcs) if urlsplit(r["uri"]).hostname == host]
    assert answers and all(r["status"] == 301 for r in answers)
    return {r["headers"]["Location"] for r in answers}


def test_every_redirect_to_the_metadata_address_is_archived_and_refused(refused):
    _, report, warcs, _ = refused
    targets = redirect_targets(warcs, TO_METADATA)
    assert all(urlsplit(t).hostname == METADATA for t in targets)
    # An article request bypasses Scrapy's OffsiteMiddleware (dont_filter); its redirect must not.
    assert any("/Detail/" in urlsplit(t).path for t in targets)
    refusals = outcomes(report, "refused_address", METADATA)
    assert targets <= {o["url"] for o in refusals}
    assert all("link-local" in o["detail"] for o in refusals)


def test_every_redirect_to_a_host_outside_the_outlet_is_refused_as_offsite(refused):
    _, report, warcs, _ = refused
    targets = redirect_targets(warcs, TO_OUTSIDE)
    assert all(urlsplit(t).hostname == OUTSIDE for t in targets)
    assert targets <= {o["url"] for o in outcomes(report, "offsite", OUTSIDE)}


def test_links_to_private_loopback_and_outside_addresses_are_refused(refused):
    sim, report, _, _ = refused
    assert outcomes(report, "refused_address", METADATA)
    (loopback,) = outcomes(report, "refused_address", "127.0.0.1")
    assert "loopback" in loopback["detail"]
    assert outcomes(report, "offsite", OUTSIDE)
    assert not [r for r in sim.requests if r.host.startswith("127.0.0.1")]


def test_a_name_resolving_to_loopback_without_a_host_override_is_refused(refused):
    sim, report, _, _ = refused
    assert not [r for r in sim.requests if r.host == RESOLVES_TO_LOOPBACK]
    refusals = outcomes(report, "refused_address", RESOLVES_TO_LOOPBACK)
    assert refusals and all("resolves to 127.0.0.1" in o["detail"] for o in refusals), report["outcomes"]
    assert RESOLVES_TO_LOOPBACK in report["dead_domains"]  # and its requests failed over to the other domains
