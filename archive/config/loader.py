"""Reading ``outlets.toml``: the whole file's model, and the one function that loads it.

Everything is validated once, here, so that a typo fails the DAG parse or the CLI with one
message naming the file, the key and the fix, instead of failing a crawl hours later.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from archive.config.outlet import Outlet
from archive.config.tables import _Frozen, shown, toml_kind
from archive.errors import ConfigError

CONFIG_ENV = "EDITTRAIL_CONFIG"
DEFAULT_CONFIG_NAME = "outlets.toml"
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few kB; anything past 1MiB is the wrong file (or ``/dev/zero``)."""

_FIX_BY_TYPE = {
    "int_type": "write a whole number without quotes, e.g. 3",
    "float_type": "write a number without quotes, e.g. 1.5",
    "bool_type": "write true or false, without quotes",
    "string_type": "write a quoted string",
    "tuple_type": 'write an array, e.g. ["a", "b"]',
    "model_type": "write a table",
    "dict_type": "write a table",
    "mapping_type": "write a table",
    "path_type": "write a quoted path",
}


class Settings(_Frozen):
    """Installation-wide settings: where data lives."""

    data_dir: Path = Field(default=Path("data"), strict=False)
    index: Path | None = Field(default=None, strict=False)

    @field_validator("data_dir", "index")
    @classmethod
    def _path(cls, value: Path | None) -> Path | None:
        if value is not None and ("\x00" in str(value) or not str(value).strip()):
            raise ValueError(f"{shown(str(value))} is not a usable path; write e.g. 'data'")
        return value


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
    raw_bytes = _read(path)
    try:
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the syntax at that line") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply; flatten them") from None
    return _validate(path.resolve(), raw, hashlib.sha256(raw_bytes).hexdigest())


def _read(path: Path) -> bytes:
    """The file's bytes; any reason it cannot be read is the user's to fix, so it is a ConfigError."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; create it (see README, 'Configuration') or set {CONFIG_ENV}"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file; give the outlets.toml file itself") from None
    except PermissionError:
        raise ConfigError(f"{path}: no permission to read the config file; fix its permissions") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ConfigError(f"{path}: cannot read the config file ({exc}); give a readable outlets.toml") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than 1MiB, so not a config file; give the outlets.toml file")
    return data


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
            raise ConfigError(f"{path}: outlets.{_key(name)} must be a table ([outlets.{_key(name)}])")
        try:
            outlets[name] = Outlet.model_validate({"name": name, **body})
        except ValidationError as exc:
            raise ConfigError(_describe(path, f"outlets.{_key(name)}", exc)) from None
    try:
        settings = Settings.model_validate(raw.get("settings", {}))
    except ValidationError as exc:
        raise ConfigError(_describe(path, "settings", exc)) from None
    return Config(path=path, settings=settings, outlets=outlets, digest=digest)


def _key(part: str | int) -> str:
    """A key as TOML writes it: bare when it can be, else quoted (so a message stays one line)."""
    text = str(part)
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else shown(text)


def _describe(path: Path, prefix: str, exc: ValidationError) -> str:
    """Turn pydantic's report into 'file: key: problem; fix' lines, first error first."""
    lines = []
    for error in exc.errors():
        key = ".".join([prefix, *(_key(part) for part in error["loc"])])
        kind = error["type"]
        message = error["msg"].removeprefix("Value error, ")
        if kind == "missing":
            message = "is required but missing; add it"
        elif kind == "extra_forbidden":
            message = "is not a known key; check its spelling against the README's config table"
        elif kind in _FIX_BY_TYPE:
            given = error.get("input")
            message = f"{message}, not {toml_kind(given)} {shown(given)}; {_FIX_BY_TYPE[kind]}"
        lines.append(f"{path}: {key}: {message}")
    return "\n".join(lines)
