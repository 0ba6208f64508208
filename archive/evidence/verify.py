"""Check a WACZ evidence package: its signature, its manifest and every WARC record's digest.

Three layers, each covering the one below: the signature covers the hash of
``datapackage.json`` (``datapackage-digest.json``), ``datapackage.json`` lists every file with
its size and hash, and each WARC record carries the digest of its own bytes
(WARC-Block-Digest, WARC-Payload-Digest), checked with warcio as ``warcio check`` does. All
of it is read in streams: no WARC is held in memory. Every layer is checked even when one
fails, so the report names each file and record that does not match.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from archive.errors import EdittrailError
from archive.evidence.keys import check_signature, key_id
from archive.evidence.sign import DATAPACKAGE, DIGEST

SIGNED_FIELDS = {"hash", "created", "software", "version", "signature", "publicKey"}
EXIT_OK, EXIT_FAILED, EXIT_UNSIGNED = 0, 1, 3
"""``verify``'s exit codes: 2 stays click's usage error."""

Signature = Literal["valid", "unsigned", "unchecked", "invalid"]


class PackageNotFoundError(EdittrailError):
    """The path given to verify is neither a WACZ nor a directory holding exactly one."""


@dataclass(frozen=True)
class Problem:
    where: str  # a file of the package, "file offset N (record)", or "signature"
    what: str


@dataclass
class Verdict:
    package: Path
    created: str | None = None
    signature: Signature = "unsigned"
    key_id: str | None = None
    software: str | None = None
    files: int = 0
    warcs: int = 0
    records: int = 0
    digests_checked: int = 0
    without_digest: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    directory: Path | None = None
    """The export directory whose manifest-sha256.txt was checked too (verify DIR), else None."""
    manifest_files: int = 0
    """The directory's files whose SHA-256 matches their manifest line."""
    loose_problems: int = 0
    """How many of ``problems`` the directory check found (outside the WACZ)."""

    @property
    def exit_code(self) -> int:
        if self.problems:
            return EXIT_FAILED
        return EXIT_OK if self.signature == "valid" else EXIT_UNSIGNED

    def fail(self, where: str, what: str) -> None:
        self.problems.append(Problem(where, what))


def find_wacz(path: Path) -> Path:
    """``path`` itself, or the one ``.wacz`` in the export directory ``path``."""
    if path.is_dir():
        found = sorted(path.glob("*.wacz"))
        if len(found) != 1:
            raise PackageNotFoundError(
                f"{path} holds {len(found)} .wacz files; name the package file itself (edittrail verify DIR/NAME.wacz)"
            )
        return found[0]
    if not path.exists():
        raise PackageNotFoundError(f"{path} does not exist; give a .wacz file or the directory export wrote")
    return path


def verify_package(path: Path, *, expected_key: str | None = None) -> Verdict:
    """Check the WACZ at ``path``, or the one in the export directory ``path`` and then every
    file of that directory against its manifest-sha256.txt (the loose WARCs pywb replays,
    export.json: the signature covers none of them); ``expected_key``: the public key (base64,
    as keygen prints it) or key id the signature must be by."""
    wacz = find_wacz(path)
    verdict = Verdict(package=wacz)
    try:
        with zipfile.ZipFile(wacz) as zf:
            _check_package(zf, verdict, expected_key)
    except (zipfile.BadZipFile, OSError) as exc:
        verdict.fail(wacz.name, f"is not a readable ZIP/WACZ ({exc})")
    if path.is_dir():
        from archive.evidence.manifest import check_directory

        check_directory(path, verdict)
    return verdict


