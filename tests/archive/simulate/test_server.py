"""The simulated outlet over real sockets: Host dispatch, HTTP/1.1 framing, gzip, and the
effect of every event as a crawler would see it."""

from __future__ import annotations

import gzip
import http.client
import re
import socket
from datetime import UTC, date, datetime

import pytest

from archive.simulate import SimulatedOutlet, Timeline

pytestmark = pytest.mark.integration

H1 = r'<h1 class="news-title-container">(.*?)</h1>'
TITLE = r"<title>(.*?)</title>"
TIME = r'(<time class="news-modifydate-container".*?</time>)'


def some_id(sim: SimulatedOutlet, n: int = 5) -> int:
    """A generated article with no declared update yet."""
    return [i for i in sim.site.article_ids() if sim.site.articles[i].updated is None][n]


# -- dispatch and HTTP ---------------------------------------------------------------------


def test_each_outlet_host_is_served_and_unknown_hosts_get_a_short_404(outlet: SimulatedOutlet, fetch) -> None:
    for host in outlet.hosts:
        assert fetch("/", host=host).status == 200
    reply = fetch("/", host="example.org")
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.text == "404 unknown host 'example.org'\n"
    assert [(r.host, r.status) for r in outlet.requests][-1] == ("example.org", 404)
    fetch("/Section/103?page=1", host="presstv.tv", headers={"User-Agent": "edittrail-test"})
    last = outlet.requests[-1]
    assert (last.host, last.method, last.path, last.status) == ("presstv.tv", "GET", "/Section/103?page=1", 200)
    assert last.headers["User-Agent"] == "edittrail-test"


def test_every_response_has_date_server_type_and_length(outlet: SimulatedOutlet, fetch) -> None:
    for path in ["/", "/rss.xml", "/sitemap.xml", "/robots.txt", outlet.article_path(outlet.sample_id)]:
        reply = fetch(path)
        assert reply.headers["Date"].endswith(" GMT") and reply.headers["Server"]
        assert "charset=utf-8" in reply.headers["Content-Type"]
        assert int(reply.headers["Content-Length"]) == len(reply.body)
    assert fetch("/robots.txt").status == 404


def test_head_sends_the_get_headers_without_a_body(outlet: SimulatedOutlet, fetch) -> None:
    path = outlet.article_path(outlet.sample_id)
    head, get = fetch(path, method="HEAD"), fetch(path)
    assert head.status == 200 and head.body == b""
    assert abs(int(head.headers["Content-Length"]) - len(get.body)) <= 3  # the view counter's digits


