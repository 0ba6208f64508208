"""The HTTP/1.1 load generator of ``bench.serve``: asyncio protocols on raw sockets, one process.

    python -m bench.serve_load PORT PATHS.json CONCURRENCY SECONDS keep-alive|close [BODIES.json]

``CONCURRENCY`` clients take the paths in turn (every server sees the same sequence), each on
its own connection: kept alive, or one connection per request (``Connection: close``, the
connect timed with the request). After a sequential warm-up of 50 requests it runs for
``SECONDS`` and prints one JSON line: requests, req/s, latency p50/p90/p99 in ms, answers
that were not 200, connection errors, mean body bytes, and the generator's own CPU time.
With ``BODIES.json`` it instead asks each path once and writes ``{path: [status, body]}``.

Bodies are read by Content-Length, chunked, or to the end of the connection. uvloop is used
when it is importable, so the generator's own cost stays small beside the servers'.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

HOST = "127.0.0.1"
WARM_UP = 50


class _Connection(asyncio.Protocol):
    """One client connection: a request at a time, the answer parsed as the bytes arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.eof = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._parse()

    def eof_received(self) -> bool:
        self.eof = True
        self._parse()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = self.eof = True
        self._parse()
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the server closed the connection"))

    def ask(self, path: str, port: int, close: bool) -> asyncio.Future[tuple[int, bytes, bool]]:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.buffer.clear()
        extra = "Connection: close\r\n" if close else ""
        self.transport.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n{extra}\r\n".encode())
        return self.answer

    def _parse(self) -> None:
        if self.answer is None or self.answer.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
        closing = headers.get("connection", "").lower() == "close"
        start = end + 4
        if "content-length" in headers:
            length = int(headers["content-length"])
            if len(self.buffer) - start >= length:
                self.answer.set_result((status, bytes(self.buffer[start : start + length]), closing))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = _dechunk(self.buffer, start)
            if body is not None:
                self.answer.set_result((status, body, closing))
        elif self.eof:
            self.answer.set_result((status, bytes(self.buffer[start:]), True))


def _dechunk(buffer: bytearray, at: int) -> bytes | None:
    """The body of a chunked message starting at ``at``, or None while it is incomplete."""
    parts = []
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        at = line_end + 2
        if size == 0:
            return b"".join(parts) if buffer.find(b"\r\n", at) >= 0 else None
        if len(buffer) < at + size + 2:
            return None
        parts.append(bytes(buffer[at : at + size]))
        at += size + 2


class _Client:
    def __init__(self, port: int, close: bool) -> None:
        self.port, self.close = port, close
        self.connection: _Connection | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.connection is None or self.connection.closed:
            loop = asyncio.get_running_loop()
            _, self.connection = await loop.create_connection(_Connection, HOST, self.port)
        connection = self.connection
        try:
            status, body, closing = await connection.ask(path, self.port, self.close)
        except ConnectionError:
            self.connection = None
            raise
        if closing or self.close:
            assert connection.transport is not None
            connection.transport.close()
            self.connection = None
        return status, body


async def load(port: int, paths: list[str], concurrency: int, seconds: float, close: bool) -> dict[str, Any]:
    """Drive the server for ``seconds``; the figures ``bench.serve`` records for one cell."""
    warm = _Client(port, close)
    for path in paths[:WARM_UP]:
        await warm.get(path)
    turn = itertools.count()
    latencies: list[float] = []
    counts = {"non200": 0, "errors": 0, "bytes": 0}
    cpu_start, start = time.process_time(), time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        client = _Client(port, close)
        while time.perf_counter() < deadline:
            path = paths[next(turn) % len(paths)]
            began = time.perf_counter()
            try:
                status, body = await client.get(path)
            except (ConnectionError, OSError, ValueError):
                counts["errors"] += 1
                continue
            latencies.append(time.perf_counter() - began)
            counts["non200"] += status != 200
            counts["bytes"] += len(body)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2) if latencies else 0.0,
        "p90_ms": round(1000 * cuts[89], 2),
        "p99_ms": round(1000 * cuts[98], 2),
        "non200": counts["non200"],
        "errors": counts["errors"],
        "mean_bytes": round(counts["bytes"] / max(1, len(latencies))),
        "client_cpu_s": round(cpu, 3),
        "elapsed_s": round(elapsed, 3),
    }


async def bodies(port: int, paths: list[str], concurrency: int) -> dict[str, list[Any]]:
    """Each path asked once: ``{path: [status, body text]}``."""
    queue = iter(paths)
    found: dict[str, list[Any]] = {}

    async def worker() -> None:
        client = _Client(port, close=True)
        for path in queue:
            status, body = await client.get(path)
            found[path] = [status, body.decode("utf-8", "replace")]

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return found


def main() -> None:
    port, paths_file, concurrency, seconds, mode = sys.argv[1:6]
    paths = json.loads(Path(paths_file).read_text())
    try:
        from uvloop import run
    except ImportError:
        from asyncio import run
    if len(sys.argv) > 6:
        found = run(bodies(int(port), paths, int(concurrency)))
        Path(sys.argv[6]).write_text(json.dumps(found))
        return
    print(json.dumps(run(load(int(port), paths, int(concurrency), float(seconds), mode == "close"))))


if __name__ == "__main__":
    main()
