"""S3 upload throughput and record retrieval latency against moto's server on loopback.

Upload: ``S3Store.put`` (SHA-256 computed locally and sent per part, create-only, checked
after the write, or with ``checksums = "none"`` read back and hashed) against plain boto3
``upload_file`` of the same file with the same part size and concurrency, so the difference
is what verification and create-only cost. Retrieval: one record by range GET from a stored
WARC, parsed and digest-checked, as the index and the researcher's lookups do it (p50, p95).
moto keeps objects in memory and is single-process Python, so absolute numbers are low; the
ratios are the point.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from archive.storage.s3 import MiB, S3Settings, S3Store
from archive.warc import HttpRequestData, HttpResponseData, WarcWriter, iter_records, load_record
from tests.archive.storage.s3_support import CREDENTIALS, MotoServer

PART = 8 * MiB  # boto3's default part size and threshold; both sides use it
CONCURRENCY = 4


def _store(server: MotoServer, bucket: str, checksums: str) -> S3Store:
    settings = S3Settings(
        endpoint_url=server.url,
        region=CREDENTIALS["AWS_DEFAULT_REGION"],
        access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        checksums=checksums,  # type: ignore[arg-type]
        multipart_threshold=PART,
        part_size=PART,
        max_concurrency=CONCURRENCY,
    )
    return S3Store(bucket, settings=settings)


def _uploads(server: MotoServer, sizes: list[int], rounds: int, directory: Path) -> list[dict[str, Any]]:
    bucket = server.new_bucket()
    client = server.client()
    transfer = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=CONCURRENCY)
    with_sha256, without = _store(server, bucket, "sha256"), _store(server, bucket, "none")
    variants = {
        "boto3 upload_file": lambda path, key: client.upload_file(str(path), bucket, key, Config=transfer),
        "S3Store.put sha256": with_sha256.put,
        "S3Store.put none": without.put,
    }
    rows = []
    for size in sizes:
        path = directory / f"upload-{size}.bin"
        path.write_bytes(os.urandom(size))
        for round_number in range(rounds):
            for name, upload in variants.items():  # alternating, so drift hits every variant alike
                key = f"bench/{name.replace(' ', '-')}/{size}/{round_number}"
                start = time.perf_counter()
                upload(path, key)
                seconds = time.perf_counter() - start
                client.delete_object(Bucket=bucket, Key=key)  # moto keeps objects in memory
                rows.append({"variant": name, "bytes": size, "round": round_number, "mb_s": size / MiB / seconds})
        path.unlink()
    return rows


def _warc(directory: Path, records: int) -> Path:
    rng = random.Random(4)
    with WarcWriter(directory, "bench-range") as writer:
        for n in range(records):
            body = rng.randbytes(rng.randint(4_000, 60_000))
            url = f"http://www.presstv.ir/Detail/2026/11/25/{n}/story"
            writer.write_exchange(
                HttpRequestData("GET", url, (("Host", "www.presstv.ir"),)),
                HttpResponseData(200, "OK", (("Content-Length", str(len(body))),), body),
            )
    return writer.closed_files[0]


def _ranges(server: MotoServer, records: int, lookups: int, directory: Path) -> dict[str, Any]:
    path = _warc(directory, records)
    store = _store(server, server.new_bucket(), "sha256")
    store.put(path, "warcs/bench/range.warc.gz")
    with open(path, "rb") as fh:
        responses = [r for r in iter_records(fh) if r.record_type == "response"]
    latencies, gets, parses = [], [], []
    for record in random.Random(7).sample(responses, min(lookups, len(responses))):
        start = time.perf_counter()
        data = store.read_range("warcs/bench/range.warc.gz", record.offset, record.length)
        fetched = time.perf_counter()
        load_record(data, offset=record.offset, verify_digests=True)
        done = time.perf_counter()
        latencies.append((done - start) * 1000)
        gets.append((fetched - start) * 1000)
        parses.append((done - fetched) * 1000)
    cuts = statistics.quantiles(latencies, n=20)
    return {
        "records": len(responses),
        "lookups": len(latencies),
        "object_mb": path.stat().st_size / 1e6,
        "p50_ms": cuts[9],
        "p95_ms": cuts[18],
        # the split tells moto's cost (it reads the whole object for every range GET) from ours
        "get_p50_ms": statistics.median(gets),
        "parse_p50_ms": statistics.median(parses),
    }


def run(quick: bool = False) -> dict[str, Any]:
    sizes = [4 * MiB, 24 * MiB] if quick else [4 * MiB, 32 * MiB, 128 * MiB]
    with tempfile.TemporaryDirectory() as tmp, MotoServer(Path(tmp) / "moto.log") as server:
        uploads = _uploads(server, sizes, 1 if quick else 3, Path(tmp))
        ranges = _ranges(server, 300 if quick else 2000, 100 if quick else 500, Path(tmp))
    best: dict[str, dict[int, float]] = {}
    for row in uploads:
        slot = best.setdefault(row["variant"], {})
        slot[row["bytes"]] = max(slot.get(row["bytes"], 0.0), row["mb_s"])
    return {"uploads": uploads, "best_mb_s": best, "range_read": ranges}


def table(result: dict[str, Any]) -> str:
    best = {name: {int(size): v for size, v in per_size.items()} for name, per_size in result["best_mb_s"].items()}
    sizes = sorted(next(iter(best.values())))  # int: a results file read back has them as text
    lines = [
        f"S3 upload to moto on loopback (MiB/s, best round; parts of {PART // MiB} MiB, {CONCURRENCY} threads)",
        f"{'variant':<20}" + "".join(f"{size // MiB:>9} MiB" for size in sizes),
    ]
    for name, per_size in best.items():
        lines.append(f"{name:<20}" + "".join(f"{per_size[size]:>13.1f}" for size in sizes))
    ranges = result["range_read"]
    lines.append(
        f"record retrieval by range GET + parse + digest check: p50 {ranges['p50_ms']:.1f} ms, "
        f"p95 {ranges['p95_ms']:.1f} ms ({ranges['lookups']} lookups in a WARC of {ranges['records']} responses, "
        f"{ranges['object_mb']:.0f} MB)"
    )
    lines.append(
        f"  of which GET p50 {ranges['get_p50_ms']:.1f} ms, parse + digest check p50 {ranges['parse_p50_ms']:.2f} ms"
    )
    return "\n".join(lines)
