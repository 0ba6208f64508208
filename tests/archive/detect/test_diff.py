"""Word and paragraph diffs: readable in a terminal, safe in HTML, honest in their counts."""

from __future__ import annotations

import pytest

from archive.detect.diff import FieldDiff, ParagraphDiff, around_changes, diff_paragraphs, diff_text, short_summary


def test_word_diff_marks_removed_and_added_words_inline() -> None:
    diff = diff_text("Iran slams new US sanctions on Monday", "Iran rejects new US sanctions on Tuesday", "headline")
    assert diff.field == "headline"
    assert diff.text == "Iran [-slams-]{+rejects+} new US sanctions on [-Monday-]{+Tuesday+}"
    assert diff.html == (
        "Iran <del>slams</del><ins>rejects</ins> new US sanctions on <del>Monday</del><ins>Tuesday</ins>"
    )
    assert (diff.added_words, diff.removed_words) == (2, 2)
    assert diff.changed
    assert (diff.before, diff.after) == (
        "Iran slams new US sanctions on Monday",
        "Iran rejects new US sanctions on Tuesday",
    )


def test_insertions_and_deletions_keep_their_spacing() -> None:
    diff = diff_text("one two three four", "zero one three four five")
    assert diff.text == "{+zero+} one [-two-] three four {+five+}"
    assert (diff.added_words, diff.removed_words) == (2, 1)


def test_everything_in_the_html_is_escaped() -> None:
    diff = diff_text('Officials said <b>"no"</b> & left', "Officials said <script>alert('x')</script> & left", "body")
    assert "<script>" not in diff.html and "<b>" not in diff.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in diff.html
    assert "&lt;b&gt;&quot;no&quot;&lt;/b&gt;" in diff.html
    assert "&amp; left" in diff.html
    assert diff.html.count("<del>") == 1 and diff.html.count("<ins>") == 1
    assert "{+<script>alert('x')</script>+}" in diff.text


def test_identical_or_merely_retyped_text_is_no_change() -> None:
    same = diff_text("Sa\u2019ar\u2019s \u201cremarks\u201d", "Sa'ar's  \"remarks\"")
    assert not same.changed
    assert same.text == "Sa'ar's  \"remarks\""
    assert short_summary(same) == "no change"
    assert not diff_text("", "").changed


def test_text_from_nothing_and_to_nothing() -> None:
    assert diff_text("", "Brand new").text == "{+Brand new+}"
    gone = diff_text("All gone now", "")
    assert gone.text == "[-All gone now-]"
    assert gone.removed_words == 3


def test_newlines_become_line_breaks_in_html() -> None:
    diff = diff_text("First para.\n\nSecond para.", "First para.\n\nSecond para changed.")
    assert diff.text == "First para.\n\nSecond [-para.-]{+para changed.+}"
    assert diff.html.startswith("First para.<br>\n<br>\nSecond ")


BEFORE = [
    "Russia's military says the White Helmets are preparing a false-flag attack in Idlib.",
    "The head of the Russian center said residents of Saraqib reported the plot.",
    "Militants delivered containers of toxic substances to a warehouse.",
    "The Russian official called on international organizations to take the warnings seriously.",
]


def test_paragraph_diff_counts_added_removed_and_reworded() -> None:
    after = [
        BEFORE[0],
        "The head of the Russian center said residents of the town of Saraqib reported the plot.",
        "Syria's foreign ministry rejected the accusations on Thursday.",
        BEFORE[3],
        "Damascus denies ever using chemical weapons.",
    ]
    diff = diff_paragraphs(BEFORE, after)
    assert (diff.added, diff.removed, diff.reworded, diff.unchanged) == (2, 1, 1, 2)
    assert diff.removed_paragraphs == (BEFORE[2],)
    assert diff.added_paragraphs == (after[2], after[4])
    (reworded,) = diff.reworded_diffs
    assert reworded.text == (
        "The head of the Russian center said residents of {+the town of+} Saraqib reported the plot."
    )
    assert diff.text.splitlines()[0].startswith("~ The head")
    assert f"- {BEFORE[2]}" in diff.text and f"+ {after[4]}" in diff.text
    assert diff.changed


def test_paragraph_diff_ignores_typography_and_empty_paragraphs() -> None:
    retyped = [p.replace("'", "\u2019") for p in BEFORE] + ["   "]
    diff = diff_paragraphs(BEFORE, retyped)
    assert not diff.changed
    assert diff.unchanged == len(BEFORE)
    assert diff.text == "" and diff.html == ""


def test_a_rewritten_paragraph_is_removed_and_added_not_reworded() -> None:
    diff = diff_paragraphs(BEFORE, [*BEFORE[:3], "Completely different words appear here instead."])
    assert (diff.added, diff.removed, diff.reworded) == (1, 1, 0)


def test_moving_a_paragraph_counts_as_removed_and_added() -> None:
    diff = diff_paragraphs(BEFORE, [BEFORE[1], BEFORE[0], *BEFORE[2:]])
    assert diff.added == 1 and diff.removed == 1 and diff.unchanged == 3


def test_paragraph_html_is_escaped_and_marked() -> None:
    diff = diff_paragraphs(["Safe text."], ["Safe text.", "<img src=x onerror=alert(1)>"])
    assert diff.html == "<p><ins>&lt;img src=x onerror=alert(1)&gt;</ins></p>"


def test_short_summary_shows_changes_in_context_within_the_limit() -> None:
    before = " ".join(f"w{i}" for i in range(200))
    after = before.replace("w50 ", "CHANGED ").replace("w150 ", "")
    diff = diff_text(before, after)
    summary = short_summary(diff, max_chars=400)
    assert summary == (
        "w44 w45 w46 w47 w48 w49 [-w50-]{+CHANGED+} w51 w52 w53 w54 w55 w56 … "
        "w144 w145 w146 w147 w148 w149 [-w150-] w151 w152 w153 w154 w155 w156"
    )
    short = short_summary(diff, max_chars=40)
    assert len(short) <= 40 and short.endswith("…")
    with pytest.raises(ValueError, match="max_chars"):
        short_summary(diff, max_chars=0)


def test_short_summary_of_paragraphs_leads_with_the_counts() -> None:
    diff = diff_paragraphs(BEFORE, [BEFORE[0], BEFORE[1] + " Officials confirmed it.", BEFORE[3]])
    summary = short_summary(diff, max_chars=400)
    assert summary.startswith("paragraphs 1 removed, 1 reworded: ")
    assert "{+Officials confirmed it.+}" in summary and f"[-{BEFORE[2]}-]" in summary
    assert short_summary(diff_paragraphs(BEFORE, BEFORE)) == "no change"


def test_results_are_frozen_records() -> None:
    diff = diff_text("a", "b")
    assert isinstance(diff, FieldDiff)
    assert isinstance(diff_paragraphs(["a"], ["b"]), ParagraphDiff)
    with pytest.raises(AttributeError):
        diff.text = "x"  # type: ignore[misc]


def test_around_changes_keeps_the_context_of_each_change_and_one_gap_per_run_left_out():
    assert around_changes(10, [2, 8], 1) == [None, 1, 2, 3, None, 7, 8, 9]
    assert around_changes(5, [0], 0) == [0, None]
    assert around_changes(5, [1, 3], 1) == [0, 1, 2, 3, 4]  # overlapping contexts: no gap
    assert around_changes(3, [], 2) == [None]  # nothing changed: all of it left out
