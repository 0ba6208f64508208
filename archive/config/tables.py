"""The small tables of an outlet's config (seeds, politeness, crawl limits, revisits, alert
channels, S3) and the value syntaxes people write in them (sizes, durations).

Each model checks its own values; errors read as "what is wrong; how to write it", and the
loader prefixes the file and the key. Every value has its TOML type (models are strict: a
quoted number or ``true`` for a count is refused, not coerced), and every number is bounded,
so that nothing accepted here can fail a crawl later. Validators that read raw input check
its type first and raise only ValueError, which pydantic reports against the key.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from archive.kinds import ALERT_KINDS
from archive.storage.s3_settings import MAX_PART_SIZE, MIN_PART_SIZE, MiB, S3Credentials, S3Settings

MAX_UPLOAD_MEMORY = 2048 * 1024 * 1024
MAX_SIZE = 1 << 40
"""No size in the file may exceed 1TiB (a larger one is a typo)."""
MAX_PAGE_SIZE = 4 << 30
"""Scrapy holds a whole response in memory."""
MIN_PAGE_SIZE = 1000
MIN_WARC_SIZE = 100 * 1000
"""A WARC file smaller than this would hold a record or two; 0 would stop every crawl."""
MAX_DURATION = 3650 * 86400
"""Ten years: the longest revisit offset, interval or window (dates beyond overflow)."""
MAX_COUNT = 1_000_000
"""The most articles or revisits one run may plan."""
_CONN_ID = re.compile(r"^[A-Za-z0-9_.~-]{1,250}$")
_SIZE = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,15})?)\s*((?:[kmgt]i?)?b?)\s*$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REGION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def toml_kind(value: object) -> str:
    """What a TOML value is, in the words of the TOML spec, for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time" if hasattr(value, "isoformat") else type(value).__name__


def shown(value: object, limit: int = 40) -> str:
    """``repr`` of a value, cut short: error messages stay one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def size_text(size: int) -> str:
    """``1048576`` → ``1MiB``: how a bound reads in an error message."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    for step, units in ((1024, ("KiB", "MiB", "GiB", "TiB")), (1000, ("kB", "MB", "GB", "TB"))):
        for power in range(len(units), 0, -1):
            if size % step**power == 0:
                return f"{size // step**power}{units[power - 1]}"
    return f"{size} bytes"


