"""pywb replays an `edittrail export` package as it is: the package's ``indexes/index.cdxj`` is
pywb's index and its ``archive/`` pywb's archive directory, with nothing converted or re-indexed.

pywb runs as pywb's users run it, the ``wayback`` server in a subprocess on loopback. It cannot
share the project's environment: every pywb release pins libraries the project needs newer
(``redis==2.10.6`` against celery's redis>=4.5, ``werkzeug==3.1.7``, ``greenlet<3`` up to 2.9.0
against playwright's greenlet>=3), and its ``brotlipy`` installs a ``brotli`` module over the one
the project uses. So ``uv tool run`` installs it from the package registry into an environment
of its own (cached by uv after the first run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.cli.main import cli
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import EDITED_HEADLINE, Built, build_archive
from tests.support import HOSTS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PYWB = "pywb==2.10.0"
INSTALL_SECONDS = 600
START_SECONDS = 60


@dataclass(frozen=True)
class Line:
    """One line of the exported CDXJ."""

    urlkey: str
    timestamp: str
    fields: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> Line:
        urlkey, timestamp, data = text.split(" ", 2)
        return cls(urlkey, timestamp, json.loads(data))

    def key(self) -> tuple[str, ...]:
        f = self.fields
        return (self.urlkey, self.timestamp, f["url"], f["mime"], f["digest"], f["filename"], f["offset"], f["length"])


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Iterator[tuple[Built, Path]]:
    """The second crawl's captures exported: its revisits' originals come from the first crawl's WARC.

    Exported twice in this process, the package being the second: a long-lived process (the
    service, a notebook, a test session) exports more than once, and libraries keep state.
    """
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        built = build_archive(tmp_path_factory.mktemp("pywb-archive"), sim)
        packages = tmp_path_factory.mktemp("pywb-package")
        args = ["--config", str(built.config.path), "export", "--outlet", "demo", "--from", built.second_crawl_from]
        for out in (packages / "first", packages / "second"):
            result = CliRunner().invoke(cli, [*args, "--out", str(out)], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        yield built, packages / "second"


def index_lines(package_dir: Path) -> list[Line]:
    return [Line.parse(text) for text in (package_dir / "indexes" / "index.cdxj").read_text().splitlines()]


@pytest.fixture(scope="module")
def lines(package) -> list[Line]:
    """The exported index's capture lines (see the test below for any other)."""
    _, out = package
    return [line for line in index_lines(out) if "url" in line.fields]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pywb_command(*args: str) -> list[str]:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.fail("uv is needed to install pywb into its own environment (see the module docstring)")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return [uv, "tool", "run", "--python", python, "--from", PYWB, *args]


@pytest.fixture(scope="module")
def pywb(package, tmp_path_factory) -> Iterator[str]:
    """``wayback`` serving the package as collection ``demo``; yields the collection's base URL."""
    _, out = package
    installed = subprocess.run(
        pywb_command("wayback", "--version"), capture_output=True, text=True, timeout=INSTALL_SECONDS
    )
    assert installed.returncode == 0, f"installing {PYWB} failed:\n{installed.stderr[-2000:]}"
    root = tmp_path_factory.mktemp("pywb")
    (root / "config.yaml").write_text(
        f"collections:\n  demo:\n    index_paths: {out / 'indexes'}/\n    archive_paths: {out / 'archive'}/\n"
    )
    port = free_port()
    log = root / "wayback.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            pywb_command("wayback", "--bind", "127.0.0.1", "--port", str(port)),
            cwd=root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: uv and the server stop together
        )
    try:
        base = f"http://127.0.0.1:{port}/demo/"
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"wayback did not start on port {port}:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects or asking for compression (urllib sends ``identity``)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def record_at(package_dir: Path, filename: str, offset: str) -> tuple[str, str | None, bytes]:
    """(WARC-Date, WARC-Refers-To, decoded payload) of the record a CDXJ line points at, read by warcio."""
    with open(package_dir / "archive" / filename, "rb") as fh:
        fh.seek(int(offset))
        record = next(iter(ArchiveIterator(fh)))
        headers = record.rec_headers
        return headers.get_header("WARC-Date"), headers.get_header("WARC-Refers-To"), record.content_stream().read()


