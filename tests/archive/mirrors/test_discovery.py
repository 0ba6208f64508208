"""New mirrors as the outlet announces them, and what counts as new."""

from __future__ import annotations

from archive.config import load_config
from archive.mirrors.discovery import alternate_hosts, new_candidates
from tests.support import ROOT

FOOTER = (
    '<div class="news-body-container"><p>Text.</p>'
    "<p>Press TV's website can also be accessed at the following alternate addresses:</p>"
    '<p><a href="http://www.presstv.co.uk">www.presstv.co.uk</a></p>'
    '<p><a href="http://presstv.news">presstv.news</a></p>'
    '<p><a href="https://channelstore.roku.com/">Press TV News Roku</a></p></div>'
)


def test_the_footer_names_the_alternate_hosts_in_page_order():
    outlet = load_config(ROOT / "outlets.toml").outlet("presstv")
    assert alternate_hosts(outlet, FOOTER.encode()) == ("www.presstv.co.uk", "presstv.news")


def test_only_hosts_that_are_not_configured_or_accepted_are_candidates():
    outlet = load_config(ROOT / "outlets.toml").outlet("presstv")
    found = ("www.presstv.co.uk", "PressTV.News.", "cdn.presstv.ir", "presstv.live", "presstv.live")
    assert new_candidates(outlet, found) == ("presstv.news", "presstv.live")
    assert new_candidates(outlet, found, accepted=("presstv.live",)) == ("presstv.news",)


def test_an_outlet_without_a_footer_reader_announces_nothing():
    outlet = load_config(ROOT / "outlets.toml").outlet("presstv").model_copy(update={"extractor": "generic"})
    assert alternate_hosts(outlet, FOOTER.encode()) == ()
