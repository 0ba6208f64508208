"""Load and validate ``outlets.toml`` into frozen models.

This package is the only reader of the config file. It validates everything once, at load,
so that a typo fails the DAG parse or the CLI with one message naming the file, the key and
the fix, instead of failing a crawl hours later. ``loader`` reads the file, ``outlet`` holds
one outlet's model, ``tables`` its sub-tables and the size and duration syntaxes; ``store``
opens an outlet's object store as its config says.
"""

from archive.config.loader import CONFIG_ENV, DEFAULT_CONFIG_NAME, Config, Settings, default_config_path, load_config
from archive.config.outlet import Outlet
from archive.config.store import store_for
from archive.config.tables import (
    AlertChannel,
    CrawlLimits,
    Politeness,
    Revisit,
    S3Options,
    Seeds,
    parse_duration,
    parse_size,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "AlertChannel",
    "Config",
    "CrawlLimits",
    "Outlet",
    "Politeness",
    "Revisit",
    "S3Options",
    "Seeds",
    "Settings",
    "default_config_path",
    "load_config",
    "parse_duration",
    "parse_size",
    "store_for",
]
