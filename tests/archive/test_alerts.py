from __future__ import annotations

from dataclasses import replace

import pytest

from archive.alerts.message import render_message
from archive.alerts.send import channel_url, channel_wants
from archive.alerts.store import Deliveries
from archive.config import AlertChannel
from archive.index import StoredChange

CHANGE = StoredChange(
    id=1,
    change_key="k1",
    outlet="demo",
    article_id="777255",
    kind="headline",
    declared=False,
    host="www.presstv.ir",
    from_version=1,
    to_version=2,
    from_record="<urn:uuid:1>",
    to_record="<urn:uuid:2>",
    from_time="2026-11-20T08:00:00Z",
    to_time="2026-11-21T08:00:00Z",
    summary="headline changed (silent): …",
    diff_text="[-old-]{+Idlib truce+}",
    diff_html="",
    section="News / Syria",
    details={},
    detected_at=None,
)


@pytest.mark.parametrize(
    ("filters", "wanted"),
    [
        ({}, True),
        ({"kinds": ("headline",)}, True),
        ({"kinds": ("body", "retraction")}, False),
        ({"sections": ("syria",)}, True),
        ({"sections": ("Iran",)}, False),
        ({"keywords": ("idlib",)}, True),
        ({"keywords": ("tehran",)}, False),
        ({"kinds": ("headline",), "sections": ("Syria",), "keywords": ("nothing",)}, False),
    ],
)
def test_channel_filters_combine_with_and(filters, wanted):
    channel = AlertChannel(name="c", url="json://127.0.0.1:9/x", **filters)
    assert channel_wants(channel, CHANGE, "Russia: White Helmets ...") is wanted


def test_channel_url_from_environment_never_from_the_file(monkeypatch):
    channel = AlertChannel(name="c", url_env="EDITTRAIL_TEST_SECRET_URL")
    with pytest.raises(LookupError, match="EDITTRAIL_TEST_SECRET_URL"):
        channel_url(channel)
    monkeypatch.setenv("EDITTRAIL_TEST_SECRET_URL", "slack://token")
    assert channel_url(channel) == "slack://token"


def test_channel_needs_exactly_one_url_source():
    with pytest.raises(ValueError, match="exactly one of url"):
        AlertChannel(name="c")
    with pytest.raises(ValueError, match="unknown change kind 'typo'"):
        AlertChannel(name="c", url="json://x", kinds=("typo",))


def test_message_names_article_kind_flag_times_and_diff():
    title, body = render_message(CHANGE, {"headline": "Russia: White Helmets", "url": "http://www.presstv.ir/x"})
    assert title == "[demo] headline (silent): Russia: White Helmets"
    assert "2026-11-20T08:00:00Z → 2026-11-21T08:00:00Z" in body
    assert "Idlib truce" in body and "http://www.presstv.ir/x" in body


def test_deliveries_count_attempts_and_remember_success(tmp_path):
    deliveries = Deliveries(tmp_path / "alerts.sqlite")
    deliveries.record("k1", "c", "demo", ok=False, error="HTTP 500")
    assert not deliveries.sent("k1", "c")
    assert deliveries.failed("demo")[0]["attempts"] == 1
    deliveries.record("k1", "c", "demo", ok=True)
    assert deliveries.sent("k1", "c") and deliveries.failed("demo") == []
    deliveries.close()


def test_a_channel_seen_for_the_first_time_skips_the_history_once(tmp_path):
    deliveries = Deliveries(tmp_path / "alerts.sqlite")
    deliveries.record("k0", "old", "demo", ok=True)
    assert deliveries.first_sight("demo", "new", lambda: ["k1", "k2", "k1"]) == 2
    assert deliveries.status("k1", "new") == deliveries.status("k2", "new") == "skipped"
    assert not deliveries.sent("k1", "new") and deliveries.failed("demo") == []

    def history_read_again() -> list[str]:
        raise AssertionError("a channel seen before must not read the history")

    assert deliveries.first_sight("demo", "new", history_read_again) is None
    assert deliveries.status("k3", "new") is None
    assert deliveries.first_sight("other", "new", lambda: ["k3"]) == 1  # channels are per outlet
    deliveries.close()


def test_a_change_naming_several_fields_reaches_a_channel_for_any_of_them():
    rewrite = replace(CHANGE, kind="body", details={"fields": ["lead", "body"]})
    assert channel_wants(AlertChannel(name="c", url="json://127.0.0.1:9/x", kinds=("lead",)), rewrite, "")
    assert not channel_wants(AlertChannel(name="c", url="json://127.0.0.1:9/x", kinds=("caption",)), rewrite, "")


def test_a_rebuilt_history_is_skipped_on_every_channel_in_use_but_what_was_sent_stays_sent(tmp_path):
    deliveries = Deliveries(tmp_path / "alerts.sqlite")
    deliveries.first_sight("demo", "a", list)
    deliveries.first_sight("demo", "b", list)
    deliveries.record("k1", "a", "demo", ok=True)
    assert deliveries.skip_history("demo", ["k1", "k2"], "rebuilt") == 3
    assert deliveries.status("k1", "a") == "sent"
    assert deliveries.status("k1", "b") == deliveries.status("k2", "a") == deliveries.status("k2", "b") == "skipped"
    assert deliveries.skip_history("other", ["k3"], "rebuilt") == 0  # no channel of that outlet in use yet
    deliveries.close()
