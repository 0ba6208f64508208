"""The run report: the middlewares and the spider record into the crawl's RunReportExtension,
and the report leaves the spider as the ``report.json`` that archive/ reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from spiders import settings
from spiders.middlewares import WarcCaptureMiddleware
from spiders.report import RunReport, RunReportExtension, run_report
from spiders.scope import OutOfScope, ScopeMiddleware

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PRIMARY, MIRROR = "www.presstv.ir", "presstv.tv"


def crawler(**settings_dict: object):
    return get_crawler(settings_dict={"EXTENSIONS": settings.EXTENSIONS, **settings_dict})


def test_the_report_leaves_the_spider_in_the_shape_archive_reads():
    report = RunReport(outlet="presstv", started_at=T0)
    report.exchange(PRIMARY, 200, 1000, 30, revisit=False)
    report.exchange(PRIMARY, 200, 500, 11, revisit=True)
    report.exchange(PRIMARY, 404, 0, 10, revisit=False)
    report.exchange(MIRROR, 503, 20, 4, revisit=False)
    report.domain_dead(MIRROR, "HTTP 503 on 3 pages in a row", "error")
    report.page("rss")
    report.page("articles")
    report.page("articles")
    report.outcome(f"http://{MIRROR}/x", "domain_dead", "failed over")
    report.outcome(f"http://{PRIMARY}/gone", "http_error", "HTTP 404 after retries", status=404)
    report.outcome(f"http://{PRIMARY}/moved", "redirect", "reached through ...", status=200)

    made = report.as_json("run-1", "finished", T0 + timedelta(seconds=12.3456))

    assert made == {
        "outlet": "presstv",
        "run_id": "run-1",
        "finish_reason": "finished",
        "started_at": "2026-11-25T10:00:00+00:00",
        "finished_at": "2026-11-25T10:00:12.345600+00:00",
        "duration_s": 12.346,
        "per_host": {
            PRIMARY: {"responses": 3, "bytes": 1500, "latency_mean_ms": 17, "latency_max_ms": 30},
            MIRROR: {"responses": 1, "bytes": 20, "latency_mean_ms": 4, "latency_max_ms": 4},
        },
        "exchanges_archived": 4,
        "status_per_host": {PRIMARY: {"200": 2, "404": 1}, MIRROR: {"503": 1}},
        "dead_domains": {MIRROR: "HTTP 503 on 3 pages in a row"},
        "dead_domain_states": {MIRROR: "error"},
        "pages": {"rss": 1, "articles": 2},
        "outcomes": [
            {
                "url": f"http://{MIRROR}/x",
                "host": MIRROR,
                "kind": "domain_dead",
                "detail": "failed over",
                "status": None,
            },
            {
                "url": f"http://{PRIMARY}/gone",
                "host": PRIMARY,
                "kind": "http_error",
                "detail": "HTTP 404 after retries",
                "status": 404,
            },
            {
                "url": f"http://{PRIMARY}/moved",
                "host": PRIMARY,
                "kind": "redirect",
                "detail": "reached through ...",
                "status": 200,
            },
        ],
        "errors": 2,
    }


def test_an_empty_crawl_reports_nothing_archived():
    made = RunReport(outlet="demo", started_at=T0).as_json("r", "closespider_timeout", T0)
    assert made["exchanges_archived"] == 0
    assert made["per_host"] == made["status_per_host"] == made["dead_domains"] == {}
    assert made["outcomes"] == [] and made["errors"] == 0


def test_the_project_settings_install_the_report_and_the_outlet_names_it():
    found = crawler(EDITTRAIL_OUTLET="presstv").get_extension(RunReportExtension)
    assert found is not None and found.report.outlet == "presstv"


def test_the_scope_guard_records_a_refusal_once_in_the_crawls_report():
    made = crawler(EDITTRAIL_SCOPE_ORIGINS=[f"http://{PRIMARY}"])
    scope = ScopeMiddleware.from_crawler(made)
    for _ in range(2):
        with pytest.raises(OutOfScope):
            scope.process_request(Request("http://www.example.org/elsewhere"))
    report = run_report(made)
    assert scope.report is report
    assert [(o.kind, o.host) for o in report.outcomes] == [("offsite", "www.example.org")]
    assert report.refusals == {"offsite": 1}


def test_every_archived_exchange_is_counted_per_host(tmp_path):
    made = crawler(EDITTRAIL_WARC_DIR=str(tmp_path))
    middleware = WarcCaptureMiddleware.from_crawler(made)
    request = Request(f"http://{PRIMARY}/a", meta={"download_latency": 0.0424})
    middleware.process_response(request, Response(request.url, status=200, body=b"<html>a</html>", request=request))
    middleware.spider_closed()
    figures = run_report(made).hosts[PRIMARY]
    assert (figures.statuses, figures.bytes, figures.latency_ms) == ({200: 1}, 14, 42)


def test_the_figures_reach_scrapys_stats_dump_when_the_spider_closes():
    made = crawler()
    report = run_report(made)
    report.exchange(PRIMARY, 200, 100, 5, revisit=True)
    report.domain_dead(MIRROR, "refused", "unreachable")
    report.failover(MIRROR, PRIMARY)
    made.get_extension(RunReportExtension).spider_closed()
    stats = made.stats.get_stats()
    assert stats["edittrail/warc/exchanges"] == stats["edittrail/warc/revisits"] == 1
    assert stats[f"edittrail/status/{PRIMARY}/200"] == 1 and stats[f"edittrail/bytes/{PRIMARY}"] == 100
    assert stats[f"edittrail/domain_state/{MIRROR}"] == "unreachable"
    assert stats[f"edittrail/failover/{MIRROR}/{PRIMARY}"] == 1


def test_a_middleware_built_without_the_extension_records_into_a_detached_report(tmp_path):
    bare = get_crawler(settings_dict={"EDITTRAIL_WARC_DIR": str(tmp_path)})
    middleware = WarcCaptureMiddleware.from_crawler(bare)
    assert bare.get_extension(RunReportExtension) is None
    assert middleware.report.exchanges == 0
    middleware.spider_closed()