def test_keep_alive_serves_many_requests_on_one_connection(outlet: SimulatedOutlet) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", outlet.port, timeout=10)
    try:
        sockets = set()
        for path in ["/", "/Section/101", "/rss.xml", "/robots.txt", "/"]:
            conn.request("GET", path, headers={"Host": f"presstv.tv:{outlet.port}", "Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response.read()
            sockets.add(id(conn.sock))
            assert not response.will_close
    finally:
        conn.close()
    assert len(sockets) == 1 and len(outlet.requests.for_host("presstv.tv")) == 5


def test_gzip_when_accepted_with_an_exact_content_length(outlet: SimulatedOutlet, fetch) -> None:
    path = outlet.article_path(outlet.sample_id)
    zipped = fetch(path, headers={"Accept-Encoding": "gzip, deflate"})
    plain = fetch(path)
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert int(zipped.headers["Content-Length"]) == len(zipped.body) < len(plain.body)
    assert re.search(H1, gzip.decompress(zipped.body).decode())
    assert fetch(path, headers={"Accept-Encoding": "gzip;q=0"}).headers.get("Content-Encoding") is None
    assert fetch("/nowhere", host="example.org", headers={"Accept-Encoding": "gzip"}).body.startswith(b"404")


def test_gzip_can_be_switched_off_per_host(outlet: SimulatedOutlet, fetch) -> None:
    outlet.set_encoding(gzip=False, host="presstv.tv")
    assert fetch("/", host="presstv.tv", headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding") is None
    assert fetch("/", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"


def test_chunked_bodies_have_real_framing(outlet: SimulatedOutlet, fetch) -> None:
    path = outlet.article_path(outlet.sample_id)
    outlet.set_encoding(chunked=True, path=path)
    reply = fetch(path, headers={"Accept-Encoding": "gzip"})
    assert reply.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in reply.headers
    assert re.search(H1, gzip.decompress(reply.body).decode())
    with socket.create_connection(("127.0.0.1", outlet.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: www.presstv.ir\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    body = raw.split(b"\r\n\r\n", 1)[1]
    sizes = []
    while True:
        line, body = body.split(b"\r\n", 1)
        size = int(line, 16)
        sizes.append(size)
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]
        if size == 0:
            break
    assert len(sizes) >= 4 and body == b""
    assert fetch("/").headers.get("Transfer-Encoding") is None  # only that path


# -- content events -------------------------------------------------------------------------


def test_a_silent_headline_edit_changes_h1_and_title_but_not_last_update(outlet: SimulatedOutlet, fetch) -> None:
    article_id = some_id(outlet)
    path = outlet.article_path(article_id)
    outlet.edit_headline(article_id, "Entirely new headline")
    page = fetch(path)
    assert page.first(H1) == "Entirely new headline"
    assert page.first(TITLE) == "Entirely new headline - PressTV"
    assert "Last Update" not in page.first(TIME)
    assert outlet.article_path(article_id) == path  # the slug froze


def test_a_declared_edit_moves_last_update(outlet: SimulatedOutlet, fetch) -> None:
    article_id = some_id(outlet)
    outlet.edit_body(article_id, replace={1: "A corrected second paragraph."}, declared=True)
    page = fetch(outlet.article_path(article_id))
    assert "<p>A corrected second paragraph.</p>" in page.text
    assert "<strong>Last Update: 20 November 2026</strong>" in page.first(TIME)
    outlet.declare_update(article_id)
    assert "Last Update: 21 November 2026" in fetch(outlet.article_path(article_id)).first(TIME)


def test_caption_and_date_edits_show_on_the_page(outlet: SimulatedOutlet, fetch) -> None:
    outlet.edit_caption(outlet.sample_id, 1, "Soldiers in Hama. (Photo by SANA)")
    outlet.edit_date(outlet.sample_id, datetime(2026, 9, 23, 8, 20, tzinfo=UTC))
    page = fetch(outlet.article_path(outlet.sample_id))
    assert "<p>Soldiers in Hama. (Photo by SANA)</p>" in page.text
    assert page.first(r'datetime="(.*?)"') == "Wednesday, 23 September 2026 8:20 AM"
    assert page.first(r'name="DC.Date.Created" content="(.*?)"') == "9/23/2026 8:20:00 AM"
    assert "/Detail/2026/11/18/" in outlet.article_path(outlet.sample_id)


def test_a_published_article_is_listed_and_served(outlet: SimulatedOutlet, fetch) -> None:
    new_id = outlet.publish("Tehran hosts regional summit", section=101)
    path = outlet.article_path(new_id)
    assert path.startswith("/Detail/2026/11/20/") and fetch(path).first(H1) == "Tehran hosts regional summit"
    assert path in fetch("/").text and path in fetch("/Section/101").text and path in fetch("/rss.xml").text


def test_retracted_articles_answer_404_or_410_on_every_host_until_restored(outlet: SimulatedOutlet, fetch) -> None:
    article_id = some_id(outlet)
    path = outlet.article_path(article_id)
    outlet.retract(article_id, status=410)
    assert {fetch(path, host=h).status for h in outlet.hosts if h != "www.presstv.com"} == {410}
    assert path not in fetch("/").text
    outlet.retract(article_id)
    assert fetch(path).status == 404
    outlet.restore(article_id)
    assert fetch(path).status == 200


def test_a_redirected_article_points_at_the_other_articles_url(outlet: SimulatedOutlet, fetch) -> None:
    article_id = some_id(outlet)
    outlet.redirect(article_id, outlet.sample_id, status=308)
    reply = fetch(outlet.article_path(article_id), host="presstv.tv")
    assert reply.status == 308
    assert reply.headers["Location"] == outlet.article_url(outlet.sample_id, host="presstv.tv")


def test_a_diverging_host_alone_serves_its_own_version(outlet: SimulatedOutlet, fetch) -> None:
    path = outlet.article_path(outlet.sample_id)
    outlet.diverge("www.presstv.co.uk", outlet.sample_id, headline="Mirror headline", paragraphs=["Only this."])
    mirror = fetch(path, host="www.presstv.co.uk")
    assert mirror.first(H1) == "Mirror headline" and "<p>Only this.</p>" in mirror.text
    assert {fetch(path, host=h).first(H1) for h in ("www.presstv.ir", "presstv.tv")} == {
        outlet.site.articles[outlet.sample_id].headline.replace("'", "&#x27;")
    }
    outlet.converge("www.presstv.co.uk", outlet.sample_id)
    assert fetch(path, host="www.presstv.co.uk").first(H1) != "Mirror headline"


def test_malformed_pages_carry_broken_markup_and_bytes(outlet: SimulatedOutlet, fetch) -> None:
    article_id = some_id(outlet)
    outlet.malformed(article_id)
    body = fetch(outlet.article_path(article_id)).body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert b"\x00" in body and b"</b></i>" in body
    container = body.split(b'<div class="news-body-container">')[1].split(b"Press TV's website")[0]
    assert container.count(b"<p>") > container.count(b"</p>")
    assert b"Content-Type" not in body and b'<h1 class="news-title-container">' in body


def test_oversized_pages_have_exactly_the_asked_length(outlet: SimulatedOutlet, fetch) -> None:
    outlet.oversized(outlet.sample_id, size=300_000)
    reply = fetch(outlet.article_path(outlet.sample_id))
    assert len(reply.body) == int(reply.headers["Content-Length"]) == 300_000
    assert reply.text.rstrip().endswith("</html>")


# -- host and transport events ---------------------------------------------------------------


def test_a_host_taken_down_resets_connections_and_the_others_still_answer(outlet: SimulatedOutlet, fetch) -> None:
    outlet.take_down("presstv.tv")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        fetch("/", host="presstv.tv")
    assert fetch("/", host="www.presstv.ir").status == 200
    assert outlet.requests.for_host("presstv.tv")[-1].status == 0
    outlet.bring_up("presstv.tv")
    assert fetch("/", host="presstv.tv").status == 200


def test_a_seized_host_shows_the_us_notice_on_every_path(outlet: SimulatedOutlet, fetch) -> None:
    outlet.seize("www.presstv.com")
    for path in ["/", outlet.article_path(outlet.sample_id), "/rss.xml", "/nothing-here"]:
        reply = fetch(path, host="www.presstv.com")
        assert reply.status == 200
        assert "The domain presstv.com has been seized by the United States Government" in reply.text
    assert "seized" not in fetch("/", host="www.presstv.ir").text


def test_slow_answers_wait_the_configured_delay(outlet: SimulatedOutlet, fetch) -> None:
    waited: list[float] = []
    outlet.sleep = waited.append
    outlet.slow(2.5, host="www.presstv.co.uk", path="/Detail/*")
    assert fetch(outlet.article_path(outlet.sample_id), host="www.presstv.co.uk").status == 200
    fetch("/", host="www.presstv.co.uk")
    fetch(outlet.article_path(outlet.sample_id))
    assert waited == [2.5]


def test_a_real_delay_is_at_least_the_configured_one(outlet: SimulatedOutlet, fetch) -> None:
    import time

    outlet.slow(0.2, path="/robots.txt")
    start = time.monotonic()
    fetch("/robots.txt")
    assert time.monotonic() - start >= 0.2


def test_failures_answer_5xx_the_given_number_of_times(outlet: SimulatedOutlet, fetch) -> None:
    outlet.fail(503, host="www.presstv.ir", path="/rss.xml", times=2)
    assert [fetch("/rss.xml").status for _ in range(3)] == [503, 503, 200]
    assert fetch("/rss.xml", host="presstv.tv").status == 200
    outlet.fail(500, path="/sitemap.xml")
    assert [fetch("/sitemap.xml", host=h).status for h in outlet.hosts] == [500] * 4


def test_a_timeline_applies_one_step_per_advance(outlet: SimulatedOutlet, fetch) -> None:
    outlet.apply(
        Timeline.from_steps(
            [
                [{"kind": "edit_headline", "article": "sample", "text": "Step one", "declared": True}],
                [{"kind": "retract", "article": "sample", "status": 410}, {"kind": "take_down", "host": "presstv.tv"}],
            ]
        )
    )
    path = outlet.article_path(outlet.sample_id)
    assert fetch(path).first(H1) != "Step one"
    assert outlet.advance() and fetch(path).first(H1) == "Step one"
    assert outlet.advance() and fetch(path).status == 410
    assert not outlet.advance()


def test_stop_is_idempotent_and_closes_idle_keep_alive_connections() -> None:
    sim = SimulatedOutlet(today=date(2026, 11, 20))
    with pytest.raises(RuntimeError, match="call start"):
        _ = sim.port
    sim.start()
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    conn.request("GET", "/", headers={"Host": "www.presstv.ir"})
    conn.getresponse().read()
    sim.stop()
    sim.stop()
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", sim.port), timeout=2).close()


def test_an_edit_after_the_first_request_of_an_article_splits_one_crawl_between_versions(
    outlet: SimulatedOutlet, fetch
) -> None:
    """An edit during a crawl: the host fetched first serves the old headline, the rest the new."""
    path, old = outlet.article_path(outlet.sample_id), outlet.site.get(outlet.sample_id).headline.replace("'", "&#x27;")
    outlet.after_requests(
        1, lambda: outlet.edit_headline(outlet.sample_id, "Edited mid-crawl"), article=outlet.sample_id
    )
    shown = [fetch(path, host=host).first(H1) for host in outlet.hosts]
    assert shown == [old] + ["Edited mid-crawl"] * (len(outlet.hosts) - 1)
