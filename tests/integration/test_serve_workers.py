"""``edittrail serve --workers 2``: two processes answer CDX and TimeMap lookups on one port."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.config import load_config
from bench.cdx import generate
from tests.support import write_config

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, target: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_two_workers_answer_lookups_from_the_read_only_index(tmp_path: Path):
    config = load_config(write_config(tmp_path, port=8765))
    captures, _ = generate(config, 500, sample_size=5)
    url = captures.sample[0]
    port = free_port()
    edittrail = Path(sys.executable).parent / "edittrail"
    command = [str(edittrail), "--config", str(config.path), "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(port, f"/demo/cdx?url={quote(url, safe='')}")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "serve --workers 2 did not start"
                time.sleep(0.2)
        assert status == 200 and body.count(b"\n") >= 1 and quote(url, safe=":/").encode()[:20] in body
        answers = [get(port, f"/demo/timemap/link/{url}")[0] for _ in range(20)]
        assert answers == [200] * 20
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "Started parent process" in output and output.count("Started server process") == 2, output
