"""``edittrail serve``, ``export`` and ``show``: what researchers run to read and take away the archive."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from archive.cli.context import URL, Context, fail_cleanly, moment_option, pass_context
from archive.errors import ConfigError


def _public_url(value: str | None) -> str | None:
    """The service's own check (an http(s) origin, optional path, no query), as a usage error."""
    from archive.api.origin import checked_public_url

    try:
        return checked_public_url(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


WORKER_STARTUP_SECONDS = 60
"""How long ``serve --workers`` waits for a worker to answer uvicorn's health check."""


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (Airflow's UI has 8080).",
)
@click.option(
    "--public-url",
    default=None,
    callback=lambda _ctx, _param, value: _public_url(value),
    help="Base of the absolute links the service writes (Link headers, TimeMaps), behind a reverse proxy.",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log one line per request (uvicorn's access log); off by default, it costs a tenth of a lookup's time.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes sharing the port, each with its own read-only index connections (about one per core).",
)
@pass_context
@fail_cleanly
def serve(ctx: Context, host: str, port: int, public_url: str | None, access_log: bool, workers: int) -> None:
    """Serve the archive read-only over HTTP: web pages, CDX API, Memento, article JSON, search.

    URLs follow pywb's scheme with one collection per outlet (/demo/cdx, /demo/timemap/link/URL,
    /demo/URL, /demo/TIMESTAMP/URL, /demo/TIMESTAMPid_/URL); the OpenAPI schema is at
    /openapi.json. A URL on any of an outlet's domains stands for the article on every domain.

    Uvicorn's access log is off unless --access-log is given; --workers N runs N processes.

    Example: edittrail serve --host 127.0.0.1 --port 8000 --public-url https://archive.example.org
    """
    import os

    import uvicorn

    from archive.api import create_app
    from archive.api.workers import environment

    _check_bindable(host, port)
    app = create_app(ctx.config, public_url=public_url)  # also checks the config before any worker starts
    shown = f" with {workers} workers" if workers > 1 else ""
    click.echo(f"serving {ctx.config.index_path} on http://{host}:{port}/{shown}  (Ctrl-C to stop)")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "access_log": access_log}
    if workers == 1:
        uvicorn.run(app, **options)
        return
    os.environ.update(environment(str(ctx.config.path.resolve()), public_url))
    # A worker re-imports this command's modules before it answers uvicorn's health check: on a
    # busy machine that takes longer than uvicorn's 5 s, and it would kill and restart it for ever.
    options["timeout_worker_healthcheck"] = WORKER_STARTUP_SECONDS
    uvicorn.run("archive.api.workers:app_from_environment", factory=True, workers=workers, **options)


def _check_bindable(host: str, port: int) -> None:
    """Fail with what is wrong before uvicorn starts: it logs an unresolvable or foreign address,
    or a port in use, as a traceback and exits with its own code."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise click.BadParameter(
            f"{host!r} is not an address or a name this machine resolves ({why})", param_hint="--host"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port}: {exc.strerror} (is another server on that port, or is {host} "
                "not an address of this machine? try --port or --host 127.0.0.1)"
            ) from None


@click.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@click.option(
    "--article",
    "articles",
    multiple=True,
    help="Only this article: a URL on any domain, OUTLET/ID as `changes` prints it, or an id (repeatable).",
)
@click.option("--from", "from_", default=None, help="Only captures at or after this UTC time (ISO 8601 or timestamp).")
@click.option("--to", default=None, help="Only captures at or before this UTC time.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New (or empty) directory for the package.",
)
@click.option(
    "--sign",
    "sign_key",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign the WACZ with this private key (PEM; make one with `edittrail keygen KEYFILE`).",
)
@pass_context
@fail_cleanly
def export(
    ctx: Context,
    outlet: str,
    articles: tuple[str, ...],
    from_: str | None,
    to: str | None,
    out_dir: Path,
    sign_key: Path | None,
) -> None:
    """Write a self-contained evidence package: WARC records, sorted CDXJ, WACZ, SHA-256 manifest.

    Every record of the selected captures is copied byte for byte, with the original behind
    each revisit, each response's request and each source WARC's warcinfo record. With
    --sign, the WACZ carries a WACZ-spec signature that `edittrail verify` checks.

    Example: edittrail export --outlet demo --from 2026-11-20 --to 2026-11-25 --out evidence/ --sign key.pem
    """
    from archive.cli.articles import article_urls
    from archive.evidence.keys import KeyFileError, load_signing_key
    from archive.read.export import export as run_export

    try:
        key = load_signing_key(sign_key) if sign_key is not None else None
    except KeyFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--sign") from None
    articles = tuple(article_urls(ctx.config, articles, outlet))
    since = moment_option(from_, "--from") if from_ else None
    until = moment_option(to, "--to") if to else None
    bar: dict[str, Any] = {}  # click's ProgressBar, opened once the total is known

    def on_total(total: int) -> None:
        bar["bar"] = click.progressbar(length=total, label="copying records", file=sys.stderr)
        bar["bar"].__enter__()

    def progress(step: int) -> None:
        bar["bar"].update(step)

    try:
        report = run_export(
            ctx.config,
            outlet,
            out_dir,
            articles=articles,
            since=since,
            until=until,
            progress=progress,
            on_total=on_total,
            sign_key=key,
        )
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
    click.echo(
        f"{report.captures} captures, {report.originals} revisit originals, {report.requests} requests, "
        f"{report.warcinfos} warcinfo records → {out_dir}"
    )
    for name in report.files:
        click.echo(f"  {name}")
    if report.signed_by:
        click.echo(f"signed {report.wacz} with key {report.signed_by}; check with: edittrail verify {out_dir}")
    click.echo(f"verify with: cd {out_dir} && sha256sum -c manifest-sha256.txt")


@click.command()
@click.argument("url", type=URL)
@click.option("--outlet", default=None, help="Outlet, when the URL belongs to several (or for a bare article id).")
@click.option("--at", "at", default=None, help="UTC time (ISO 8601 or timestamp); default: now.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "warc"]),
    default="text",
    show_default=True,
    help="text: the extracted version; html: the archived page decoded; warc: its WARC record(s).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@pass_context
@fail_cleanly
def show(ctx: Context, url: str, outlet: str | None, at: str | None, fmt: str, output: Path | None) -> None:
    """Print what a URL showed at a time: the last capture at or before it, on any mirror.

    URL may also name an article as OUTLET/ID (as `changes` prints it) or by its id.
    For an article, the version live then (text), the archived page (html), or the raw
    WARC record with the original behind a revisit (warc, gzip members: write them to a
    .warc.gz file with --output or a redirect; they are not written to a terminal).

    Example: edittrail show http://www.presstv.ir:8765/Detail/2026/11/18/777255/x --at 2026-11-20T08:00Z
    """
    from archive.cli.articles import show_target
    from archive.read.show import show_capture

    target = output if output is not None and str(output) != "-" else None
    if target is None and fmt == "warc" and stdout_is_terminal():
        raise ConfigError(
            "--format warc is gzip-compressed binary, which can mess up your terminal; "
            "use --output FILE.warc.gz or redirect it (> FILE.warc.gz, | warcio ...)"
        )
    moment = moment_option(at, "--at") if at else datetime.now(UTC)
    url, outlet = show_target(ctx.config, url, outlet)
    result = show_capture(ctx.config, url, moment, fmt, outlet)
    if target is not None:
        data = result if isinstance(result, bytes) else (result + "\n").encode("utf-8")
        try:
            target.write_bytes(data)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"--output {target}: cannot write it ({reason}); choose another file") from None
    elif isinstance(result, bytes):
        sys.stdout.buffer.write(result)
        sys.stdout.flush()
    else:
        click.echo(result)


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (binary output is refused there, as curl does)."""
    return sys.stdout.isatty()
