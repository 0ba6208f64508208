"""What an alert says about a change: the same title and body go to every channel and into the feed."""

from __future__ import annotations

from typing import Any

from archive.index import StoredChange

DIFF_CHARS_IN_ALERT = 800


def render_message(change: StoredChange, article: dict[str, Any]) -> tuple[str, str]:
    """Title and body: the article, the change kind, declared or silent, capture times, a short diff."""
    flag = "declared" if change.declared else "silent"
    title = f"[{change.outlet}] {change.kind} ({flag}): {article['headline'] or article['url']}"[:250]
    times = f"captured {change.from_time} → {change.to_time}" if change.from_time else (f"captured {change.to_time}")
    diff = (change.diff_text or "").strip()
    if len(diff) > DIFF_CHARS_IN_ALERT:
        diff = diff[:DIFF_CHARS_IN_ALERT].rstrip() + " …"
    lines = [
        f"{change.summary}",
        f"Article {change.article_id}: {article['url']}",
        f"Host: {change.host}; {times}",
    ]
    if diff:
        lines += ["", diff]
    return title, "\n".join(lines)