def _check_package(zf: zipfile.ZipFile, verdict: Verdict, expected_key: str | None) -> None:
    names = zf.namelist()
    for name, count in Counter(names).items():
        if count > 1:
            verdict.fail(name, f"appears {count} times in the ZIP; readers disagree on which copy counts")
    if DATAPACKAGE not in names:
        verdict.fail(DATAPACKAGE, "is missing: this is not a WACZ, nothing can be checked")
        return
    manifest_bytes = zf.read(DATAPACKAGE)
    try:
        manifest = json.loads(manifest_bytes)
        resources = manifest["resources"]
        if not isinstance(resources, list):
            raise TypeError("resources is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        verdict.fail(DATAPACKAGE, f"is not a data package manifest ({exc})")
        manifest, resources = {}, []
    verdict.created = manifest.get("created") if isinstance(manifest, dict) else None
    manifest_hash = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    _check_signature(zf, names, manifest_hash, verdict, expected_key)
    _check_resources(zf, names, resources, verdict)
    for name in names:
        if name.startswith("archive/") and name.endswith((".warc", ".warc.gz")):
            _check_records(zf, name, verdict)


def _check_signature(
    zf: zipfile.ZipFile, names: list[str], manifest_hash: str, verdict: Verdict, expected_key: str | None
) -> None:
    if DIGEST not in names:
        verdict.notes.append(f"no {DIGEST}: the package is unsigned")
        return
    try:
        digest = json.loads(zf.read(DIGEST))
        signed: Any = digest.get("signedData")
    except (ValueError, AttributeError) as exc:
        verdict.fail(DIGEST, f"is not JSON ({exc})")
        return
    if digest.get("path") != DATAPACKAGE:
        verdict.fail(DIGEST, f"covers {digest.get('path')!r}, not {DATAPACKAGE}")
    if digest.get("hash") != manifest_hash:
        verdict.fail(
            DATAPACKAGE,
            f"its hash is {manifest_hash} but {DIGEST} records {digest.get('hash')}: it was edited after signing",
        )
    if signed is None:
        verdict.notes.append(f"{DIGEST} has no signedData: the package is unsigned")
        return
    if not isinstance(signed, dict):
        verdict.signature = "invalid"
        verdict.fail("signature", "signedData is not an object")
        return
    verdict.software = signed.get("software")
    if signed.get("hash") != digest.get("hash"):
        verdict.fail("signature", f"signedData.hash {signed.get('hash')} is not the digest's hash {digest.get('hash')}")
    if signed.get("created") != verdict.created:
        verdict.fail(
            "signature", f"signedData.created {signed.get('created')} differs from {DATAPACKAGE}'s {verdict.created}"
        )
    if "publicKey" not in signed:
        verdict.signature = "unchecked"
        kind = "a domain-certificate (authsign)" if "domainCert" in signed else "an unknown"
        verdict.notes.append(
            f"{kind} signature, which edittrail does not check: run `wacz validate --verify-auth -f {verdict.package}`"
        )
        return
    extra = set(signed) - SIGNED_FIELDS
    if extra:
        verdict.fail("signature", f"signedData has fields the anonymous form forbids: {', '.join(sorted(extra))}")
    public_key, signature = str(signed.get("publicKey")), str(signed.get("signature", ""))
    verdict.key_id = key_id(public_key)
    why = check_signature(public_key, signature, str(signed.get("hash")))
    if why is not None:
        verdict.signature = "invalid"
        verdict.fail("signature", why)
        return
    verdict.signature = "valid"
    if expected_key is not None and expected_key not in (public_key, verdict.key_id):
        wanted = expected_key if len(expected_key) <= len(verdict.key_id) else key_id(expected_key)
        verdict.fail("signature", f"made by key {verdict.key_id}, not by the expected key {wanted}")


def _check_resources(zf: zipfile.ZipFile, names: list[str], resources: list[Any], verdict: Verdict) -> None:
    listed = set()
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            verdict.fail(DATAPACKAGE, f"a resource without a path: {str(resource)[:80]}")
            continue
        path, recorded, size = resource["path"], str(resource.get("hash", "")), resource.get("bytes")
        listed.add(path)
        if path not in names:
            verdict.fail(path, f"is listed in {DATAPACKAGE} but missing from the package")
            continue
        algorithm = recorded.partition(":")[0]
        if algorithm not in hashlib.algorithms_available:
            verdict.fail(path, f"{DATAPACKAGE} records hash {recorded!r}, of no known algorithm")
            continue
        try:
            actual_size, actual = _hash_member(zf, path, algorithm)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            verdict.fail(path, f"cannot be read from the ZIP ({exc})")
            continue
        if size is not None and actual_size != size:
            verdict.fail(path, f"is {actual_size} bytes, {DATAPACKAGE} records {size}")
        if actual != recorded:
            verdict.fail(path, f"its hash is {actual}, {DATAPACKAGE} records {recorded}")
        if actual == recorded and (size is None or actual_size == size):
            verdict.files += 1
    for name in names:
        if name not in listed and name not in (DATAPACKAGE, DIGEST) and not name.endswith("/"):
            verdict.fail(name, f"is not listed in {DATAPACKAGE}, so neither the manifest nor the signature covers it")


def _hash_member(zf: zipfile.ZipFile, name: str, algorithm: str) -> tuple[int, str]:
    digest, size = hashlib.new(algorithm), 0
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, f"{algorithm}:{digest.hexdigest()}"


def _check_records(zf: zipfile.ZipFile, name: str, verdict: Verdict) -> None:
    """Every record of one WARC read to its end, its digests compared by warcio."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    verdict.warcs += 1
    warnings = io.StringIO()  # warcio writes a record not followed by CRLF CRLF to stderr
    offset, count = 0, 0
    try:
        with zf.open(name) as stream, contextlib.redirect_stderr(warnings):
            records = ArchiveIterator(stream, check_digests=True)
            for record in records:
                body = record.content_stream()
                while body.read(1 << 20):
                    pass
                offset = records.get_record_offset()
                count += 1
                verdict.records += 1
                checker = record.digest_checker
                if checker.passed is False:
                    headers = record.rec_headers
                    label = f"{headers.get_header('WARC-Type')} {headers.get_header('WARC-Record-ID')}"
                    uri = headers.get_header("WARC-Target-URI")
                    verdict.fail(
                        f"{name} offset {offset}",
                        f"{label}{' ' + uri if uri else ''}: {'; '.join(checker.problems)}",
                    )
                elif checker.passed:
                    verdict.digests_checked += 1
                else:
                    verdict.without_digest += 1
    except (ArchiveLoadFailed, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        reason = "".join(c if c.isprintable() else "?" for c in str(exc).strip())[:120]
        where = f"its first {count} records (the last at offset {offset})" if count else "its start"
        verdict.fail(name, f"cannot be read past {where}: {reason}")
    if "WARNING" in warnings.getvalue():
        verdict.fail(name, f"warcio: {' '.join(warnings.getvalue().split())}")


def explain(verdict: Verdict) -> list[str]:
    """What the checks show and what they cannot, in sentences for the researcher."""
    records = (
        f"{verdict.records} WARC records in {verdict.warcs} files, {verdict.digests_checked} of them matching "
        "their recorded WARC-Block-/Payload-Digest"
    )
    if verdict.without_digest:
        records += f" ({verdict.without_digest} carry no digest warcio checks, e.g. revisits)"
    files = f"each of the {verdict.files} files listed in {DATAPACKAGE} matches its recorded size and hash"
    if verdict.problems and verdict.loose_problems == len(verdict.problems):
        return [
            f"FAILED: {len(verdict.problems)} problem(s) above, all in files of {verdict.directory} outside the "
            f"WACZ: the directory is not as it was exported. The WACZ {verdict.package.name} itself passed every "
            "check; name it alone (edittrail verify DIR/NAME.wacz) to see what it proves.",
        ]
    if verdict.problems:
        return [
            f"FAILED: {len(verdict.problems)} problem(s) above; the package is not as it was "
            + ("signed." if verdict.signature != "unsigned" else "written."),
        ]
    limits = (
        "It does not prove that the capture was faithful to the live site: the records show what "
        "the crawler received and wrote, on the signer's word; nor when it was made, beyond the "
        "signer's clock ('created' carries no timestamp authority)."
    )
    loose = _directory_lines(verdict)
    if verdict.signature == "valid":
        return [
            f"Proves: the WACZ {verdict.package.name} is unchanged since {verdict.created}, when the holder "
            f"of key {verdict.key_id} signed it ({verdict.software or 'unknown software'}): its signature "
            f"and digests check out; {files}; {records}.",
            *loose,
            f"Who holds key {verdict.key_id} is not in the package: compare it with the key the signer "
            "published (--expect-key). " + limits,
        ]
    return [
        f"Shows: {files}; {records}. That rules out accidental damage, but without a signature "
        "anyone could have edited the package and recomputed every hash.",
        *loose,
        *verdict.notes,
        limits,
    ]


def _directory_lines(verdict: Verdict) -> list[str]:
    """What the export directory's manifest check adds, and why it proves less than the signature."""
    if verdict.directory is None:
        return []
    from archive.read.export import MANIFEST

    return [
        f"Also checked: every file of {verdict.directory} matches its line in {MANIFEST} "
        f"({verdict.manifest_files} files: the loose WARCs pywb replays, export.json, the indexes and "
        "the WACZ), and the manifest lists every file there. The manifest itself is unsigned: anyone "
        "could rewrite a loose file and its manifest line together; only the WACZ is signed, so cite "
        "and replay the records inside it.",
    ]
