"""Extraction remembered per page, and extracted ahead on worker processes for a large batch."""

from __future__ import annotations

from datetime import date

import pytest

from archive.extract import extract
from archive.extract import remembered as rem
from archive.simulate import SimulatedOutlet


@pytest.fixture
def pages() -> list[rem.Page]:
    with SimulatedOutlet(articles=80, today=date(2026, 11, 20)) as sim:
        return [
            (
                "presstv",
                sim.page_for("www.presstv.ir", sim.article_path(i)).body,
                f"http://www.presstv.ir{sim.article_path(i)}",
                "text/html; charset=utf-8",
            )
            for i in sim.site.article_ids()
        ]


def test_a_page_is_extracted_once_and_the_same_bytes_elsewhere_are_not_taken_for_it(pages, monkeypatch):
    rem.forget()
    calls = []
    monkeypatch.setattr(rem, "extract", lambda *a, **k: calls.append(a) or extract(*a, **k))
    name, html, url, content_type = pages[0]
    first = rem.extract_once(pages[0])
    assert rem.extract_once(pages[0]) is first and len(calls) == 1
    rem.extract_once((name, html, url.replace("www.presstv.ir", "presstv.tv"), content_type))  # another URL
    rem.extract_once((name, html + b" ", url, content_type))  # other bytes
    assert len(calls) == 3


@pytest.mark.integration
def test_a_large_batch_is_extracted_on_workers_exactly_as_in_the_caller(pages):
    rem.forget()
    with rem.Extractors(workers=2) as extractors:
        assert extractors.ahead(pages) == len(pages) >= rem.PARALLEL_MIN
        assert extractors.ahead(pages) == 0  # all remembered now
    ahead = [rem._remembered[rem._key(page)] for page in pages]
    assert ahead == [extract(n, h, u, content_type=c) for n, h, u, c in pages]


def test_a_small_batch_or_one_core_extracts_in_the_caller_as_it_goes(pages):
    rem.forget()
    with rem.Extractors(workers=1) as extractors:
        assert extractors.ahead(pages) == 0
    with rem.Extractors(workers=2) as extractors:
        assert extractors.ahead(pages[: rem.PARALLEL_MIN - 1]) == 0
    assert not rem._remembered


@pytest.mark.integration
def test_pages_submitted_are_remembered_only_when_collected_and_a_killed_worker_leaves_them_to_the_caller(pages):
    rem.forget()
    with rem.Extractors(workers=2) as extractors:
        first = extractors.submit(pages)
        assert not rem._remembered  # nothing yet: the caller reads on while the workers extract
        assert first.collect() == len(pages) and rem._key(pages[-1]) in rem._remembered
        rem.forget()
        many = [(n, h, f"{u}?copy={k}", c) for k in range(10) for n, h, u, c in pages]  # longer than a kill
        doomed = extractors.submit(many)
        for process in list(extractors._pool._processes.values()):  # type: ignore[union-attr]
            process.kill()
        assert doomed.collect() == 0  # the pool broke: nothing remembered, the caller extracts
        assert not rem._remembered
        assert extractors.submit(pages).collect() == 0  # and the workers are not tried again
