"""One outlet's config: its domains, how to find its articles, where its WARCs go."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit

from croniter import croniter
from pydantic import Field, field_validator, model_validator

from archive.config.tables import (
    AlertChannel,
    CrawlLimits,
    Politeness,
    Revisit,
    S3Options,
    Seeds,
    _Frozen,
    _text,
    parse_duration,
    shown,
    toml_kind,
)
from archive.storage.s3_settings import S3Credentials, S3Settings, bucket_problem

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_OUTLET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


Origin = tuple[str, str, int]
"""(scheme, lower-case host, port), the port filled in from the scheme when the URL has none."""

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> Origin | None:
    """The URL's origin, or None when it has none we would fetch (another scheme, a bad port).

    The crawl's scope (spiders/scope.py) and ``edittrail crawl --url`` compare these with the
    origins of ``Outlet.base_url``."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:  # a port that is not a number or out of range, a broken IPv6 literal
        return None
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


class Outlet(_Frozen):
    """One news outlet: its domains, how to find its articles, where its WARCs go."""

    name: str
    title: str = Field(default="", max_length=1000)
    primary: str
    mirrors: tuple[str, ...] = Field(default=(), strict=False)
    media_hosts: tuple[str, ...] = Field(default=(), strict=False)
    fetch_media: bool = False
    scheme: Literal["http", "https"] = "https"
    port: int | None = Field(default=None, ge=1, le=65535)
    article_pattern: str
    schedule: str = "0 */3 * * *"
    store: str
    extractor: str = Field(default="generic", pattern=r"^[a-z][a-z0-9_]{0,39}$")
    host_overrides: Mapping[str, str] = Field(default_factory=dict)
    seeds: Seeds = Seeds()
    politeness: Politeness = Politeness()
    crawl: CrawlLimits = CrawlLimits()
    revisit: Revisit = Revisit()
    alerts: tuple[AlertChannel, ...] = Field(default=(), strict=False)
    s3: S3Options | None = None
    divergence_window: int = 6 * 3600
    """Seconds a domain may show another version of an article than its current one (lagging behind
    an edit, or a copy of its own) before that is one ``mirror_divergence``; the disagreement must
    also have been seen in an earlier crawl, so an edit that falls in the middle of a crawl is none."""

    @field_validator("divergence_window", mode="before")
    @classmethod
    def _window(cls, value: object) -> int:
        return parse_duration(value, minimum=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _OUTLET_NAME.match(value):
            raise ValueError(
                f"outlet name {value!r} must be lower-case letters, digits and '_', starting with a letter "
                "(it becomes part of DAG ids and object keys)"
            )
        return value

    @field_validator("primary", "mirrors", "media_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> Any:
        if isinstance(value, str):
            hosts: list[object] = [value]
        elif isinstance(value, list | tuple):
            hosts = list(value)
        else:
            raise ValueError(f"must be a host name or an array of host names, not {toml_kind(value)}")
        for host in hosts:
            if not isinstance(host, str) or not _HOSTNAME.match(host):
                raise ValueError(
                    f"{shown(host)} is not a bare host name: write e.g. 'www.example.com' (no scheme, port or path)"
                )
        return value

    @field_validator("article_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except (re.error, OverflowError, RecursionError) as exc:  # a huge repeat count, deep nesting
            raise ValueError(f"is not a valid regular expression: {exc}") from None
        if "id" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<id>...) that captures the article's canonical id")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        """Exactly five fields (croniter also takes seconds and years, Airflow does not), and it must fire."""
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"{shown(value)} is not a five-field cron expression such as '0 */3 * * *'")
        try:
            croniter(value, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
        except ValueError:  # CroniterBadDateError: e.g. '0 0 31 2 *', no such day
            raise ValueError(f"{shown(value)} never fires (no such date); check the day and month fields") from None
        return value

    @field_validator("store")
    @classmethod
    def _store(cls, value: str) -> str:
        _text(value, "file://<dir> or s3://<bucket>[/<prefix>]")
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in ("file", "s3"):
            raise ValueError(f"{shown(value)} must start with file:// (a directory) or s3:// (bucket/prefix)")
        if value == f"{scheme}://":
            raise ValueError(f"{shown(value)} names no location: write e.g. file://data/store")
        if scheme == "s3":
            problem = bucket_problem(value.removeprefix("s3://").partition("/")[0])
            if problem:
                raise ValueError(f"{shown(value)}: {problem}; write s3://<bucket>[/<prefix>]")
        return value

    @field_validator("host_overrides")
    @classmethod
    def _overrides(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for host, address in value.items():
            try:
                ipaddress.IPv4Address(address)  # ASCII digits only, no leading zeros
            except ValueError:
                raise ValueError(
                    f"address {shown(address)} for {shown(host)} must be an IPv4 address such as '127.0.0.1'"
                ) from None
        return dict(value)

    @model_validator(mode="after")
    def _domains(self) -> Outlet:
        seen = set()
        for host in self.domains:
            if host in seen:
                raise ValueError(f"domain {host!r} is listed twice (primary and mirrors must be distinct)")
            seen.add(host)
        names = [channel.name for channel in self.alerts]
        if len(names) != len(set(names)):
            raise ValueError("alert channel names must be unique (they key the delivery bookkeeping)")
        for host in self.host_overrides:
            if host not in seen and host not in self.media_hosts:
                raise ValueError(f"host_overrides names {host!r}, which is not one of this outlet's domains")
        if self.s3 is not None and not self.store.startswith("s3://"):
            raise ValueError(
                f"an [outlets.{self.name}.s3] table is only for an s3:// store; this store is {self.store}"
            )
        return self

    @property
    def domains(self) -> tuple[str, ...]:
        """Primary first, then mirrors in config order: the failover order."""
        return (self.primary, *self.mirrors)

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Hosts the crawler may request: the outlet's domains, plus media hosts when allowed."""
        return self.domains + (self.media_hosts if self.fetch_media else ())

    def s3_settings(self, credentials: S3Credentials | None = None) -> S3Settings | None:
        """How to reach this outlet's ``s3://`` store (None for a ``file://`` one)."""
        if not self.store.startswith("s3://"):
            return None
        return (self.s3 or S3Options()).settings(credentials)

    @property
    def aws_conn_id(self) -> str | None:
        """The Airflow connection to take S3 credentials from: the configured one, else
        ``aws_default`` (used only if it exists); None for a ``file://`` store."""
        if not self.store.startswith("s3://"):
            return None
        return (self.s3.aws_conn_id if self.s3 else None) or "aws_default"

    @cached_property
    def article_regex(self) -> re.Pattern[str]:
        return re.compile(self.article_pattern)

    def base_url(self, host: str) -> str:
        """Origin for a domain of this outlet, e.g. ``https://www.presstv.ir``."""
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{host}{port}"

    @property
    def served_locally(self) -> bool:
        """Whether ``host_overrides`` point the outlet's names at this machine (the simulated outlet)."""
        return any(address.startswith("127.") or address == "::1" for address in self.host_overrides.values())

    def article_id(self, url: str) -> str | None:
        """The canonical article id of a URL on any of the outlet's domains, or None (for a string
        that does not parse as a URL too, such as ``http://[::1``: no article's)."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return None
        if host not in self.domains:
            return None
        match = self.article_regex.match(parts.path)
        return match.group("id") if match else None
