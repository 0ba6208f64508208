"""What a URL showed at a moment: the last capture at or before it, on any of the outlet's domains.

``edittrail show`` prints it as the extracted version (text), the archived page with its
Content-Encoding undone (html), or the WARC record itself plus, for a revisit, the record
holding its payload (warc: gzip members, a valid ``.warc.gz`` stream). Every record is
checked before it is given (its id, its digests, the payload digest the index expects), as
the web service's ``id_`` route checks it: stored bytes that were altered are an error.
"""

from __future__ import annotations

from datetime import datetime

from archive.api.memento import Memento, live_at, mementos
from archive.config import Config, Outlet, store_for
from archive.errors import ConfigError
from archive.extract.content import decode_content
from archive.index import Index, Version, utc_iso
from archive.index import versions as vx
from archive.read.retrieve import retrieve, stored_records


def show_capture(config: Config, url: str, moment: datetime, fmt: str, outlet: str | None = None) -> str | bytes:
    """The capture of ``url`` live at ``moment`` in format ``text``, ``html`` or ``warc``."""
    with Index(config.index_path, readonly=True) as idx:
        chosen, found = _find(config, idx, url, outlet)
        m = live_at(found, moment)
        if m is None:
            first = found[0].row.fetched_at
            raise ConfigError(f"{url}: nothing captured at or before {utc_iso(moment)}; the first capture is {first}")
        store = store_for(config, chosen)
        if fmt == "warc":
            return stored_records(store, idx, m.row)
        if fmt == "html":
            got = retrieve(store, idx, m.row)
            body = got.payload
            encodings = [v for k, v in got.http_headers if k.lower() == "content-encoding"]
            for coding in reversed([c.strip() for v in encodings for c in v.split(",") if c.strip()]):
                body = decode_content(body, coding, where=f"{m.url} at {m.row.fetched_at}")
            return body
        return _text(idx, chosen, found, m, moment)


def _find(config: Config, idx: Index, url: str, outlet: str | None) -> tuple[Outlet, list[Memento]]:
    names = [config.outlet(outlet).name] if outlet else list(config.outlets)
    hits = [(config.outlet(n), found) for n in names if (found := mementos(idx, config.outlet(n), url))]
    if not hits:
        raise ConfigError(f"{url} has no capture in {'outlet ' + outlet if outlet else 'any outlet'}")
    if len(hits) > 1:
        raise ConfigError(f"{url} is archived for several outlets ({', '.join(o.name for o, _ in hits)}); use --outlet")
    return hits[0]


def _text(idx: Index, outlet: Outlet, found: list[Memento], m: Memento, moment: datetime) -> str:
    if not m.row.article_id:
        raise ConfigError(f"{m.url} is not an article, so it has no extracted text; use --format html or warc")
    shown: tuple[Memento, Version] | None = None
    for candidate in reversed([f for f in found if f.moment <= moment]):
        number = vx.detected_version(idx, candidate.row.record_id)
        version = vx.version_number(idx, outlet.name, m.row.article_id, number) if number else None
        if version is not None:
            shown = (candidate, version)
            break
    if shown is None:
        raise ConfigError(f"{m.url}: no version of article {m.row.article_id} was extracted by {utc_iso(moment)}")
    capture, version = shown
    lines = [
        f"# {outlet.name} article {version.article_id}, version {version.version}, live at {utc_iso(moment)}",
        f"# captured {capture.row.fetched_at} on {capture.row.host}: {capture.url}",
    ]
    if m is not capture:
        lines.append(
            f"# note: the last capture by then ({m.row.fetched_at}, {m.row.host}) answered HTTP {m.row.status}"
        )
    if version.last_update:
        lines.append(f"# Last Update: {version.last_update}")
    lines += ["", version.headline, ""]
    if version.lead:
        lines += [version.lead, ""]
    lines += [paragraph + "\n" for paragraph in version.body]
    return "\n".join(lines).rstrip() + "\n"
