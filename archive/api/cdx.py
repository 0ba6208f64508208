"""The CDX query API of the Wayback Machine and pywb, over the index's ``captures`` table.

One collection per outlet: ``/{outlet}/cdx?url=...`` answers what pywb's CDX server answers
(``url``, ``matchType`` exact/prefix/host/domain or a ``*`` wildcard, ``from``/``to``,
``limit``, ``sort`` reverse/closest, ``filter``, ``fl``, ``output`` cdxj/json/text/link).
Lines carry pywb's CDXJ fields: ``urlkey timestamp {url, mime, status, digest, length,
offset, filename}``; a revisit's mime is ``warc/revisit`` as pywb writes it, and
``filename`` is the WARC's object key in the outlet's store.

One extension: ``matchType=article`` returns the captures of the article the URL names on
every domain of the outlet, under any slug (what the Memento endpoints do for any URL).
Everything a client can get wrong is a :class:`CdxQueryError` (HTTP 400) naming the
parameter (a bad ``url`` is an ``archive.api.urls.BadUrlError``, also 400), never a 500.

``filter=~field:expression`` is a regular expression in RE2 syntax, matched from the start of
the field: RE2 runs in time linear in the field's length whatever the expression, so a client
cannot make the server backtrack for ever (``(.+)+X``). What RE2 does not have
(backreferences such as ``\1``, lookahead and lookbehind) is refused with a 400 naming the
filter. The query as a whole runs within a time budget (``archive.api.budget``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints
import surt

from archive.api.budget import Deadline
from archive.api.urls import archived_url
from archive.config import Outlet
from archive.errors import EdittrailError
from archive.index import Capture, CdxCapture, Index
from archive.index import captures as captures_index
from archive.moments import PAD_DOWN, PAD_UP, stamp_moment

FIELDS = ("urlkey", "timestamp", "url", "mime", "status", "digest", "length", "offset", "filename")
MATCH_TYPES = ("exact", "prefix", "host", "domain", "article")
OUTPUTS = ("cdxj", "json", "text", "link")
MAX_LIMIT = 100_000
"""The most lines one query returns; the default when ``limit`` is not given."""
MAX_FILTER_LENGTH = 300
MAX_FILTERS = 32
"""Filters per query: each compiled RE2 expression may use up to ``_RE2_MEMORY`` for its automaton."""
_RE2_MEMORY = 1 << 20
_FILTER = re.compile(r"^(?P<neg>!?)(?P<op>[=~]?)(?P<field>[a-z]+):(?P<expr>.*)$", re.S)
_TOP = "\U0010ffff"
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a client's bad expression is a 400, not a line on the server's stderr
_RE2_OPTIONS.max_mem = _RE2_MEMORY  # past it RE2 matches more slowly, still in linear time
MEDIA_TYPES = {
    "cdxj": "text/x-cdxj",
    "json": "text/x-ndjson",
    "text": "text/plain",
    "link": "application/link-format",
}


class CdxQueryError(EdittrailError):
    """A CDX query the server cannot answer as asked; the message names the parameter."""


@dataclass(frozen=True)
class CdxFilter:
    """``filter=[!][=|~]field:expression``: contains (default), exact (``=``) or regex from the start (``~``)."""

    field: str
    op: str
    expr: str
    negate: bool
    regex: Any = None
    """The compiled RE2 expression of a ``~`` filter."""

    @classmethod
    def parse(cls, text: str) -> CdxFilter:
        match = _FILTER.match(text)
        if not match or len(text) > MAX_FILTER_LENGTH:
            raise CdxQueryError(
                f"filter {text!r} is not [!][=|~]field:expression (at most {MAX_FILTER_LENGTH} characters), "
                "e.g. filter=status:200, filter=!mime:html, filter=~urlkey:ir,presstv"
            )
        field, op, expr = match["field"], match["op"], match["expr"]
        if field not in FIELDS:
            raise CdxQueryError(f"filter {text!r}: unknown field {field!r}; fields are {', '.join(FIELDS)}")
        regex = _compile(text, expr) if op == "~" else None
        return cls(field, op, expr, bool(match["neg"]), regex)

    def accepts(self, line: Mapping[str, str]) -> bool:
        value = line.get(self.field, "")
        if self.op == "=":
            hit = value == self.expr
        elif self.regex is not None:
            hit = self.regex.match(value) is not None
        else:
            hit = self.expr in value
        return hit != self.negate


def _compile(text: str, expr: str) -> Any:
    """``expr`` compiled by RE2 (linear-time matching), or a CdxQueryError saying why not."""
    try:
        return re2.compile(expr, options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise CdxQueryError(
            f"filter {text!r}: not a valid regular expression in RE2 syntax ({reason}); "
            "backreferences, lookahead and lookbehind are not supported"
        ) from None
    except (UnicodeError, TypeError, ValueError) as exc:
        raise CdxQueryError(f"filter {text!r}: not a valid regular expression ({exc})") from None


@dataclass(frozen=True)
class CdxQuery:
    """A validated CDX query: where to look in the urlkey order, and what to keep."""

    url: str
    match_type: str
    start: str
    end: str | None
    """Half-open urlkey range [start, end); None means exactly ``start``."""
    article_id: str | None
    since: str
    until: str
    limit: int
    sort: str | None
    closest: str | None
    filters: tuple[CdxFilter, ...]
    fields: tuple[str, ...] | None
    output: str


def pad_timestamp(value: str, *, upper: bool, name: str) -> str:
    """1 to 14 digits padded to 14 as pywb does: ``2014`` is ``20140101000000`` as a lower bound
    and ``20141231235959`` as an upper one."""
    if not (value.isascii() and value.isdigit()) or not 1 <= len(value) <= len(PAD_DOWN):
        raise CdxQueryError(f"{name}={value!r} is not a timestamp of 1 to 14 digits (YYYYMMDDhhmmss)")
    return value + (PAD_UP if upper else PAD_DOWN)[len(value) :]


def timestamp_of(fetched_at: str) -> str:
    """``2026-11-25T10:55:00Z`` → ``20261125105500``."""
    t = fetched_at
    if len(t) == 20 and t[4] == t[7] == "-" and t[10] == "T" and t[13] == t[16] == ":":  # the index's form
        return t[0:4] + t[5:7] + t[8:10] + t[11:13] + t[14:16] + t[17:19]
    return re.sub(r"\D", "", fetched_at)[:14]


def iso_of(timestamp: str) -> str:
    """``20261125105500`` → ``2026-11-25T10:55:00Z``: the index's form, comparable as text."""
    t = timestamp
    return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def datetime_of(timestamp: str, *, name: str = "timestamp") -> datetime:
    """A 14-digit timestamp as an aware UTC datetime (CdxQueryError when it is no date)."""
    try:
        return stamp_moment(timestamp)
    except ValueError:
        raise CdxQueryError(f"{name}={timestamp!r} is not a valid date and time") from None


