"""The pipeline with an s3:// store against a real S3 API over HTTP (moto's server, behind a
fault proxy where the store has to fail): uploads, reindex, re-runs, outages, audit, revisits.

The store is reached the way an operator's would be without extra config: boto3's standard
variables (AWS_ENDPOINT_URL_S3 and the credentials), set by the ``s3_env`` fixture.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import Config, load_config, store_for
from archive.errors import StoreError
from archive.index import Capture, Index
from archive.ops.audit import run_audit
from archive.ops.backup import backup_databases
from archive.read.retrieve import retrieve
from archive.simulate import SimulatedOutlet
from archive.storage import open_store
from archive.storage.s3_settings import S3Credentials
from tests.archive.api.support import wait_past
from tests.archive.storage import s3_support
from tests.archive.storage.s3_support import FaultProxy, writes
from tests.support import HOSTS, write_config

pytestmark = pytest.mark.integration

# The moto fixtures (they belong in tests/conftest.py beside `sim`; see s3_support.py).
moto_server = s3_support.moto_server
s3_env = s3_support.s3_env
bucket = s3_support.bucket

SMALL_WARCS = {'warc_max_size = "5MB"': 'warc_max_size = "150KB"'}  # several WARC files per crawl


def s3_config(directory: Path, port: int, bucket_name: str, s3_table: str = "") -> Config:
    """The shipped config with the demo outlet's store in ``bucket_name``; ``s3_table`` is the
    body of an ``[outlets.demo.s3]`` table, if any."""
    directory.mkdir(parents=True, exist_ok=True)
    replace = {**SMALL_WARCS, 'store = "file://data/store"': f'store = "s3://{bucket_name}/archive"'}
    path = write_config(directory, port=port, replace=replace)
    if s3_table:
        path.write_text(path.read_text() + f"\n[outlets.demo.s3]\n{s3_table}")
    return load_config(path)


def crawl(config: Config) -> None:
    """plan + crawl with the index of earlier crawls, so unchanged pages become revisits.

    Passes EDITTRAIL_INDEX_PATH itself, as pipeline.crawl_command is to do for every crawl.
    """
    planned = pipeline.plan(config, "demo")
    command = [
        *pipeline.crawl_command(Path(planned["job"]), config.outlet("demo")),
        "-s",
        f"EDITTRAIL_INDEX_PATH={config.index_path}",
    ]
    subprocess.run(command, env=pipeline.crawl_env(), check=True, capture_output=True, cwd=config.root)


@pytest.fixture(scope="module")
def warcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """One crawl of the simulated outlet, its closed WARC files kept aside for every test."""
    keep = tmp_path_factory.mktemp("warcs")
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=30) as sim:
        config = load_config(write_config(tmp_path_factory.mktemp("crawl"), port=sim.port, replace=SMALL_WARCS))
        crawl(config)
    files = sorted(config.spool_dir("demo").glob("*.warc.gz"))
    assert len(files) >= 2, "the crawl should rotate into several WARC files"
    yield [Path(shutil.copy(path, keep)) for path in files]


def spool(config: Config, warcs: list[Path]) -> None:
    config.spool_dir("demo").mkdir(parents=True, exist_ok=True)
    for path in warcs:
        shutil.copy(path, config.spool_dir("demo"))


def index_rows(config: Config) -> tuple[list[Capture], list[dict]]:
    with Index(config.index_path, readonly=True) as idx:
        return list(idx.captures("demo")), list(idx.articles("demo"))


def test_upload_then_index_and_reindex_from_s3_equal_the_local_store(s3_env, bucket, warcs, tmp_path):
    on_s3 = s3_config(tmp_path / "s3", 8765, bucket)
    spool(on_s3, warcs)
    stored = pipeline.store(on_s3, "demo")
    assert len(stored["stored"]) == len(warcs) and stored["store"] == f"s3://{bucket}/archive"
    assert list(on_s3.spool_dir("demo").glob("*.warc.gz")) == []
    pipeline.index(on_s3, "demo")
    from_s3 = index_rows(on_s3)

    (tmp_path / "local").mkdir()
    local = load_config(write_config(tmp_path / "local", port=8765))
    spool(local, warcs)
    pipeline.store(local, "demo")
    pipeline.index(local, "demo")
    assert index_rows(local) == from_s3 and len(from_s3[0]) > 50

    pipeline.reindex(on_s3, "demo")
    assert index_rows(on_s3) == from_s3

    s3_store, local_store = (
        open_store(on_s3.outlet("demo").store, on_s3.root),
        open_store("file://data/store", local.root),
    )
    for row in from_s3[0][:: max(1, len(from_s3[0]) // 20)]:  # range reads: the same bytes
        args = (row.warc, row.offset, row.length)
        assert s3_store.read_range(*args) == local_store.read_range(*args)


def test_rerunning_the_upload_five_times_leaves_one_object_per_warc(s3_env, bucket, warcs, tmp_path):
    config = s3_config(tmp_path, 8765, bucket)
    for _ in range(5):
        spool(config, warcs)
        pipeline.store(config, "demo")
        assert list(config.spool_dir("demo").glob("*.warc.gz")) == []
    keys = [o["Key"] for o in s3_env.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == len(warcs) == len(set(keys))
    assert all(key.startswith("archive/warcs/demo/") for key in keys)


@pytest.mark.parametrize("fault", ["503 SlowDown", "500", "connection cut mid-upload", "store down"])
def test_a_failing_store_keeps_the_warcs_in_the_spool_and_the_next_run_completes(
    s3_env, bucket, warcs, tmp_path, monkeypatch, moto_server, fault
):
    with FaultProxy(moto_server.url) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
        config = s3_config(tmp_path, 8765, bucket)
        spool(config, warcs)
        if fault == "503 SlowDown":
            proxy.fail(10_000, status=503, code="SlowDown", match=writes)
        elif fault == "500":
            proxy.fail(10_000, status=500, code="InternalError")
        elif fault == "connection cut mid-upload":
            proxy.cut(10_000, match=writes)
        else:
            proxy.down = True
        with pytest.raises(StoreError, match=f"{len(warcs)} WARC file\\(s\\) of demo stay in"):
            pipeline.store(config, "demo")
        assert sorted(p.name for p in config.spool_dir("demo").glob("*.warc.gz")) == [p.name for p in warcs]
        client = moto_server.client()
        assert client.list_objects_v2(Bucket=bucket).get("Contents") is None  # nothing half-written
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads") is None

        proxy.faults.clear()
        proxy.down = False
        assert len(pipeline.store(config, "demo")["stored"]) == len(warcs)
        assert list(config.spool_dir("demo").glob("*.warc.gz")) == []
        assert pipeline.index(config, "demo")["warcs_indexed"] == len(warcs)


def test_a_corrupted_object_in_the_bucket_is_caught_by_the_audit(s3_env, bucket, warcs, tmp_path):
    config = s3_config(tmp_path, 8765, bucket)
    spool(config, warcs)
    pipeline.store(config, "demo")
    pipeline.index(config, "demo")
    assert run_audit(config, "demo").ok

    client = s3_env.client()
    key = client.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"]
    original = client.get_object(Bucket=bucket, Key=key)
    data = bytearray(original["Body"].read())
    data[len(data) // 2] ^= 0x01  # one bit, behind the store's back (no create-only here)
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data), Metadata=original["Metadata"])

    report = run_audit(config, "demo")
    assert not report.ok
    assert all(key.removeprefix("archive/") in problem for problem in report.problems)
    assert any(
        "SHA-256" in p and "differs from the" in p and "the object changed in the store" in p for p in report.problems
    )


CONNECTION = S3Credentials("AKIAFROMCONNECTION", "secret-from-connection", source="Airflow connection 'archive'")


def test_credentials_from_a_connection_reach_the_store_in_every_step(s3_env, bucket, warcs, tmp_path, moto_server):
    """What the DAG tasks do: every stage gets the connection's keys, and no request is signed
    with the ones in the environment (the ``s3_env`` fixture's). The endpoint comes from
    ``[outlets.demo.s3]``: a proxy that only lets the connection's key through."""
    with FaultProxy(moto_server.url) as proxy:
        proxy.require_access_key = CONNECTION.access_key_id
        config = s3_config(tmp_path, 8765, bucket, s3_table=f'endpoint_url = "{proxy.url}"\n')
        spool(config, warcs)
        assert len(pipeline.store(config, "demo", CONNECTION)["stored"]) == len(warcs)
        assert pipeline.index(config, "demo", CONNECTION)["warcs_indexed"] == len(warcs)
        pipeline.detect(config, "demo", CONNECTION)
        assert run_audit(config, "demo", CONNECTION).ok
        assert backup_databases(config, "demo", credentials=CONNECTION)[0].key.startswith("backups/demo/index-")
        assert pipeline.reindex(config, "demo", CONNECTION)["warcs_indexed"] == len(warcs)
        assert proxy.access_keys == {"AKIAFROMCONNECTION"} and proxy.count("fail 403") == 0


def test_wrong_credentials_are_a_store_error_that_says_to_check_them(s3_env, bucket, tmp_path, moto_server):
    with FaultProxy(moto_server.url) as proxy:
        proxy.require_access_key = "AKIATHERIGHTONE"
        config = s3_config(tmp_path, 8765, bucket, s3_table=f'endpoint_url = "{proxy.url}"\n')
        with pytest.raises(StoreError, match=r"InvalidAccessKeyId .*the access key is unknown to this store") as caught:
            pipeline.index(config, "demo", CONNECTION)
    assert f"s3://{bucket}/archive" in str(caught.value) and "secret-from-connection" not in str(caught.value)


def test_the_index_backup_lands_in_the_s3_store(s3_env, bucket, warcs, tmp_path):
    config = s3_config(tmp_path, 8765, bucket)
    spool(config, warcs)
    pipeline.store(config, "demo")
    pipeline.index(config, "demo")
    (stored,) = backup_databases(config, "demo")
    head = s3_env.client().head_object(Bucket=bucket, Key=f"archive/{stored.key}")
    assert stored.key.startswith("backups/demo/index-") and head["ContentLength"] == stored.size > 0


def test_the_s3_tables_multipart_settings_drive_the_upload(s3_env, bucket, tmp_path):
    """``part_size`` and ``multipart_threshold`` from outlets.toml reach the store: 11 MiB in 5 MiB parts is 3."""
    table = 'multipart_threshold = "5MiB"\npart_size = "5MiB"\nmax_concurrency = 2\n'
    config = s3_config(tmp_path, 8765, bucket, s3_table=table)
    big = tmp_path / "big.warc.gz"
    big.write_bytes(bytes(range(256)) * (11 * 4096))
    store = store_for(config, config.outlet("demo"))
    stored = store.put(big, "warcs/demo/2026/11/25/big.warc.gz")
    head = s3_env.client().head_object(Bucket=bucket, Key=f"archive/{stored.key}")
    assert head["ETag"].strip('"').endswith("-3") and head["ContentLength"] == 11 * 2**20


def test_an_unchanged_page_crawled_twice_is_a_revisit_that_retrieves_the_original(s3_env, bucket, sim, tmp_path):
    """Article pages carry per-request noise (view counts, related stories), as the real site's
    do, so they stay whole; the feeds and sitemaps that did not change become revisits."""
    config = s3_config(tmp_path, sim.port, bucket)
    edited_id = sim.site.article_ids()[0]
    for crawl_number in range(2):
        crawl(config)
        pipeline.store(config, "demo")
        pipeline.index(config, "demo")
        if crawl_number == 0:
            sim.edit_headline(edited_id, "A headline that changed between the crawls")
            with Index(config.index_path, readonly=True) as idx:
                wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])  # crawls apart
    store = open_store(config.outlet("demo").store, config.root)
    with Index(config.index_path, readonly=True) as idx:
        by_url: dict[str, list[Capture]] = {}
        for row in idx.captures("demo"):
            by_url.setdefault(row.url, []).append(row)
        twice = [rows for rows in by_url.values() if len(rows) == 2 and rows[0].status == rows[1].status == 200]
        revisits = [(first, second) for first, second in twice if second.record_type == "revisit"]
        assert len(twice) > 50 and len(revisits) >= 4
        for first, second in twice:  # a revisit exactly when the payload did not change
            assert first.record_type == "response"
            assert (second.record_type == "revisit") == (first.payload_digest == second.payload_digest)
        assert f"{sim.base_url(HOSTS[0])}/sitemap.xml" in {second.url for _, second in revisits}
        edited = [rows for rows in twice if rows[0].article_id == str(edited_id)]
        assert edited and all(second.record_type == "response" for _, second in edited)
        for first, second in revisits:
            got = retrieve(store, idx, second)
            assert got.payload == retrieve(store, idx, first).payload and got.payload
            assert got.original.record_id == first.record_id and got.status == 200
            assert second.length < first.length
