"""Evidence packages: the WARC records of chosen captures, self-contained and verifiable.

``export`` copies, byte for byte, every record of the selected captures (articles by URL on
any domain, a time range, or both), the original record behind every revisit among them
(so the package replays with nothing else at hand), each response's request record, and
the ``warcinfo`` record of every source WARC (software, outlet, crawl, config digest). The
records keep their gzip members exactly as stored, so every digest still verifies and any
record can be compared with the archive's copy.

The directory it writes is laid out as a pywb collection and holds a WACZ of the same:

```
archive/<source WARC name>   the records taken from that stored WARC, in their order there
indexes/index.cdxj           sorted CDXJ (cdxj-indexer, as pywb and the WACZ use)
pages/pages.jsonl            one page per article capture, for ReplayWeb.page
<outlet>.wacz                WACZ 1.1.1 (the ``wacz`` package) of the WARCs and pages; signed with
                             ``sign_key`` (``archive/evidence/``), its datapackage-digest.json has signedData
export.json                  what was selected, and where each record came from
manifest-sha256.txt          SHA-256 of every file above (``sha256sum -c manifest-sha256.txt``)
```
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import io
import json
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from archive.config import Config, Outlet, store_for
from archive.errors import ConfigError, EdittrailError
from archive.index import Capture, Index, utc_iso
from archive.index import captures as captures_index
from archive.read.retrieve import retrieve
from archive.storage import ObjectStore
from archive.warc import WARC_GLOB, WarcReadError, iter_records

if TYPE_CHECKING:
    from archive.evidence.keys import SigningKey

log = logging.getLogger(__name__)

PROBE_BYTES = 64 * 1024
"""How much is read after a response to find its request record (requests are a few hundred bytes)."""
MANIFEST = "manifest-sha256.txt"


class ExportError(EdittrailError):
    """The package could not be written as asked."""


@dataclass(frozen=True)
class ExportedRecord:
    """Where one record of the package came from and where it is now."""

    role: str  # capture, original (of a revisit), request, warcinfo
    record_id: str
    source: str
    source_offset: int
    file: str
    offset: int
    length: int


@dataclass
class ExportReport:
    directory: str
    outlet: str
    captures: int = 0
    originals: int = 0
    requests: int = 0
    warcinfos: int = 0
    files: list[str] = field(default_factory=list)
    wacz: str = ""
    signed_by: str = ""  # key id of the WACZ's signature, when signed

    @property
    def records(self) -> int:
        return self.captures + self.originals + self.requests + self.warcinfos


def select_captures(
    idx: Index,
    outlet: Outlet,
    articles: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Capture]:
    """The captures rows of the outlet's articles named by URL (any domain, any slug; all captures
    when none is named), within [since, until]."""
    ids = []
    for url in articles:
        article_id = outlet.article_id(url)
        if article_id is None:
            raise ConfigError(f"{url} is not an article URL of outlet {outlet.name} ({', '.join(outlet.domains)})")
        ids.append(article_id)
    return captures_index.of_outlet(
        idx,
        outlet.name,
        ids,
        since=utc_iso(since) if since is not None else None,
        until=utc_iso(until) if until is not None else None,
    )


def export(
    config: Config,
    outlet_name: str,
    out_dir: Path,
    *,
    articles: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    store: ObjectStore | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    sign_key: SigningKey | None = None,
) -> ExportReport:
    """Write the evidence package for the selection into ``out_dir`` (new or empty); with
    ``sign_key``, the WACZ is signed (before the SHA-256 manifest, which then covers the signed file)."""
    outlet = config.outlet(outlet_name)
    store = store or store_for(config, outlet)
    _check_out_dir(out_dir)
    with Index(config.index_path, readonly=True) as idx:
        selected = select_captures(idx, outlet, articles, since, until)
        if not selected:
            raise ConfigError(f"nothing to export: no capture of {outlet.name} matches the selection")
        rows = {row.record_id: ("capture", row) for row in selected}
        for row in selected:
            if row.record_type == "revisit":
                original = retrieve(store, idx, row).original
                rows.setdefault(original.record_id, ("original", original))
        titles = _titles(idx, [row.record_id for row in selected])
    if on_total:
        on_total(len(rows))
    with _writing(out_dir):
        (out_dir / "archive").mkdir(parents=True, exist_ok=True)
        report = ExportReport(directory=str(out_dir), outlet=outlet.name)
        placed = _copy_records(store, out_dir, rows.values(), report, progress)
        warcs = sorted((out_dir / "archive").glob(WARC_GLOB))
        _write_cdxj(out_dir / "indexes" / "index.cdxj", warcs)
        pages = _write_pages(out_dir / "pages" / "pages.jsonl", selected, titles, outlet)
        wacz = out_dir / f"{outlet.name}.wacz"
        _write_wacz(wacz, warcs, pages, outlet, len(selected))
        report.wacz = wacz.name
        if sign_key is not None:
            from archive.evidence.sign import sign_wacz

            report.signed_by = sign_wacz(wacz, sign_key).key_id
        description = {
            "outlet": outlet.name,
            "created": utc_iso(datetime.now(UTC)),
            "selection": {
                "articles": list(articles),
                "from": utc_iso(since) if since else None,
                "to": utc_iso(until) if until else None,
            },
            "counts": {
                "captures": report.captures,
                "originals": report.originals,
                "requests": report.requests,
                "warcinfos": report.warcinfos,
            },
            "records": [asdict(r) for r in placed],
            "signature": {"key_id": report.signed_by, "public_key": sign_key.public_key} if sign_key else None,
        }
        (out_dir / "export.json").write_text(json.dumps(description, indent=2) + "\n")
        report.files = _write_manifest(out_dir)
        log.info("exported outlet=%s dir=%s records=%d", outlet.name, out_dir, report.records)
        return report


def _check_out_dir(out_dir: Path) -> None:
    """The package goes into a new or empty directory that can be made: say why not before any work."""
    try:
        if out_dir.exists():
            if not out_dir.is_dir():
                raise ExportError(f"{out_dir} is a file, not a directory; give a new directory for the package")
            if any(out_dir.iterdir()):
                raise ConfigError(f"{out_dir} is not empty; give a new directory for the package")
            parent = out_dir
        else:
            parent = next(p for p in out_dir.absolute().parents if p.exists())
            if not parent.is_dir():
                raise ExportError(f"{out_dir}: {parent} is a file, so no directory can be made in it")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ExportError(f"{out_dir}: {parent} is not writable; give a directory you can write to")
    except OSError as exc:  # e.g. no permission to look into a parent
        raise ExportError(f"{out_dir}: {exc.strerror or exc}; give a new directory for the package") from None


@contextlib.contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """A failure to write into ``out_dir`` (disk full, a read-only or vanished directory) is the
    user's to fix: one error naming the directory. Any other OSError is a bug and propagates."""
    try:
        yield
    except OSError as exc:
        inside = exc.filename is not None and Path(os.fsdecode(exc.filename)).absolute().is_relative_to(
            out_dir.absolute()
        )
        if not inside and exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        raise ExportError(f"{out_dir}: cannot write the package ({exc.strerror or exc})") from exc


