"""Record pieces the writer builds without warcio: digests and record ids in warcio's formats."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid

import archive.warc.records as records_module


def test_base32_digests_equal_the_stdlib_encoding() -> None:
    rng = random.Random(7)
    for digest in [bytes(20), b"\xff" * 20, *(rng.randbytes(20) for _ in range(500)), rng.randbytes(32), b""]:
        assert records_module.b32(digest) == base64.b32encode(digest).decode()
    assert records_module.payload_digest(b"abc") == "sha1:" + base64.b32encode(hashlib.sha1(b"abc").digest()).decode()


def test_default_record_ids_are_distinct_random_uuid_urns() -> None:
    made = {records_module.new_record_id() for _ in range(2000)}
    assert len(made) == 2000
    for record_id in made:
        assert record_id.startswith("<urn:uuid:") and record_id.endswith(">")
        parsed = uuid.UUID(record_id[10:-1])
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == record_id[10:-1]
