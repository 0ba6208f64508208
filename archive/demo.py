"""``make demo``: the simulated outlet on loopback, crawled twice by the demo DAG in real Airflow.

Round one archives the outlet. Then the simulated outlet edits some articles the way Press TV
does (a silent headline change, a silent body edit, a declared update, a retraction, a
caption change) and one mirror is seized; round two crawls again and the mirrors DAG probes
every domain. The demo prints the changes detected, with their diffs, what the alert
webhook received, where the Atom feed is, and each domain's state. Nothing leaves the
machine: the demo outlet maps every Press TV host name to 127.0.0.1.

The archive is kept from one demo to the next (what `edittrail serve` and the other commands
read), so the printout counts only what this run did: the WARC files stored and the changes
detected since the moment the demo started, with the archive's totals named as such.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from archive.config import Config, store_for
from archive.errors import CaptureError, ConfigError
from archive.index import Index, stored, utc_iso
from archive.index import captures as captures_index
from archive.index import changes as index_changes
from archive.index import versions as vx
from archive.read.change_rows import rows_of

DEMO_OUTLET = "demo"
WEBHOOK_ENV = "EDITTRAIL_DEMO_WEBHOOK"
SEIZED_MIRROR = "www.presstv.com"


def check_port_free(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise ConfigError(
                f"port {port} on 127.0.0.1 is in use; stop what uses it or change [outlets.{DEMO_OUTLET}] port"
            ) from None


def airflow_dags_test(dag_id: str, env: dict[str, str] | None = None) -> None:
    """Run one DAG run in-process through Airflow's CLI; fail unless every task succeeded."""
    airflow = Path(sys.executable).with_name("airflow")
    process = subprocess.run(
        [str(airflow), "dags", "test", dag_id], env=env or dict(os.environ), capture_output=True, text=True
    )
    output = process.stdout + process.stderr
    if process.returncode != 0 or "state=success" not in output:
        tail = "\n".join(output.splitlines()[-40:])
        raise CaptureError(f"`airflow dags test {dag_id}` did not succeed (exit {process.returncode}):\n{tail}")


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local endpoint for Apprise's ``json://`` target: what alert subscribers would receive."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                received.append(json.loads(body))
            except ValueError:
                received.append({"raw": body.decode(errors="replace")})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()
        server.server_close()


def edit_like_the_outlet(sim: Any) -> list[str]:
    """The round of edits between the two crawls; returns what was done, for the printout."""
    ids = [i for i in sim.site.article_ids() if i != sim.sample_id]
    headline, body, declared, retracted = ids[1], ids[2], ids[3], ids[4]
    sim.edit_headline(headline, "Officials deny the report after a day of questions", declared=False)
    sim.edit_body(body, replace={0: "The ministry now says the talks were postponed, not cancelled."}, declared=False)
    sim.edit_body(declared, replace={1: "An updated casualty figure was released on Tuesday."}, declared=True)
    sim.retract(retracted, status=410)
    sim.edit_caption(sim.sample_id, 0, "Members of the White Helmets at a site in Idlib. (Photo by Reuters)")
    sim.seize(SEIZED_MIRROR)
    return [
        f"article {headline}: headline changed silently",
        f"article {body}: first paragraph rewritten silently",
        f"article {declared}: second paragraph rewritten with a declared 'Last Update'",
        f"article {retracted}: retracted (410 Gone)",
        f"article {sim.sample_id} (the sample article): photo caption changed",
        f"{SEIZED_MIRROR} now shows the US seizure notice (the crawl fails over to the next domain)",
    ]


def run_demo(config: Config, echo: Callable[[str], None]) -> None:
    from archive.simulate import SimulatedOutlet

    outlet = config.outlet(DEMO_OUTLET)
    port = outlet.port or 8765
    check_port_free(port)
    started = utc_iso(datetime.now(UTC))  # what this run stores and detects is at or after it
    with SimulatedOutlet(hosts=list(outlet.domains), port=port) as sim, webhook_receiver() as (hook, received):
        env = {**os.environ, WEBHOOK_ENV: hook}
        echo(f"Simulated outlet serving {', '.join(outlet.domains)} on 127.0.0.1:{sim.port}")
        echo(f"Round 1: `airflow dags test crawl_{DEMO_OUTLET}` (AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME')}) ...")
        airflow_dags_test(f"crawl_{DEMO_OUTLET}", env)
        print_summary(config, echo, started)
        echo("")
        echo("The outlet now edits its articles:")
        for line in edit_like_the_outlet(sim):
            echo(f"  - {line}")
        echo(f"Round 2: `airflow dags test crawl_{DEMO_OUTLET}` ...")
        airflow_dags_test(f"crawl_{DEMO_OUTLET}", env)
        echo(f"Domain health: `airflow dags test mirrors_{DEMO_OUTLET}` ...")
        airflow_dags_test(f"mirrors_{DEMO_OUTLET}", env)
    print_changes(config, echo, received, started)
    print_domains(config, echo)