def _copy_records(
    store: ObjectStore,
    out_dir: Path,
    rows: Iterable[tuple[str, Capture]],
    report: ExportReport,
    progress: Callable[[int], None] | None,
) -> list[ExportedRecord]:
    """Copy each record (and its request) into the file named after its source, in source order."""
    placed: list[ExportedRecord] = []
    by_source: dict[str, list[tuple[str, Capture]]] = {}
    for role, row in rows:
        by_source.setdefault(row.warc, []).append((role, row))
    for source in sorted(by_source):
        size = store.stat(source).size
        target = out_dir / "archive" / Path(source).name
        with open(target, "wb") as out:
            warcinfo = _member_at(store, source, 0, size)
            if warcinfo is not None and warcinfo[0] == "warcinfo":
                placed.append(_put(out, "warcinfo", warcinfo[1], source, 0, warcinfo[2]))
                report.warcinfos += 1
            for role, row in sorted(by_source[source], key=lambda item: item[1].offset):
                data = store.read_range(source, row.offset, row.length)
                placed.append(_put(out, role, row.record_id, source, row.offset, data))
                if role == "capture":
                    report.captures += 1
                else:
                    report.originals += 1
                after = row.offset + row.length
                request = _member_at(store, source, after, size)
                if request is not None and request[0] == "request" and request[3] == row.record_id:
                    placed.append(_put(out, "request", request[1], source, after, request[2]))
                    report.requests += 1
                if progress:
                    progress(1)
    return placed


