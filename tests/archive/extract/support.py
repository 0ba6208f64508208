"""What the extraction tests share: the saved pages, raw fetches from the simulated outlet,
and the WARC round trip every stored page takes before it is extracted."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.extract import html_from_record
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter, iter_records, load_record

PAGES = Path(__file__).parents[2] / "fixtures" / "pages"
PAGE_NAMES = ("sample", "generated", "malformed", "edited")
BOILERPLATE = (
    "can also be accessed at the following alternate addresses",
    "Press TV News Roku",
    "Install the new version of PressTv application",
    "SHARE THIS ARTICLE",
    "Related stories",
    "views",
    "Updated ",
    "All rights reserved",
    "www.presstv",
    "presstv.tv",
)
"""Text of the simulated page that is never article content."""


@dataclass(frozen=True)
class SavedPage:
    name: str
    html: bytes
    url: str
    content_type: str
    expected: dict[str, Any]


def saved_page(name: str) -> SavedPage:
    """A page of tests/fixtures/pages with its URL and hand-written expected extraction."""
    meta = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    html = (PAGES / f"{name}.html").read_bytes()
    return SavedPage(name, html, meta["url"], meta["content_type"], meta["expected"])


@dataclass(frozen=True)
class Reply:
    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def fetch(sim: Any, article_id: int, host: str | None = None, *, gzip: bool = False) -> Reply:
    """The article page as a crawler gets it: bytes as sent (gzip stays compressed)."""
    host = host or sim.primary
    path = sim.article_path(article_id)
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        headers = {"Host": f"{host}:{sim.port}", "Accept-Encoding": "gzip" if gzip else "identity"}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return Reply(
            f"http://{host}:{sim.port}{path}", response.status, response.reason, tuple(response.getheaders()), body
        )
    finally:
        conn.close()


def through_warc(directory: Path, reply: Reply) -> tuple[bytes, str | None]:
    """Write the exchange to a WARC, read the response back by offset, decode it as detect does."""
    with WarcWriter(directory, "extract-test") as writer:
        written = writer.write_exchange(
            HttpRequestData("GET", reply.url, (("Host", reply.url.split("/")[2]),)),
            HttpResponseData(reply.status, reply.reason, reply.headers, reply.body),
        )
    path = writer.closed_files[-1]
    with path.open("rb") as stream:
        infos = [i for i in iter_records(stream, name=str(path)) if i.record_type == "response"]
    assert [i.offset for i in infos] == [written.response_offset]
    with path.open("rb") as stream:
        stream.seek(written.response_offset)
        data = stream.read(written.response_length)
    return html_from_record(load_record(data, offset=written.response_offset, name=str(path)))
