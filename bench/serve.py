"""``edittrail serve`` against pywb's ``wayback`` over HTTP, on the same million captures.

The captures come from ``bench.cdx.generate`` (the CDX section's generator), written once into
``data/bench/serve-<captures>-<generator version>/`` and reused while the generator, the
shipped outlets.toml and the index schema stay the same. The same rows, as
``archive.api.cdx.cdx_line`` renders them, are exported as a sorted CDXJ file for pywb.
pywb 2.10.0 lives in its own venv (``data/bench/pywb-venv``, made with uv): it pins old
dependencies, and the project's environment must not see them.

The servers run as subprocesses on free loopback ports: ``edittrail serve`` as shipped (one
process), the same with ``--workers 2`` (one per core of the benchmark machine), and pywb. The load generator
(``bench.serve_load``, asyncio on raw sockets, one process of its own) drives three kinds of
request over the generator's sample of URLs: CDX exact, CDX prefix (a day's articles on one
host, ``limit=100``) and the TimeMap; at concurrency 1 and 16, with keep-alive and with one
connection per request; the servers alternating within each round. Every answer must be a
200, and before any timing both servers answer every CDX query once and their lines are
compared (pywb's extra ``source`` fields aside). The CPU time of the servers and of the
generator is read from /proc per cell, so a load average from other jobs shows up as what it is.

pywb's TimeMap covers one URL, edittrail's the article on every domain: edittrail does more
work per TimeMap request. With keep-alive, pywb answers a lone client only every ~40 ms
(Nagle and delayed ACK: its response leaves in two segments); the one-connection-per-request
cells are the fair comparison at concurrency 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "bench"
PYWB = "pywb==2.10.0"
PYWB_VENV = DATA / "pywb-venv"
SAMPLE = 2_000
KINDS = ("exact", "prefix", "timemap")
CONCURRENCIES = (1, 16)
MODES = ("keep-alive", "close")
WORKERS = 2
"""``edittrail serve --workers`` of the second edittrail server: one process per core here."""
SERVERS = ("edittrail", f"edittrail-w{WORKERS}", "pywb")
"""As shipped (one process), with ``--workers``, and pywb's ``wayback`` (one gevent process)."""
P99_TARGET_MS = 50.0
RATIO_TARGET = 1.0
_DAY_PREFIX = re.compile(r"^(https?://[^/]+/Detail/\d{4}/\d{2}/\d{2}/)")


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]


# --- the captures -------------------------------------------------------------------------


def _generator_version() -> str:
    """What the captures depend on: the generator's code and the shipped config."""
    digest = hashlib.sha256()
    for path in (ROOT / "bench" / "cdx.py", ROOT / "outlets.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def dataset(total: int) -> Path:
    """The directory of ``total`` captures (index, CDXJ, sample of URLs), built when missing."""
    target = DATA / f"serve-{total}-{_generator_version()}"
    if (target / "meta.json").exists():
        _migrate(target)
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    for stale in DATA.glob(f"serve-{total}-*"):
        shutil.rmtree(stale, ignore_errors=True)  # an older generator's, or a build that was killed
    building = Path(tempfile.mkdtemp(dir=DATA, prefix=f"serve-{total}-"))
    try:
        _build(building, total)
        building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    _migrate(target)
    return target


def _migrate(directory: Path) -> None:
    """A cached index written under an older schema is migrated, as a user's would be by a crawl."""
    from archive.config import load_config
    from archive.index import Index
    from archive.index.schema import MIGRATIONS

    path = load_config(directory / "outlets.toml").index_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < len(MIGRATIONS):
        print(f"[bench] serve: migrating {path} from schema {version} to {len(MIGRATIONS)} ...", flush=True)
        Index(path).close()


def _build(out: Path, total: int) -> None:
    from archive.api.cdx import cdx_line
    from archive.config import load_config
    from archive.index import Capture, Index
    from bench.cdx import SEED, generate
    from tests.support import write_config

    print(f"[bench] serve: writing {total:,} captures to {out} ...", flush=True)
    config = load_config(write_config(out, port=8765))
    captures, seconds = generate(config, total, sample_size=SAMPLE)
    urls = random.Random(SEED).sample(captures.sample, len(captures.sample))
    started = time.perf_counter()
    indexes = out / "pywb" / "collections" / "demo" / "indexes"
    indexes.mkdir(parents=True)
    unsorted = indexes / "unsorted.cdxj"
    with Index(config.index_path, readonly=True) as idx, unsorted.open("w") as fh:
        for row in idx._db.query("SELECT * FROM captures"):
            line = cdx_line(Capture.from_row(row))
            rest = {k: v for k, v in line.items() if k not in ("urlkey", "timestamp")}
            fh.write(f"{line['urlkey']} {line['timestamp']} {json.dumps(rest)}\n")
    subprocess.run(
        ["sort", "-S", "25%", "-o", str(indexes / "index.cdxj"), str(unsorted)],
        env={**os.environ, "LC_ALL": "C"},  # bytewise, as pywb's binary search expects
        check=True,
    )
    unsorted.unlink()
    (out / "pywb" / "config.yaml").write_text("collections:\n  demo:\n    index_paths: ./collections/demo/indexes/\n")
    (out / "urls.json").write_text(json.dumps(urls))
    meta = {
        "captures": total,
        "distinct_urls": captures.urls,
        "articles": captures.articles,
        "generate_s": round(seconds, 1),
        "export_s": round(time.perf_counter() - started, 1),
        "db_mb": round(config.index_path.stat().st_size / 1e6, 1),
        "cdxj_mb": round((indexes / "index.cdxj").stat().st_size / 1e6, 1),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1))  # last: its presence marks a whole build


