"""`versions`, `diff`, `show` and `changes` on an archive of two real crawls of the simulated outlet
(a headline and a body paragraph edited between them): an article named by a URL on any mirror,
by OUTLET/ID as `changes` prints it, or by its id; the diff cut to its changes, in colour on request;
`changes` with each article's URL and headline, and as the export rows (CSV, JSON Lines)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from archive import pipeline
from archive.cli.main import cli
from archive.config import Config, load_config
from archive.index import Index
from archive.index import versions as vx
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import wait_past
from tests.support import HOSTS, TWO_DOMAINS, write_config

NEW_HEADLINE = "Officials deny the report after a day of questions"
NEW_PARAGRAPH = "The ministry now says the talks were postponed, not cancelled."


@dataclass(frozen=True)
class Edited:
    config: Config
    article_id: str
    url: str
    """The article's URL on the mirror, with a slug of our own."""
    old_paragraphs: tuple[str, ...]


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edited]:
    directory = tmp_path_factory.mktemp("cli-articles")
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=6) as sim:
        config = load_config(write_config(directory, port=sim.port, replace=TWO_DOMAINS))
        pipeline.run_cycle(config, "demo")
        with Index(config.index_path, readonly=True) as idx:
            wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])
        article = sim.site.article_ids()[1]
        sim.edit_headline(article, NEW_HEADLINE, declared=False)
        sim.edit_body(article, replace={2: NEW_PARAGRAPH}, declared=False)
        pipeline.run_cycle(config, "demo")
        with Index(config.index_path, readonly=True) as idx:
            first, second = vx.versions_of(idx, "demo", str(article))
        assert len(first.body) >= 5 and second.body[2] == NEW_PARAGRAPH, (first.body, second.body)
        old = first.body
        mirror = sim.article_url(article, host="www.presstv.co.uk").rsplit("/", 1)[0] + "/any-slug"
        yield Edited(config, str(article), mirror, old)


def run(edited: Edited, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(edited.config.path), *args], env=env)


def test_versions_takes_a_mirror_url_outlet_slash_id_or_a_bare_id_alike(edited):
    outputs = [
        run(edited, "versions", ref).output for ref in (edited.url, f"demo/{edited.article_id}", edited.article_id)
    ]
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].startswith(f"demo/{edited.article_id}: 2 version(s)")
    assert NEW_HEADLINE in outputs[0]


def test_a_url_without_its_scheme_names_the_article_too(edited):
    result = run(edited, "versions", edited.url.split("://", 1)[1], "--json")
    assert result.exit_code == 0, result.output
    assert [v["version"] for v in json.loads(result.output)] == [1, 2]


@pytest.mark.parametrize(
    ("ref", "tried"),
    [
        ("demo/1", "tried article 1 of outlet demo (none has an archived version yet)"),
        ("1", "tried article id '1' in outlet(s) presstv, demo (none has an archived version yet)"),
        ("http://example.org/Detail/2026/11/25/1/x", "demo (www.presstv.ir, www.presstv.co.uk). Give a URL"),
    ],
)
def test_a_reference_to_no_archived_article_is_a_usage_error_saying_what_was_tried(edited, ref, tried):
    result = run(edited, "versions", ref)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for ARTICLE: {ref!r} names no archived article" in result.output
    assert tried in result.output and "Traceback" not in result.output


def test_outlet_slash_id_of_another_outlet_than_outlet_says_so(edited):
    result = run(edited, "diff", f"demo/{edited.article_id}", "--outlet", "presstv")
    assert result.exit_code == 2 and "but --outlet is presstv" in result.output


def test_what_changes_prints_pastes_into_versions_diff_and_show(edited):
    listed = run(edited, "changes", "--outlet", "demo", "--kind", "headline")
    assert listed.exit_code == 0, listed.output
    ref = listed.output.split()[1]
    assert ref == f"demo/{edited.article_id}"
    assert f"  {NEW_HEADLINE}\n" in listed.output  # the current headline under each change
    for args in (["versions", ref], ["diff", ref], ["show", ref], ["show", edited.article_id]):
        result = run(edited, *args)
        assert result.exit_code == 0, (args, result.output)
    assert NEW_HEADLINE in run(edited, "show", ref).output


def test_changes_json_carries_the_articles_url_and_current_headline(edited):
    rows = json.loads(run(edited, "changes", "--outlet", "demo", "--json").output)
    mine = [r for r in rows if r["article_id"] == edited.article_id]
    assert {r["kind"] for r in mine} == {"headline", "body"}
    assert all(r["headline"] == NEW_HEADLINE for r in mine)
    assert all(r["url"].startswith("http://www.presstv.ir:") and f"/{edited.article_id}/" in r["url"] for r in mine)
    assert run(edited, "changes", "--outlet", "demo", "--format", "json").output == json.dumps(rows, indent=2) + "\n"


def test_changes_as_csv_and_jsonl_are_the_export_rows(edited):
    from archive.read.change_rows import FIELDS

    table = list(csv.DictReader(io.StringIO(run(edited, "changes", "--outlet", "demo", "--format", "csv").output)))
    lines = run(edited, "changes", "--outlet", "demo", "--format", "jsonl").output.splitlines()
    assert tuple(table[0]) == FIELDS and len(table) == len(lines) >= 2
    (headline,) = [row for row in map(json.loads, lines) if row["kind"] == "headline"]
    (same,) = [row for row in table if row["kind"] == "headline"]
    assert headline["headline"] == same["headline"] == NEW_HEADLINE and headline["article_id"] == edited.article_id
    assert headline["declared"] is False and same["declared"] == "false" and headline["url"] == same["url"] != ""
    limited = run(edited, "changes", "--format", "jsonl", "--limit", "1").output.splitlines()
    assert len(limited) == 1


