"""Alerts through real Apprise to local HTTP endpoints: each change once, failing channels retried."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive import pipeline
from archive.config import load_config
from tests.support import write_config

pytestmark = pytest.mark.integration


class Endpoint:
    """A webhook receiver on a free loopback port; ``status`` is what it answers."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if endpoint.status == 200:
                    endpoint.posts.append(json.loads(body))
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints():
    made: list[Endpoint] = []
    yield lambda status=200: made.append(Endpoint(status)) or made[-1]
    for endpoint in made:
        endpoint.close()


CHANNELS = """
[[outlets.demo.alerts]]
name = "everything"
url_env = "EDITTRAIL_TEST_HOOK_ALL"

[[outlets.demo.alerts]]
name = "headlines-only"
url_env = "EDITTRAIL_TEST_HOOK_HEADLINES"
kinds = ["headline"]

[[outlets.demo.alerts]]
name = "flaky"
url_env = "EDITTRAIL_TEST_HOOK_FLAKY"
"""


def test_each_change_is_sent_once_and_a_failing_channel_is_retried_next_run(tmp_path, sim, endpoints, monkeypatch):
    everything, headlines, flaky = endpoints(), endpoints(), endpoints(status=500)
    monkeypatch.setenv("EDITTRAIL_TEST_HOOK_ALL", everything.url)
    monkeypatch.setenv("EDITTRAIL_TEST_HOOK_HEADLINES", headlines.url)
    monkeypatch.setenv("EDITTRAIL_TEST_HOOK_FLAKY", flaky.url)
    demo_channel = '[[outlets.demo.alerts]]\nname = "demo-webhook"\nurl_env = "EDITTRAIL_DEMO_WEBHOOK"\n'
    config = load_config(write_config(tmp_path, port=sim.port, replace={demo_channel: CHANNELS}))
    pipeline.run_cycle(config, "demo")
    ids = sim.site.article_ids()
    sim.edit_headline(ids[1], "Officials now deny the whole story")
    sim.edit_body(ids[2], replace={0: "A rewritten opening paragraph."})
    pipeline.run_cycle(config, "demo")

    sent = len(everything.posts)
    assert sent >= 2
    assert len(headlines.posts) == 1
    (message,) = headlines.posts
    assert "headline" in message["title"] and "silent" in message["title"]
    assert "Officials now deny the whole story" in message["message"]
    assert flaky.posts == []

    result = pipeline.alert(config, "demo")  # a retried task: nothing new for the healthy channels
    assert len(everything.posts) == sent and len(headlines.posts) == 1
    assert result["already_sent"] == sent + 1 and result["failed"] == sent

    flaky.status = 200
    pipeline.alert(config, "demo")
    assert len(flaky.posts) == sent
    assert len(everything.posts) == sent
    pipeline.alert(config, "demo")
    assert len(flaky.posts) == sent


def test_a_channel_whose_url_was_missing_starts_with_changes_detected_after_it_is_usable(
    tmp_path, sim, endpoints, monkeypatch
):
    hook = endpoints()
    monkeypatch.delenv("EDITTRAIL_DEMO_WEBHOOK", raising=False)  # the shipped demo channel's url_env
    config = load_config(write_config(tmp_path, port=sim.port))
    pipeline.run_cycle(config, "demo")
    ids = sim.site.article_ids()
    sim.edit_headline(ids[1], "History the new channel must not receive")
    sim.retract(ids[2])  # unlisted from now on: asked for as its revisit would be
    history = pipeline.run_cycle(config, "demo", articles=(sim.article_url(ids[2]),))["alert"]
    assert history["changes"] >= 2 and history["unusable_channels"] == 1

    monkeypatch.setenv("EDITTRAIL_DEMO_WEBHOOK", hook.url)
    first = pipeline.alert(config, "demo")
    assert hook.posts == []
    assert first["before_channel"] == history["changes"] and first["sent"] == 0

    sim.edit_headline(ids[3], "The first news for the new channel")
    pipeline.run_cycle(config, "demo")
    (post,) = hook.posts
    # The title names the article by its headline now; the body's word diff may split the new
    # headline where it shares words with the old one (a generated headline of the day's site).
    assert post["title"].endswith(": The first news for the new channel")
    assert f"Article {ids[3]}:" in post["message"]


def test_the_atom_feed_lists_each_change_with_its_diff(tmp_path, sim):
    import xml.etree.ElementTree as ET

    config = load_config(write_config(tmp_path, port=sim.port))
    pipeline.run_cycle(config, "demo")
    sim.edit_headline(sim.site.article_ids()[1], "A quietly rewritten headline")
    result = pipeline.run_cycle(config, "demo")
    feed = ET.parse(result["alert"]["feed"]).getroot()  # noqa: S314 (our own feed file)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert any("headline (silent)" in t and "A quietly rewritten headline" in t for t in titles), titles
    contents = [e.findtext("a:content", namespaces=ns) or "" for e in feed.findall("a:entry", ns)]
    assert any("<ins>" in c for c in contents)