def request_paths(urls: list[str]) -> dict[str, list[str]]:
    """The request targets of each kind for the sampled URLs (the audit's, perf/http_bench.py)."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for url in urls:
        found["exact"].append("/demo/cdx?url=" + quote(url, safe=""))
        found["timemap"].append("/demo/timemap/link/" + url)
        if match := _DAY_PREFIX.match(url):
            found["prefix"].append("/demo/cdx?url=" + quote(match[1], safe="") + "&matchType=prefix&limit=100")
    return found


# --- the servers --------------------------------------------------------------------------


def pywb_python() -> tuple[Path | None, str]:
    """pywb's venv (made when missing), or None and why it could not be made."""
    python = PYWB_VENV / "bin" / "python"
    if (PYWB_VENV / "bin" / "wayback").exists():
        return python, "installed"
    uv = shutil.which("uv")
    if uv is None:
        return None, "uv is not on PATH"
    try:
        subprocess.run([uv, "venv", "-q", "--python", "3.11", str(PYWB_VENV)], check=True, capture_output=True)
        subprocess.run([uv, "pip", "install", "-q", "--python", str(python), PYWB], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(PYWB_VENV, ignore_errors=True)
        return None, f"{' '.join(exc.cmd[:3])} failed: {exc.stderr.decode(errors='replace').strip()[-300:]}"
    return python, "installed now"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _running(name: str, command: list[str], cwd: Path, port: int, probe: str) -> Iterator[Server]:
    log = (DATA / f"{name}.log").open("wb")
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {log.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(f"GET {probe} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                    if sock.recv(16).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer {probe} within 60 s; see {log.name}")
            time.sleep(0.2)
        yield Server(name, port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _servers(stack: ExitStack, directory: Path, probe: str, pywb: Path | None) -> dict[str, Server]:
    edittrail = Path(sys.executable).parent / "edittrail"
    found = {}
    for name, extra in ((SERVERS[0], []), (SERVERS[1], ["--workers", str(WORKERS)])):
        port = _free_port()
        command = [str(edittrail), "--config", str(directory / "outlets.toml"), "serve", "--port", str(port), *extra]
        found[name] = stack.enter_context(_running(name, command, ROOT, port, probe))
    if pywb is not None:
        port = _free_port()
        wayback = [str(pywb.parent / "wayback"), "-p", str(port), "-b", "127.0.0.1"]
        found["pywb"] = stack.enter_context(_running("pywb", wayback, directory / "pywb", port, probe))
    return found


def _family(pid: int) -> list[int]:
    """The server's process and its children (uvicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]


def _cpu_seconds(pid: int) -> float:
    total = 0
    for member in _family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _vmhwm_mb(pid: int) -> float:
    """Peak resident memory, summed over the server's processes."""
    total = 0
    for member in _family(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


# --- the load -----------------------------------------------------------------------------


def _load(args: list[str]) -> str:
    done = subprocess.run([sys.executable, "-m", "bench.serve_load", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench.serve_load {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _cell(server: Server, paths_file: Path, concurrency: int, seconds: float, mode: str) -> dict[str, Any]:
    before = _cpu_seconds(server.process.pid)
    found: dict[str, Any] = json.loads(_load([str(server.port), str(paths_file), str(concurrency), str(seconds), mode]))
    spent = _cpu_seconds(server.process.pid) - before
    found["server_cpu_ms_per_request"] = round(1000 * spent / max(1, found["requests"]), 3)
    found["client_cpu_ms_per_request"] = round(1000 * found["client_cpu_s"] / max(1, found["requests"]), 3)
    found["load_average"] = round(os.getloadavg()[0], 2)
    return found


def _lines(body: str, *, pywb: bool) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for line in body.splitlines():
        urlkey, stamp, fields = line.split(" ", 2)
        data = json.loads(fields)
        if pywb:
            data = {k: v for k, v in data.items() if k not in ("source", "source-coll")}
        found.append((urlkey, stamp, data))
    return found


def compare(servers: dict[str, Server], files: dict[str, Path], work: Path) -> dict[str, Any]:
    """Both servers answer every CDX query once; the lines must be the same (pywb's sources aside)."""
    result: dict[str, Any] = {}
    for kind in ("exact", "prefix"):
        bodies = {}
        for name, server in servers.items():
            if name not in ("edittrail", "pywb"):
                continue
            out = work / f"bodies-{name}-{kind}.json"
            _load([str(server.port), str(files[kind]), "8", "0", "close", str(out)])
            bodies[name] = json.loads(out.read_text())
        paths = json.loads(files[kind].read_text())
        non200 = {name: sum(found[p][0] != 200 for p in paths) for name, found in bodies.items()}
        differ = [
            p for p in paths if _lines(bodies["edittrail"][p][1], pywb=False) != _lines(bodies["pywb"][p][1], pywb=True)
        ]
        lines = statistics.fmean(len(bodies["edittrail"][p][1].splitlines()) for p in paths)
        result[kind] = {"queries": len(paths), "non200": non200, "differ": len(differ), "examples": differ[:3]}
        result[kind]["mean_lines"] = round(lines, 1)
    return result


def run(quick: bool = False) -> dict[str, Any]:
    total, seconds, rounds = (20_000, 2.0, 1) if quick else (1_000_000, 6.0, 2)
    directory = dataset(total)
    meta = json.loads((directory / "meta.json").read_text())
    urls = json.loads((directory / "urls.json").read_text())
    pywb, pywb_status = pywb_python()
    if pywb is None:
        print(f"[bench] serve: PYWB NOT AVAILABLE ({pywb_status}); edittrail is measured alone", flush=True)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="edittrail-bench-serve-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        files = {}
        for kind, paths in request_paths(urls).items():
            files[kind] = work / f"{kind}.json"
            files[kind].write_text(json.dumps(paths))
        probe = json.loads(files["exact"].read_text())[0]
        servers = _servers(stack, directory, probe, pywb)
        same = compare(servers, files, work) if "pywb" in servers else None
        load_before = os.getloadavg()
        for number in range(rounds):
            order = list(servers.values())
            for concurrency in CONCURRENCIES:
                for mode in MODES:
                    for kind in KINDS:
                        for server in order if number % 2 == 0 else reversed(order):
                            cell = _cell(server, files[kind], concurrency, seconds, mode)
                            cell |= {"server": server.name, "kind": kind, "concurrency": concurrency, "mode": mode}
                            rows.append(cell | {"round": number})
                            print(f"[bench] serve: {json.dumps(rows[-1])}", flush=True)
        rss = {name: _vmhwm_mb(server.process.pid) for name, server in servers.items()}
    return {
        "dataset": meta | {"lookups": len(urls), "directory": str(directory.relative_to(ROOT))},
        "pywb": pywb_status if pywb is not None else f"NOT MEASURED: {pywb_status}",
        "seconds_per_cell": seconds,
        "rounds": rounds,
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "same_lines": same,
        "vmhwm_mb": rss,
        "cells": _summary(rows),
        "rows": rows,
    }


def _summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per kind, concurrency and mode: the median over rounds of each server's figures, and of the ratios."""
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault((row["server"], row["kind"], row["concurrency"], row["mode"]), []).append(row)
    cells = []
    for concurrency in CONCURRENCIES:
        for mode in MODES:
            for kind in KINDS:
                cell: dict[str, Any] = {"kind": kind, "concurrency": concurrency, "mode": mode}
                for name in SERVERS:
                    mine = grouped.get((name, kind, concurrency, mode), [])
                    if not mine:
                        continue
                    cell[name] = {
                        key: statistics.median(r[key] for r in mine)
                        for key in ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_request", "mean_bytes")
                    }
                    cell[name]["bad"] = sum(r["non200"] + r["errors"] for r in mine)
                    cell[name]["client_cpu_ms_per_request"] = statistics.median(
                        r["client_cpu_ms_per_request"] for r in mine
                    )
                if "pywb" in cell:
                    cell["ratio"] = {}
                    for name in SERVERS[:2]:
                        pairs = zip(
                            grouped[(name, kind, concurrency, mode)],
                            grouped[("pywb", kind, concurrency, mode)],
                            strict=True,
                        )
                        cell["ratio"][name] = round(statistics.median(a["rps"] / b["rps"] for a, b in pairs), 2)
                cells.append(cell)
    return cells


def table(result: dict[str, Any]) -> str:
    data, load = result["dataset"], result["load_average"]
    lines = [
        f"edittrail serve vs pywb wayback over HTTP ({data['captures']:,} captures, {data['lookups']} URLs; "
        f"{result['rounds']} round(s) of {result['seconds_per_cell']:g} s per cell, servers alternating; "
        f"load average {load['before'][0]:.1f} before, {load['after'][0]:.1f} after; pywb: {result['pywb']})",
        f"edittrail = `edittrail serve` as shipped (one process); {SERVERS[1]} = `--workers {WORKERS}`",
        f"{'kind':<8} {'c':>3} {'mode':<10} {'server':<13} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'cpu ms/req':>10} {'vs pywb':>7} {'bad':>4}",
    ]
    for cell in result["cells"]:
        for name in SERVERS:
            if name not in cell:
                continue
            row, ratio = cell[name], cell.get("ratio", {}).get(name)
            shown = f"{ratio:.2f}x" if ratio is not None else "-"
            lines.append(
                f"{cell['kind']:<8} {cell['concurrency']:>3} {cell['mode']:<10} {name:<13} {row['rps']:>7.0f} "
                f"{row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['server_cpu_ms_per_request']:>10.2f} "
                f"{shown:>7} {row['bad']:>4}"
            )
    client = max(c["edittrail"]["client_cpu_ms_per_request"] for c in result["cells"])
    lines.append(f"load generator's own CPU: at most {client:.2f} ms per request (one process, uvloop)")
    if result["same_lines"]:
        same = result["same_lines"]
        lines.append(
            "same CDX lines from edittrail and pywb: "
            + "; ".join(
                f"{kind} {s['queries'] - s['differ']}/{s['queries']} queries (mean {s['mean_lines']} lines, "
                f"non-200 {s['non200']['edittrail']}/{s['non200']['pywb']})"
                for kind, s in same.items()
            )
        )
    lines.append(f"peak RSS (VmHWM, all processes) MB: {result['vmhwm_mb']}")
    lines.append("targets:")
    for cell in result["cells"]:
        if cell["concurrency"] == 16 and cell["kind"] in ("exact", "timemap"):
            for name in SERVERS[:2]:
                p99 = cell[name]["p99_ms"]
                lines.append(
                    f"  c=16 {cell['mode']:<10} {cell['kind']:<8} {name:<13} p99 {p99:.0f} ms "
                    f"(target <= {P99_TARGET_MS:.0f}): {'met' if p99 <= P99_TARGET_MS else 'NOT MET'}"
                )
    for cell in result["cells"]:
        for name, ratio in cell.get("ratio", {}).items():
            lines.append(
                f"  c={cell['concurrency']:<2} {cell['mode']:<10} {cell['kind']:<8} rps {name}/pywb {ratio:.2f}x "
                f"(target >= {RATIO_TARGET:.1f}): {'met' if ratio >= RATIO_TARGET else 'NOT MET'}"
            )
    if not result["same_lines"]:
        lines.append("  NO COMPARISON WITH PYWB: " + result["pywb"])
    return "\n".join(lines)