def parse_size(value: object, *, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
    """Accept ``1000000``, ``"1GB"``, ``"512 MiB"``: sizes in config are read by people.

    The integer and string forms mean the same bytes and meet the same bounds.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"must be a size, a whole number of bytes or a string such as '512MiB', not {toml_kind(value)}"
        )
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"{shown(value)} is not a size; write bytes or e.g. '1GB', '512MiB'")
        unit = match.group(2).lower()
        power = "kmgt".index(unit[0]) + 1 if unit[:1] in ("k", "m", "g", "t") else 0
        size = int(Decimal(match.group(1)) * (1024 if "i" in unit else 1000) ** power)
    if not minimum <= size <= maximum:
        raise ValueError(
            f"{shown(value)} is {'less' if size < minimum else 'more'} than "
            f"{size_text(minimum if size < minimum else maximum)}; write a size from {size_text(minimum)} "
            f"to {size_text(maximum)}"
        )
    return size


def _text(value: str, what: str) -> str:
    """A string that ends up in a header, a path or a log line: no control characters."""
    if _CONTROL.search(value):
        raise ValueError(f"{shown(value)} contains a control character (a newline, tab or NUL); remove it")
    if not value.strip():
        raise ValueError(f"is empty; write {what}")
    return value


class Seeds(_Frozen):
    """Discovery paths, requested on every domain of the outlet."""

    rss: tuple[str, ...] = Field(default=(), strict=False)
    sitemaps: tuple[str, ...] = Field(default=(), strict=False)
    sections: tuple[str, ...] = Field(default=(), strict=False)
    max_section_pages: int = Field(default=2, ge=1, le=1000)
    sitemap_months: int = Field(default=2, ge=0, le=600)

    @field_validator("rss", "sitemaps", "sections")
    @classmethod
    def _paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if not path.startswith("/") or re.search(r"[\s\x00-\x1f\x7f]", path):
                raise ValueError(
                    f"seed {shown(path)} must be a path starting with '/', without spaces (it is requested on "
                    "every domain)"
                )
        return value


class Politeness(_Frozen):
    """How hard the crawler may hit one domain: the Scrapy settings of the same names."""

    download_delay: float = Field(default=1.0, ge=0, le=600)
    concurrency_per_domain: int = Field(default=2, ge=1, le=64)
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(default=1.0, gt=0, le=64)
    user_agent: str = Field(
        default="edittrail/0.1 (+https://github.com/edittrail/edittrail; archive of public news pages)",
        max_length=1000,
    )

    @field_validator("user_agent")
    @classmethod
    def _user_agent(cls, value: str) -> str:
        return _text(value, "a User-Agent such as 'edittrail/0.1 (+https://example.org/about)'")


class CrawlLimits(_Frozen):
    """Bounds on one crawl, so one bad night cannot fill the disk or run forever."""

    timeout_minutes: int = Field(default=60, ge=1, le=24 * 60)
    download_timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=2, ge=0, le=10)
    max_page_size: int = 32 * 10**6
    max_articles: int = Field(default=2000, ge=1, le=MAX_COUNT)
    warc_max_size: int = 10**9
    gzip_level: int = Field(default=6, ge=1, le=9)

    @field_validator("max_page_size", mode="before")
    @classmethod
    def _page_size(cls, value: object) -> int:
        """0 would mean "no limit" to Scrapy: a page size is never 0."""
        return parse_size(value, minimum=MIN_PAGE_SIZE, maximum=MAX_PAGE_SIZE)

    @field_validator("warc_max_size", mode="before")
    @classmethod
    def _warc_size(cls, value: object) -> int:
        return parse_size(value, minimum=MIN_WARC_SIZE)


_DURATION = re.compile(r"^\s*(\d{1,12})\s*([smhdw])\s*$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: object, *, minimum: int = 0, maximum: int = MAX_DURATION) -> int:
    """``"15m"``, ``"10h"``, ``"7d"`` (or whole seconds) → seconds, at most ten years."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"must be a duration such as '15m', '3h', '7d' (or whole seconds), not {toml_kind(value)}")
    if isinstance(value, int):
        seconds = value
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{shown(value)} is not a duration; write e.g. '15m', '3h', '7d'")
        seconds = int(match.group(1)) * _DURATION_SECONDS[match.group(2)]
    if seconds < minimum:
        raise ValueError(f"{shown(value)} is less than {minimum}s; write at least '{minimum}s'")
    if seconds > maximum:
        raise ValueError(f"{shown(value)} is more than {maximum // 86400}d; write at most '{maximum // 86400}d'")
    return seconds


class Revisit(_Frozen):
    """When known articles are fetched again: at first_seen + each offset, then every ``then_every``.

    Young articles are edited most, so they are checked often; old ones rarely.
    """

    offsets: tuple[int, ...] = (15 * 60, 3600, 3 * 3600, 10 * 3600, 86400, 7 * 86400)
    then_every: int = 7 * 86400
    max_per_run: int = Field(default=500, ge=0, le=MAX_COUNT)

    @field_validator("offsets", mode="before")
    @classmethod
    def _offsets(cls, value: object) -> tuple[int, ...]:
        if not isinstance(value, list | tuple):
            raise ValueError(f"must be an array of durations such as ['15m', '1h', '1d'], not {toml_kind(value)}")
        if len(value) > 100:
            raise ValueError(f"has {len(value)} offsets; list at most 100 and let then_every do the rest")
        parsed = tuple(parse_duration(v) for v in value)
        if list(parsed) != sorted(parsed):
            raise ValueError("offsets must be in increasing order, e.g. ['15m', '1h', '3h']")
        return parsed

    @field_validator("then_every", mode="before")
    @classmethod
    def _every(cls, value: object) -> int:
        return parse_duration(value, minimum=1)


class AlertChannel(_Frozen):
    """One Apprise destination and which changes it wants."""

    name: str = Field(max_length=200)
    url: str | None = None
    url_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
    kinds: tuple[str, ...] = Field(default=(), strict=False)
    sections: tuple[str, ...] = Field(default=(), strict=False)
    keywords: tuple[str, ...] = Field(default=(), strict=False)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _text(value, "a name for the channel, e.g. 'newsroom-slack'")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and ("://" not in value or _CONTROL.search(value)):
            raise ValueError(f"{shown(value)} is not an Apprise URL; write e.g. 'mailto://user@example.org'")
        return value

    @model_validator(mode="after")
    def _one_url(self) -> AlertChannel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError(
                f"channel {self.name!r} needs exactly one of url (an Apprise URL without secrets) or url_env "
                "(the environment variable holding it)"
            )
        return self

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(ALERT_KINDS))
        if unknown:
            raise ValueError(f"unknown change kind {unknown[0]!r}; known: {', '.join(ALERT_KINDS)}")
        return value


