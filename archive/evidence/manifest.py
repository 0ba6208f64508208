"""Check the export directory around a WACZ against its ``manifest-sha256.txt``.

``edittrail export`` writes the records twice: inside the signed WACZ and loose, as a pywb
collection (``archive/*.warc.gz``, ``indexes/``, ``pages/``) next to ``export.json``. Only the
WACZ is signed; the loose files are covered by ``manifest-sha256.txt`` alone, in sha256sum's
format. This reads it as ``sha256sum --strict -c`` does, and also names every file of the
directory the manifest leaves out, so a changed byte in a loose WARC, an edited
``export.json`` or an added file is reported, not passed over. The manifest itself is not
signed: whoever edits a loose file can rewrite its line too, which is why verify says so.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from archive.read.export import MANIFEST

if TYPE_CHECKING:
    from archive.evidence.verify import Verdict

_LINE = re.compile(r"(?P<escaped>\\?)(?P<hash>[0-9a-fA-F]{64}) (?P<mode>[ *])(?P<path>.+)")


def check_directory(directory: Path, verdict: Verdict) -> None:
    """Record in ``verdict`` every file of ``directory`` whose SHA-256 differs from the manifest's
    line, every listed file that is missing, and every file the manifest does not list."""
    verdict.directory = directory
    before = len(verdict.problems)
    try:
        _check_manifest(directory, verdict)
    finally:
        verdict.loose_problems = len(verdict.problems) - before


def _check_manifest(directory: Path, verdict: Verdict) -> None:
    manifest = directory / MANIFEST
    if not manifest.is_file():
        verdict.fail(
            _label(directory, MANIFEST),
            "is missing, so nothing outside the WACZ can be checked; name the .wacz itself to check only it",
        )
        return
    listed: set[str] = set()
    with open(manifest, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            named = _check_line(directory, number, raw, listed, verdict)
            if named is not None:
                listed.add(named)
    for path in sorted(p for p in directory.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(directory).as_posix()
        if rel not in listed and rel != MANIFEST:
            verdict.fail(_label(directory, rel), f"is not listed in {MANIFEST}: nothing vouches for it")


def _check_line(directory: Path, number: int, raw: bytes, listed: set[str], verdict: Verdict) -> str | None:
    """The path one manifest line names, once its file is checked; None for a malformed line."""
    try:
        line = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        verdict.fail(f"{_label(directory, MANIFEST)} line {number}", "is not UTF-8 text")
        return None
    match = _LINE.fullmatch(line)
    if match is None:
        verdict.fail(
            f"{_label(directory, MANIFEST)} line {number}", f"is not 'SHA256  PATH' as sha256sum writes: {line[:80]!r}"
        )
        return None
    rel = match["path"]
    if match["escaped"]:
        rel = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "\\": "\\"}.get(m[1], m[0]), rel)
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts:
        verdict.fail(f"{_label(directory, MANIFEST)} line {number}", f"names {rel!r}, outside the directory")
        return None
    rel = pure.as_posix()
    where = _label(directory, rel)
    if rel in listed:
        verdict.fail(where, f"is listed twice in {MANIFEST} (again on line {number})")
        return rel
    target = directory / rel
    if not target.is_file():
        verdict.fail(where, f"is listed in {MANIFEST} but missing from the directory")
        return rel
    recorded = match["hash"].lower()
    actual = _sha256(target)
    if actual != recorded:
        verdict.fail(where, f"its SHA-256 is {actual}, {MANIFEST} records {recorded}")
    else:
        verdict.manifest_files += 1
    return rel


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _label(directory: Path, rel: str) -> str:
    """A directory file as the report names it: under the directory as given (``./archive/…``
    for ``.``), so a loose WARC is never mistaken for the WACZ member of the same name."""
    return f"{directory.as_posix().rstrip('/') or '/'}/{rel}"
