"""Crash recovery through real crawl subprocesses: a kill at any moment loses no capture.

The crawl is SIGKILLed at 20 seeded-random moments spread over its whole life (during
start-up, then after a random number of answers spread from the first to nearly the last,
plus a random part of one answer's time, so kills land in and between records), each time
followed by the store and index steps as the next DAG run would run them. Whatever record
was whole in the spool when the process died must be indexed, every stored WARC
must pass ``warcio check``, and after one more, uninterrupted run, everything the killed runs
fetched is in the index. SIGTERM, what Airflow sends on a timeout or mark-failed, must close
the WARC files within the grace period.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.crawljob import CrawlJob
from archive.index import Index
from archive.simulate import SimulatedOutlet
from archive.warc import WarcTruncatedError, iter_records
from tests.support import HOSTS, TWO_DOMAINS, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KILLS = 20
KILLS_DURING_START_UP = 3
SEED = 20261125
ANSWER_DELAY = 0.15  # seconds per answer: spreads a small crawl over a few seconds


@pytest.fixture
def outlet(tmp_path: Path) -> Iterator[tuple[SimulatedOutlet, Config]]:
    """A small two-domain outlet that answers slowly, one request at a time per domain."""
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=8) as sim:
        sim.slow(ANSWER_DELAY)
        path = write_config(
            tmp_path,
            port=sim.port,
            replace={**TWO_DOMAINS, "concurrency_per_domain = 4": "concurrency_per_domain = 1"},
        )
        yield sim, load_config(path)


def start_crawl(config: Config, articles: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], Path]:
    """plan, then the crawl subprocess exactly as pipeline.crawl starts it."""
    job = Path(pipeline.plan(config, "demo", articles=articles)["job"])
    with open(job.parent / "crawl.log", "wb") as log:
        command = pipeline.crawl_command(job, config.outlet("demo"), config.index_path)
        process = subprocess.Popen(command, env=pipeline.crawl_env(), cwd=config.root, stdout=log, stderr=log)
    return process, job


def wait_until(process: subprocess.Popen[bytes], moment: Callable[[], bool], timeout: float = 60) -> None:
    """Poll until ``moment()`` is true; the crawl must still be running then."""
    started = time.monotonic()
    while not moment():
        assert process.poll() is None, "the crawl ended before the moment to kill it"
        assert time.monotonic() - started < timeout, "the moment to kill the crawl never came"
        time.sleep(0.005)


def whole_captures(spool: Path) -> set[str]:
    """Record ids of every whole response or revisit record in the spool, closed files and open ones."""
    ids = set()
    for path in spool.glob("*.warc.gz*"):
        with path.open("rb") as stream:
            try:
                for info in iter_records(stream, name=str(path)):
                    if info.record_type in ("response", "revisit"):
                        ids.add(info.record_id)
            except WarcTruncatedError:
                pass  # the torn record the kill interrupted: only the records before it are whole
    return ids


def indexed(config: Config) -> list[dict]:
    with Index(config.index_path, readonly=True) as idx:
        return list(idx.captures("demo"))


def store_and_index(config: Config) -> dict:
    stored = pipeline.store(config, "demo")
    pipeline.index(config, "demo")
    return stored


def test_a_crawl_killed_at_20_moments_loses_no_capture(outlet):
    sim, config = outlet
    spool = config.spool_dir("demo")
    rng = random.Random(SEED)

    process, _ = start_crawl(config)  # an uninterrupted first run: how many requests a run makes
    assert process.wait(timeout=120) == 0
    per_run = len(sim.requests)
    store_and_index(config)

    expected: set[str] = set()
    recovered_files = closed_files = 0
    for kill in range(KILLS):
        served = len(sim.requests)
        process, _ = start_crawl(config)
        if kill < KILLS_DURING_START_UP:  # at start-up: at the latest when the first request arrives
            deadline = time.monotonic() + rng.uniform(0.2, 2.0)
            wait_until(process, lambda d=deadline, s=served: time.monotonic() >= d or len(sim.requests) > s)
        else:  # after a random number of answers, then a random part of one answer's time
            slot = kill - KILLS_DURING_START_UP
            target = served + 1 + int((slot + rng.random()) * (per_run - 3) / (KILLS - KILLS_DURING_START_UP))
            wait_until(process, lambda t=target: len(sim.requests) >= t)
            time.sleep(rng.uniform(0, ANSWER_DELAY))
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL, f"kill {kill}: the crawl ended before it was killed"
        whole = whole_captures(spool)
        expected |= whole
        closed_files += len(list(spool.glob("*.warc.gz")))  # a file the writer rotated before the kill
        left_open = len(list(spool.glob("*.warc.gz.open")))  # none if the kill came before the first record

        stored = store_and_index(config)
        assert len(stored["recovered"]) == left_open, f"kill {kill}: {stored['recovered']}"
        recovered_files += left_open
        assert not list(spool.iterdir()), f"kill {kill}: the spool still holds {sorted(spool.iterdir())}"
        missing = whole - {c["record_id"] for c in indexed(config)}
        assert not missing, f"kill {kill}: {len(missing)} whole capture(s) not indexed"

    # Most kills after start-up land mid-file (how many depends on the machine's speed: a kill
    # before the first answer is written leaves no file, and that is no loss either).
    assert recovered_files >= (KILLS - KILLS_DURING_START_UP) // 2
    assert len(expected) > 100

    fetched_by_killed_runs = {(r.host, r.path) for r in sim.requests}
    process, _ = start_crawl(config)  # the next run
    assert process.wait(timeout=120) == 0
    store_and_index(config)

    outlet_config = config.outlet("demo")

    def key(host: str, path: str) -> tuple[str, str]:
        article = outlet_config.article_id(f"http://{host}{path}")
        return (host, f"article {article}") if article else (host, path)

    captures = indexed(config)
    have = {key(urlsplit(c["url"]).hostname or "", urlsplit(c["url"]).path) for c in captures}
    lost = {key(host, path) for host, path in fetched_by_killed_runs} - have
    assert not lost, f"fetched by a killed run, neither indexed nor fetched again: {sorted(lost)}"

    stored_warcs = sorted(str(p) for p in config.root.glob("data/store/**/*.warc.gz"))
    assert len(stored_warcs) == recovered_files + closed_files + 2  # and the first and the last run's
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *stored_warcs], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_sigterm_closes_the_warc_files_within_the_grace_period(outlet):
    sim, config = outlet
    spool = config.spool_dir("demo")
    sim.slow(3.0, path=sim.article_path(sim.site.article_ids()[0]))  # an answer still in flight at SIGTERM
    process, job = start_crawl(config)
    wait_until(process, lambda: bool(list(spool.glob("*.warc.gz.open"))))
    time.sleep(1.0)
    assert process.poll() is None, "the crawl ended before it could be stopped"

    asked = time.monotonic()
    returncode = pipeline.stop_gracefully(process)
    took = time.monotonic() - asked

    assert returncode != -signal.SIGKILL, "the crawl did not stop on SIGTERM and was killed"
    assert took < pipeline.TERMINATE_GRACE_SECONDS
    assert not list(spool.glob("*.open"))
    (closed,) = spool.glob("*.warc.gz")
    with closed.open("rb") as stream:
        assert [r for r in iter_records(stream, name=str(closed)) if r.record_type == "response"]
    report = json.loads((job.parent / "report.json").read_text())
    assert report["finish_reason"] == "shutdown"


def test_an_article_asked_for_by_a_killed_run_is_asked_for_again_until_captured(outlet):
    """``edittrail crawl --url`` whose crawl died before fetching it: the next plan asks again."""
    sim, config = outlet
    asked = sim.base_url(HOSTS[1]) + sim.article_path(sim.site.article_ids()[-1])
    process, _ = start_crawl(config, articles=(asked,))
    process.kill()  # during start-up: nothing fetched, no report
    process.wait(timeout=30)
    store_and_index(config)
    past_its_timeout = datetime.now(UTC) + timedelta(hours=2)

    again = pipeline.plan(config, "demo", now=past_its_timeout)
    assert again["carried_over"] == 1 and asked in CrawlJob.load(Path(again["job"])).articles

    pipeline.crawl(config, again["job"])
    store_and_index(config)
    assert any(c["url"] == asked and c["status"] == 200 for c in indexed(config))
    assert pipeline.plan(config, "demo", now=past_its_timeout)["carried_over"] == 0