def _put(out: BinaryIO, role: str, record_id: str, source: str, source_offset: int, data: bytes) -> ExportedRecord:
    placed = ExportedRecord(role, record_id, source, source_offset, Path(out.name).name, out.tell(), len(data))
    out.write(data)
    return placed


def _member_at(store: ObjectStore, key: str, offset: int, size: int) -> tuple[str, str, bytes, str | None] | None:
    """(type, id, bytes, concurrent-to) of the record starting at ``offset``, if it is whole within
    PROBE_BYTES; None at the end of the object or for anything unreadable."""
    if offset >= size:
        return None
    data = store.read_range(key, offset, min(PROBE_BYTES, size - offset))
    try:
        info = next(iter_records(io.BytesIO(data), name=key, verify_digests=True))
    except (WarcReadError, StopIteration):
        return None
    return info.record_type, info.record_id, data[: info.length], info.concurrent_to


def _titles(idx: Index, record_ids: Sequence[str]) -> dict[str, str]:
    """Headline of the version each capture showed, for the WACZ's page list."""
    titles: dict[str, str] = {}
    for record_id in record_ids:
        headline = captures_index.headline_shown(idx, record_id)
        if headline:
            titles[record_id] = headline
    return titles


def _write_cdxj(path: Path, warcs: Sequence[Path]) -> None:
    """Sorted CDXJ with pywb's fields, written by cdxj-indexer as pywb and the wacz tool do."""
    from cdxj_indexer.main import CDXJIndexer  # type: ignore[import-untyped]

    path.parent.mkdir(parents=True, exist_ok=True)
    with _third_party_spools():
        CDXJIndexer(
            output=str(path),
            inputs=[str(p) for p in warcs],
            sort=True,
            post_append=True,
            # Explicit: importing wacz adds "warcinfo" to cdxj-indexer's defaults, process-wide.
            records="response,revisit,resource,metadata",
        ).process_all()


def _write_pages(path: Path, selected: Sequence[Capture], titles: Mapping[str, str], outlet: Outlet) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": f"{outlet.title or outlet.name}: edittrail export"}]
    for row in selected:
        if row.article_id and row.status == 200:
            lines.append({"url": row.url, "ts": row.fetched_at, "title": titles.get(row.record_id, row.url)})
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return path


def _write_wacz(path: Path, warcs: Sequence[Path], pages: Path, outlet: Outlet, captures: int) -> None:
    """The WACZ, by the ``wacz`` package (its indexer, its datapackage.json with SHA-256 of each file)."""
    from wacz.main import main as wacz_main  # type: ignore[import-untyped]

    chatter = io.StringIO()
    args = ["create", "-o", str(path), *map(str, warcs), "-p", str(pages), "--hash-type", "sha256"]
    args += ["--title", f"{outlet.title or outlet.name}: edittrail export", "--desc", f"{captures} captures"]
    with contextlib.redirect_stdout(chatter), _third_party_spools():
        code = wacz_main(args)
    if code != 0:
        raise ExportError(f"wacz create failed for {path}: {chatter.getvalue().strip()[-500:]}")


@contextlib.contextmanager
def _third_party_spools() -> Iterator[None]:
    """cdxj-indexer (also inside ``wacz``) leaves the SpooledTemporaryFiles it buffers records in
    for the garbage collector; collect them here, where their ResourceWarning is known and harmless."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        finally:
            gc.collect()


def _write_manifest(out_dir: Path) -> list[str]:
    """``manifest-sha256.txt`` in sha256sum's format over every file of the package."""
    files = sorted(p for p in out_dir.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = []
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        lines.append(f"{digest.hexdigest()}  {path.relative_to(out_dir).as_posix()}")
    (out_dir / MANIFEST).write_text("\n".join(lines) + "\n")
    return [p.relative_to(out_dir).as_posix() for p in files] + [MANIFEST]
