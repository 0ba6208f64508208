"""``edittrail mirrors``: each domain's state, candidate mirrors, and the operator's decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from archive.cli.context import Context, fail_cleanly, pass_context


@click.group(invoke_without_command=True)
@click.option("--outlet", default=None, help="Only this outlet (default: every outlet).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def mirrors(click_ctx: click.Context, outlet: str | None, as_json: bool) -> None:
    """Each domain's state (serving, redirect, seized, parked, error, unreachable), since when,
    its last success and last error, and the candidate mirrors found.

    Example: edittrail mirrors --outlet presstv
    """
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(show, outlet=outlet, as_json=as_json)


@mirrors.command("show", hidden=True)
@click.option("--outlet", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_context
@fail_cleanly
def show(ctx: Context, outlet: str | None, as_json: bool) -> None:
    from archive.mirrors.run import mirror_state

    config = ctx.config
    names = [config.outlet(outlet).name] if outlet else list(config.outlets)
    with mirror_state(config) as state:
        data = {name: {"domains": state.current(name), "candidates": list(state.candidates(name))} for name in names}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for name, found in data.items():
        click.echo(f"{name}:")
        if not found["domains"]:
            click.echo("  no probe yet: run `edittrail mirrors probe --outlet " + name + "` or the mirrors DAG")
        click.echo(f"  {'domain':<22} {'state':<12} {'since (UTC)':<21} {'last success':<21} detail")
        for row in found["domains"]:
            target = f" → {row['redirect_to']}" if row["redirect_to"] else ""
            click.echo(
                f"  {row['host']:<22} {row['state']:<12} {row['since']:<21} {row['last_success'] or '-':<21} "
                f"{(row['detail'] or '')[:70]}{target}"
            )
            if row["last_error"] and row["state"] == "serving":
                click.echo(f"  {'':<22} last error {row['last_error'][:90]}")
        for row in found["candidates"]:
            click.echo(f"  candidate {row['host']} ({row['status']}), found {row['found_at']} via {row['found_via']}")


@mirrors.command()
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@pass_context
@fail_cleanly
def probe(ctx: Context, outlet: str) -> None:
    """Probe every domain of the outlet now (what the mirrors DAG's probe task does).

    The probe's WARCs wait in the spool for the next store step.

    Example: edittrail mirrors probe --outlet demo
    """
    from archive.mirrors.run import probe_outlet

    click.echo(json.dumps(probe_outlet(ctx.config, outlet), indent=2))


@mirrors.command()
@click.argument("domain")
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@pass_context
@fail_cleanly
def accept(ctx: Context, domain: str, outlet: str) -> None:
    """Crawl a candidate mirror from the next run on (after the configured domains).

    Example: edittrail mirrors accept presstv.news --outlet presstv
    """
    from archive.mirrors.state import ACCEPTED

    _decide(ctx, outlet, domain, ACCEPTED)


@mirrors.command()
@click.argument("domain")
@click.option("--outlet", required=True, help="Outlet name from outlets.toml.")
@pass_context
@fail_cleanly
def reject(ctx: Context, domain: str, outlet: str) -> None:
    """Keep a candidate mirror out of crawls and probes.

    Example: edittrail mirrors reject presstv.example --outlet presstv
    """
    from archive.mirrors.state import REJECTED

    _decide(ctx, outlet, domain, REJECTED)


def _decide(ctx: Context, outlet: str, domain: str, status: str) -> None:
    from archive.mirrors.run import mirror_state

    name = ctx.config.outlet(outlet).name
    host = domain.strip().lower().rstrip(".")
    with mirror_state(ctx.config) as state:
        state.decide(name, host, status, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    click.echo(f"{host}: {status} for {name}")