class S3Options(_Frozen):
    """``[outlets.NAME.s3]``: how to reach an ``s3://`` store; the names and defaults of S3Settings.

    Credentials never go in this file: they come from the Airflow connection ``aws_conn_id``
    (in DAG runs) or the standard AWS chain (environment, profile, instance role).
    """

    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    checksums: Literal["sha256", "none"] = "sha256"
    conditional_writes: bool = True
    connect_timeout: float = Field(default=10.0, gt=0, le=600)
    read_timeout: float = Field(default=60.0, gt=0, le=3600)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    multipart_threshold: int = 64 * MiB
    part_size: int = 16 * MiB
    max_concurrency: int = Field(default=4, ge=1, le=64)
    aws_conn_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            secret = sorted(k for k in value if "secret" in k or "access_key" in k or k.endswith("token"))
            if secret:
                raise ValueError(
                    f"{secret[0]!r}: credentials do not belong in outlets.toml; name an Airflow connection with "
                    "aws_conn_id, or use the standard AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile "
                    "or a role)"
                )
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parts = urlsplit(value)
                ok = bool(parts.scheme in ("http", "https") and parts.hostname and parts.path in ("", "/"))
                _ = parts.port  # a port that is no number from 0 to 65535 raises ValueError
            except ValueError:
                ok = False
            if not ok or _CONTROL.search(value) or " " in value:
                raise ValueError(f"{shown(value)} is not an endpoint URL: write e.g. 'https://s3.example.com:9000'")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not _REGION.match(value):
            raise ValueError(f"{shown(value)} is not a region name; write e.g. 'eu-central-1'")
        return value

    @model_validator(mode="after")
    def _upload_memory(self) -> S3Options:
        """Each upload thread holds one part in memory: part_size x max_concurrency at once."""
        if self.part_size * self.max_concurrency > MAX_UPLOAD_MEMORY:
            raise ValueError(
                f"part_size x max_concurrency is {self.part_size * self.max_concurrency / MiB:.0f}MiB of memory "
                f"per upload; keep it at most {MAX_UPLOAD_MEMORY // MiB}MiB (fewer or smaller parts)"
            )
        return self

    @field_validator("multipart_threshold", "part_size", mode="before")
    @classmethod
    def _part_size(cls, value: object) -> int:
        size = parse_size(value, minimum=0)
        if not MIN_PART_SIZE <= size <= MAX_PART_SIZE:
            raise ValueError(f"{shown(value)}: S3 parts are 5MiB to 5GiB; write e.g. '16MiB'")
        return size

    @field_validator("aws_conn_id")
    @classmethod
    def _conn_id(cls, value: str | None) -> str | None:
        if value is not None and not _CONN_ID.match(value):
            raise ValueError(f"{shown(value)} is not an Airflow connection id (letters, digits, '_', '-', '.', '~')")
        return value

    def settings(self, credentials: S3Credentials | None = None) -> S3Settings:
        """The store settings, with the connection's credentials when there are any."""
        options = self.model_dump(exclude={"aws_conn_id"})
        return S3Settings(**options).with_credentials(credentials)
