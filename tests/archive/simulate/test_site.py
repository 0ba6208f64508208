"""The simulated outlet's content and pages look like Press TV's (PRESSTV.md)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from archive.simulate import SimulatedOutlet, Site, strip_noise
from archive.simulate.corpus import SAMPLE_HEADLINE

TODAY = date(2026, 11, 20)
HOSTS = ("www.presstv.ir", "www.presstv.co.uk", "presstv.tv", "www.presstv.com")
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def parse_xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314  (our own simulated feed)


def make_site(seed: int = 1, articles: int = 30) -> Site:
    return Site(HOSTS, seed=seed, articles=articles, today=TODAY)


# -- the model ------------------------------------------------------------------------


def test_same_seed_generates_the_same_articles_and_another_seed_does_not() -> None:
    a, b, c = make_site(1), make_site(1), make_site(2)
    assert a.articles == b.articles
    assert a.article_ids() != c.article_ids()


def test_ids_rise_about_67_a_day_and_end_near_777400() -> None:
    site = make_site(articles=200)
    ids = site.article_ids()
    assert len(ids) == 201  # the generated articles plus the sample
    assert 777370 <= ids[0] <= 777400
    first, last = site.articles[ids[-1]], site.articles[ids[0]]
    days = (last.published - first.published).total_seconds() / 86400
    assert 65 <= (last.id - first.id) / days <= 70
    published = [site.articles[i].published for i in ids]
    assert published == sorted(published, reverse=True)


def test_generated_articles_have_four_to_ten_paragraphs_and_credited_photos() -> None:
    site = make_site()
    generated = [a for i, a in site.articles.items() if i != site.sample_id]
    assert all(4 <= len(a.paragraphs) <= 10 for a in generated)
    assert all(1 <= len(a.photos) <= 2 for a in generated)
    assert all(re.search(r"\(Photo by [\w ]+\)$", p.caption) for a in generated for p in a.photos)
    assert len({a.section for a in generated}) >= 6


def test_sample_article_is_seeded_as_described() -> None:
    site = make_site()
    sample = site.articles[site.sample_id]
    assert sample.headline == SAMPLE_HEADLINE
    assert (sample.section, sample.topic) == (102, "Syria")
    assert sample.photos[0].caption.endswith("(Photo by AFP)")
    assert [p.caption.endswith("(Photo by SANA)") for p in sample.photos[1:]] == [True, True]
    assert len(sample.paragraphs) >= 14
    assert sample.published == datetime(2026, 11, 18, 8, 20, tzinfo=UTC)
    assert site.sample_id == 777255


def test_slugs_carry_the_real_quirks() -> None:
    slugs = [a.slug for a in make_site().articles.values()]
    assert any("," in s for s in slugs)
    assert any("--" in s for s in slugs)
    assert any(s.endswith("-") for s in slugs)
    assert any("%E2%80%99" in s for s in slugs)


def test_publish_continues_the_rising_sequence_after_the_newest() -> None:
    site = make_site()
    newest = site.articles[site.newest_id()]
    new_id = site.publish("Iran unveils new satellite", section=101)
    article = site.articles[new_id]
    assert new_id > newest.id and site.article_ids()[0] == new_id
    assert article.published > newest.published
    assert article.slug == "Iran-unveils-new-satellite"


def test_declared_updates_always_show_a_new_date() -> None:
    site = make_site()
    article_id = site.article_ids()[3]
    site.declare_update(article_id)
    first = site.articles[article_id].updated
    site.declare_update(article_id)
    second = site.articles[article_id].updated
    assert first is not None and second is not None
    assert second.date() > first.date()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.edit_body(s.sample_id, replace={99: "x"}), "no paragraph 99"),
        (lambda s: s.edit_date(s.sample_id, datetime(2026, 1, 1)), "timezone-aware"),  # noqa: DTZ001
        (lambda s: s.redirect(s.sample_id, 1), "no article 1"),
        (lambda s: s.retract(s.sample_id, 500), "404 or 410"),
        (lambda s: s.diverge("example.org", s.sample_id), "unknown host"),
        (lambda s: s.edit_caption(s.sample_id, 7, "x"), "no photo 7"),
    ],
)
def test_invalid_events_are_refused_with_a_reason(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(make_site())


# -- the pages, fetched over a real socket ------------------------------------------------


def article_parts(body: str) -> dict[str, str]:
    found = {}
    for name, pattern in {
        "title": r"<title>(.*?)</title>",
        "h1": r'<h1 class="news-title-container">(.*?)</h1>',
        "meta_title": r'<meta name="title" content="(.*?)">',
        "dc": r'<meta name="DC.Date.Created" content="(.*?)">',
        "og_image": r'<meta property="og:image" content="(.*?)">',
        "time": r'(<time class="news-modifydate-container".*?</time>)',
        "crumb": r'<div class="news-section-container">(.*?)</div>',
        "body": r'<div class="news-body-container">(.*?)\n</div>',
    }.items():
        match = re.search(pattern, body, re.S)
        assert match, f"{name} missing"
        found[name] = match.group(1)
    return found


@pytest.mark.integration
def test_sample_article_page_has_the_real_markup(outlet: SimulatedOutlet, fetch) -> None:
    reply = fetch(outlet.article_path(outlet.sample_id))
    assert reply.status == 200
    page = reply.text
    parts = article_parts(page)
    assert '<div class="body-content details-page">' in page
    assert parts["title"].endswith(" - PressTV")
    assert parts["meta_title"].startswith("PressTV-Russia: White Helmets")
    assert re.fullmatch(r'<a href="/Section/102">News</a> / <a href="/Section/102">Syria</a>', parts["crumb"])
    assert parts["dc"] == "11/18/2026 8:20:00 AM"
    shown = re.search(r'datetime="(.*?)"', parts["time"]).group(1)
    assert datetime.strptime(shown, "%A, %d %B %Y %I:%M %p").replace(tzinfo=UTC) == datetime(
        2026, 11, 18, 8, 20, tzinfo=UTC
    )
    assert "18 November <strong>Last Update: 19 November 2026</strong>" in parts["time"]
    assert re.fullmatch(r"http://cdn\.presstv\.ir/Photo/2026/11/18/[0-9a-f-]{36}\.jpg", parts["og_image"])
    body = parts["body"]
    assert body.count("(Photo by AFP)</p>") == 1 and body.count("(Photo by SANA)</p>") == 2
    assert re.search(r'<div data-oembed-url="http://www\.presstv\.ir:\d+/Detail/', body)
    assert "Press TV's website can also be accessed at the following alternate addresses:" in body
    assert "Press TV News Roku" in body
    assert "Install the new version of PressTv application" in page and "SHARE THIS ARTICLE" in page


@pytest.mark.integration
def test_mirror_footer_lists_every_other_host(outlet: SimulatedOutlet, fetch) -> None:
    page = fetch(outlet.article_path(outlet.sample_id), host="presstv.tv").text
    assert re.findall(r'<p><a href="(http://[^"]+)">', page) == [
        "http://www.presstv.ir",
        "http://www.presstv.co.uk",
        "http://www.presstv.com",
    ]


@pytest.mark.integration
def test_every_url_variant_of_an_id_serves_the_same_article(outlet: SimulatedOutlet, fetch) -> None:
    article_id = next(i for i in outlet.site.article_ids() if outlet.site.articles[i].url_date.day < 10)
    path = outlet.article_path(article_id)
    d = outlet.site.articles[article_id].url_date
    variants = [
        path,
        f"/Detail/{d.year}/{d.month}/{d.day}/{article_id}/{path.rsplit('/', 1)[1]}",
        f"/Detail/{d:%Y/%m/%d}/{article_id}",
        f"/Detail/{d:%Y/%m/%d}/{article_id}/",
        path + "/",
        f"/Detail/{d:%Y/%m/%d}/{article_id}/Some-other-slug",
        path.replace("/Detail/", "/detail/"),
        path + "?ref=rss",
    ]
    assert d.month < 10 or d.day < 10  # the unpadded variant really differs
    headlines = {fetch(v).first(r'<h1 class="news-title-container">(.*?)</h1>') for v in variants}
    assert headlines == {outlet.site.articles[article_id].headline.replace("'", "&#x27;")}
    old = fetch(f"/detail/{article_id}.html")
    assert old.status == 301 and old.headers["Location"] == outlet.article_url(article_id)
    assert fetch(f"/Detail/2026/11/20/{outlet.site.article_ids()[0] + 1}/No-such-story").status == 404


@pytest.mark.integration
def test_home_links_sections_and_latest_articles(outlet: SimulatedOutlet, fetch) -> None:
    page = fetch("/").text
    assert {int(s) for s in re.findall(r'href="/Section/(\d+)"', page)} >= {101, 102, 10202, 103, 108}
    links = re.findall(r'<a class="section-latest-news-link" href="(/Detail/[^"]+)"', page)
    assert links[0] == outlet.article_path(outlet.site.article_ids()[0])
    assert len(links) == 30


@pytest.mark.integration
def test_section_pages_paginate_by_ten_with_a_next_link(outlet: SimulatedOutlet, fetch) -> None:
    expected = outlet.site.live_ids(102)
    assert len(expected) > 10
    seen, path, pages = [], "/Section/102", 0
    while path:
        page = fetch(path).text
        links = re.findall(r'class="section-latest-news-link" href="/Detail/\d+/\d+/\d+/(\d+)/', page)
        assert 1 <= len(links) <= 10
        seen += [int(i) for i in links]
        nxt = re.search(r'<div class="next"><a href="([^"]+)">', page)
        path, pages = (nxt.group(1) if nxt else ""), pages + 1
    assert seen == expected and pages == -(-len(expected) // 10)
    assert fetch(f"/Section/102/{pages + 1}").status == 404
    assert fetch("/Section/999").status == 404
    assert fetch("/Section/10202").status == 200


@pytest.mark.integration
def test_rss_has_no_dates_or_guids_and_mixes_in_duplicates_and_an_old_item(outlet: SimulatedOutlet, fetch) -> None:
    reply = fetch("/rss.xml", host="www.presstv.co.uk")
    assert reply.headers["Content-Type"].startswith("application/rss+xml; charset=")
    channel = parse_xml(reply.body).find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert 30 < len(items) <= 100
    for item in items:
        assert [c.tag for c in item] == [
            "title",
            "link",
            "description",
            "{http://purl.org/rss/1.0/modules/content/}encoded",
        ]
        assert not (item[3].text or "").strip()
    links = [item.findtext("link") or "" for item in items]
    assert all(re.match(rf"http://[a-z.]+:{outlet.port}/Detail/", link) for link in links)
    assert sum(link.startswith(f"http://www.presstv.co.uk:{outlet.port}/") for link in links) == len(links) - 1
    ids = [int(link.split("/Detail/")[1].split("/")[3]) for link in links]
    assert len(ids) - len(set(ids)) == 2
    oldest = outlet.site.article_ids()[-1]
    assert ids.index(oldest) < 10  # an old item among the newest


@pytest.mark.integration
def test_sitemap_index_lists_months_that_answer_and_one_that_404s(outlet: SimulatedOutlet, fetch) -> None:
    index = parse_xml(fetch("/sitemap.xml").body)
    locs = [e.text or "" for e in index.iter(f"{SM}loc")]
    assert all(re.fullmatch(r"http://www\.presstv\.ir:\d+/SiteMap/(\d{4}-\d{2})/sitemap-news-\1\.xml", u) for u in locs)
    statuses = {u: fetch(u.split(str(outlet.port), 1)[1]).status for u in locs}
    assert list(statuses.values()).count(404) == 1
    assert {"2026-11", "2026-10"} <= {u.split("/")[4] for u, s in statuses.items() if s == 200}
    month = parse_xml(fetch("/SiteMap/2026-11/sitemap-news-2026-11.xml").body)
    listed = [e.text or "" for e in month.iter(f"{SM}loc")]
    assert outlet.article_url(outlet.sample_id) in listed
    assert all("/Detail/2026/11/" in u for u in listed)
    assert month.find(f"{SM}url/{NEWS}news/{NEWS}title") is not None
    assert fetch("/SiteMap/2001-01/sitemap-news-2001-01.xml").status == 404


def normalize(body: bytes, sim: SimulatedOutlet) -> bytes:
    return strip_noise(body).replace(str(sim.port).encode(), b"PORT")


@pytest.mark.integration
def test_pages_are_the_same_for_a_seed_except_the_noise(raw_request) -> None:
    with (
        SimulatedOutlet(hosts=HOSTS, seed=7, today=TODAY) as one,
        SimulatedOutlet(hosts=HOSTS, seed=7, today=TODAY) as two,
        SimulatedOutlet(hosts=HOSTS, seed=8, today=TODAY) as other,
    ):
        path = one.article_path(one.site.article_ids()[4])
        first = raw_request(one, HOSTS[0], path).body
        again = raw_request(one, HOSTS[0], path).body
        twin = raw_request(two, HOSTS[0], path).body
        assert first != again  # the view counter, clock and related order moved
        assert normalize(first, one) == normalize(again, one) == normalize(twin, two)
        assert raw_request(other, HOSTS[0], path).status == 404  # another seed, other ids
        home = [normalize(raw_request(s, HOSTS[0], "/").body, s) for s in (one, two)]
        assert home[0] == home[1]


def test_move_section_and_replace_photo_change_only_their_field():
    from datetime import date

    from archive.simulate import Site

    site = Site(["www.presstv.ir"], articles=3, today=date(2026, 11, 20))
    article_id = site.article_ids()[1]
    before = site.get(article_id)
    headline, section, caption = before.headline, before.section, before.photos[0].caption
    site.move_section(article_id, 106 if section != 106 else 101)
    site.replace_photo(article_id, 0, "http://cdn.presstv.ir/Photo/2026/11/19/new.jpg")
    after = site.get(article_id)
    assert after.section != section and after.headline == headline
    assert after.photos[0].url.endswith("/new.jpg") and after.photos[0].caption == caption
    with pytest.raises(ValueError, match="unknown section"):
        site.move_section(article_id, 999)
    with pytest.raises(ValueError, match="has no photo 7"):
        site.replace_photo(article_id, 7, "http://cdn.presstv.ir/x.jpg")