def build_query(outlet: Outlet, params: Mapping[str, Sequence[str]]) -> CdxQuery:
    """Validate the query parameters (each a list, as a query string may repeat them)."""

    def one(name: str, default: str | None = None) -> str | None:
        values = params.get(name) or []
        return values[-1] if values else default

    raw_url = one("url")
    if not raw_url:
        raise CdxQueryError("url is required, e.g. /demo/cdx?url=www.presstv.ir/Detail/2026/11/20/777400/x")
    match_type = one("matchType") or "exact"
    if raw_url.endswith("*") and match_type == "exact":
        raw_url, match_type = raw_url[:-1], "prefix"
    if raw_url.startswith("*.") and match_type == "exact":
        raw_url, match_type = raw_url[2:], "domain"
    if match_type not in MATCH_TYPES:
        raise CdxQueryError(f"matchType={match_type!r} is not one of {', '.join(MATCH_TYPES)}")
    url = archived_url(raw_url)
    key = surt.surt(url)
    start, end, article_id = key, None, None
    if match_type == "prefix":
        if url.endswith("/") and not key.endswith("/"):
            key += "/"
        start, end = key, key + _TOP
    elif match_type == "host":
        start = key.split(")", 1)[0] + ")/"
        end = start + _TOP
    elif match_type == "domain":
        start = key.split(")", 1)[0]
        end = start + _TOP  # narrowed to the domain and its subdomains in matches()
    elif match_type == "article":
        article_id = outlet.article_id(url)
        if article_id is None:
            raise CdxQueryError(f"matchType=article: {url} is not an article URL of outlet {outlet.name}")
    since = pad_timestamp(text, upper=False, name="from") if (text := one("from")) else PAD_DOWN
    until = pad_timestamp(text, upper=True, name="to") if (text := one("to")) else PAD_UP
    limit_text = one("limit")
    if limit_text is None:
        limit = MAX_LIMIT
    elif not (limit_text.isascii() and limit_text.isdigit()) or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise CdxQueryError(f"limit={limit_text!r} must be a whole number from 1 to {MAX_LIMIT}")
    else:
        limit = int(limit_text)
    sort = one("sort")
    if sort not in (None, "", "reverse", "closest"):
        raise CdxQueryError(f"sort={sort!r} is not reverse or closest")
    closest = one("closest")
    if sort == "closest":
        if not closest:
            raise CdxQueryError("sort=closest needs closest=<timestamp>, e.g. closest=20261125")
        closest = pad_timestamp(closest, upper=False, name="closest")
        datetime_of(closest, name="closest")
    output = one("output") or "cdxj"
    if output not in OUTPUTS:
        raise CdxQueryError(f"output={output!r} is not one of {', '.join(OUTPUTS)}")
    fields = None
    if one("fl"):
        fields = tuple(f.strip() for f in (one("fl") or "").split(",") if f.strip())
        unknown = [f for f in fields if f not in FIELDS]
        if unknown or not fields:
            raise CdxQueryError(
                f"fl: unknown field {unknown[0] if unknown else '(none)'!r}; fields are {', '.join(FIELDS)}"
            )
    return CdxQuery(
        url=url,
        match_type=match_type,
        start=start,
        end=end,
        article_id=article_id,
        since=since,
        until=until,
        limit=limit,
        sort=sort or None,
        closest=closest if sort == "closest" else None,
        filters=_filters(params.get("filter") or []),
        fields=fields,
        output=output,
    )


