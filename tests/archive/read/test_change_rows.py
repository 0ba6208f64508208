"""The shared row model of changes (``archive.read.change_rows``): the edit rebuilt from the versions,
plain text without ``[-…-]{+…+}`` markup, filters and pages in SQL, CSV and JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from archive.index import Index
from archive.read.change_edits import diff_lines, paragraph_pairs, word_segments
from archive.read.change_rows import (
    FIELDS,
    BadFilterError,
    ChangeFilter,
    ChangeRow,
    change_rows,
)
from archive.simulate import SimulatedOutlet
from tests.archive.api.edits import BACKDATED, NEW_HEADLINE, Edited, build_edited_archive
from tests.archive.index.query_plans import collecting, findings
from tests.support import HOSTS


def test_a_word_edit_marks_only_the_changed_words_on_each_side():
    old, new = word_segments("Iran rejects the talks offer", "Iran accepts the talks offer today")
    assert [(s.text, s.mark) for s in old] == [("Iran", ""), ("rejects", "del"), ("the talks offer", "")]
    assert [(s.text, s.mark) for s in new] == [
        ("Iran", ""),
        ("accepts", "ins"),
        ("the talks offer", ""),
        ("today", "ins"),
    ]


def test_a_body_edit_shows_the_changed_paragraph_with_one_paragraph_of_context_and_gaps():
    before = ["P one.", "P two.", "P three.", "The minister said no.", "P five.", "P six.", "P seven."]
    after = [*before[:3], "The minister said yes.", *before[4:]]
    pairs = paragraph_pairs(before, after)
    assert [p.role for p in pairs] == ["gap", "context", "changed", "context", "gap"]
    assert (
        diff_lines([_block(pairs)])
        == "  …\n  P three.\n- The minister said no.\n+ The minister said yes.\n  P five.\n  …"
    )


def test_an_added_paragraph_is_added_after_its_context_and_an_unchanged_body_is_no_edit():
    pairs = paragraph_pairs(["A first.", "A second."], ["A first.", "A second.", "Brand new."])
    assert [p.role for p in pairs] == ["gap", "context", "added"]
    assert diff_lines([_block(pairs)]) == "  …\n  A second.\n+ Brand new."
    assert paragraph_pairs(["Same."], ["Same."]) == ()


def test_csv_joins_hosts_by_a_space_and_jsonl_keeps_them_a_list():
    row = _row(hosts=("www.presstv.ir", "www.presstv.co.uk"), headline="Héadline, with “quotes”")
    out = io.StringIO(newline="")
    from archive.read.change_rows import write_csv, write_jsonl

    write_csv([row], out)
    header, line = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(header) == FIELDS and "edit" not in header
    values = dict(zip(header, line, strict=True))
    assert values["hosts"] == "www.presstv.ir www.presstv.co.uk" and values["declared"] == "false"
    assert values["headline"] == "Héadline, with “quotes”" and values["from_version"] == ""
    lines = io.StringIO()
    write_jsonl([row, row], lines)
    first = json.loads(lines.getvalue().splitlines()[0])
    assert first["hosts"] == ["www.presstv.ir", "www.presstv.co.uk"] and first["declared"] is False
    assert len(lines.getvalue().splitlines()) == 2 and "Héadline" in lines.getvalue()


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Edited:
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=30) as sim:
        return build_edited_archive(tmp_path_factory.mktemp("rows"), sim)


@pytest.mark.integration
def test_each_row_reads_the_edit_from_the_versions_without_markup(edited):
    with Index(edited.config.index_path, readonly=True) as idx:
        rows = {r.kind: r for r in change_rows(idx, "demo", ChangeFilter(), limit=50)}
    headline, body, date = rows["headline"], rows["body"], rows["date"]
    assert headline.article_id == edited.headline_id and headline.headline == NEW_HEADLINE
    assert headline.url.startswith("http://www.presstv.ir:") and headline.declared is False
    assert headline.diff_text == f"- {edited.old_headline}\n+ {NEW_HEADLINE}"
    assert headline.summary == f"headline changed (silent): “{edited.old_headline}” → “{NEW_HEADLINE}”"
    assert body.declared is True and f"- {edited.old_paragraph}" in body.diff_text.splitlines()
    assert BACKDATED.strftime("+ %Y-%m-%d %H:%M UTC") in date.diff_text
    assert set(headline.hosts) == {"www.presstv.ir", "www.presstv.co.uk"}
    for row in rows.values():
        assert "[-" not in row.summary + row.diff_text and "{+" not in row.summary + row.diff_text


@pytest.mark.integration
def test_filters_and_pages_select_in_sql(edited):
    with Index(edited.config.index_path, readonly=True) as idx:
        every = change_rows(idx, "demo", ChangeFilter(), limit=50)

        def kinds(filters: ChangeFilter, **page: int) -> list[str]:
            return [
                r.kind
                for r in change_rows(idx, "demo", filters, limit=page.get("limit", 50), offset=page.get("offset", 0))
            ]

        assert kinds(ChangeFilter(kind="body")) == ["body"]
        assert kinds(ChangeFilter(declared=True)) == ["body"]
        assert "body" not in kinds(ChangeFilter(declared=False))
        assert kinds(ChangeFilter(keyword="quietly REWRITTEN")) == ["headline"]
        assert kinds(ChangeFilter(keyword="100%_")) == []
        assert kinds(ChangeFilter(host="nowhere.example")) == []
        assert kinds(ChangeFilter(section=every[0].section)) == [r.kind for r in every if r.section == every[0].section]
        assert kinds(ChangeFilter(until="2000-01-01T00:00:00Z")) == []
        assert kinds(ChangeFilter(), limit=1, offset=1) == [every[1].kind]
        with pytest.raises(BadFilterError, match="kind='typo' is not one of"):
            change_rows(idx, "demo", ChangeFilter(kind="typo"), limit=5)


@pytest.mark.integration
def test_a_page_of_filtered_rows_is_read_through_the_index_not_by_walking_the_changes(edited, monkeypatch):
    with collecting(monkeypatch) as traced, Index(edited.config.index_path, readonly=True) as idx:
        change_rows(idx, "demo", ChangeFilter(kind="headline", declared=False, keyword="talks"), limit=20, offset=20)
    statements = [s for s in traced.distinct() if "FROM changes c" in s or "FROM versions WHERE" in s]
    assert any("LIMIT 20 OFFSET 20" in s for s in statements), statements
    assert findings(Path(edited.config.index_path), statements) == {}


def _block(pairs):
    from archive.read.change_edits import Block

    return Block("body", pairs, paragraphs=True)


def _row(**changed) -> ChangeRow:
    values = dict(
        outlet="demo",
        article_id="1",
        url="http://www.presstv.ir/Detail/1",
        headline="h",
        kind="headline",
        declared=False,
        hosts=("www.presstv.ir",),
        section="News",
        from_version=None,
        to_version=2,
        from_time=None,
        to_time="2026-11-20T00:00:00Z",
        detected_at=None,
        summary="headline changed (silent)",
        diff_text="- a\n+ b",
        to_record="urn:uuid:x",
        to_url="http://www.presstv.ir/Detail/1",
    )
    return ChangeRow(**(values | changed))
