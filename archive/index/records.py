"""The index's rows as the stages hand them to each other: frozen dataclasses, so a typo in a
field is a type error, not a KeyError in the middle of a crawl batch.

The modules of archive/index/ read and write the tables; these are what they give back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Self


class _FromRow:
    """Built from a table row by field name; columns beyond the record's fields are left out."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(**{f.name: row[f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Capture(_FromRow):
    """One archived HTTP response, located by WARC object, offset and length."""

    record_id: str
    outlet: str
    url: str
    urlkey: str
    host: str
    fetched_at: str
    status: int | None
    mime: str | None
    payload_digest: str | None
    record_type: str
    warc: str
    offset: int
    length: int
    article_id: str | None
    ip_address: str | None

    @property
    def article(self) -> str:
        """The article id of a capture detect handles: its queue holds article captures only."""
        if self.article_id is None:
            raise ValueError(f"capture {self.record_id} of {self.url} belongs to no article")
        return self.article_id


@dataclass(frozen=True)
class HostState(_FromRow):
    """What one host last showed of an article, and since which capture it has shown it."""

    host: str
    state: str
    """``live``, ``gone`` or ``redirect``."""
    version: int | None
    """The version it shows (live), or showed last before it went or redirected."""
    record_id: str
    since: str | None = None
    since_record: str | None = None
    redirect_to: str | None = None


@dataclass(frozen=True)
class ArticleState(_FromRow):
    """What an article shows as a whole (its reference domain's view): live with its current
    version, gone, or redirected; an article never settled is live with no version."""

    outlet: str
    article_id: str
    state: str = "live"
    redirect_to: str | None = None
    record_id: str | None = None
    current_version: int | None = None
    current_since: str | None = None
    transition_record: str | None = None
    """The capture that made the current version current (an edit's, a revert's)."""
