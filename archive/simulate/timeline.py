"""Scripted events for the simulated outlet, loaded from TOML and validated up front.

A timeline is a list of steps; each step is a list of events that the outlet applies
together (atomically) when told to :meth:`~archive.simulate.server.SimulatedOutlet.advance`.
Tests and the demo describe "what the outlet does between two crawls" this way::

    [[step]]
    events = [
      { kind = "edit_headline", article = 777077, text = "New headline", declared = false },
      { kind = "retract", article = "sample", status = 410 },
      { kind = "take_down", host = "presstv.tv" },
    ]

Every mistake is reported at load time as a :class:`TimelineError` naming the file, the
step and event number, the key, and what to write instead; only what depends on the running
outlet (does article 777077 exist yet? is the host served?) is checked when applied.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.errors import EdittrailError
from archive.simulate.corpus import SECTIONS

ARTICLE_NAMES = ("sample", "newest")
"""Symbolic article references: the seeded sample article and the latest published one."""


class TimelineError(EdittrailError):
    """A timeline file or step list is invalid, or one of its events cannot be applied."""


@dataclass(frozen=True)
class Event:
    """One validated event: ``kind`` is the outlet method to call with ``params``.

    Article references in ``params`` (``id``, ``to_id``) may still be ``"sample"`` or
    ``"newest"``; the outlet resolves them when it applies the event. ``where`` says which
    file, step and event this came from, for error messages.
    """

    kind: str
    params: Mapping[str, Any]
    where: str


Check = Callable[[Any], str | None]
"""Returns ``None`` when the value is acceptable, else what to write instead."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _article(v: Any) -> str | None:
    if (_is_int(v) and v > 0) or v in ARTICLE_NAMES:
        return None
    return 'must be an article id (a positive integer), "sample" or "newest"'


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "must be a non-empty string"


def _string(v: Any) -> str | None:
    return None if isinstance(v, str) else 'must be a string ("" for none)'


def _flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _path(v: Any) -> str | None:
    if isinstance(v, str) and v.startswith("/"):
        return None
    return 'must be a path starting with "/" (end it with * for a prefix)'


def _moment(v: Any) -> str | None:
    if isinstance(v, datetime) and v.tzinfo is not None:
        return None
    return "must be a date-time with a UTC offset, e.g. 2026-11-19T08:20:00Z"


def _paragraphs(v: Any) -> str | None:
    if isinstance(v, list) and v and all(isinstance(p, str) for p in v):
        return None
    return 'must be a non-empty list of strings, e.g. ["First paragraph.", "Second."]'


def _replace(v: Any) -> str | None:
    if (
        isinstance(v, Mapping)
        and v
        and all((_is_int(k) or (isinstance(k, str) and k.isdigit())) and isinstance(t, str) for k, t in v.items())
    ):
        return None
    return 'must be a table of paragraph index to text, e.g. { 0 = "New first paragraph." }'


def _int_in(low: int, high: int) -> Check:
    def check(v: Any) -> str | None:
        return None if _is_int(v) and low <= v <= high else f"must be an integer from {low} to {high}"

    return check


def _one_of(*allowed: int) -> Check:
    def check(v: Any) -> str | None:
        return None if _is_int(v) and v in allowed else f"must be one of {', '.join(map(str, allowed))}"

    return check


