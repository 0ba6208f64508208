"""What a domain's answer means, decided on the page a person would see."""

from __future__ import annotations

import pytest

from archive.mirrors.classify import (
    ERROR,
    PARKED,
    REDIRECT,
    SEIZED,
    SERVING,
    UNREACHABLE,
    classify_answer,
    classify_failure,
    visible_text,
)
from archive.simulate.pages import seizure

SEIZURE_2021 = seizure("www.presstv.com")


def test_the_presstv_com_seizure_notice_is_seized_even_with_a_200():
    verdict = classify_answer("www.presstv.com", 200, SEIZURE_2021, location=None, article_links=0)
    assert verdict.state == SEIZED
    assert "seized by the United States" in verdict.detail


def test_seizure_text_only_in_markup_or_script_is_not_a_seizure():
    page = '<html><script>var t = "this domain has been seized";</script><a href="/Detail/1">x</a></html>'
    assert classify_answer("a.example", 200, page, location=None, article_links=1).state == SERVING


@pytest.mark.parametrize(
    "text",
    [
        "This domain is for sale! Make an offer.",
        "Buy this domain today",
        "presstv.tv - parked free, courtesy of a registrar",
        "The domain owner may be interested in selling it",
    ],
)
def test_parking_and_for_sale_pages_are_parked(text):
    assert classify_answer("presstv.tv", 200, f"<p>{text}</p>", location=None, article_links=0).state == PARKED


def test_a_redirect_to_another_host_names_the_target():
    verdict = classify_answer("www.presstv.ir", 301, "", location="https://www.presstv.co.uk/", article_links=0)
    assert (verdict.state, verdict.redirect_to) == (REDIRECT, "www.presstv.co.uk")


def test_a_redirect_to_the_same_host_that_was_not_followed_is_an_error():
    assert classify_answer("a.example", 302, "", location="http://a.example/x", article_links=0).state == ERROR


def test_a_page_with_article_links_serves_the_outlet():
    verdict = classify_answer("www.presstv.ir", 200, "<html></html>", location=None, article_links=12)
    assert verdict.state == SERVING and "12 article link" in verdict.detail


@pytest.mark.parametrize(("status", "links"), [(503, 0), (404, 3), (200, 0)])
def test_errors_and_foreign_pages_are_errors(status, links):
    assert (
        classify_answer("a.example", status, "<p>Service Unavailable</p>", location=None, article_links=links).state
        == ERROR
    )


def test_transport_failures_are_unreachable_with_their_kind():
    verdict = classify_failure("dns", "presstv.tv does not resolve")
    assert verdict.state == UNREACHABLE and verdict.detail.startswith("dns:")


def test_visible_text_drops_tags_scripts_and_entities():
    assert (
        visible_text("<style>p{}</style><p>A&nbsp;b</p><script>x()</script> c") == "A b c"
    )  # a no-break space is white space too