def records_by_id(package_dir: Path) -> dict[str, tuple[str, bytes]]:
    """Every response record of the package: id → (file, decoded payload)."""
    found = {}
    for path in sorted((package_dir / "archive").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    found[record.rec_headers.get_header("WARC-Record-ID")] = (path.name, record.content_stream().read())
    return found


def cdx(base: str, **params: str) -> list[Line]:
    """pywb's CDX server: the lines it answers, in the exported index's shape (plus pywb's ``source``)."""
    status, _, body = get(f"{base}cdx?{urllib.parse.urlencode(params)}")
    assert status == 200
    return [
        Line(row["urlkey"], row["timestamp"], {k: v for k, v in row.items() if k not in ("urlkey", "timestamp")})
        for row in map(json.loads, body.decode().splitlines())
    ]


def stamp(http_date: str) -> str:
    """``Wed, 25 Nov 2026 16:56:36 GMT`` → ``20261125165636``."""
    return parsedate_to_datetime(http_date).strftime("%Y%m%d%H%M%S")


def id_url(base: str, line: Line) -> str:
    return f"{base}{line.timestamp}id_/{line.fields['url']}"


def test_the_exported_index_of_a_second_export_in_one_process_holds_only_captures(package):
    _, out = package
    others = [line for line in index_lines(out) if "url" not in line.fields]
    assert not others, (
        "index.cdxj has lines that are no capture (importing wacz.waczindexer appends 'warcinfo' to "
        f"cdxj_indexer's CDXJIndexer.DEFAULT_RECORDS for the whole process): {others[:2]}"
    )


def test_pywb_cdx_server_lists_every_exported_capture(pywb, lines):
    hosts = {urllib.parse.urlsplit(line.fields["url"]).netloc for line in lines}
    assert len(hosts) == 2
    listed = [
        line for host in sorted(hosts) for line in cdx(pywb, url=f"http://{host}/", matchType="host", output="json")
    ]
    assert sorted(line.key() for line in listed) == sorted(line.key() for line in lines)
    assert {line.fields["source"] for line in listed} == {"demo:index.cdxj"}, "pywb read the exported index as is"
    assert sum(1 for line in listed if line.fields["mime"] == "warc/revisit") >= 2


def test_pywb_replays_an_exported_article_capture_byte_for_byte(pywb, package, lines):
    built, out = package
    (line,) = [
        line
        for line in lines
        if f"/{built.edited_id}/" in line.fields["url"] and line.fields["url"].startswith("http://www.presstv.ir:")
    ]
    warc_date, _, payload = record_at(out, line.fields["filename"], line.fields["offset"])

    status, headers, body = get(id_url(pywb, line))

    assert status == 200
    assert body == payload and EDITED_HEADLINE.encode() in body
    assert stamp(headers["Memento-Datetime"]) == line.timestamp == re.sub(r"\D", "", warc_date)[:14]


def test_pywb_resolves_each_exported_revisit_to_its_original_payload(pywb, package, lines):
    _, out = package
    originals = records_by_id(out)
    revisits = [line for line in lines if line.fields["mime"] == "warc/revisit"]
    assert len(revisits) >= 2
    for line in revisits:
        _, refers_to, own_payload = record_at(out, line.fields["filename"], line.fields["offset"])
        original_file, original_payload = originals[refers_to]
        assert own_payload == b"" and original_payload
        assert original_file != line.fields["filename"], "the original comes from the first crawl's WARC"

        status, headers, body = get(id_url(pywb, line))

        assert status == 200, line.fields["url"]
        assert body == original_payload, line.fields["url"]
        assert stamp(headers["Memento-Datetime"]) == line.timestamp, "the revisit's own time, not the original's"
