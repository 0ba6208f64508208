"""The small tables of an outlet's config (seeds, politeness, crawl limits, revisits, alert
channels, S3) and the value syntaxes people write in them (sizes, durations).

Each model checks its own values; errors read as "what is wrong; how to write it", and the
loader prefixes the file and the key.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from archive.storage.s3_settings import MAX_PART_SIZE, MIN_PART_SIZE, MiB, S3Credentials, S3Settings

MAX_UPLOAD_MEMORY = 2048 * 1024 * 1024
_CONN_ID = re.compile(r"^[A-Za-z0-9_.~-]{1,250}$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$", re.IGNORECASE)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def parse_size(value: int | str) -> int:
    """Accept ``1000000``, ``"1GB"``, ``"512 MiB"``: sizes in config are read by people."""
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("must be a positive number of bytes")
        return value
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a size; write bytes or e.g. '1GB', '512MiB'")
    number, unit = float(match.group(1)), match.group(2).lower()
    prefix = unit[:1] if unit[:1] in "kmgt" else ""
    if not prefix:
        return int(number)
    step = 1024 if "i" in unit else 1000
    return int(number * step ** ("kmgt".index(prefix) + 1))


class Seeds(_Frozen):
    """Discovery paths, requested on every domain of the outlet."""

    rss: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    max_section_pages: int = Field(default=2, ge=1, le=1000)
    sitemap_months: int = Field(default=2, ge=0, le=600)

    @field_validator("rss", "sitemaps", "sections")
    @classmethod
    def _paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"seed {path!r} must be a path starting with '/' (it is requested on every domain)")
        return value


class Politeness(_Frozen):
    """How hard the crawler may hit one domain: the Scrapy settings of the same names."""

    download_delay: float = Field(default=1.0, ge=0, le=600)
    concurrency_per_domain: int = Field(default=2, ge=1, le=64)
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(default=1.0, gt=0, le=64)
    user_agent: str = "edittrail/0.1 (+https://github.com/edittrail/edittrail; archive of public news pages)"


class CrawlLimits(_Frozen):
    """Bounds on one crawl, so one bad night cannot fill the disk or run forever."""

    timeout_minutes: int = Field(default=60, ge=1, le=24 * 60)
    download_timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=2, ge=0, le=10)
    max_page_size: int = 32 * 10**6
    max_articles: int = Field(default=2000, ge=1)
    warc_max_size: int = 10**9
    gzip_level: int = Field(default=6, ge=1, le=9)

    @field_validator("max_page_size", "warc_max_size", mode="before")
    @classmethod
    def _size(cls, value: int | str) -> int:
        return parse_size(value)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: str | int) -> int:
    """``"15m"``, ``"10h"``, ``"7d"`` (or plain seconds) → seconds."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. '15m', '3h', '7d'")
    return int(match.group(1)) * _DURATION_SECONDS[match.group(2)]


class Revisit(_Frozen):
    """When known articles are fetched again: at first_seen + each offset, then every ``then_every``.

    Young articles are edited most, so they are checked often; old ones rarely.
    """

    offsets: tuple[int, ...] = (15 * 60, 3600, 3 * 3600, 10 * 3600, 86400, 7 * 86400)
    then_every: int = 7 * 86400
    max_per_run: int = Field(default=500, ge=0)

    @field_validator("offsets", mode="before")
    @classmethod
    def _offsets(cls, value: Any) -> Any:
        parsed = tuple(parse_duration(v) for v in value)
        if list(parsed) != sorted(parsed):
            raise ValueError("offsets must be in increasing order, e.g. ['15m', '1h', '3h']")
        return parsed

    @field_validator("then_every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> int:
        seconds = parse_duration(value)
        if seconds < 1:
            raise ValueError("must be at least 1s")
        return seconds


class AlertChannel(_Frozen):
    """One Apprise destination and which changes it wants."""

    name: str
    url: str | None = None
    url_env: str | None = None
    kinds: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

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
        from archive.changes import ALERT_KINDS

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
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                raise ValueError(f"{value!r} is not an endpoint URL: write e.g. 'https://s3.example.com:9000'")
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
    def _part_size(cls, value: int | str) -> int:
        size = parse_size(value)
        if not MIN_PART_SIZE <= size <= MAX_PART_SIZE:
            raise ValueError(f"{value!r}: S3 parts are 5MiB to 5GiB; write e.g. '16MiB'")
        return size

    @field_validator("aws_conn_id")
    @classmethod
    def _conn_id(cls, value: str | None) -> str | None:
        if value is not None and not _CONN_ID.match(value):
            raise ValueError(f"{value!r} is not an Airflow connection id (letters, digits, '_', '-', '.', '~')")
        return value

    def settings(self, credentials: S3Credentials | None = None) -> S3Settings:
        """The store settings, with the connection's credentials when there are any."""
        options = self.model_dump(exclude={"aws_conn_id"})
        return S3Settings(**options).with_credentials(credentials)
