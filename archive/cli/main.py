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

from archive.cli.articles import changes, diff, versions
from archive.cli.context import FETCHABLE_URL, Commands, Context, ProgressBar, fail_cleanly, pass_context
from archive.cli.evidence import keygen, verify
from archive.cli.mirrors import mirrors
from archive.cli.ops import status
from archive.cli.research import export, serve, show
from archive.simulate.noise import NAMES as NOISE_PROFILES
from archive.simulate.noise import describe as describe_noise

# The heavy modules (pipeline, index, config, web, Airflow) are imported inside the commands
# that use them: `edittrail --help` then starts in a fraction of a second
# (tests/test_cli_imports.py keeps it so).

CONFIG_ENV = "EDITTRAIL_CONFIG"
"""The variable naming outlets.toml (archive.config.CONFIG_ENV, repeated here to keep --help light)."""
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
    from archive import pipeline

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
    from archive import pipeline

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
    from archive import pipeline

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
    from archive.ops.audit import run_audit

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
    from archive.ops.backup import backup_databases

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
    from archive.index import Index

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


@cli.command()
@pass_context
@fail_cleanly
def demo(ctx: Context) -> None:
    """Serve the simulated outlet and crawl it through Airflow's `dags test` (what `make demo` runs).

    Example: edittrail demo
    """
    from archive.demo import run_demo

    run_demo(ctx.config, click.echo)


cli.add_command(versions)
cli.add_command(diff)
cli.add_command(changes)
cli.add_command(mirrors)
cli.add_command(serve)
cli.add_command(export)
cli.add_command(show)
cli.add_command(status)
cli.add_command(keygen)
cli.add_command(verify)


def main() -> None:
    cli()
