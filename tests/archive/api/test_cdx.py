"""CDX query parsing by pywb's documented examples; every mistake is a CdxQueryError."""

from __future__ import annotations

import time

import pytest

from archive.api.cdx import CdxFilter, CdxQueryError, build_query, pad_timestamp
from archive.config import load_config
from tests.support import write_config


@pytest.fixture(scope="module")
def outlet(tmp_path_factory):
    return load_config(write_config(tmp_path_factory.mktemp("cdx"), port=8765)).outlet("demo")


def q(outlet, **params):
    return build_query(outlet, {k: v if isinstance(v, list) else [v] for k, v in params.items()})


def test_timestamps_are_padded_down_for_from_and_up_for_to():
    assert pad_timestamp("2014", upper=False, name="from") == "20140101000000"
    assert pad_timestamp("2014", upper=True, name="to") == "20141231235959"
    with pytest.raises(CdxQueryError):
        pad_timestamp("2014-01", upper=False, name="from")


def test_wildcards_are_match_types(outlet):
    prefix = q(outlet, url="http://example.com/path/*")
    assert prefix.match_type == "prefix" and prefix.start == "com,example)/path/"
    domain = q(outlet, url="*.example.com")
    assert domain.match_type == "domain" and domain.start == "com,example"
    assert q(outlet, url="example.com/a", matchType="host").start == "com,example)/"


@pytest.mark.parametrize(
    ("text", "value", "accepted"),
    [
        ("mime:html", "text/html", True),
        ("=mime:text/html", "text/html", True),
        ("=mime:html", "text/html", False),
        ("~mime:.*/html$", "text/html", True),
        ("!mime:html", "text/html", False),
        ("!=mime:text/html", "text/html", False),
        ("!~mime:text/.*", "application/xml", True),
    ],
)
def test_filters_follow_pywbs_modifiers(text, value, accepted):
    assert CdxFilter.parse(text).accepts({"mime": value}) is accepted


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"url": "x.org", "limit": "0"},
        {"url": "x.org", "limit": "1000001"},
        {"url": "x.org", "filter": "nosuch:1"},
        {"url": "x.org", "filter": "~url:["},
        {"url": "x.org", "sort": "random"},
        {"url": "x.org", "closest": "2014", "sort": "closest", "from": "20xx"},
        {"url": "x.org", "matchType": "article"},
    ],
)
def test_bad_parameters_are_refused_with_a_message(outlet, params):
    with pytest.raises(CdxQueryError):
        q(outlet, **params)


@pytest.mark.parametrize("expression", ["(.+)+X", "(.*)*;", "(a|a)*$", "(.*a){20}", "(x+x+)+y", "(.+)+(.+)+(.+)+X"])
def test_backtracking_expressions_match_in_linear_time(expression):
    line = {"url": "http://www.presstv.ir/" + "Detail/2026/11/20/777400/" * 400, "urlkey": "ir,presstv)/" * 400}
    started = time.process_time()  # this process's CPU: other jobs on the machine do not count
    for field in ("url", "urlkey"):
        CdxFilter.parse(f"~{field}:{expression}").accepts(line)
    assert time.process_time() - started < 1  # Python's re takes longer than the age of the universe


@pytest.mark.parametrize("expression", [r"(a)\1", "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "a{1001}", "(a{999}){999}"])
def test_expressions_re2_cannot_run_are_refused_naming_the_filter(expression):
    with pytest.raises(CdxQueryError, match="RE2") as caught:
        CdxFilter.parse(f"~url:{expression}")
    assert repr(f"~url:{expression}") in str(caught.value)


def test_a_regex_filter_matches_from_the_start_of_the_field():
    assert CdxFilter.parse("~url:http://www\\.presstv").accepts({"url": "http://www.presstv.ir/"})
    assert not CdxFilter.parse("~url:www").accepts({"url": "http://www.presstv.ir/"})
    assert CdxFilter.parse("~url:.*www").accepts({"url": "http://www.presstv.ir/"})


def test_a_pile_of_filters_is_refused(outlet):
    with pytest.raises(CdxQueryError, match="at most"):
        q(outlet, url="x.org", filter=["~url:(.+)+X"] * 1000)
