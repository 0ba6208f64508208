"""Reading ``outlets.toml``: the whole file's model, and the one function that loads it.

Everything is validated once, here, so that a typo fails the DAG parse or the CLI with one
message naming the file, the key and the fix, instead of failing a crawl hours later.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archive.config.outlet import Outlet
from archive.config.tables import _Frozen
from archive.errors import ConfigError

CONFIG_ENV = "EDITTRAIL_CONFIG"
DEFAULT_CONFIG_NAME = "outlets.toml"


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
