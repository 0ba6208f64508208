"""CDX and TimeMap requests skip FastAPI's routing and parameter solving, and answer exactly as before."""

from __future__ import annotations

import http.client
import json
import os
import random
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from archive.api import create_app
from archive.config import Config, load_config
from bench.cdx import SEED, generate
from bench.serve import request_paths
from tests.archive.api.support import api_client, served
from tests.support import write_config


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Config, list[str]]:
    config = load_config(write_config(tmp_path_factory.mktemp("direct"), port=8765))
    captures, _ = generate(config, 2_000, sample_size=40)
    return config, random.Random(SEED).sample(captures.sample, len(captures.sample))


def full_stack(config: Config) -> Any:
    """The app without the direct dispatch: every request through Starlette's router and FastAPI."""
    client = api_client(config)
    client.app.user_middleware.clear()
    return client


def targets(urls: list[str]) -> list[str]:
    paths = request_paths(urls[:10])
    return [
        *paths["exact"],
        *paths["prefix"],
        *paths["timemap"],
        f"/demo/cdx?url={quote(urls[0], safe='')}&output=json&fl=url,timestamp",
        f"/demo/cdx?url={quote(urls[0], safe='')}&output=link&sort=reverse",
        f"/demo/cdx?url={quote(urls[0], safe='')}&filter=~mime:warc",
        "/demo/cdx",
        "/demo/cdx?url=http://%5B::1",
        "/demo/cdx?url=*.presstv.ir&filter=~url:(a)%5C1",
        "/nowhere/cdx?url=http://www.presstv.ir/",
        "/demo/timemap/link/",
        "/demo/timemap/link/http://www.presstv.ir/nothing-here",
        "/demo/timemap/link/javascript:alert(1)",
        "/nowhere/timemap/link/http://www.presstv.ir/",
    ]


def test_every_lookup_answers_as_the_full_stack_does(archive):
    config, urls = archive
    direct, full = api_client(config), full_stack(config)
    for target in targets(urls):
        ours, theirs = direct.get(target), full.get(target)
        assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content), target
        assert ours.headers.get("content-type") == theirs.headers.get("content-type"), target


def test_a_limit_that_is_no_number_is_a_400_naming_limit(archive):
    config, urls = archive
    response = api_client(config).get("/demo/cdx", params={"url": urls[0], "limit": "ten"})
    assert response.status_code == 400 and "limit='ten'" in response.json()["detail"]


def test_methods_and_paths_the_lookup_routes_do_not_take_go_through_the_router(archive):
    config, urls = archive
    direct, full = api_client(config), full_stack(config)
    for method, target in [
        ("HEAD", f"/demo/cdx?url={quote(urls[0], safe='')}"),  # the TimeGate route takes HEAD
        ("POST", f"/demo/cdx?url={quote(urls[0], safe='')}"),
        ("HEAD", f"/demo/timemap/link/{urls[0]}"),
        ("GET", "/static/cdx"),
        ("GET", "/openapi.json"),
    ]:
        ours, theirs = direct.request(method, target), full.request(method, target)
        assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content), (method, target)


def test_the_schema_still_documents_every_cdx_parameter(archive):
    config, _ = archive
    schema = api_client(config).get("/openapi.json").json()
    names = {p["name"] for p in schema["paths"]["/{outlet}/cdx"]["get"]["parameters"]}
    assert {"url", "matchType", "from", "to", "limit", "sort", "closest", "filter", "fl", "output"} <= names


def get(base: str, target: str, connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    address = urlsplit(base)
    conn = connection or http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    conn.request("GET", target)
    response = conn.getresponse()
    return response.status, response.read()


def test_over_a_real_socket_kept_alive_the_lookups_see_a_replaced_index(archive, tmp_path):
    config, urls = archive
    target = f"/demo/cdx?url={quote(urls[0], safe='')}&output=json"
    with served(create_app(config)) as base:
        address = urlsplit(base)
        kept = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
        status, body = get(base, target, kept)
        before = [json.loads(line) for line in body.splitlines()]
        assert status == 200 and before and all(line["url"] == urls[0] for line in before)
        emptied = Path(config.index_path).with_suffix(".new")
        with closing(sqlite3.connect(config.index_path)) as source, closing(sqlite3.connect(emptied)) as copy:
            source.backup(copy)
            with copy:
                copy.execute("DELETE FROM captures")
        backup = Path(config.index_path).with_suffix(".old")
        os.link(config.index_path, backup)
        os.replace(emptied, config.index_path)
        try:
            status, body = get(base, target, kept)
            assert status == 200 and body == b""
            status, body = get(base, f"/demo/timemap/link/{urls[0]}", kept)
            assert status == 404 and b"has no capture" in body
        finally:
            os.replace(backup, config.index_path)
        assert get(base, target, kept) == (200, body_of(before))
        kept.close()


def body_of(lines: list[dict[str, str]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def test_a_bug_in_a_lookup_is_still_a_500_from_starlettes_error_middleware(archive, monkeypatch):
    from fastapi.testclient import TestClient

    from archive.api import cdx

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cdx, "run_query", broken)
    config, urls = archive
    client = TestClient(create_app(config), raise_server_exceptions=False)
    response = client.get("/demo/cdx", params={"url": urls[0]})
    assert response.status_code == 500 and response.text == "Internal Server Error"
