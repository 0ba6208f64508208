"""Fixed rules that keep a page's furniture out of the article, whatever the template calls it."""

from __future__ import annotations

from archive.detect.noise import NoiseModel
from archive.detect.noise import presence_flips as flips_of_presence
from archive.detect.normalize import normalize_text
from archive.extract import extract

URL = "http://www.presstv.ir/Detail/2026/11/18/777255/Talks"


def page(body: str, head: str = "", time: str = "") -> bytes:
    stamp = (
        time
        or '<time class="news-modifydate-container" datetime="Wednesday, 18 November 2026 8:20 AM">18 November</time>'
    )
    return (
        f"<html><head><title>Talks - PressTV</title>{head}</head><body>"
        f'<h1 class="news-title-container">Talks resume</h1>{stamp}'
        f'<div class="news-body-container"><p>The talks resumed in Vienna on Monday.</p>{body}</div></body></html>'
    ).encode()


def body_of(body: str, **kw: str) -> tuple[str, ...]:
    return extract("presstv", page(body, **kw), URL).body


def test_text_a_browser_does_not_render_is_not_read():
    hidden = (
        '<p style="display: none">qwzx</p><p hidden>plok</p><p aria-hidden="true">zzq</p>'
        '<p class="sr-only">skip</p><p>Officials met again.</p>'
    )
    assert body_of(hidden) == ("The talks resumed in Vienna on Monday.", "Officials met again.")


def test_classes_the_pages_own_style_sheet_hides_are_not_read():
    head = "<style>.gl-tip, #note { display:none }</style>"
    body = '<p>The <span class="gl-tip">Islamic Republic</span>delegates left.</p><p id="note">x</p>'
    assert body_of(body, head=head)[1] == "The delegates left."


def test_a_lazy_loaded_image_hidden_until_its_script_runs_is_still_the_photo():
    body = '<p><img data-cfsrc="http://cdn.presstv.ir/Photo/a.jpg" style="display:none"></p>'
    assert extract("presstv", page(body), URL).images == ("http://cdn.presstv.ir/Photo/a.jpg",)


def test_tag_lists_and_labelled_ads_are_not_paragraphs():
    body = (
        '<p>Tags: <a href="/Tag/iran">Iran</a>, <a href="/Tag/vienna">Vienna</a></p>'
        "<p>Sponsored: Order hotel deals before prices rise</p><p>Advertisement</p>"
        "<p>Sponsored by the UN, the talks drew twenty delegations.</p>"
    )
    assert body_of(body)[1:] == ("Sponsored by the UN, the talks drew twenty delegations.",)


def test_the_same_instant_in_any_notation_is_one_date():
    dates = {
        extract(
            "presstv", page("", time=f'<time class="news-modifydate-container" datetime="{value}">18 Nov</time>'), URL
        ).published
        for value in (
            "Wednesday, 18 November 2026 8:20 AM",
            "2026-11-18T08:20:00Z",
            "2026-11-18T11:50:00+03:30",
            "Wed, 18 Nov 2026 08:20:00 GMT",
            "November 18, 2026 at 8:20 AM UTC",
        )
    }
    assert len(dates) == 1 and None not in dates


def test_a_last_update_followed_by_a_relative_time_is_still_read():
    stamp = (
        '<time class="news-modifydate-container" datetime="Wednesday, 18 November 2026 8:20 AM">18 November'
        "<strong>Last Update: 24 November 2026 (3 hours ago)</strong></time>"
    )
    assert str(extract("presstv", page("", time=stamp), URL).last_update) == "2026-11-24"


def test_format_characters_and_twice_escaped_entities_are_no_difference():
    assert (
        normalize_text("Iran&#39;s \u200ecall") == normalize_text("Iran's call") == normalize_text("Iran\u02bcs call")
    )


def test_a_label_that_comes_and_goes_with_rotating_lines_is_learned_by_its_first_word():
    from archive.index import Version

    def copy(line: str) -> Version:
        return Version(
            "o", "a", 0, "r", "h", "u", "t", "", {}, "H", "", ("Story text.", line), (), (), "", "", None, None, "", ""
        )

    flips = list(flips_of_presence(NoiseModel(), {"a": [copy("Promoted Order hotel deals"), copy("Promoted Buy now")]}))
    assert {(e.kind, e.pattern) for e in flips} == {("prefix", "promoted")}
