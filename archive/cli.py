"""The ``edittrail`` command: a few lines per command over the pipeline and index functions.

Errors meant for the user (EdittrailError) become one line on stderr and exit code 1; any
other exception is a bug and keeps its traceback. Options are typed and bounded by click
(IntRange, Path), so a hostile value is a usage error (exit 2) before any work starts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
from dataclasses import asdict
from pathlib import Path

import click

from archive import pipeline
from archive.changes import CHANGE_KINDS, classify
from archive.cli_context import FETCHABLE_URL, URL, Commands, Context, ProgressBar, fail_cleanly, pass_context
from archive.cli_mirrors import mirrors
from archive.cli_ops import status
from archive.cli_research import export, parse_moment, serve, show
from archive.config import CONFIG_ENV, Config
from archive.errors import ConfigError
from archive.index import Index, utc_iso
from archive.index import versions as vx
from archive.simulate.noise import NAMES as NOISE_PROFILES
from archive.simulate.noise import describe as describe_noise

MAX_LIMIT = 1_000_000
"""The most rows a listing prints (SQLite's LIMIT takes at most 2**63 - 1)."""
MAX_SIMULATED_ARTICLES = 2000
"""The simulated outlet numbers its articles down from today's id; this many always fit."""


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_ENV,
    help=f"outlets.toml to use (default: ./outlets.toml, or ${CONFIG_ENV}).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
@click.version_option(package_name="edittrail")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """edittrail: archive a news outlet across its mirrors and detect its edits.

    Example: edittrail --config outlets.toml crawl --outlet demo
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = Context(config_path)


@cli.command("check-config")
@pass_context
@fail_cleanly
def check_config(ctx: Context) -> None:
    """Validate outlets.toml and list its outlets.

    Example: edittrail check-config
    """
    config = ctx.config
    for outlet in config.outlets.values():
        click.echo(
            f"{outlet.name}: {outlet.primary} + {len(outlet.mirrors)} mirror(s), schedule {outlet.schedule!r}, "
            f"store {outlet.store}"
        )
    click.echo(f"{config.path}: ok")


@cli.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@click.option("--run-id", default=None, help="Name of this run (default: time + random suffix).")
@click.option("--url", "urls", type=FETCHABLE_URL, multiple=True, help="Also fetch this article URL (repeatable).")
@pass_context
@fail_cleanly
def crawl(ctx: Context, outlet: str, run_id: str | None, urls: tuple[str, ...]) -> None:
    """Run one crawl cycle (plan, crawl, store, index) without Airflow.

    Example: edittrail crawl --outlet demo --url http://www.presstv.ir:8765/Detail/2026/11/20/777400/x
    """
    result = pipeline.run_cycle(ctx.config, outlet, run_id, urls)
    click.echo(json.dumps(result, indent=2))


@cli.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@click.option(
    "--drop-missing",
    is_flag=True,
    help="Forget objects that are gone from the store (default: they stay listed as missing).",
)
@pass_context
@fail_cleanly
def reindex(ctx: Context, outlet: str, drop_missing: bool) -> None:
    """Rebuild the outlet's index rows from the WARC files in its store, aside, then swap them in
    at once; damaged objects are quarantined (exit 1) and the rest rebuilt.

    Example: edittrail reindex --outlet demo
    """
    with ProgressBar("indexing WARCs", unit="MB") as bar, ProgressBar("detecting edits", unit="captures") as seen:
        result = pipeline.reindex(
            ctx.config, outlet, progress=bar.update, drop_missing=drop_missing, detect_progress=seen.update
        )
    click.echo(json.dumps(result, indent=2))


@cli.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@pass_context
@fail_cleanly
def redetect(ctx: Context, outlet: str) -> None:
    """Rebuild the outlet's versions, changes and learned noise from its captures (after an upgrade
    of extraction or normalization). Rebuilt changes are not alerted again.

    Example: edittrail redetect --outlet demo
    """
    ctx.config.outlet(outlet)
    click.echo(f"redetecting {outlet}: learning its noise from every capture, then detecting again ...", err=True)
    click.echo(json.dumps(pipeline.redetect(ctx.config, outlet), indent=2))


@cli.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@pass_context
@fail_cleanly
def audit(ctx: Context, outlet: str, as_json: bool) -> None:
    """Re-read the outlet's stored WARCs and check them against the index; exit 1 on any problem.

    Checks each object's SHA-256 against the one recorded when it was indexed, every record's
    digests, and that every index row resolves to a record with its id, URI and digest.

    Example: edittrail audit --outlet demo
    """
    from archive.audit import run_audit

    with ProgressBar("auditing objects") as bar:
        report = run_audit(ctx.config, outlet, progress=bar.update)
    if as_json:
        click.echo(json.dumps(asdict(report) | {"ok": report.ok}, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    report.raise_for_problems()


@cli.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@pass_context
@fail_cleanly
def backup(ctx: Context, outlet: str) -> None:
    """Snapshot the index, alerts and mirrors databases into the outlet's store.

    Each goes to backups/<outlet>/<index|alerts|mirrors>-<UTC time>.sqlite (the last two once
    they exist). Restore by downloading each to its path: settings.index, and alerts.sqlite and
    mirrors.sqlite in settings.data_dir, with no crawl running and after deleting any -wal and
    -shm files beside the old ones.

    Example: edittrail backup --outlet demo
    """
    from archive.backup import backup_databases

    stored = backup_databases(ctx.config, outlet)
    click.echo(json.dumps([asdict(s) for s in stored], indent=2))


@cli.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_context
@fail_cleanly
def summary(ctx: Context, outlet: str, as_json: bool) -> None:
    """What the archive holds for an outlet: articles, captures per host, WARC files.

    Example: edittrail summary --outlet demo
    """
    config = ctx.config
    config.outlet(outlet)
    with Index(config.index_path, readonly=True) as idx:
        data = idx.summary(outlet)
    data["index"] = str(config.index_path)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Outlet {outlet}: {data['articles']} articles, {data['captures']} captures")
    click.echo("Captures per host:")
    for host, count in data["captures_per_host"].items():
        click.echo(f"  {host:<24} {count:>6}")
    click.echo("HTTP status of captures: " + ", ".join(f"{k}: {v}" for k, v in data["status_counts"].items()))
    click.echo(f"WARC objects ({len(data['warc_objects'])}):")
    for obj in data["warc_objects"]:
        click.echo(f"  {obj['key']}  {obj['size']:>10,} bytes  {obj['records']} captures")
    click.echo(f"Index: {data['index']}")


@cli.command()
@click.option("--outlet", default="demo", show_default=True, help="Outlet whose domains are served.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port on 127.0.0.1 (default: the outlet's configured port; 0: any free port).",
)
@click.option(
    "--timeline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML timeline of events; each SIGUSR1 applies the next step.",
)
@click.option(
    "--articles",
    type=click.IntRange(0, MAX_SIMULATED_ARTICLES),
    default=30,
    show_default=True,
    help="Generated articles besides the sample.",
)
@click.option(
    "--noise",
    type=click.Choice(NOISE_PROFILES),
    default="none",
    show_default=True,
    help="What article pages vary per request without any edit. " + describe_noise(),
)
@pass_context
@fail_cleanly
def simulate(ctx: Context, outlet: str, port: int | None, timeline: Path | None, articles: int, noise: str) -> None:
    """Serve the simulated outlet on 127.0.0.1 under every domain of an outlet, until Ctrl-C.

    Example: edittrail simulate --outlet demo --port 8765 --noise all
    """
    from archive.simulate import SimulatedOutlet, Timeline

    config_outlet = ctx.config.outlet(outlet)
    sim = SimulatedOutlet(
        hosts=list(config_outlet.domains), port=port or config_outlet.port or 0, articles=articles, noise=noise
    )
    if timeline is not None:
        sim.apply(Timeline.load(timeline))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: click.echo(f"timeline step applied: {sim.advance()}"))
    with sim:
        for host in config_outlet.domains:
            click.echo(f"serving {sim.base_url(host)}  (host {host} -> 127.0.0.1:{sim.port})")
        click.echo("Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


def resolve_article(config: Config, idx: Index, url: str, outlet: str | None) -> tuple[str, str]:
    """(outlet, article id) of a URL on any mirror and with any slug; --outlet settles ties."""
    names = [outlet] if outlet else list(config.outlets)
    found = [(n, aid) for n in names if (aid := config.outlet(n).article_id(url)) is not None]
    if not found:
        raise ConfigError(
            f"{url} is not an article URL of {'outlet ' + outlet if outlet else 'any outlet'} in {config.path}"
        )
    known = [(n, aid) for n, aid in found if vx.latest_version(idx.db, n, aid) is not None]
    if len(known) > 1:
        raise ConfigError(
            f"{url} is an article of several outlets ({', '.join(n for n, _ in known)}); choose one with --outlet"
        )
    if not known:
        raise ConfigError(f"article {found[0][1]} ({url}) has no archived version yet")
    return known[0]


@cli.command()
@click.argument("url", type=URL)
@click.option("--outlet", default=None, help="Outlet, when the URL belongs to several.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
@fail_cleanly
def versions(ctx: Context, url: str, outlet: str | None, as_json: bool) -> None:
    """List every archived version of an article (a URL on any mirror, any slug).

    Example: edittrail versions http://www.presstv.ir:8765/Detail/2026/11/18/777255/x
    """
    config = ctx.config
    with Index(config.index_path, readonly=True) as idx:
        name, article_id = resolve_article(config, idx, url, outlet)
        rows = vx.versions_of(idx.db, name, article_id)
    if as_json:
        click.echo(json.dumps([asdict(v) for v in rows], indent=2, default=list))
        return
    click.echo(f"{name} article {article_id}: {len(rows)} version(s)")
    click.echo(f"{'ver':>3}  {'captured (UTC)':<20}  {'host':<20}  {'last update':<12}  headline")
    for v in rows:
        click.echo(f"{v.version:>3}  {v.fetched_at:<20}  {v.host:<20}  {(v.last_update or '-')[:10]:<12}  {v.headline}")


@cli.command()
@click.argument("url", type=URL)
@click.option(
    "--from",
    "from_",
    type=click.IntRange(min=1),
    default=None,
    help="Older version number (default: the one before --to).",
)
@click.option("--to", type=click.IntRange(min=1), default=None, help="Newer version number (default: the latest).")
@click.option("--outlet", default=None, help="Outlet, when the URL belongs to several.")
@pass_context
@fail_cleanly
def diff(ctx: Context, url: str, from_: int | None, to: int | None, outlet: str | None) -> None:
    """Word-level diff of two versions of an article, field by field.

    Example: edittrail diff http://www.presstv.ir:8765/Detail/2026/11/18/777255/x --from 1 --to 2
    """
    config = ctx.config
    with Index(config.index_path, readonly=True) as idx:
        name, article_id = resolve_article(config, idx, url, outlet)
        all_versions = vx.versions_of(idx.db, name, article_id)
    numbers = [v.version for v in all_versions]
    to = to or numbers[-1]
    from_ = from_ or (to - 1)
    picked = {v.version: v for v in all_versions}
    if from_ not in picked or to not in picked:
        raise ConfigError(f"article {article_id} has versions {numbers}; --from/--to must name two of them")
    changes = classify(picked[from_], picked[to])
    if not changes:
        click.echo(f"versions {from_} and {to} have the same content")
    for change in changes:
        click.echo(f"== {change.summary}")
        click.echo(change.diff_text)
        click.echo("")


@cli.command()
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_context
@fail_cleanly
def changes(ctx: Context, outlet: str | None, since: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """Detected changes, newest first: kind, declared or silent, article, summary.

    Example: edittrail changes --outlet demo --kind headline --since 2026-11-01
    """
    config = ctx.config
    if outlet:
        config.outlet(outlet)
    since_iso = utc_iso(parse_moment(since, "--since")) if since else None
    with Index(config.index_path, readonly=True) as idx:
        rows = vx.changes(idx.db, outlet=outlet, since=since_iso, kind=kind, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        flag = "declared" if row["declared"] else "silent"
        click.echo(
            f"{row['to_time']}  {row['outlet']}/{row['article_id']}  {row['kind']:<13} {flag:<8}  {row['summary']}"
        )
    click.echo(f"{len(rows)} change(s)")


@cli.command()
@pass_context
@fail_cleanly
def demo(ctx: Context) -> None:
    """Serve the simulated outlet and crawl it through Airflow's `dags test` (what `make demo` runs).

    Example: edittrail demo
    """
    from archive.demo import run_demo

    run_demo(ctx.config, click.echo)


cli.add_command(mirrors)
cli.add_command(serve)
cli.add_command(export)
cli.add_command(show)
cli.add_command(status)


def main() -> None:
    cli()
