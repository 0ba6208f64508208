"""``edittrail versions``, ``diff`` and ``changes``, and the one reading of an article argument.

Every command that takes an article takes it in any of the forms a researcher has at hand: a
URL on any of the outlet's domains (any slug, scheme optional), ``OUTLET/ID`` as ``changes``
prints it, or a bare id (within ``--outlet``, or the outlets that have it). A reference that
names no archived article is a usage error that says each reading tried.

The index, the config and the diff are imported inside the commands: ``edittrail --help``
loads none of them.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

import click
from click.core import ParameterSource

from archive.cli.context import URL, Context, fail_cleanly, pass_context
from archive.errors import ConfigError
from archive.kinds import CHANGE_KINDS, CONTENT_KINDS

if TYPE_CHECKING:
    from archive.config import Config
    from archive.index import Index, StoredChange
    from archive.read.change_rows import ChangeRow

MAX_LIMIT = 1_000_000
"""The most rows a listing prints (SQLite's LIMIT takes at most 2**63 - 1)."""
FORMATS = ("text", "json", "csv", "jsonl")
ARTICLE_HELP = "ARTICLE: a URL on any of the outlet's domains, OUTLET/ID (as `changes` prints it) or an id."


@dataclass(frozen=True)
class ArticleRef:
    """An archived article an argument named."""

    outlet: str
    article_id: str
    url: str
    """Its canonical URL (on the outlet's primary domain), for commands that look up by URL."""


def resolve_article(config: Config, idx: Index, ref: str, outlet: str | None, param: str = "ARTICLE") -> ArticleRef:
    """The archived article ``ref`` names (URL on any mirror, ``OUTLET/ID`` or id); ``--outlet``
    narrows the outlets searched. Raises click.BadParameter saying what was tried."""
    names = [config.outlet(outlet).name] if outlet else list(config.outlets)
    candidates, tried = _readings(config, ref, names)
    known = [(name, aid, url) for name, aid in candidates if (url := _archived_url(idx, name, aid)) is not None]
    if len(known) > 1:
        outlets = ", ".join(f"{n}/{aid}" for n, aid, _ in known)
        raise click.BadParameter(
            f"{ref!r} names an article of several outlets ({outlets}); write OUTLET/ID or add --outlet",
            param_hint=param,
        )
    if not known:
        what = "; ".join(tried)
        if candidates:
            what += " (none has an archived version yet)"
        raise click.BadParameter(
            f"{ref!r} names no archived article: tried {what}. Give a URL on one of the outlet's domains, "
            "OUTLET/ID as `edittrail changes` prints it, or an article id",
            param_hint=param,
        )
    name, article_id, url = known[0]
    return ArticleRef(name, article_id, url)


def looks_like_url(config: Config, ref: str) -> bool:
    """Whether ``ref`` reads as a URL (a scheme, or a host name before any path) rather than
    ``OUTLET/ID`` or an id: ``show`` takes any URL, not only articles'."""
    head = ref.split("/", 1)[0]
    return "://" in ref or ("." in head and head not in config.outlets)


def show_target(config: Config, ref: str, outlet: str | None) -> tuple[str, str | None]:
    """(URL, outlet) for ``show``: a URL as given; ``OUTLET/ID`` or an id as its article's URL."""
    if looks_like_url(config, ref):
        return ref, outlet
    from archive.index import Index

    with Index(config.index_path, readonly=True) as idx:
        found = resolve_article(config, idx, ref, outlet, param="URL")
    return found.url, found.outlet


def article_urls(config: Config, refs: tuple[str, ...], outlet: str, param: str = "--article") -> list[str]:
    """Each reference's article URL for ``export --article``: a URL as given (the export looks it up
    on every domain), ``OUTLET/ID`` or an id as its article's canonical URL."""
    if all(looks_like_url(config, ref) for ref in refs):
        return list(refs)
    from archive.index import Index

    with Index(config.index_path, readonly=True) as idx:
        return [
            ref if looks_like_url(config, ref) else resolve_article(config, idx, ref, outlet, param).url for ref in refs
        ]


def _readings(config: Config, ref: str, names: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Each (outlet, article id) ``ref`` could mean, and a description of every reading tried."""
    text = ref.strip()
    head, _, tail = text.partition("/")
    if "/" in text and "://" not in text and head in config.outlets and tail and "/" not in tail:
        if head not in names:
            return [], [f"article {tail} of outlet {head}, but --outlet is {names[0]}"]
        return [(head, tail)], [f"article {tail} of outlet {head}"]
    if "/" not in text:
        return [(name, text) for name in names], [f"article id {text!r} in outlet(s) {', '.join(names)}"]
    url = text if "://" in text else f"http://{text}"
    found = [(name, aid) for name in names if (aid := config.outlet(name).article_id(url)) is not None]
    if found:
        return found, [f"{', '.join(f'{n}/{aid}' for n, aid in found)} from the URL"]
    shown = "; ".join(f"{name} ({', '.join(config.outlet(name).domains)})" for name in names)
    return [], [f"as an article URL on the domains of {shown}"]


def _archived_url(idx: Index, outlet: str, article_id: str) -> str | None:
    """The article's canonical URL when it has a version in the index, else None."""
    from archive.index import articles as articles_index
    from archive.index import versions as vx

    version = vx.latest_version(idx, outlet, article_id)
    if version is None:
        return None
    return articles_index.canonical_url(idx, outlet, article_id) or version.url


@click.command()
@click.argument("article", type=URL, metavar="ARTICLE")
@click.option("--outlet", default=None, help="Only this outlet (for a bare id, or a URL of several outlets).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
@fail_cleanly
def versions(ctx: Context, article: str, outlet: str | None, as_json: bool) -> None:
    """List every archived version of an article.

    ARTICLE: a URL on any of the outlet's domains (any slug), OUTLET/ID as `changes` prints it
    (demo/777833), or an id.

    Example: edittrail versions demo/777255
    """
    from archive.index import Index
    from archive.index import versions as vx

    config = ctx.config
    with Index(config.index_path, readonly=True) as idx:
        ref = resolve_article(config, idx, article, outlet)
        rows = vx.versions_of(idx, ref.outlet, ref.article_id)
    if as_json:
        click.echo(json.dumps([asdict(v) for v in rows], indent=2, default=list))
        return
    click.echo(f"{ref.outlet}/{ref.article_id}: {len(rows)} version(s)  {ref.url}")
    click.echo(f"{'ver':>3}  {'captured (UTC)':<20}  {'host':<20}  {'last update':<12}  headline")
    for v in rows:
        click.echo(f"{v.version:>3}  {v.fetched_at:<20}  {v.host:<20}  {(v.last_update or '-')[:10]:<12}  {v.headline}")


@click.command()
@click.argument("article", type=URL, metavar="ARTICLE")
@click.option(
    "--from",
    "from_",
    type=click.IntRange(min=1),
    default=None,
    help="Older version number (default: the one before --to).",
)
@click.option("--to", type=click.IntRange(min=1), default=None, help="Newer version number (default: the latest).")
@click.option("--outlet", default=None, help="Only this outlet (for a bare id, or a URL of several outlets).")
@click.option(
    "--field", type=click.Choice(CONTENT_KINDS), default=None, help="Only this field (default: every changed one)."
)
@click.option(
    "--context",
    type=click.IntRange(0, 10_000),
    default=1,
    show_default=True,
    help="Unchanged paragraphs shown around each changed one (a large N shows the whole body).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the changed words (default: on a terminal, unless NO_COLOR is set).",
)
@pass_context
@fail_cleanly
def diff(
    ctx: Context,
    article: str,
    from_: int | None,
    to: int | None,
    outlet: str | None,
    field: str | None,
    context: int,
    color: bool | None,
) -> None:
    """Word-level diff of two versions of an article: the changed fields, each changed paragraph
    with --context unchanged ones around it (… for the rest); + added, - removed, ~ reworded.

    ARTICLE: a URL on any of the outlet's domains, OUTLET/ID (demo/777833) or an id.

    Example: edittrail diff demo/777255 --from 1 --to 2 --field body --context 2
    """
    from archive.index import Index
    from archive.index import versions as vx
    from archive.read.terminal_diff import changed_fields, render

    config = ctx.config
    with Index(config.index_path, readonly=True) as idx:
        ref = resolve_article(config, idx, article, outlet)
        all_versions = vx.versions_of(idx, ref.outlet, ref.article_id)
    numbers = [v.version for v in all_versions]
    to_given = to is not None
    to = to or numbers[-1]
    from_ = from_ or (to - 1)
    picked = {v.version: v for v in all_versions}
    if from_ not in picked or to not in picked:
        raise ConfigError(
            f"article {ref.outlet}/{ref.article_id} has versions {numbers}; --from/--to must name two of them"
        )
    check_order(from_, to, to_given)
    before, after = picked[from_], picked[to]
    if field is None and not changed_fields(before, after):
        click.echo(f"versions {from_} and {to} have the same content")
        return
    use_color = wants_color(color)
    click.echo(f"{ref.outlet}/{ref.article_id} version {from_} → {to}  {ref.url}")
    for line in render(before, after, fields=[field] if field else None, context=context, color=use_color):
        click.echo(line, color=use_color)


def check_order(from_: int, to: int, to_given: bool) -> None:
    """Refuse a diff that is not older → newer, as the web's compare page does, saying what to type."""
    if from_ == to:
        latest = "" if to_given else f" (--to defaults to the latest, {to})"
        raise click.BadParameter(
            f"--from {from_} and --to {to} name the same version{latest}: give two different versions",
            param_hint="--from/--to",
        )
    if from_ > to:
        raise click.BadParameter(
            f"version {from_} is newer than version {to}: give the older one as --from (use --from {to} --to {from_})",
            param_hint="--from/--to",
        )


def wants_color(flag: bool | None) -> bool:
    """--color/--no-color when given; otherwise colour on a terminal unless NO_COLOR is set (no-color.org)."""
    if flag is not None:
        return flag
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


@click.command()
@click.option("--outlet", default=None, help="Only this outlet.")
@click.option("--since", default=None, help="Only changes captured at or after this UTC time (ISO 8601 or timestamp).")
@click.option("--kind", type=click.Choice(CHANGE_KINDS), default=None, help="Only this kind of change.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=100,
    show_default=True,
    help="At most this many, newest first.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: one line a change; json: the stored changes with URL and headline; csv, jsonl: the export rows.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_context
@fail_cleanly
def changes(
    ctx: Context, outlet: str | None, since: str | None, kind: str | None, limit: int, fmt: str, as_json: bool
) -> None:
    """Detected changes, newest first: kind, declared or silent, article, summary.

    Each line's OUTLET/ID (demo/777833) is what `versions`, `diff` and `show` take. csv and jsonl
    write the rows the web's exports write (URL, headline, kind, declared, hosts, times, diff).

    Example: edittrail changes --outlet demo --kind headline --since 2026-11-01 --format csv
    """
    from archive.cli.context import moment_option
    from archive.index import Index, utc_iso
    from archive.index import versions as vx

    if as_json:
        source = click.get_current_context().get_parameter_source("fmt")
        if fmt != "json" and source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            raise click.BadParameter(
                f"--json means --format json, but --format is {fmt}: give one of them", param_hint="--json"
            )
        fmt = "json"
    config = ctx.config
    if outlet:
        config.outlet(outlet)
    since_iso = utc_iso(moment_option(since, "--since")) if since else None
    with Index(config.index_path, readonly=True) as idx:
        if fmt != "json":
            names = [outlet] if outlet else list(config.outlets)
            found = read_rows(idx, names, since=since_iso, kind=kind, limit=limit)
            if fmt == "text":
                write_text(found)
            else:
                write_rows(found, fmt)
            return
        rows = vx.changes(idx, outlet=outlet, since=since_iso, kind=kind, limit=limit)
        labelled = with_article(idx, rows)
    click.echo(json.dumps(labelled, indent=2))


def write_text(rows: list[ChangeRow]) -> None:
    """One line a change (time, OUTLET/ID to paste into `versions`/`diff`/`show`, kind, declared or
    silent, the plain summary), the article's current headline under it, then the count."""
    for row in rows:
        flag = "declared" if row.declared else "silent"
        summary = " ".join(row.summary.split())
        click.echo(f"{row.to_time}  {row.outlet}/{row.article_id}  {row.kind:<13} {flag:<8}  {summary}")
        if row.headline:
            click.echo(f"{'':<22}{' '.join(row.headline.split())}")
    click.echo(f"{len(rows)} change(s)")


def with_article(idx: Index, rows: list[StoredChange]) -> list[dict[str, Any]]:
    """Each change as its row (the ``--format json`` answer) with its article's ``url`` (canonical)
    and current ``headline``."""
    from archive.index import articles as articles_index
    from archive.index import versions as vx

    seen: dict[tuple[str, str], tuple[str, str]] = {}
    labelled = []
    for change in rows:
        key = (change.outlet, change.article_id)
        if key not in seen:
            current = vx.current_version(idx, *key)
            url = articles_index.canonical_url(idx, *key) or (current.url if current else "")
            seen[key] = (url, current.headline if current else "")
        url, headline = seen[key]
        labelled.append(change.as_row() | {"url": url, "headline": headline})
    return labelled


def read_rows(idx: Index, outlets: list[str], *, since: str | None, kind: str | None, limit: int) -> list[ChangeRow]:
    """The export rows (archive.read.change_rows) of the outlets, newest first, at most ``limit``: the
    rows the web shows, with plain summaries rather than the stored ``[-…-]{+…+}`` markup."""
    from archive.read.change_rows import MAX_LIMIT as PAGE
    from archive.read.change_rows import ChangeFilter, change_rows

    filters = ChangeFilter(kind=kind, since=since)
    found = []
    for name in outlets:  # a page at a time: the rows module reads at most PAGE per query
        offset = 0
        while offset < limit:
            wanted = min(PAGE, limit - offset)
            page = change_rows(idx, name, filters, limit=wanted, offset=offset)
            found += page
            offset += len(page)
            if len(page) < wanted:
                break
    found.sort(key=lambda row: row.to_time, reverse=True)
    return found[:limit]


def write_rows(rows: list[ChangeRow], fmt: str) -> None:
    """The rows as CSV or JSON Lines (archive.read.change_rows' writers) to standard output."""
    from archive.read.change_rows import write_csv, write_jsonl

    (write_csv if fmt == "csv" else write_jsonl)(rows, cast(TextIO, _Echo()))


class _Echo:
    """A text stream over click.echo: what the writers write reaches whatever click writes to."""

    def write(self, text: str) -> int:
        click.echo(text, nl=False)
        return len(text)
