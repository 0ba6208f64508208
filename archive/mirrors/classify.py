"""What a domain's answer means: serving the outlet, redirecting, seized, parked, error, unreachable.

Pure functions over what a probe saw, so every class can be tested on saved bytes. The
seizure and parking texts are the ones law-enforcement banners and registrar parking pages
actually use (presstv.com showed the first from 2021-06-22 on); they are matched on the
page's visible text, case-insensitively, never on markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlsplit

SERVING = "serving"
REDIRECT = "redirect"
SEIZED = "seized"
PARKED = "parked"
ERROR = "error"
UNREACHABLE = "unreachable"
STATES = (SERVING, REDIRECT, SEIZED, PARKED, ERROR, UNREACHABLE)
"""Every state a domain can be in; ``serving`` is the only healthy one."""

_SEIZURE = re.compile(
    r"(this domain (name )?has been seized"
    r"|has been seized by the united states"
    r"|seized by the (federal bureau of investigation|fbi|u\.?s\.? department of)"
    r"|seizure warrant issued pursuant to"
    r"|seized pursuant to a (seizure )?warrant)",
    re.IGNORECASE,
)
_PARKED = re.compile(
    r"(this domain (name )?(is|may be) for sale"
    r"|buy this domain"
    r"|domain (is )?parked"
    r"|parked (free|domain)"
    r"|make an offer on this domain"
    r"|the domain owner may be interested in selling"
    r"|sedoparking|hugedomains|dan\.com|afternic)",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Verdict:
    """A domain's state and why; ``redirect_to`` is the host a cross-host redirect points at."""

    state: str
    detail: str
    redirect_to: str | None = None


def visible_text(html: str) -> str:
    """The page's words without tags, scripts or styles: what a banner says to a person."""
    return _SPACE.sub(" ", unescape(_TAGS.sub(" ", html))).strip()


def classify_answer(
    host: str,
    status: int,
    body: str,
    *,
    location: str | None,
    article_links: int,
) -> Verdict:
    """Classify the last answer of a probe (same-host redirects already followed).

    ``article_links`` counts the links on the page that match the outlet's article pattern:
    a page that links to articles is the outlet's own; a 200 that does not is not serving it.
    """
    if location is not None and 300 <= status < 400:
        target = (urlsplit(location).hostname or "").lower()
        if target and target != host:
            return Verdict(REDIRECT, f"HTTP {status} to {location}", redirect_to=target)
        return Verdict(ERROR, f"HTTP {status} redirect loop or redirect without a new host: {location}")
    text = visible_text(body)
    if _SEIZURE.search(text):
        return Verdict(SEIZED, f"HTTP {status} with a seizure notice: {_quote(text, _SEIZURE)}")
    if _PARKED.search(text):
        return Verdict(PARKED, f"HTTP {status}, a parked or for-sale page: {_quote(text, _PARKED)}")
    if status >= 400:
        return Verdict(ERROR, f"HTTP {status}")
    if status == 200 and article_links > 0:
        return Verdict(SERVING, f"HTTP 200 with {article_links} article link(s)")
    return Verdict(ERROR, f"HTTP {status} but no link to any article: not the outlet's pages")


def classify_failure(kind: str, message: str) -> Verdict:
    """DNS, connection, TLS and timeout failures all mean the domain cannot be used."""
    return Verdict(UNREACHABLE, f"{kind}: {message}")


def _quote(text: str, pattern: re.Pattern[str]) -> str:
    """About a sentence around the match, for the operator's table."""
    match = pattern.search(text)
    if match is None:
        return ""
    start, end = max(0, match.start() - 40), min(len(text), match.end() + 160)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
