"""The domains' history, its transitions, candidates, and the alerts they give: each once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from archive.config import load_config
from archive.errors import ConfigError
from archive.mirrors.classify import ERROR, REDIRECT, SEIZED, SERVING, UNREACHABLE
from archive.mirrors.probe import ProbeResult
from archive.mirrors.run import mirror_state, record_crawl_health, send_domain_alerts
from archive.mirrors.state import ACCEPTED, has_summaries, last_checked, mirrors_db_path, newest_transitions
from tests.support import HOSTS, write_config


class Recorder:
    """A stand-in for Apprise that keeps what it was asked to send."""

    sent: list[tuple[str, str]]
    fail = False

    def __init__(self) -> None:
        self.url = ""

    def add(self, url: str) -> bool:
        self.url = url
        return True

    def notify(self, body: str, title: str = "") -> bool:
        if Recorder.fail:
            return False
        Recorder.sent.append((title, body))
        return True


@pytest.fixture
def config(tmp_path, monkeypatch):
    """A config whose channel is usable and already seen: events from now on are news to it."""
    monkeypatch.setenv("EDITTRAIL_DEMO_WEBHOOK", "json://127.0.0.1:9/unused")
    Recorder.sent, Recorder.fail = [], False
    loaded = load_config(write_config(tmp_path, port=8765))
    assert send_domain_alerts(loaded, "demo", notifier_factory=Recorder)["sent"] == 0
    return loaded


def row(host: str, state: str, at: str, redirect_to: str | None = None) -> ProbeResult:
    return ProbeResult("demo", host, at, state, f"{state} detail", redirect_to=redirect_to)


def test_transitions_are_state_or_redirect_target_changes(config):
    with mirror_state(config) as state:
        for at, s, to in [
            ("2026-11-01T00:00:00Z", SERVING, None),
            ("2026-11-01T01:00:00Z", SERVING, None),
            ("2026-11-01T02:00:00Z", REDIRECT, "a.example"),
            ("2026-11-01T03:00:00Z", REDIRECT, "b.example"),
            ("2026-11-01T04:00:00Z", REDIRECT, "b.example"),
        ]:
            state.record_probe(row(HOSTS[0], s, at, to))
        seen = [(t.before, t.after) for t in state.transitions("demo")]
    assert seen == [
        (None, SERVING),
        (SERVING, "redirect to a.example"),
        ("redirect to a.example", "redirect to b.example"),
    ]


def test_current_state_says_since_when_and_the_last_success_and_error(config):
    with mirror_state(config) as state:
        state.record_probe(row(HOSTS[1], SERVING, "2026-11-01T00:00:00Z"))
        state.record_probe(row(HOSTS[1], UNREACHABLE, "2026-11-01T01:00:00Z"))
        state.record_probe(row(HOSTS[1], UNREACHABLE, "2026-11-01T02:00:00Z"))
        (current,) = state.current("demo")
    assert current["state"] == UNREACHABLE
    assert current["since"] == "2026-11-01T01:00:00Z"
    assert current["last_success"] == "2026-11-01T00:00:00Z"
    assert current["last_error"].startswith("2026-11-01T02:00:00Z unreachable")


def test_the_read_only_readers_see_each_hosts_latest_check_and_the_newest_transitions_first(config):
    with mirror_state(config) as state:
        state.record_probe(row(HOSTS[0], SERVING, "2026-11-01T00:00:00Z"))
        state.record_probe(row(HOSTS[1], SERVING, "2026-11-01T00:00:01Z"))
        state.record_probe(row(HOSTS[0], UNREACHABLE, "2026-11-01T01:00:00Z"))
        state.record_probe(row(HOSTS[0], UNREACHABLE, "2026-11-01T02:00:00Z"))
    path = mirrors_db_path(config.data_dir)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert has_summaries(conn)
        assert last_checked(conn, "demo") == [(HOSTS[0], "2026-11-01T02:00:00Z"), (HOSTS[1], "2026-11-01T00:00:01Z")]
        newest = newest_transitions(conn, "demo", 2)
    finally:
        conn.close()
    assert [(t.host, t.before, t.after) for t in newest] == [
        (HOSTS[0], SERVING, UNREACHABLE),
        (HOSTS[1], None, SERVING),
    ]


HISTORY = [
    (HOSTS[0], SERVING, "2026-11-01T00:00:00Z", None),
    (HOSTS[1], SERVING, "2026-11-01T00:00:01Z", None),
    (HOSTS[0], REDIRECT, "2026-11-01T01:00:00Z", "a.example"),
    (HOSTS[1], UNREACHABLE, "2026-11-01T01:00:01Z", None),
    (HOSTS[0], REDIRECT, "2026-11-01T02:00:00Z", "b.example"),
    (HOSTS[1], UNREACHABLE, "2026-11-01T02:00:01Z", None),
    (HOSTS[1], SERVING, "2026-11-01T03:00:01Z", None),
]


def test_a_history_from_the_previous_release_is_summarised_once_and_reads_as_it_did(tmp_path):
    """mirrors.sqlite before issue 12 held only the observations; opening it adds each host's state
    and the transitions, computed from them once, and they read as if recorded one by one."""
    import sqlite3

    from archive.mirrors.state import MirrorState

    with MirrorState(tmp_path / "recorded.sqlite") as recorded:
        for host, s, at, to in HISTORY:
            recorded.record_probe(row(host, s, at, to))
        expected = (recorded.current("demo"), recorded.transitions("demo"))
        rows = [dict(r) for r in recorded.db.query("SELECT * FROM domains ORDER BY id")]
    old = sqlite3.connect(tmp_path / "old.sqlite")
    old.execute(
        "CREATE TABLE domains (id INTEGER PRIMARY KEY, outlet TEXT NOT NULL, host TEXT NOT NULL, checked_at TEXT NOT "
        "NULL, state TEXT NOT NULL, detail TEXT, http_status INTEGER, redirect_to TEXT, chain TEXT, addresses TEXT, "
        "tls_expires TEXT, source TEXT)"
    )
    old.executemany(
        "INSERT INTO domains VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [tuple(r.values()) for r in rows]
    )
    old.commit()
    old.close()
    with MirrorState(tmp_path / "old.sqlite") as upgraded:
        assert (upgraded.current("demo"), upgraded.transitions("demo")) == expected
    current, transitions = expected
    assert [(c["host"], c["state"], c["since"]) for c in current] == [
        (HOSTS[0], REDIRECT, "2026-11-01T01:00:00Z"),
        (HOSTS[1], SERVING, "2026-11-01T03:00:01Z"),
    ]
    assert current[1]["last_error"].startswith("2026-11-01T02:00:01Z unreachable")
    assert [(t.host, t.before, t.after) for t in transitions] == [
        (HOSTS[0], None, SERVING),
        (HOSTS[1], None, SERVING),
        (HOSTS[0], SERVING, "redirect to a.example"),
        (HOSTS[1], SERVING, UNREACHABLE),
        (HOSTS[0], "redirect to a.example", "redirect to b.example"),
        (HOSTS[1], UNREACHABLE, SERVING),
    ]


def test_accepting_an_unknown_host_is_refused_and_a_candidate_is_accepted(config):
    with mirror_state(config) as state:
        assert state.add_candidate("demo", "presstv.news", "2026-11-01T00:00:00Z", "footer")
        assert not state.add_candidate("demo", "presstv.news", "2026-11-02T00:00:00Z", "footer")
        with pytest.raises(ConfigError, match="not a candidate mirror of demo"):
            state.decide("demo", "presstv.example", ACCEPTED, "2026-11-02T00:00:00Z")
        state.decide("demo", "presstv.news", ACCEPTED, "2026-11-02T00:00:00Z")
        assert state.accepted("demo") == ("presstv.news",)


def test_a_crawl_outage_is_recorded_and_alerted_once(config):
    report = {
        "run_id": "r1",
        "finished_at": "2026-11-01T00:00:00+00:00",
        "status_per_host": {HOSTS[0]: {"200": 10}, HOSTS[1]: {"200": 3}},
        "dead_domains": {},
    }
    assert record_crawl_health(config, "demo", report) == {HOSTS[0]: SERVING, HOSTS[1]: SERVING}
    down = report | {
        "run_id": "r2",
        "finished_at": "2026-11-01T03:00:00+00:00",
        "status_per_host": {HOSTS[1]: {"200": 9}},
    }
    down["dead_domains"] = {HOSTS[0]: "DownloadConnectionRefusedError: refused"}
    down["dead_domain_states"] = {HOSTS[0]: UNREACHABLE}
    assert record_crawl_health(config, "demo", down)[HOSTS[0]] == UNREACHABLE

    now = datetime(2026, 11, 1, 4, tzinfo=UTC)
    first = send_domain_alerts(config, "demo", notifier_factory=Recorder, now=now)
    again = send_domain_alerts(config, "demo", notifier_factory=Recorder, now=now)
    assert first["sent"] == 1 and again["sent"] == 0 and again["already_sent"] == 1
    ((title, body),) = Recorder.sent
    assert f"domain {HOSTS[0]}: serving → unreachable" in title
    assert "refused" in body


def test_a_dead_domains_state_is_the_failovers_verdict_not_read_from_its_reason(config):
    report = {
        "run_id": "r1",
        "finished_at": "2026-11-01T00:00:00+00:00",
        "status_per_host": {HOSTS[1]: {"200": 9}},
        "dead_domains": {HOSTS[0]: "a banner we have never seen before", HOSTS[2]: "HTTP 500 on 3 pages in a row"},
        "dead_domain_states": {HOSTS[0]: SEIZED},
    }
    states = record_crawl_health(config, "demo", report)
    assert states == {HOSTS[0]: SEIZED, HOSTS[1]: SERVING, HOSTS[2]: ERROR}  # no verdict: read from the reason


def test_a_report_from_before_dead_domain_states_is_read_by_its_reasons(config):
    report = {
        "run_id": "old",
        "finished_at": "2026-11-01T00:00:00+00:00",
        "status_per_host": {},
        "dead_domains": {HOSTS[0]: "HTTP 200 with a seizure notice: seized", HOSTS[1]: "DNSLookupError: no such host"},
    }
    assert record_crawl_health(config, "demo", report) == {HOSTS[0]: SEIZED, HOSTS[1]: UNREACHABLE}


def test_a_failing_channel_gets_the_domain_alert_on_the_next_run(config):
    with mirror_state(config) as state:
        state.record_probe(row(HOSTS[3], SERVING, "2026-11-01T00:00:00Z"))
        state.record_probe(row(HOSTS[3], SEIZED, "2026-11-01T01:00:00Z"))
    Recorder.fail = True
    assert send_domain_alerts(config, "demo", notifier_factory=Recorder)["failed"] == 1
    Recorder.fail = False
    assert send_domain_alerts(config, "demo", notifier_factory=Recorder)["sent"] == 1
    assert len(Recorder.sent) == 1


def test_a_new_candidate_and_an_expiring_certificate_are_each_told_once(config):
    with mirror_state(config) as state:
        state.add_candidate("demo", "presstv.news", "2026-11-01T00:00:00Z", "www.presstv.ir: footer")
        soon = ProbeResult("demo", HOSTS[1], "2026-11-01T00:00:00Z", SERVING, "ok", tls_expires="2026-11-10T00:00:00Z")
        state.record_probe(soon)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    send_domain_alerts(config, "demo", notifier_factory=Recorder, now=now)
    send_domain_alerts(config, "demo", notifier_factory=Recorder, now=now)
    titles = sorted(t for t, _ in Recorder.sent)
    assert titles == [
        "[demo] TLS certificate of www.presstv.co.uk expires 2026-11-10T00:00:00Z",
        "[demo] new candidate mirror: presstv.news",
    ]


def test_a_channel_first_seen_gets_no_domain_history_only_what_follows(tmp_path, monkeypatch):
    Recorder.sent, Recorder.fail = [], False
    config = load_config(write_config(tmp_path, port=8765))
    with mirror_state(config) as state:
        state.record_probe(row(HOSTS[3], SERVING, "2026-11-01T00:00:00Z"))
        state.record_probe(row(HOSTS[3], SEIZED, "2026-11-01T01:00:00Z"))
    monkeypatch.setenv("EDITTRAIL_DEMO_WEBHOOK", "json://127.0.0.1:9/unused")  # the channel becomes usable
    first = send_domain_alerts(config, "demo", notifier_factory=Recorder)
    assert first["sent"] == 0 and first["before_channel"] == 1
    with mirror_state(config) as state:
        state.record_probe(row(HOSTS[3], SERVING, "2026-11-01T02:00:00Z"))
    assert send_domain_alerts(config, "demo", notifier_factory=Recorder)["sent"] == 1
    ((title, _),) = Recorder.sent
    assert "seized → serving" in title
