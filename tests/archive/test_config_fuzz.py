"""Any outlets.toml either loads into values every stage can use, or fails with a ConfigError
whose every line names the file and the key: never another exception (a traceback is a bug).

The documents are the shipped outlets.toml with every key the models know filled in, then
mutated: each key gets values of every TOML type (garbage and huge strings, zero, negative
and huge integers, nan and inf, booleans, arrays, tables, dates), keys are dropped or added,
and the raw bytes are cut and overwritten.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.config import load_config
from archive.errors import ConfigError
from archive.plan.revisit import last_due_moment

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "outlets.toml").read_text()

Path_ = tuple[str | int, ...]


def toml_value(value: Any) -> str:
    """``value`` as a TOML value (inline tables and arrays: the whole document fits on few lines)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return '"' + "".join(_escaped(c) for c in value) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(value)


def _escaped(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    return f"\\u{ord(char):04x}" if ord(char) < 0x20 or ord(char) == 0x7F else char


def toml_document(doc: dict[str, Any]) -> str:
    return "".join(f"{toml_value(key)} = {toml_value(value)}\n" for key, value in doc.items())


def full_document() -> dict[str, Any]:
    """The shipped file with every key of every model set (defaults where the file has none), and
    the demo outlet on an s3:// store, so that the [s3] keys are in play too."""
    doc = tomllib.loads(SHIPPED)
    config = load_config(ROOT / "outlets.toml")
    for name, outlet in config.outlets.items():
        dumped = outlet.model_dump(mode="json", exclude={"name", "s3"})
        doc["outlets"][name] = _without_none(dumped)
    doc["outlets"]["demo"]["store"] = "s3://edittrail-test/warcs"
    doc["outlets"]["demo"]["alerts"] = [{"name": "a", "url": "json://127.0.0.1/", "kinds": ["headline"]}]
    from archive.config import S3Options

    s3 = _without_none(S3Options().model_dump(mode="json"))
    doc["outlets"]["demo"]["s3"] = s3 | {"endpoint_url": "http://127.0.0.1:9000", "region": "eu-west-1"}
    doc["settings"] = {"data_dir": "data", "index": "data/index.sqlite"}
    return doc


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


FULL = full_document()


def key_paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key and array element of the document, tables first then what is in them."""
    paths: list[Path_] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += key_paths(item, (*prefix, index))
    return paths


PATHS = key_paths(FULL)
KEYS = [
    p for p in PATHS if p[:2] != ("outlets", "presstv") and all(part in (0, "0") for part in p if isinstance(part, int))
]
"""One path per key of the models: the demo outlet's (it has every table), first array elements."""

HOSTILE: list[Any] = [
    # strings: empty, blank, garbage, numbers in quotes, huge, non-ASCII digits, control characters
    "",
    " ",
    "x",
    "0",
    "-1",
    "0.1",
    "1.5",
    "nan",
    "inf",
    "1e400",
    "0MB",
    "0s",
    "99999999999999999999999",
    "9" * 400,
    "99999999999999999999999d",
    "١٢٧.0.0.1",
    "𝟗𝟗",
    "\x00",
    "a\nb",
    "\x7f",
    "../../../../etc/passwd",
    "@daily",
    "0 0 * * * 0",
    "0 0 31 2 *",
    "http://[::1",
    "http://x:99999",
    "s3://",
    "file://",
    "file://\x00",
    "(" * 300,
    "(?P<id>a{99999999999})",
    "x" * 5000,
    "true",
    # integers: zero, negative, the 32- and 64-bit edges, beyond
    0,
    -1,
    1,
    2**31,
    2**63 - 1,
    2**63,
    10**23,
    -(10**23),
    # floats
    0.0,
    -0.0,
    1.5,
    -1.5,
    1e308,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
    # booleans
    True,
    False,
    # arrays and tables
    [],
    [1],
    ["x"],
    [1.5],
    [[]],
    [{}],
    [True],
    ["/a", 5],
    ["1s", 10**23],
    {},
    {"a": 1},
    {"x": {"y": []}},
    # dates and times
    datetime(1979, 5, 27, 7, 32, tzinfo=UTC),
    datetime(1979, 5, 27, 7, 32),  # noqa: DTZ001 - a TOML local date-time
    date(1979, 5, 27),
    time(7, 32),
]


def with_value(doc: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(doc)
    *parents, last = path
    target: Any = mutated
    for part in parents:
        target = target[part]
    target[last] = value
    return mutated


def without(doc: dict[str, Any], path: Path_) -> dict[str, Any]:
    mutated = copy.deepcopy(doc)
    *parents, last = path
    target: Any = mutated
    for part in parents:
        target = target[part]
    del target[last]
    return mutated


def check(path: Path, text: str | bytes) -> None:
    """Load ``text``; it must be usable, or refused with every line naming the file and a key."""
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    try:
        config = load_config(path)
    except ConfigError as exc:
        lines = str(exc).splitlines()
        assert lines, "an empty error message"
        for line in lines:
            assert line.startswith(f"{path}: "), line
        return
    use(config)


def use(config: Any) -> None:
    """What the stages derive from a config: none of it may fail on a value that was accepted."""
    assert config.data_dir and config.index_path
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for outlet in config.outlets.values():
        outlet.s3_settings()
        assert outlet.article_regex.groupindex["id"]
        outlet.base_url(outlet.primary)
        last_due_moment(now - timedelta(days=3650), now, outlet.revisit)
        timedelta(seconds=outlet.divergence_window)
        assert outlet.crawl.max_page_size > 0 and outlet.crawl.warc_max_size > 0
        for address in outlet.host_overrides.values():
            assert re.fullmatch(r"[0-9.]+", address)


def test_the_full_document_loads(tmp_path):
    """The fuzzing starts from a document that loads, so every refusal below is the mutation's."""
    check(tmp_path / "outlets.toml", toml_document(FULL))
    assert load_config(tmp_path / "outlets.toml").outlet("demo").s3 is not None


@pytest.mark.parametrize("path", KEYS, ids=lambda p: ".".join(map(str, p)))
def test_every_key_with_every_kind_of_value_loads_or_names_file_and_key(tmp_path, path):
    target = tmp_path.resolve() / "outlets.toml"
    doc = copy.deepcopy(FULL)
    *parents, last = path
    table: Any = doc
    for part in parents:
        table = table[part]
    for value in HOSTILE:
        table[last] = value
        check(target, toml_document(doc))
    check(target, toml_document(without(FULL, path)))


def toml_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
        st.sampled_from([s for s in HOSTILE if isinstance(s, str)]),
        st.from_regex(r"\s*-?\d{1,30}(\.\d{1,5})?\s*([kmgtKMGT]i?[bB]?|[smhdw])?\s*", fullmatch=True),
        st.integers(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(),
        st.booleans(),
        st.datetimes(timezones=st.just(UTC)),
        st.dates(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), toml_values(), st.booleans()), min_size=1, max_size=3))
def test_mutated_documents_load_or_name_file_and_key(tmp_path, mutations):
    doc = FULL
    for path, value, delete in mutations:
        try:
            doc = without(doc, path) if delete else with_value(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced the table this path goes through
    check(tmp_path.resolve() / "outlets.toml", toml_document(doc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cut_and_overwritten_bytes_load_or_name_the_file(tmp_path, data):
    raw = SHIPPED.encode()
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, min(len(raw), start + 200)))
    patch = data.draw(st.binary(max_size=20) | st.sampled_from([b"", b"=", b"[", b"]]", b'"', b"\xff", b"\x00"]))
    check(tmp_path.resolve() / "outlets.toml", raw[:start] + patch + raw[end:])


@pytest.mark.parametrize("depth", [10, 400, 5000])
def test_deeply_nested_arrays_are_a_config_error(tmp_path, depth):
    check(tmp_path.resolve() / "outlets.toml", SHIPPED + "\n[settings2]\nx = " + "[" * depth + "]" * depth + "\n")