def run_summary(idx: Index, since: str) -> dict[str, Any]:
    """What the demo outlet's WARC files stored at or after ``since`` hold: articles, captures per
    host and per HTTP status, the files themselves."""
    stored_since = stored.objects_stored_since(idx, DEMO_OUTLET, since)
    objects = [{"key": k, "size": n} for k, n in stored_since]
    keys = [k for k, _ in stored_since]
    per_host: dict[str, int] = {}
    per_status: dict[str, int] = {}
    articles: set[str] = set()
    for key in keys:
        for host, status, article_id in captures_index.hosts_statuses_articles(idx, key):
            per_host[host] = per_host.get(host, 0) + 1
            per_status[str(status)] = per_status.get(str(status), 0) + 1
            if article_id:
                articles.add(article_id)
    return {
        "articles": len(articles),
        "captures": sum(per_host.values()),
        "captures_per_host": dict(sorted(per_host.items())),
        "status_counts": dict(sorted(per_status.items())),
        "warc_objects": objects,
    }


def print_summary(config: Config, echo: Callable[[str], None], since: str) -> None:
    """Round one's account: what this run archived, then the archive's totals if earlier runs added to them."""
    with Index(config.index_path, readonly=True) as idx:
        data = run_summary(idx, since)
        total = idx.summary(DEMO_OUTLET)
    echo("")
    echo(f"Archived in this run: {data['articles']} articles, {data['captures']} captures")
    echo("Captures per domain:")
    for host, count in data["captures_per_host"].items():
        echo(f"  {host:<24} {count:>6}")
    echo("HTTP status of captures: " + ", ".join(f"{k}: {v}" for k, v in data["status_counts"].items()))
    echo(f"WARC files this run stored ({len(data['warc_objects'])}):")
    for obj in data["warc_objects"]:
        echo(f"  {obj['key']}  {obj['size']:>10,} bytes")
    if total["captures"] > data["captures"]:
        echo(
            f"With earlier runs the archive holds {total['articles']} articles, {total['captures']} captures "
            f"in {len(total['warc_objects'])} WARC files (uv run edittrail summary --outlet {DEMO_OUTLET})"
        )
    echo(f"Index: {config.index_path}")


def print_changes(config: Config, echo: Callable[[str], None], received: list[dict[str, Any]], since: str) -> None:
    """The changes this run detected (detected at or after ``since``), oldest first, with their diffs."""
    with Index(config.index_path, readonly=True) as idx:
        rows = vx.changes_detected_since(idx, DEMO_OUTLET, since)
        earlier = index_changes.count_detected_before(idx, DEMO_OUTLET, since)
        data = run_summary(idx, since)
        readable = rows_of(idx, DEMO_OUTLET, rows)
    echo("")
    echo(f"Changes detected in this run ({len(rows)}):")
    for row in readable:
        flag = "declared" if row.declared else "silent"
        echo(f"* {DEMO_OUTLET}/{row.article_id} on {', '.join(row.hosts)}: {row.kind} ({flag})")
        echo(f"  {row.summary}")
        for line in row.diff_text.splitlines()[:6]:
            echo(f"    {line if len(line) <= 400 else line[:399] + '…'}")
    if earlier:
        echo(f"(and {earlier} change(s) from earlier runs: uv run edittrail changes --outlet {DEMO_OUTLET})")
    echo("")
    echo(f"Alert webhook received {len(received)} message(s) in this run; Atom feed: {config.feed_path(DEMO_OUTLET)}")
    echo("")
    echo("Look further:")
    echo("  uv run edittrail summary --outlet demo")
    echo("  uv run edittrail changes --outlet demo")
    echo("  uv run edittrail mirrors --outlet demo")
    if rows:
        ref = f"{DEMO_OUTLET}/{rows[0].article_id}"
        echo(f"  uv run edittrail versions {ref}")
        echo(f"  uv run edittrail diff {ref}")
    if data["warc_objects"]:
        store = store_for(config, config.outlet(DEMO_OUTLET))
        where = getattr(store, "root", store.url)
        echo(f"  uv run warcio index {where}/{data['warc_objects'][-1]['key']}")
    echo("  uv run edittrail serve   # researchers' web UI at http://127.0.0.1:8000/demo/ (search, diffs, replay)")
    echo("  make run        # Airflow UI at http://127.0.0.1:8080 with the crawl DAGs; for crawl_demo, first")
    echo(f"                  # start the simulated outlet: uv run edittrail simulate --outlet {DEMO_OUTLET}")


def print_domains(config: Config, echo: Callable[[str], None]) -> None:
    from archive.mirrors.run import mirror_state

    with mirror_state(config) as state:
        rows = state.current(DEMO_OUTLET)
    echo("")
    echo("Domains (edittrail mirrors --outlet demo):")
    for row in rows:
        echo(f"  {row['host']:<20} {row['state']:<12} since {row['since']}  {(row['detail'] or '')[:80]}")
