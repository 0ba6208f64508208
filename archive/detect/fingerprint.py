"""The content fingerprint that decides what is a new version.

Each field of :data:`archive.detect.normalize.FIELDS` is hashed on its own, as the outlet's noise
model (:mod:`archive.detect.noise`) compares it, so that the detect stage can tell which fields
changed; ``whole`` hashes the field hashes in a fixed order. The hashes are a pure function
of the extraction and the model: the same stored record always gives the same fingerprint.
It sits above :mod:`archive.detect.normalize` and :mod:`archive.detect.noise`, which do not import it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from archive.detect.noise import EMPTY, NoiseModel
from archive.detect.normalize import FIELDS, Content, hashable_fields, lead_paragraph
from archive.moments import parse_iso


@dataclass(frozen=True)
class Fingerprint:
    """SHA-256 hex digests of the normalized fields of one extraction, and of them all."""

    fields: Mapping[str, str]
    whole: str

    def __hash__(self) -> int:
        """``whole`` stands for the field hashes, so fingerprints can go in sets and dict keys."""
        return hash(self.whole)

    def changed(self, other: Fingerprint) -> tuple[str, ...]:
        """The fields whose hash differs from ``other``'s, in :data:`FIELDS` order."""
        return tuple(name for name in FIELDS if self.fields.get(name) != other.fields.get(name))


def fingerprint(content: Content, model: NoiseModel | None = None) -> Fingerprint:
    """Hash each field of :data:`FIELDS` as the noise model compares it, then the field hashes together.

    Sequences (paragraphs, captions, image URLs) are hashed as their compared items joined
    by newlines: a normalized item never contains a newline, so the join is unambiguous.
    ``published`` is hashed as ISO 8601 UTC; a missing date as "". ``content`` is an
    extraction or a stored version (anything with those fields): stored versions are
    fingerprinted again under today's model whenever they are compared.
    """
    model = model or EMPTY
    return model.remembered(("fingerprint", *_hashed_fields(content)), lambda: _fingerprint(content, model))


def _hashed_fields(content: Content) -> tuple[Any, ...]:
    """Everything :func:`fingerprint` reads of ``content``, hashable: two contents alike in these
    have one fingerprint (an unedited page's copies, a version compared again)."""
    return hashable_fields(_READ, content)


_READ = attrgetter(*FIELDS, "section_ids")


def _fingerprint(content: Content, model: NoiseModel) -> Fingerprint:
    texts = {name: "\n".join(model.items(name, _items(content, name))) for name in FIELDS if name != "published"}
    texts["section"] += "\n" + ",".join(content.section_ids)
    texts["published"] = _published(content.published)
    leads = model.items("lead", content.lead.split("\n"))  # a page may carry several descriptions
    paragraph = lead_paragraph(leads[0], model.items("body", content.body)) if len(leads) == 1 else None
    if paragraph is not None:
        texts["lead"] = f"<the start of paragraph {paragraph + 1}>"
    fields = {name: _sha256(texts[name]) for name in FIELDS}
    whole = _sha256("".join(f"{name}={fields[name]}\n" for name in FIELDS))
    return Fingerprint(fields=fields, whole=whole)


def _items(content: Content, name: str) -> list[str]:
    value = getattr(content, name)
    if name == "lead":
        return str(value).split("\n")
    return [value] if isinstance(value, str) else list(value)


def _published(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else parse_iso(value)
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else moment.isoformat()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
