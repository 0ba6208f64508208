"""``edittrail status``: the operator's one screen, over archive.ops.status.

Rendered with rich (tables that fit the terminal; plain text when piped) or as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from archive.cli.context import Context, fail_cleanly, pass_context

if TYPE_CHECKING:  # imported in the command: `edittrail --help` loads neither rich nor the index
    from rich.console import Console
    from rich.table import Table

    from archive.ops.status import OutletStatus, RunStatus

STATE_STYLE = {"ok": "green", "running": "cyan", "failed": "bold red"}
DOMAIN_STYLE = {"serving": "green", "redirect": "yellow"}


@click.command()
@click.option("--outlet", default=None, help="Only this outlet (default: every outlet in outlets.toml).")
@click.option("--runs", type=click.IntRange(min=1), default=5, show_default=True, help="Show this many recent runs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@pass_context
@fail_cleanly
def status(ctx: Context, outlet: str | None, runs: int, as_json: bool) -> None:
    """What is healthy and what is not, per outlet.

    The last runs (ok/failed and why, duration, captures, bytes, HTTP statuses, errors, new
    versions and changes), the spool backlog, the store's WARC objects and those quarantined
    as damaged, each domain's state and the alert deliveries that failed. Problems are listed
    last, one line each.

    Example: edittrail status --outlet demo
    """
    from rich.console import Console

    from archive.ops.status import outlet_status

    config = ctx.config
    names = [config.outlet(outlet).name] if outlet else list(config.outlets)
    found = [outlet_status(config, name, runs=runs) for name in names]
    if as_json:
        click.echo(json.dumps([asdict(s) for s in found], indent=2, default=list))
        return
    # Piped or captured output gets room enough that no cell wraps; tables take only what they need.
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200)
    for item in found:
        render(console, item)


def render(console: Console, status: OutletStatus) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"outlet {status.outlet}", style="bold underline"))
    console.print(runs_table(status.runs) if status.runs else "no crawl run yet")
    for run in status.runs:
        if run.failure:
            console.print(Text(f"run {run.run_id} failed: {run.failure}", style=STATE_STYLE["failed"]))
    quarantined = f", {len(status.quarantined)} quarantined" if status.quarantined else ""
    console.print(
        f"spool: {status.spool.files} closed WARC file(s), {status.spool.open_files} open, "
        f"{status.spool.damaged_files} damaged, {size(status.spool.bytes)}    "
        f"store: {status.store_objects} WARC object(s){quarantined}, {size(status.store_bytes)}"
    )
    if status.domains:
        domains = Table("domain", "state", "since", "last success", "last error", title="domains", title_justify="left")
        for d in status.domains:
            state = d["state"] + (f" → {d['redirect_to']}" if d.get("redirect_to") else "")
            domains.add_row(
                d["host"],
                Text(state, style=DOMAIN_STYLE.get(d["state"], "bold red")),
                d["since"],
                d["last_success"] or "-",
                d["last_error"] or "-",
            )
        console.print(domains)
    if status.noise:
        noise = Table("field", "learned", "what is ignored", "articles", title="learned noise", title_justify="left")
        for entry in status.noise:
            noise.add_row(entry["field"], entry["learned_at"], entry["description"], str(entry["articles"]))
        console.print(noise)
    else:
        console.print("learned noise: none yet (learned from crawls that fetch articles on several domains)")
    if status.alerts:
        alerts = Table("channel", "change", "attempts", "last error", title="failed alert deliveries")
        for a in status.alerts:
            alerts.add_row(a["channel"], a["change_key"], str(a["attempts"]), a["last_error"] or "-")
        console.print(alerts)
    if status.problems:
        for line in status.problems:
            console.print(Text(f"! {line}", style="bold red"))
    else:
        console.print(Text("no problems", style="green"))


def runs_table(runs: tuple[RunStatus, ...]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="last runs (newest first)", title_justify="left")
    table.add_column("run", no_wrap=True, min_width=max(len(r.run_id) for r in runs))
    for column in ("state", "started (UTC)", "duration", "shards", "captures", "bytes", "HTTP status"):
        table.add_column(column, justify="right" if column in ("duration", "shards", "captures", "bytes") else "left")
    for column in ("errors", "versions", "changes"):
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(
            run.run_id,
            Text(run.state, style=STATE_STYLE.get(run.state, "")),
            (run.started_at or "-")[:19].replace("T", " "),
            f"{run.duration_seconds:.0f} s" if run.duration_seconds is not None else "-",
            f"{run.reports}/{run.shards}",
            str(run.captures),
            size(run.bytes),
            " ".join(f"{code}:{n}" for code, n in run.status_codes.items()) or "-",
            str(run.errors),
            str(run.new_versions),
            str(run.changes),
        )
    return table


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