def _filters(texts: Sequence[str]) -> tuple[CdxFilter, ...]:
    if len(texts) > MAX_FILTERS:
        raise CdxQueryError(f"{len(texts)} filter parameters; at most {MAX_FILTERS} are accepted")
    return tuple(CdxFilter.parse(text) for text in texts)


def cdx_line(row: CdxCapture | Capture) -> dict[str, str]:
    """A capture as pywb's CDXJ fields, all strings as in a CDXJ file."""
    revisit = row.record_type == "revisit"
    return {
        "urlkey": row.urlkey,
        "timestamp": timestamp_of(row.fetched_at),
        "url": row.url,
        "mime": "warc/revisit" if revisit else (row.mime or "unk"),
        "status": str(row.status) if row.status is not None else "-",
        "digest": row.payload_digest or "-",
        "length": str(row.length),
        "offset": str(row.offset),
        "filename": row.warc,
    }


def run_query(idx: Index, outlet: str, query: CdxQuery, *, deadline: Deadline | None = None) -> list[dict[str, str]]:
    """The lines the query selects, in order, at most ``limit``; within ``deadline`` when one is given
    (checked before each row, and by SQLite during the statement when the caller guards it)."""
    rows = captures_index.for_cdx(
        idx,
        outlet,
        iso_of(query.since),
        iso_of(query.until),
        article_id=query.article_id,
        start=query.start,
        end=query.end,
        reverse=query.sort == "reverse",
    )
    lines = (cdx_line(row) for row in (deadline.each(rows) if deadline is not None else rows))
    kept = (line for line in lines if _in_scope(query, line) and all(f.accepts(line) for f in query.filters))
    if query.closest is not None:
        target = datetime_of(query.closest).timestamp()
        everything = sorted(kept, key=lambda line: abs(datetime_of(line["timestamp"]).timestamp() - target))
        return everything[: query.limit]
    found = []
    for line in kept:
        found.append(line)
        if len(found) >= query.limit:
            break
    return found


def _in_scope(query: CdxQuery, line: Mapping[str, str]) -> bool:
    """``domain``: the host itself and its subdomains, on any port (``ir,presstv`` then ``)``, ``,`` or ``:``)."""
    if query.match_type != "domain":
        return True
    rest = line["urlkey"][len(query.start) :]
    return rest[:1] in (")", ",", ":")


def render(query: CdxQuery, lines: Sequence[Mapping[str, str]], link_line: Any = None) -> Iterator[str]:
    """The lines in the asked output: CDXJ (``urlkey timestamp {json}``), NDJSON, space-separated text,
    or link format (``link_line`` turns a line into one TimeMap entry)."""
    for line in lines:
        picked = {f: line[f] for f in query.fields} if query.fields else dict(line)
        if query.output == "json":
            yield json.dumps(picked) + "\n"
        elif query.output == "link" and link_line is not None:
            yield link_line(line) + ",\n"
        elif query.output == "text" or (query.fields and not {"urlkey", "timestamp"} <= set(query.fields)):
            yield " ".join(picked.values()) + "\n"
        else:
            rest = {k: v for k, v in picked.items() if k not in ("urlkey", "timestamp")}
            yield f"{line['urlkey']} {line['timestamp']} {json.dumps(rest)}\n"
