"""URL → canonical article id, for every URL shape Press TV has used (shared/PRESSTV.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import surt

from archive.config import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def presstv():
    return load_config(ROOT / "outlets.toml").outlet("presstv")


@pytest.mark.parametrize(
    ("url", "article_id"),
    [
        ("https://www.presstv.ir/Detail/2026/09/26/777077/Some-headline-here", "777077"),
        ("https://www.presstv.co.uk/Detail/2019/1/23/586436/Iran-slug", "586436"),  # unpadded month/day
        ("https://presstv.tv/Detail/2021/11/04/670473/%D9%85%D8%B1%D8%AD%D8%A8%D8%A7", "670473"),  # percent-encoded
        ("https://www.presstv.ir/Detail/2021/11/04/670473/US,-Iran--talks-", "670473"),  # commas, doubled hyphens
        ("https://www.presstv.ir/Detail/2021/11/04/670473", "670473"),  # slug missing
        ("https://www.presstv.ir/Detail/2021/11/04/670473/", "670473"),
        ("https://www.presstv.com/detail/237561.html", "237561"),  # 2012 form
        ("https://www.presstv.ir/detail/2013/05/12/303310/iran-slug/", "303310"),  # 2013 lower case, trailing slash
        ("https://presstv.ir/Detail/2026/09/26/777077/Feed-link", "777077"),  # bare domain in the RSS feed
    ],
)
def test_every_url_shape_gives_the_same_canonical_id(presstv, url, article_id):
    assert presstv.article_id(url) == article_id


@pytest.mark.parametrize(
    "url",
    [
        "https://www.presstv.ir/Section/101",
        "https://www.presstv.ir/",
        "https://www.presstv.ir/rss.xml",
        "https://www.presstv.ir/Detail/2026/09/26/not-a-number/x",
        "https://evil.example.com/Detail/2026/09/26/777077/x",  # not the outlet's domain
        "https://cdn.presstv.ir/Photo/2026/9/26/abc.jpg",
        "http://[::1",  # does not parse as a URL at all
    ],
)
def test_non_articles_and_foreign_hosts_have_no_id(presstv, url):
    assert presstv.article_id(url) is None


def test_one_article_on_two_mirrors_has_one_id_but_distinct_surt_keys(presstv):
    a = "https://www.presstv.ir/Detail/2026/09/26/777077/x"
    b = "https://www.presstv.co.uk/Detail/2026/09/26/777077/y"
    assert presstv.article_id(a) == presstv.article_id(b)
    assert surt.surt(a) == "ir,presstv)/detail/2026/09/26/777077/x"
    assert surt.surt(b).startswith("uk,co,presstv)/detail/")
