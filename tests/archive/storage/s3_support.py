"""A real S3 API for tests and benchmarks: moto's standalone server in a subprocess on a free
loopback port, and a small HTTP proxy in front of it that can fail on cue.

The proxy is how tests make the store misbehave the way real ones do (5xx and SlowDown for a
while, a connection cut mid-upload, a response lost after the write happened, a stall, a
store without checksum headers) without touching moto itself.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

_RUNNING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
_SIGNED_BY = re.compile(r"Credential=([^/,\s]+)/")  # SigV4: Credential=<access key id>/<date>/<region>/...
_buckets = itertools.count()
Match = Callable[[str, str], bool]  # (method, path with query) -> does this request get the fault?

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class MotoServer:
    """``python -m moto.server`` on 127.0.0.1 with a port the OS picks; stopped on exit."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **CREDENTIALS},
        )
        assert self.process.stderr is not None
        seen = []
        for line in self.process.stderr:  # werkzeug prints the address it bound
            seen.append(line)
            if match := _RUNNING.search(line):
                self.url = f"http://127.0.0.1:{match.group(1)}"
                break
        else:
            raise RuntimeError(f"moto server exited before listening:\n{''.join(seen)}")
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        return self

    def _drain(self) -> None:
        """Keep reading moto's request log so its pipe never fills up and blocks it."""
        assert self.process is not None and self.process.stderr is not None
        with open(self.log_path, "a") as sink:
            for line in self.process.stderr:
                sink.write(line)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self._drainer.join(timeout=30)
            assert self.process.stderr is not None
            self.process.stderr.close()

    def client(self, endpoint_url: str | None = None) -> Any:
        """A plain boto3 client, for setting up and inspecting buckets behind the store's back."""
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or self.url,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),  # type: ignore[typeddict-unknown-key]
        )

    def new_bucket(self) -> str:
        name = f"edittrail-test-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)
        return name


@dataclass
class _Fault:
    kind: str
    times: int
    match: Match
    status: int = 503
    code: str = "SlowDown"


@dataclass
class FaultProxy:
    """A loopback HTTP proxy to ``upstream`` that injects faults into matching requests.

    ``log`` records each request as (method, path, what happened), so tests can assert that
    a fault really fired and that the client retried.
    """

    upstream: str
    faults: list[_Fault] = field(default_factory=list)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    strip_checksums: bool = False
    down: bool = False
    stall_seconds: float = 3.0
    access_keys: set[str] = field(default_factory=set)  # the access key id of every request seen
    require_access_key: str | None = None  # others are answered 403 InvalidAccessKeyId

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, times: int, *, status: int = 503, code: str = "SlowDown", match: Match | None = None) -> None:
        """Answer the next ``times`` matching requests with an S3 error, without forwarding them."""
        self._add(_Fault("fail", times, match or _any, status, code))

    def cut(self, times: int, match: Match | None = None) -> None:
        """Read half of the request body, then close the connection: the server died mid-upload."""
        self._add(_Fault("cut", times, match or _any))

    def lose_response(self, times: int, match: Match | None = None) -> None:
        """Forward the request (it takes effect upstream), then close without answering."""
        self._add(_Fault("lose", times, match or _any))

    def stall(self, times: int, match: Match | None = None) -> None:
        """Hold the request unanswered (until ``stall_seconds`` pass), then close: a timeout."""
        self._add(_Fault("stall", times, match or _any))

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match(method, path):
                    fault.times -= 1
                    return fault
        return None

    def record(self, method: str, path: str, outcome: str) -> None:
        with self._lock:
            self.log.append((method, path, outcome))

    def count(self, outcome: str) -> int:
        with self._lock:
            return sum(1 for _, _, what in self.log if what == outcome)


def _any(method: str, path: str) -> bool:
    return True


def part_upload(number: int) -> Match:
    """Matches the upload of one part of a multipart upload."""
    return lambda method, path: method == "PUT" and "uploadId=" in path and f"partNumber={number}" in path


def writes(method: str, path: str) -> bool:
    """Matches every request that writes (PUT or POST)."""
    return method in ("PUT", "POST")


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive and 100-continue, as botocore expects

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the proxy's own log list is what tests read."""

    def do_GET(self) -> None:
        self._proxy()

    def do_PUT(self) -> None:
        self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def do_HEAD(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        owner = self.owner
        if owner.down:
            owner.record(self.command, self.path, "refused")
            self.close_connection = True
            self.connection.close()
            return
        length = int(self.headers.get("Content-Length") or 0)
        signed = _SIGNED_BY.search(self.headers.get("Authorization") or "")
        access_key = signed.group(1) if signed else ""
        with owner._lock:
            owner.access_keys.add(access_key)
        if owner.require_access_key is not None and access_key != owner.require_access_key:
            self.rfile.read(length)
            owner.record(self.command, self.path, "fail 403")
            self._send_error(403, "InvalidAccessKeyId")
            return
        fault = owner.take_fault(self.command, self.path)
        if fault is not None and fault.kind == "cut":
            self.rfile.read(length // 2)
            owner.record(self.command, self.path, "cut")
            self.close_connection = True
            self.connection.close()
            return
        body = self.rfile.read(length) if length else b""
        if fault is not None and fault.kind == "fail":
            owner.record(self.command, self.path, f"fail {fault.status}")
            self._send_error(fault.status, fault.code)
            return
        if fault is not None and fault.kind == "stall":
            owner.record(self.command, self.path, "stall")
            owner._release.wait(owner.stall_seconds)
            self.close_connection = True
            self.connection.close()
            return
        status, headers, answer = self._forward(body)
        if fault is not None and fault.kind == "lose":
            owner.record(self.command, self.path, "lost")
            self.close_connection = True
            self.connection.close()
            return
        owner.record(self.command, self.path, str(status))
        self.send_response(status)
        for name, value in headers:
            lower = name.lower()
            if lower in ("transfer-encoding", "connection", "content-length", "server", "date"):
                continue
            if owner.strip_checksums and lower.startswith("x-amz-checksum"):
                continue
            self.send_header(name, value)
        content_length = dict((k.lower(), v) for k, v in headers).get("content-length", str(len(answer)))
        self.send_header("Content-Length", content_length if self.command == "HEAD" else str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        host, port = self.owner.upstream.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _send_error(self, status: int, code: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            "<Message>injected by the test proxy</Message></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# -- fixtures: tests/archive/storage/conftest.py imports them; other modules assign them by name.
# They belong in tests/conftest.py beside `sim`, which this engineer may not edit.


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def s3_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MotoServer:
    """boto3's own configuration points at moto: what an ``s3://`` store URL gets without settings."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a metadata service for credentials
    return moto_server


@pytest.fixture
def bucket(s3_env: MotoServer) -> str:
    """A fresh, empty bucket for one test."""
    return s3_env.new_bucket()


@pytest.fixture
def proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(moto_server.url) as running:
        yield running
