"""Sign a WACZ the way WACZ 1.1.1 "Signing and Verification" describes (the anonymous form).

``datapackage-digest.json`` gets a ``signedData`` block: the hash of ``datapackage.json``
("sha256:<hex>", the string that is signed, as authsign and wabac.js sign and check it), the
package's ``created`` time (py-wacz's validator requires the two to be equal), the software,
the signing spec version, the signature and the public key. Nothing else, and never the
private key. A ZIP member cannot be replaced in place, so the WACZ is rewritten member by
member (streamed, each member keeping its name, time and compression: the WARCs stay STORED
for range reads) with the new digest file last, and moved over the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.errors import EdittrailError
from archive.evidence.keys import SigningKey

DATAPACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"
SIGNING_SPEC_VERSION = "0.1.0"
"""``version`` in ``signedData``: the version of the WACZ signing spec followed (as authsign writes)."""
ZIP64_LIMIT = (1 << 31) - 1


class SigningError(EdittrailError):
    """The WACZ could not be signed (not a WACZ, or its digest file disagrees with its manifest)."""


@dataclass(frozen=True)
class Signed:
    hash: str
    created: str
    key_id: str
    public_key: str


def software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"edittrail {version('edittrail')}"
    except PackageNotFoundError:
        return "edittrail"


def sign_wacz(path: Path, key: SigningKey) -> Signed:
    """Add an anonymous ``signedData`` by ``key`` to the WACZ at ``path``."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if DATAPACKAGE not in names:
                raise SigningError(f"{path} has no {DATAPACKAGE}; only a WACZ can be signed")
            manifest = zf.read(DATAPACKAGE)
            existing: dict[str, Any] = json.loads(zf.read(DIGEST)) if DIGEST in names else {}
    except (zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise SigningError(f"{path} is not a readable WACZ ({exc})") from None
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    if existing.get("hash") not in (None, digest):
        raise SigningError(f"{path}: {DIGEST} disagrees with {DATAPACKAGE}; the WACZ changed after it was written")
    created = json.loads(manifest).get("created")
    if not isinstance(created, str):
        raise SigningError(f"{path}: {DATAPACKAGE} has no 'created' time to sign")
    signed_data = {
        "hash": digest,
        "created": created,
        "software": software(),
        "version": SIGNING_SPEC_VERSION,
        "signature": key.sign(digest),
        "publicKey": key.public_key,
    }
    document = {"path": DATAPACKAGE, "hash": digest, "signedData": signed_data}
    _rewrite_with(path, DIGEST, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    return Signed(digest, created, key.key_id, key.public_key)


def _rewrite_with(path: Path, name: str, data: bytes) -> None:
    """Copy every member of the ZIP but ``name`` into a new file beside it, add ``name``, swap."""
    partial = path.with_name(path.name + ".signing")
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(partial, "w") as out:
            for info in src.infolist():
                if info.filename == name:
                    continue
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                copy.file_size = info.file_size
                with src.open(info) as reader, out.open(copy, "w", force_zip64=info.file_size > ZIP64_LIMIT) as writer:
                    shutil.copyfileobj(reader, writer, 1 << 20)
            digest_info = zipfile.ZipInfo(name, _now())
            digest_info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(digest_info, data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _now() -> tuple[int, int, int, int, int, int]:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)
