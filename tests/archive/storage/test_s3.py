"""S3Store against a real S3 API over HTTP (moto's server), with a fault proxy in front of it
where the store has to misbehave."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from archive.errors import ConfigError, StoreError
from archive.storage import open_store, s3
from archive.storage.local import LocalStore
from archive.storage.s3 import MIN_PART_SIZE, S3Settings, S3Store, parse_s3_url
from archive.warc import iter_records
from tests.archive.storage.s3_support import CREDENTIALS, MotoServer, part_upload, writes

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parents[2] / "fixtures" / "warc" / "golden-20240506070809-00000.warc.gz"
KEY = "warcs/demo/2026/11/25/demo-1-20261125105501-00000.warc.gz"
MULTIPART = {"multipart_threshold": MIN_PART_SIZE, "part_size": MIN_PART_SIZE}


def make_store(endpoint: str, bucket: str, prefix: str = "archive", **settings: object) -> S3Store:
    settings.setdefault("max_attempts", 3)
    return S3Store(
        bucket,
        prefix,
        settings=S3Settings(
            endpoint_url=endpoint,
            region="us-east-1",
            access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            **settings,  # type: ignore[arg-type]
        ),
    )


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def multipart_uploads(server: MotoServer, bucket: str) -> list[dict]:
    return server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def raw_keys(server: MotoServer, bucket: str) -> list[str]:
    return [o["Key"] for o in server.client().list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture
def warc(tmp_path: Path) -> Path:
    path = tmp_path / "small.warc.gz"
    path.write_bytes(GOLDEN.read_bytes())
    return path


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """Two full parts and a short last one at the smallest part size S3 allows."""
    path = tmp_path / "big.warc.gz"
    path.write_bytes(bytes(range(256)) * (2 * MIN_PART_SIZE // 256) + b"tail" * 1000)
    return path


@pytest.mark.parametrize("checksums", ["sha256", "none"])
def test_put_then_read_whole_by_range_list_verify_and_stat(moto_server, bucket, warc, checksums):
    store = make_store(moto_server.url, bucket, checksums=checksums)
    data = warc.read_bytes()
    obj = store.put(warc, KEY)
    assert obj.key == KEY and obj.size == len(data) and obj.sha256 == hashlib.sha256(data).hexdigest()
    with store.open(KEY) as stream:
        assert stream.read() == data
    assert store.read_range(KEY, 100, 50) == data[100:150]
    assert [(o.key, o.size) for o in store.list("warcs/")] == [(KEY, len(data))]
    assert store.verify(KEY, obj.sha256) and not store.verify(KEY, "0" * 64)
    assert store.stat(KEY).sha256 == obj.sha256
    assert raw_keys(moto_server, bucket) == [f"archive/{KEY}"]


def test_the_sha256_checksum_is_sent_to_the_store_only_when_switched_on(moto_server, bucket, warc):
    client = moto_server.client()
    make_store(moto_server.url, bucket, checksums="sha256").put(warc, "with.warc.gz")
    make_store(moto_server.url, bucket, checksums="none").put(warc, "without.warc.gz")
    with_head = client.head_object(Bucket=bucket, Key="archive/with.warc.gz", ChecksumMode="ENABLED")
    without_head = client.head_object(Bucket=bucket, Key="archive/without.warc.gz", ChecksumMode="ENABLED")
    assert with_head["ChecksumSHA256"] == sha256_b64(warc.read_bytes())
    assert "ChecksumSHA256" not in without_head


def test_open_streams_records_like_a_local_file(moto_server, bucket, warc):
    store = make_store(moto_server.url, bucket)
    store.put(warc, KEY)
    with store.open(KEY) as stream:
        from_s3 = list(iter_records(stream, name=KEY))
    with open(warc, "rb") as fh:
        from_disk = list(iter_records(fh, name=KEY))
    assert from_s3 == from_disk and len(from_s3) >= 3


def test_five_uploads_of_one_file_leave_exactly_one_object(moto_server, bucket, warc):
    store = make_store(moto_server.url, bucket)
    first = store.put(warc, KEY)
    for _ in range(4):
        assert store.put(warc, KEY) == first
    assert raw_keys(moto_server, bucket) == [f"archive/{KEY}"]


@pytest.mark.parametrize("conditional_writes", [True, False])
@pytest.mark.parametrize("size", ["warc", "big"])
def test_putting_a_stored_file_again_sends_none_of_its_bytes(moto_server, bucket, request, size, conditional_writes):
    """A re-run costs a HEAD per object already stored, not a second upload met by a 412."""
    path = request.getfixturevalue(size)
    store = make_store(moto_server.url, bucket, conditional_writes=conditional_writes, **MULTIPART)
    first = store.put(path, KEY)
    sent: list[str] = []
    for operation in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        store.client.meta.events.register(f"before-call.s3.{operation}", lambda model, **_: sent.append(model.name))
    assert store.put(path, KEY) == first
    assert sent == []


def test_an_unreadable_local_file_is_a_store_error_naming_it(moto_server, bucket, tmp_path):
    """Here a directory where the spool should hold a file: open() fails even for root."""
    path = tmp_path / "demo-1-20261125105501-00000.warc.gz"
    path.mkdir()
    with pytest.raises(StoreError, match=f"could not read the local file {path}.*stays in the spool"):
        make_store(moto_server.url, bucket).put(path, KEY)
    assert raw_keys(moto_server, bucket) == []


@pytest.mark.parametrize("conditional_writes", [True, False])
def test_different_content_under_an_existing_key_is_an_error_that_keeps_both(
    moto_server, bucket, warc, tmp_path, conditional_writes
):
    store = make_store(moto_server.url, bucket, conditional_writes=conditional_writes)
    store.put(warc, KEY)
    other = tmp_path / "other.warc.gz"
    other.write_bytes(warc.read_bytes()[:-1] + b"X")
    with pytest.raises(StoreError, match=r"already exists with different content.*both are kept"):
        store.put(other, KEY)
    with store.open(KEY) as stream:
        assert stream.read() == warc.read_bytes()
    assert other.exists()


def test_large_files_go_up_in_parts_each_with_its_own_checksum(moto_server, bucket, big):
    store = make_store(moto_server.url, bucket, **MULTIPART)
    data = big.read_bytes()
    obj = store.put(big, KEY)
    parts = [data[i : i + MIN_PART_SIZE] for i in range(0, len(data), MIN_PART_SIZE)]
    composite = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest())
    head = moto_server.client().head_object(Bucket=bucket, Key=f"archive/{KEY}", ChecksumMode="ENABLED")
    assert len(parts) == 3 and head["ChecksumSHA256"].split("-")[0] == composite.decode()
    assert obj.sha256 == hashlib.sha256(data).hexdigest() and store.verify(KEY, obj.sha256)
    assert store.put(big, KEY) == obj  # an existing multipart object is recognised as the same
    assert multipart_uploads(moto_server, bucket) == []


def test_without_conditional_writes_a_rival_object_seen_before_completion_is_kept(moto_server, bucket, big):
    """The HEAD-then-PUT mode re-checks the key just before completing a multipart upload: an
    object created by someone else meanwhile is kept, and our upload is aborted."""
    store = make_store(moto_server.url, bucket, conditional_writes=False, **MULTIPART)
    client = moto_server.client()
    rival = {"done": False}

    def rival_writes(**_: object) -> None:
        if not rival["done"]:
            rival["done"] = True
            client.put_object(Bucket=bucket, Key=f"archive/{KEY}", Body=b"the rival's bytes")

    store.client.meta.events.register("after-call.s3.UploadPart", rival_writes)
    with pytest.raises(StoreError, match="already exists with different content"):
        store.put(big, KEY)
    assert client.get_object(Bucket=bucket, Key=f"archive/{KEY}")["Body"].read() == b"the rival's bytes"
    assert multipart_uploads(moto_server, bucket) == []


def test_without_conditional_writes_a_rerun_is_still_one_object(moto_server, bucket, big):
    store = make_store(moto_server.url, bucket, conditional_writes=False, **MULTIPART)
    first = store.put(big, KEY)
    assert store.put(big, KEY) == first and raw_keys(moto_server, bucket) == [f"archive/{KEY}"]


def test_a_part_that_keeps_failing_aborts_the_upload_and_leaves_nothing(moto_server, bucket, big, proxy):
    proxy.fail(99, status=500, code="InternalError", match=part_upload(2))
    store = make_store(proxy.url, bucket, **MULTIPART)
    with pytest.raises(StoreError, match=r"s3://edittrail-test-\d+/archive: upload .* InternalError"):
        store.put(big, KEY)
    assert proxy.count("fail 500") == 3  # botocore tried three times before giving up
    assert raw_keys(moto_server, bucket) == [] and multipart_uploads(moto_server, bucket) == []


def test_an_upload_cut_off_with_the_store_gone_is_cleaned_up_by_the_next_put(moto_server, bucket, big, proxy):
    """The connection dies inside part 2 and the abort cannot get through either: the next
    run finds the unfinished upload of its key, aborts it, and uploads the file again."""
    proxy.cut(99, match=part_upload(2))
    proxy.fail(99, status=503, match=lambda method, path: method == "DELETE")
    store = make_store(proxy.url, bucket, **MULTIPART)
    with pytest.raises(StoreError, match="upload"):
        store.put(big, KEY)
    assert raw_keys(moto_server, bucket) == [] and len(multipart_uploads(moto_server, bucket)) == 1
    proxy.faults.clear()
    obj = store.put(big, KEY)
    assert raw_keys(moto_server, bucket) == [f"archive/{KEY}"] and multipart_uploads(moto_server, bucket) == []
    assert store.verify(KEY, obj.sha256)


def test_slowdown_for_a_while_is_retried_with_backoff(moto_server, bucket, warc, proxy):
    proxy.fail(2, status=503, code="SlowDown", match=writes)
    obj = make_store(proxy.url, bucket).put(warc, KEY)
    assert proxy.count("fail 503") == 2
    assert make_store(moto_server.url, bucket).verify(KEY, obj.sha256)


def test_a_response_lost_after_the_write_counts_as_success_on_retry(moto_server, bucket, warc, proxy):
    """The PUT reached the store but its answer did not: the retry meets If-None-Match, and
    the object already there is ours."""
    proxy.lose_response(1, match=writes)
    obj = make_store(proxy.url, bucket).put(warc, KEY)
    assert proxy.count("lost") == 1 and proxy.count("412") == 1
    assert raw_keys(moto_server, bucket) == [f"archive/{KEY}"] and obj.size == warc.stat().st_size


def test_a_stalled_request_times_out_and_is_retried(moto_server, bucket, warc, proxy):
    proxy.stall(1, match=writes)
    make_store(proxy.url, bucket, read_timeout=0.5).put(warc, KEY)
    assert proxy.count("stall") == 1
    assert raw_keys(moto_server, bucket) == [f"archive/{KEY}"]


def test_a_conflicting_conditional_write_is_retried(moto_server, bucket, warc, proxy):
    proxy.fail(1, status=409, code="ConditionalRequestConflict", match=writes)
    make_store(proxy.url, bucket).put(warc, KEY)
    assert proxy.count("fail 409") == 1 and raw_keys(moto_server, bucket) == [f"archive/{KEY}"]


def test_a_store_that_is_down_is_a_store_error_naming_store_key_and_what_to_do(bucket, warc, proxy):
    proxy.down = True
    with pytest.raises(StoreError) as caught:
        make_store(proxy.url, bucket, max_attempts=2).put(warc, KEY)
    message = str(caught.value)
    assert f"s3://{bucket}/archive" in message and KEY in message and "next run" in message


def test_a_store_without_checksum_support_needs_the_switch(moto_server, bucket, warc, proxy):
    proxy.strip_checksums = True
    with pytest.raises(StoreError, match=r'no SHA-256 checksum.*set checksums = "none"'):
        make_store(proxy.url, bucket, checksums="sha256").put(warc, KEY)
    obj = make_store(proxy.url, bucket, checksums="none").put(warc, KEY)  # verified by reading back
    assert obj.sha256 == hashlib.sha256(warc.read_bytes()).hexdigest()


def test_checksum_none_reads_the_object_back_and_catches_changed_bytes(moto_server, bucket, warc):
    """Bytes that change on their way in (here: someone replaces the object between our PUT
    and our check, which is what a flaky store would look like) are caught by the read-back."""
    store = make_store(moto_server.url, bucket, checksums="none")
    client = moto_server.client()

    def tamper(**_: object) -> None:
        client.put_object(Bucket=bucket, Key=f"archive/{KEY}", Body=b"not what was sent")

    store.client.meta.events.register("after-call.s3.PutObject", tamper)
    with pytest.raises(StoreError, match="reads back different bytes"):
        store.put(warc, KEY)


def test_reads_of_what_is_not_there_are_clear_errors(moto_server, bucket, warc):
    store = make_store(moto_server.url, bucket)
    with pytest.raises(StoreError, match="read nope failed: NoSuchKey"):
        store.open("nope")
    assert not store.verify("nope", "0" * 64)
    store.put(warc, KEY)
    size = warc.stat().st_size
    with pytest.raises(StoreError, match="shorter than"):
        store.read_range(KEY, size - 10, 100)
    with pytest.raises(StoreError, match="shorter than"):
        store.read_range(KEY, size + 10, 100)
    with pytest.raises(StoreError, match=r"without '\.\.'"):
        store.put(warc, "../outside.warc.gz")


def test_corruption_in_the_bucket_is_seen_by_verify(moto_server, bucket, warc):
    store = make_store(moto_server.url, bucket)
    obj = store.put(warc, KEY)
    moto_server.client().put_object(Bucket=bucket, Key=f"archive/{KEY}", Body=b"tampered")
    assert not store.verify(KEY, obj.sha256)


def test_listing_pages_through_the_bucket_in_key_order(moto_server, bucket, proxy, monkeypatch):
    monkeypatch.setattr(s3, "LIST_PAGE_SIZE", 2)
    client = moto_server.client()
    for name in ("warcs/x/3", "warcs/x/1", "warcs/x/2", "warcs/y/1", "warcs/y/2", "backups/index.sqlite"):
        client.put_object(Bucket=bucket, Key=name, Body=name.encode())
    keys = [o.key for o in make_store(proxy.url, bucket, prefix="").list("warcs/")]
    assert keys == ["warcs/x/1", "warcs/x/2", "warcs/x/3", "warcs/y/1", "warcs/y/2"]
    assert proxy.count("200") == 3  # three pages of two


def test_open_store_takes_an_s3_url_and_boto3s_own_endpoint_setting(s3_env, bucket, warc, tmp_path):
    store = open_store(f"s3://{bucket}/some/prefix", tmp_path)
    assert isinstance(store, S3Store) and store.url == f"s3://{bucket}/some/prefix"
    store.put(warc, KEY)
    assert raw_keys(s3_env, bucket) == [f"some/prefix/{KEY}"]
    assert isinstance(open_store("file://data/store", tmp_path), LocalStore)


def test_bad_urls_and_settings_are_refused_with_the_fix():
    assert parse_s3_url("s3://my-bucket/a/b/") == ("my-bucket", "a/b")
    assert parse_s3_url("s3://my-bucket") == ("my-bucket", "")
    with pytest.raises(StoreError, match="bucket name 'My_Bucket' is not valid"):
        parse_s3_url("s3://My_Bucket/x")
    with pytest.raises(ConfigError, match="part_size 1024: S3 parts are 5MiB to 5GiB"):
        S3Settings(part_size=1024)
    with pytest.raises(ConfigError, match="S3 parts are 5MiB to 5GiB"):
        S3Settings(part_size=6 << 30)
    with pytest.raises(ConfigError, match='use "sha256" or "none"'):
        S3Settings(checksums="md5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="both access_key_id and secret_access_key"):
        S3Settings(access_key_id="AKIA")


def test_missing_credentials_are_a_store_error_saying_where_to_put_them(moto_server, bucket, warc, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no metadata service here: do not ask one
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    store = S3Store(bucket, settings=S3Settings(endpoint_url=moto_server.url, region="us-east-1"))
    with pytest.raises(StoreError, match="no AWS credentials found; set AWS_ACCESS_KEY_ID"):
        store.put(warc, KEY)


def test_settings_never_show_secrets():
    shown = "hunter2"
    assert shown not in repr(S3Settings(access_key_id="AKIA", secret_access_key=shown))


def test_range_reads_feed_load_record(moto_server, bucket, warc):
    from archive.warc import load_record

    store = make_store(moto_server.url, bucket)
    store.put(warc, KEY)
    with open(warc, "rb") as fh:
        records = list(iter_records(fh))
    response = next(r for r in records if r.record_type == "response")
    data = store.read_range(KEY, response.offset, response.length)
    loaded = load_record(data, offset=response.offset, verify_digests=True)
    assert loaded.info == response and loaded.payload
