"""The domains page: each domain's state over time from the mirrors history, and its events.

The history is written the way the probe writes it (``MirrorState.record_probe``); the page
reads it read-only. Without a mirrors database (no probe or crawl yet) the page says so.
"""

from __future__ import annotations

import re

from markupsafe import escape

from archive.config import load_config
from archive.index import Index
from archive.mirrors.probe import ProbeResult
from archive.mirrors.run import mirror_state
from archive.mirrors.state import mirrors_db_path
from tests.archive.api.support import api_client
from tests.support import write_config

HOSTILE = '<script>alert("x")</script>'


def config_in(tmp_path):
    config = load_config(write_config(tmp_path, port=1))
    with Index(config.index_path):  # an empty index, as before any crawl
        pass
    return config


def probe(outlet, host, at, state, detail="", target=None):
    return ProbeResult(outlet=outlet, host=host, checked_at=at, state=state, detail=detail, redirect_to=target)


def test_without_a_mirrors_history_the_page_says_there_is_none_yet(tmp_path):
    config = config_in(tmp_path)
    assert not mirrors_db_path(config.data_dir).exists()
    answer = api_client(config).get("/demo/domains")
    assert answer.status_code == 200
    assert "No mirrors history yet" in answer.text
    assert "<svg" not in answer.text
    assert not mirrors_db_path(config.data_dir).exists()  # reading never creates it


def test_each_domain_is_a_band_of_its_states_and_its_events_are_listed_newest_first(tmp_path):
    config = config_in(tmp_path)
    with mirror_state(config) as state:
        for result in (
            probe("demo", "www.presstv.ir", "2025-01-01T00:00:00Z", "serving"),
            probe("demo", "presstv.co.uk", "2025-01-01T00:00:05Z", "serving"),
            probe("demo", "www.presstv.ir", "2025-01-03T00:00:00Z", "serving"),
            probe("demo", "presstv.co.uk", "2025-01-04T00:00:00Z", "seized", detail=HOSTILE),
            probe("demo", "www.presstv.ir", "2025-01-05T00:00:00Z", "redirect", target="www.presstv.com"),
            probe("demo", "presstv.co.uk", "2025-01-09T00:00:00Z", "seized", detail="still seized"),
            probe("other", "elsewhere.example", "2025-01-02T00:00:00Z", "parked"),
        ):
            state.record_probe(result)
    answer = api_client(config).get("/demo/domains")
    assert answer.status_code == 200
    page = answer.text
    picture = re.search(r'<svg[^>]*class="picture"[^>]*>.*?</svg>', page, re.S)
    assert picture is not None and 'role="img"' in picture.group(0)
    assert re.search(r"<title [^>]*>[^<]+</title><desc [^>]*>[^<]+</desc>", picture.group(0))
    spans = re.findall(r"<title>([^<]+)</title>", picture.group(0))
    assert spans == [
        "www.presstv.ir: serving from 2025-01-01T00:00:00Z until 2025-01-05T00:00:00Z",
        "www.presstv.ir: redirect to www.presstv.com from 2025-01-05T00:00:00Z "
        "until 2025-01-05T00:00:00Z (latest check)",
        "presstv.co.uk: serving from 2025-01-01T00:00:05Z until 2025-01-04T00:00:00Z",
        "presstv.co.uk: seized from 2025-01-04T00:00:00Z until 2025-01-09T00:00:00Z (latest check)",
    ]
    assert 'class="legend"' in picture.group(0)
    for state_name in ("serving", "redirect", "seized"):
        assert f">{state_name}</text>" in picture.group(0)  # the legend names each colour
    assert "elsewhere.example" not in page  # another outlet's domain
    events = re.search(r'<ol class="events" reversed>(.*?)</ol>', page, re.S)
    assert events is not None
    order = re.findall(r"<time>([^<]+)</time> <strong>([^<]+)</strong>", events.group(1))
    assert order == [
        ("2025-01-05T00:00:00Z", "www.presstv.ir"),
        ("2025-01-04T00:00:00Z", "presstv.co.uk"),
        ("2025-01-01T00:00:05Z", "presstv.co.uk"),
        ("2025-01-01T00:00:00Z", "www.presstv.ir"),
    ]
    assert "serving → redirect to www.presstv.com" in events.group(1)
    assert HOSTILE not in page and str(escape(HOSTILE)) in page


def test_the_outlet_page_links_to_the_domains_page(tmp_path):
    answer = api_client(config_in(tmp_path)).get("/demo/")
    assert answer.status_code == 200
    assert '<a href="/demo/domains">' in answer.text
