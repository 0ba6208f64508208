"""Load and validate ``outlets.toml`` into frozen models.

This is the only module that reads the config file. It validates everything once, at load,
so that a typo fails the DAG parse or the CLI with one message naming the file, the key and
the fix, instead of failing a crawl hours later.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from croniter import croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from archive.errors import ConfigError
from archive.storage.s3_settings import (
    MAX_PART_SIZE,
    MIN_PART_SIZE,
    MiB,
    S3Credentials,
    S3Settings,
    bucket_problem,
)

CONFIG_ENV = "EDITTRAIL_CONFIG"
DEFAULT_CONFIG_NAME = "outlets.toml"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_OUTLET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
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
    """Seconds within which two domains' copies of an article are compared (mirror divergence)."""

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


class Settings(_Frozen):
    """Installation-wide settings: where data lives."""

    data_dir: Path = Path("data")
    index: Path | None = None


class Config(_Frozen):
    """The whole validated file."""

    path: Path
    settings: Settings = Settings()
    outlets: Mapping[str, Outlet]
    digest: str

    @property
    def root(self) -> Path:
        """Relative paths in the config are relative to the file's own directory."""
        return self.path.parent

    @property
    def data_dir(self) -> Path:
        return (self.root / self.settings.data_dir).resolve()

    @property
    def index_path(self) -> Path:
        return (self.root / self.settings.index).resolve() if self.settings.index else self.data_dir / "index.sqlite"

    def spool_dir(self, outlet: str) -> Path:
        return self.data_dir / "spool" / outlet

    def runs_dir(self, outlet: str) -> Path:
        return self.data_dir / "runs" / outlet

    def feed_path(self, outlet: str) -> Path:
        return self.data_dir / "feeds" / f"{outlet}.atom"

    @property
    def alerts_db(self) -> Path:
        """Delivery bookkeeping lives apart from the index: it is not derived from the WARCs."""
        return self.data_dir / "alerts.sqlite"

    def outlet(self, name: str) -> Outlet:
        try:
            return self.outlets[name]
        except KeyError:
            known = ", ".join(sorted(self.outlets)) or "none"
            raise ConfigError(f"{self.path}: no outlet named {name!r} (known: {known})") from None


def default_config_path(fallback: Path | None = None) -> Path:
    """``$EDITTRAIL_CONFIG`` if set, else ``fallback``, else ``outlets.toml`` in the current directory."""
    return Path(os.environ.get(CONFIG_ENV) or fallback or DEFAULT_CONFIG_NAME)


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the config file; raise ConfigError naming file, key and fix."""
    path = Path(path) if path is not None else default_config_path()
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; create it (see README, 'Configuration') or set {CONFIG_ENV}"
        ) from None
    try:
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the syntax at that line") from None
    return _validate(path.resolve(), raw, hashlib.sha256(raw_bytes).hexdigest())


def _validate(path: Path, raw: dict[str, Any], digest: str) -> Config:
    unknown = set(raw) - {"settings", "outlets"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown top-level key {sorted(unknown)[0]!r}; the file has [settings] and [outlets.NAME] tables"
        )
    outlets_raw = raw.get("outlets")
    if not isinstance(outlets_raw, dict) or not outlets_raw:
        raise ConfigError(f"{path}: no [outlets.NAME] table; add at least one outlet (see README, 'Configuration')")
    outlets = {}
    for name, body in outlets_raw.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: outlets.{name} must be a table ([outlets.{name}])")
        try:
            outlets[name] = Outlet.model_validate({"name": name, **body})
        except ValidationError as exc:
            raise ConfigError(_describe(path, f"outlets.{name}", exc)) from None
    try:
        settings = Settings.model_validate(raw.get("settings", {}))
    except ValidationError as exc:
        raise ConfigError(_describe(path, "settings", exc)) from None
    return Config(path=path, settings=settings, outlets=outlets, digest=digest)


def _describe(path: Path, prefix: str, exc: ValidationError) -> str:
    """Turn pydantic's report into 'file: key: problem; fix' lines, first error first."""
    lines = []
    for error in exc.errors():
        key = ".".join([prefix, *(str(part) for part in error["loc"])])
        kind = error["type"]
        message = error["msg"].removeprefix("Value error, ")
        if kind == "missing":
            message = "is required but missing; add it"
        elif kind == "extra_forbidden":
            message = "is not a known key; check its spelling against the README's config table"
        lines.append(f"{path}: {key}: {message}")
    return "\n".join(lines)
