"""One outlet's config: its domains, how to find its articles, where its WARCs go."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    parse_duration,
)
from archive.storage.s3_settings import S3Credentials, S3Settings, bucket_problem

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_OUTLET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Outlet(_Frozen):
    """One news outlet: its domains, how to find its articles, where its WARCs go."""

    name: str
    title: str = ""
    primary: str
    mirrors: tuple[str, ...] = ()
    media_hosts: tuple[str, ...] = ()
    fetch_media: bool = False
    scheme: Literal["http", "https"] = "https"
    port: int | None = Field(default=None, ge=1, le=65535)
    article_pattern: str
    schedule: str = "0 */3 * * *"
    store: str
    extractor: str = "generic"
    host_overrides: Mapping[str, str] = Field(default_factory=dict)
    seeds: Seeds = Seeds()
    politeness: Politeness = Politeness()
    crawl: CrawlLimits = CrawlLimits()
    revisit: Revisit = Revisit()
    alerts: tuple[AlertChannel, ...] = ()
    s3: S3Options | None = None
    divergence_window: int = 6 * 3600
    """Seconds a domain may show another version of an article than its current one (lagging behind
    an edit, or a copy of its own) before that is one ``mirror_divergence``; the disagreement must
    also have been seen in an earlier crawl, so an edit that falls in the middle of a crawl is none."""

    @field_validator("divergence_window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> int:
        seconds = parse_duration(value)
        if seconds < 1:
            raise ValueError("must be at least 1s, e.g. '6h'")
        return seconds

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
    def _hosts(cls, value: Any) -> Any:
        hosts = [value] if isinstance(value, str) else value
        for host in hosts:
            if not isinstance(host, str) or not _HOSTNAME.match(host):
                raise ValueError(
                    f"{host!r} is not a bare host name: write e.g. 'www.example.com' (no scheme, port or path)"
                )
        return value

    @field_validator("article_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression: {exc}") from None
        if "id" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<id>...) that captures the article's canonical id")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if value.startswith("@") or not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field cron expression such as '0 */3 * * *'")
        return value

    @field_validator("store")
    @classmethod
    def _store(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in ("file", "s3"):
            raise ValueError(f"{value!r} must start with file:// (a directory) or s3:// (bucket/prefix)")
        if value == f"{scheme}://":
            raise ValueError(f"{value!r} names no location: write e.g. file://data/store")
        if scheme == "s3":
            problem = bucket_problem(value.removeprefix("s3://").partition("/")[0])
            if problem:
                raise ValueError(f"{value!r}: {problem}; write s3://<bucket>[/<prefix>]")
        return value

    @field_validator("host_overrides")
    @classmethod
    def _overrides(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for host, address in value.items():
            parts = address.split(".")
            if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
                raise ValueError(f"address {address!r} for {host!r} must be an IPv4 address such as '127.0.0.1'")
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

    def article_id(self, url: str) -> str | None:
        """The canonical article id of a URL on any of the outlet's domains, or None."""
        parts = urlsplit(url)
        if (parts.hostname or "") not in self.domains:
            return None
        match = self.article_regex.match(parts.path)
        return match.group("id") if match else None