def _seconds(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
    return None if ok else "must be a number of seconds >= 0, e.g. 2.5"


def _section(v: Any) -> str | None:
    return None if _is_int(v) and v in SECTIONS else f"must be a section id: {', '.join(map(str, SECTIONS))}"


@dataclass(frozen=True)
class _Key:
    name: str
    check: Check
    required: bool = False
    param: str | None = None


_ARTICLE = _Key("article", _article, True, "id")
_DECLARED = _Key("declared", _flag)
_HOST = _Key("host", _text, True)
_SCOPE = (_Key("host", _text), _Key("path", _path))

SCHEMA: dict[str, tuple[_Key, ...]] = {
    "publish": (_Key("headline", _text), _Key("section", _section)),
    "edit_headline": (_ARTICLE, _Key("text", _text, True), _DECLARED),
    "edit_body": (_ARTICLE, _Key("paragraphs", _paragraphs), _Key("replace", _replace), _DECLARED),
    "edit_lead": (_ARTICLE, _Key("text", _text, True), _DECLARED),
    "rewrite_first_paragraph": (_ARTICLE, _Key("text", _text, True), _DECLARED),
    "edit_byline": (_ARTICLE, _Key("text", _string, True), _DECLARED),
    "edit_caption": (_ARTICLE, _Key("index", _int_in(0, 99), True), _Key("text", _text, True), _DECLARED),
    "edit_date": (_ARTICLE, _Key("published", _moment, True)),
    "move_section": (_ARTICLE, _Key("section", _section, True), _DECLARED),
    "replace_photo": (
        _ARTICLE,
        _Key("index", _int_in(0, 99), True),
        _Key("url", _text, True),
        _DECLARED,
        _Key("caption", _text),
    ),
    "declare_update": (_ARTICLE, _Key("when", _moment)),
    "retract": (_ARTICLE, _Key("status", _one_of(404, 410))),
    "redirect": (_ARTICLE, _Key("to", _article, True, "to_id"), _Key("status", _one_of(301, 302, 303, 307, 308))),
    "restore": (_ARTICLE,),
    "diverge": (_HOST, _ARTICLE, _Key("headline", _text), _Key("paragraphs", _paragraphs)),
    "converge": (_HOST, _ARTICLE),
    "take_down": (_HOST,),
    "bring_up": (_HOST,),
    "seize": (_HOST,),
    "park": (_HOST,),
    "redirect_host": (_HOST, _Key("to", _text, True), _Key("status", _one_of(301, 302, 303, 307, 308))),
    "announce_mirror": (_HOST,),
    "slow": (_Key("delay", _seconds, True), *_SCOPE),
    "fail": (_Key("status", _int_in(500, 599)), *_SCOPE, _Key("times", _int_in(1, 1_000_000))),
    "malformed": (_ARTICLE,),
    "oversized": (_ARTICLE, _Key("size", _int_in(1, 2**31))),
    "set_encoding": (_Key("gzip", _flag), _Key("chunked", _flag), *_SCOPE),
}
"""Each event kind (the outlet method of that name) and the keys it takes."""


def _event(raw: Any, where: str) -> Event:
    if not isinstance(raw, Mapping):
        raise TimelineError(f'{where}: an event must be a table like {{ kind = "retract", article = 777077 }}')
    kind = raw.get("kind")
    if kind not in SCHEMA:
        what = "has no 'kind'" if kind is None else f"has unknown kind {kind!r}"
        raise TimelineError(f"{where}: event {what}; use one of: {', '.join(SCHEMA)}")
    where = f"{where} ({kind})"
    keys = {k.name: k for k in SCHEMA[kind]}
    for name in raw:
        if name != "kind" and name not in keys:
            raise TimelineError(f"{where}: unknown key {name!r}; {kind} takes {', '.join(keys) or 'no other keys'}")
    params: dict[str, Any] = {}
    for key in keys.values():
        if key.name not in raw:
            if key.required:
                raise TimelineError(f"{where}: key {key.name!r} is missing; add {key.name} = ...")
            continue
        problem = key.check(raw[key.name])
        if problem:
            raise TimelineError(f"{where}: key {key.name!r} {problem} (got {raw[key.name]!r})")
        value = raw[key.name]
        if key.name == "replace":
            value = {int(k): t for k, t in value.items()}
        params[key.param or key.name] = value
    if kind == "edit_body" and "paragraphs" not in params and "replace" not in params:
        raise TimelineError(
            f"{where}: edit_body needs 'paragraphs' (all of them) or 'replace' "
            '(by index, e.g. replace = { 0 = "New text." })'
        )
    return Event(kind, params, where)


@dataclass(frozen=True)
class Timeline:
    """Validated steps of events, in order; ``source`` names where they came from."""

    steps: tuple[tuple[Event, ...], ...]
    source: str = "<steps>"

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def from_steps(cls, steps: Sequence[Sequence[Mapping[str, Any]]], source: str = "<steps>") -> Timeline:
        """Build from Python lists (each step a list of event dicts), validating like a file."""
        if isinstance(steps, str | bytes) or not isinstance(steps, Sequence):
            raise TimelineError(f"{source}: steps must be a list of lists of events")
        built = []
        for number, step in enumerate(steps, 1):
            if isinstance(step, str | bytes | Mapping) or not isinstance(step, Sequence):
                raise TimelineError(f"{source}: step {number}: must be a list of events")
            built.append(
                tuple(_event(raw, f"{source}: step {number}, event {index}") for index, raw in enumerate(step, 1))
            )
        return cls(tuple(built), source)

    @classmethod
    def parse(cls, text: str, source: str = "<string>") -> Timeline:
        """Parse TOML text with ``[[step]]`` tables, each holding ``events = [...]``."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TimelineError(f"{source}: not valid TOML ({exc}); fix the syntax there") from None
        for key in data:
            if key != "step":
                raise TimelineError(f"{source}: unknown top-level key {key!r}; a timeline holds only [[step]] tables")
        raw_steps = data.get("step")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise TimelineError(f"{source}: no steps; add a [[step]] table with events = [ ... ]")
        steps = []
        for number, step in enumerate(raw_steps, 1):
            if not isinstance(step, dict):
                raise TimelineError(f"{source}: step {number}: write steps as [[step]] tables")
            for key in step:
                if key not in ("events", "name"):
                    raise TimelineError(
                        f"{source}: step {number}: unknown key {key!r}; a step has "
                        "events = [ ... ] and an optional name"
                    )
            if "events" not in step:
                raise TimelineError(
                    f"{source}: step {number}: key 'events' is missing; add "
                    "events = [ ... ] (an empty list for a step where nothing happens)"
                )
            if not isinstance(step["events"], list):
                raise TimelineError(f"{source}: step {number}: key 'events' must be a list of tables")
            if "name" in step and not isinstance(step["name"], str):
                raise TimelineError(f"{source}: step {number}: key 'name' must be a string")
            steps.append(step["events"])
        return cls.from_steps(steps, source)

    @classmethod
    def load(cls, path: str | Path) -> Timeline:
        """Read and validate a timeline file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TimelineError(f"{path}: no such timeline file; check the path") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TimelineError(f"{path}: cannot read the timeline ({exc})") from None
        return cls.parse(text, str(path))

    def hosts(self) -> list[tuple[str, str]]:
        """``(where, host)`` for every served host an event names, to check against an outlet
        (``announce_mirror`` names a host the outlet does not serve, on purpose)."""
        return [
            (e.where, e.params["host"])
            for step in self.steps
            for e in step
            if "host" in e.params and e.kind != "announce_mirror"
        ]