def test_diff_field_shows_only_that_field(edited):
    result = run(edited, "diff", edited.article_id, "--field", "headline")
    assert result.exit_code == 0, result.output
    assert "== headline changed (silent)" in result.output and "body" not in result.output
    assert f"+ {NEW_HEADLINE}\n" in result.output
    same = run(edited, "diff", edited.article_id, "--field", "byline")
    assert "byline: the same in versions 1 and 2" in same.output


def test_diff_shows_the_changed_paragraph_with_context_not_the_whole_body(edited):
    old = edited.old_paragraphs
    tight = run(edited, "diff", edited.article_id, "--field", "body", "--context", "0").output
    assert f"~ [-{old[2]}" in tight or f"- [-{old[2]}-]" in tight, tight
    assert NEW_PARAGRAPH.split()[-1] in tight
    assert old[1] not in tight and old[3] not in tight and "  …" in tight
    around = run(edited, "diff", edited.article_id, "--field", "body").output  # default: one paragraph either side
    assert f"  {old[1]}\n" in around and f"  {old[3]}\n" in around and old[0] not in around
    whole = run(edited, "diff", edited.article_id, "--field", "body", "--context", "1000").output
    assert all(p in whole for p in (old[0], old[-1])) and "…" not in whole


def test_diff_colours_only_when_asked_or_on_a_terminal(edited):
    piped = run(edited, "diff", edited.article_id).output
    coloured = run(edited, "diff", edited.article_id, "--color").output
    assert "\x1b[" not in piped and "[-" in piped
    assert "\x1b[32m" in coloured and "\x1b[31m" in coloured and "[-" not in coloured
    assert "\x1b[" not in run(edited, "diff", edited.article_id, "--no-color").output


def test_colour_defaults_to_terminals_without_no_color(monkeypatch):
    from archive.cli.articles import wants_color

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout", Terminal())
    assert wants_color(None) is True and wants_color(False) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert wants_color(None) is False and wants_color(True) is True
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    assert wants_color(None) is False


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "X", "--context", "-1"],
        ["diff", "X", "--context", "99999999999999999999"],
        ["diff", "X", "--field", "headlines"],
        ["changes", "--format", "xml"],
    ],
)
def test_option_values_out_of_range_are_usage_errors(edited, args):
    args = [edited.article_id if a == "X" else a for a in args]
    result = run(edited, *args)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert args[-2] in result.output


def test_export_takes_an_article_as_outlet_slash_id_or_id_like_its_url(edited, tmp_path):
    packages = {}
    for name, ref in (("url", edited.url), ("ref", f"demo/{edited.article_id}"), ("id", edited.article_id)):
        result = run(edited, "export", "--outlet", "demo", "--article", ref, "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        packages[name] = json.loads((tmp_path / name / "export.json").read_text())
    counts = {name: p["counts"]["captures"] for name, p in packages.items()}
    assert counts["url"] == counts["ref"] == counts["id"] > 0, counts
    assert packages["id"]["selection"]["articles"] == packages["ref"]["selection"]["articles"]
    refused = run(edited, "export", "--outlet", "demo", "--article", "demo/999999999", "--out", str(tmp_path / "x"))
    assert refused.exit_code == 2 and "999999999" in refused.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("args", "said"), [(["--from", "2"], "(--to defaults to the latest, 2)"), (["--from", "1", "--to", "1"], "")]
)
def test_diff_of_a_version_with_itself_is_a_usage_error(edited, args, said):
    result = run(edited, "diff", edited.article_id, *args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for --from/--to:" in result.output and "name the same version" in result.output
    assert said in result.output and "same content" not in result.output


def test_diff_going_backwards_is_refused_with_the_order_to_type(edited):
    result = run(edited, "diff", edited.article_id, "--from", "2", "--to", "1")
    assert result.exit_code == 2, result.output
    assert "version 2 is newer than version 1" in result.output and "(use --from 1 --to 2)" in result.output
    assert run(edited, "diff", edited.article_id, "--from", "1", "--to", "2").exit_code == 0


def test_changes_text_shows_the_plain_summaries_one_change_a_line(edited):
    result = run(edited, "changes", "--outlet", "demo")
    assert result.exit_code == 0, result.output
    assert "[-" not in result.output and "{+" not in result.output and "-]" not in result.output
    lines = result.output.splitlines()
    mine = [line for line in lines if f"demo/{edited.article_id} " in line]
    (headline,) = [line for line in mine if "  headline " in line]
    assert headline.endswith(f"silent    headline changed (silent): “{headline_before(edited)}” → “{NEW_HEADLINE}”")
    (body,) = [line for line in mine if "  body " in line]
    assert "body changed (silent): 1 added, 1 removed (paragraphs)" in body, body
    count = int(lines[-1].split()[0])
    assert lines[-1] == f"{count} change(s)" and len(lines) == 2 * count + 1  # a change, its headline, ..., count


def headline_before(edited: Edited) -> str:
    with Index(edited.config.index_path, readonly=True) as idx:
        return vx.versions_of(idx, "demo", edited.article_id)[0].headline


@pytest.mark.parametrize("fmt", ["text", "csv", "jsonl"])
def test_json_with_another_format_is_a_usage_error(edited, fmt):
    result = run(edited, "changes", "--json", "--format", fmt)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for --json: --json means --format json, but --format is {fmt}" in result.output
    both = run(edited, "changes", "--outlet", "demo", "--json", "--format", "json")
    assert both.exit_code == 0 and json.loads(both.output)
