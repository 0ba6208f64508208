"""`edittrail export` and `edittrail show` on an index built by real crawls: the package opens in
warcio, its CDXJ is sorted and resolves, revisits travel with their originals, the WACZ validates."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.cli.main import cli
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import EDITED_HEADLINE, Built, build_archive
from tests.support import HOSTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=30) as sim:
        return build_archive(tmp_path_factory.mktemp("export"), sim)


def run(built: Built, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(built.config.path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def second_crawl(built, tmp_path_factory) -> Path:
    """Everything of the second crawl only: its revisits' originals are in the first crawl's WARC."""
    out = tmp_path_factory.mktemp("pkg") / "second"
    run(built, "export", "--outlet", "demo", "--from", built.second_crawl_from, "--out", str(out))
    return out


def records(path: Path) -> list:
    with open(path, "rb") as fh:
        return [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Record-ID"),
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("WARC-Refers-To"),
            )
            for r in ArchiveIterator(fh)
        ]


def test_the_package_passes_warcio_check_and_sha256sum(second_crawl):
    warcs = sorted((second_crawl / "archive").glob("*.warc.gz"))
    assert len(warcs) == 2  # the second crawl's WARC and, for the originals, the first's
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, warcs)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    manifest = subprocess.run(
        ["sha256sum", "--strict", "-c", "manifest-sha256.txt"], cwd=second_crawl, capture_output=True, text=True
    )
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    listed = {line.split("  ", 1)[1] for line in (second_crawl / "manifest-sha256.txt").read_text().splitlines()}
    assert listed == {p.relative_to(second_crawl).as_posix() for p in second_crawl.rglob("*") if p.is_file()} - {
        "manifest-sha256.txt"
    }


def test_every_revisit_travels_with_its_original_and_each_response_with_its_request(second_crawl):
    found = [r for path in sorted((second_crawl / "archive").glob("*.warc.gz")) for r in records(path)]
    ids = {record_id for _, record_id, _, _ in found}
    revisits = [r for r in found if r[0] == "revisit"]
    assert len(revisits) >= 2
    for _, _, uri, refers_to in revisits:
        assert refers_to in ids, f"original of the revisit of {uri} is missing"
    responses = sum(1 for r in found if r[0] in ("response", "revisit"))
    assert sum(1 for r in found if r[0] == "request") == responses
    assert sum(1 for r in found if r[0] == "warcinfo") == 2
    description = json.loads((second_crawl / "export.json").read_text())
    assert description["counts"]["originals"] == len({r[3] for r in revisits})


def test_the_cdxj_is_sorted_and_every_line_resolves_to_its_record(second_crawl):
    lines = (second_crawl / "indexes" / "index.cdxj").read_text().splitlines()
    assert lines and lines == sorted(lines)
    for line in lines:
        urlkey, stamp, data = line.split(" ", 2)
        fields = json.loads(data)
        with open(second_crawl / "archive" / fields["filename"], "rb") as fh:
            fh.seek(int(fields["offset"]))
            member = fh.read(int(fields["length"]))
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        assert (
            record.rec_headers.get_header("WARC-Date").replace("-", "").replace(":", "").replace("T", "")[:14] == stamp
        )
        assert len(gzip.decompress(member)) > 0 and urlkey


def test_the_wacz_validates_and_its_digests_match(second_crawl):
    (wacz,) = second_crawl.glob("*.wacz")
    check = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as zf:
        names = set(zf.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz", "pages/pages.jsonl"} <= names
        package = json.loads(zf.read("datapackage.json"))
        assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
        for resource in package["resources"]:
            data = zf.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and resource["bytes"] == len(data)
        assert {f"archive/{p.name}" for p in (second_crawl / "archive").glob("*.warc.gz")} <= names


def test_an_article_export_holds_only_that_article_from_every_mirror(built, tmp_path):
    url = f"{built.sim.base_url('www.presstv.co.uk')}/Detail/2026/1/1/{built.edited_id}/any-slug"
    out = tmp_path / "one"
    output = run(built, "export", "--outlet", "demo", "--article", url, "--out", str(out))
    assert "captures" in output
    uris = {
        uri for path in (out / "archive").glob("*.warc.gz") for kind, _, uri, _ in records(path) if kind == "response"
    }
    assert uris and all(f"/{built.edited_id}/" in uri for uri in uris)
    assert {uri.split("/")[2].split(":")[0] for uri in uris} == {"www.presstv.ir", "www.presstv.co.uk"}


def test_export_refuses_a_non_empty_directory_and_an_empty_selection(built, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--config", str(built.config.path), "export", "--outlet", "demo", "--out", str(tmp_path / "full")]
    )
    assert result.exit_code == 1 and "not empty" in result.output
    result = runner.invoke(
        cli,
        [
            "--config",
            str(built.config.path),
            "export",
            "--outlet",
            "demo",
            "--to",
            "2001",
            "--out",
            str(tmp_path / "n"),
        ],
    )
    assert result.exit_code == 1 and "nothing to export" in result.output


def test_show_prints_the_version_live_at_a_time(built):
    url = f"{built.sim.base_url('www.presstv.ir')}/Detail/2026/1/1/{built.edited_id}/x"
    now = run(built, "show", url)
    assert "version 2" in now and EDITED_HEADLINE in now
    then = run(built, "show", url, "--at", built.first_crawl_end)
    assert "version 1" in then and EDITED_HEADLINE not in then
    html = run(built, "show", url, "--format", "html")
    assert "<html" in html.lower() and EDITED_HEADLINE in html
    result = CliRunner().invoke(cli, ["--config", str(built.config.path), "show", url, "--at", "2001-01-01"])
    assert result.exit_code == 1 and "nothing captured at or before" in result.output


def test_show_warc_gives_a_revisit_with_its_original(built, tmp_path):
    url = f"{built.sim.base_url('www.presstv.ir')}/sitemap.xml"
    result = CliRunner().invoke(cli, ["--config", str(built.config.path), "show", url, "--format", "warc"])
    assert result.exit_code == 0
    path = tmp_path / "shown.warc.gz"
    path.write_bytes(result.stdout_bytes)
    assert [kind for kind, _, _, _ in records(path)] == ["revisit", "response"]
