"""Hostile command lines never give a traceback: each is done (exit 0), refused with one
``error:`` line (exit 1) or a click usage error (exit 2).

Every command that only reads (or writes where it is told to) runs against a small real
archive with values of every shape for each option: huge, negative and non-numeric numbers,
garbage and extreme times, URLs that are no URLs, paths that are files, directories, missing
or under a file, and bytes that are not UTF-8 (as a shell passes them). Commands that would
serve or crawl forever get only values that must be refused before they start.
"""

from __future__ import annotations

import contextlib
import tempfile

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from archive.cli.main import cli
from tests.archive.ops.test_audit import OTHER, URL, Archive

NUMBERS = ["0", "-1", "1", "2", "65535", "65536", "99999", "99999999999999999999999", "-99999999999999999999999"]
NUMBERS += ["1.5", "nan", "inf", "", " ", "1e3", "0x10", "١٢", "𝟗"]
TIMES = ["2026-11-25", "2026-11-25T10:00Z", "20261125100000", "1", "0", "00000000000000", "99999999999999"]
TIMES += ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "2026-02-30", "2026-13-01", "T25:00", "x", "", "-"]
URLS = [URL, OTHER, f"{URL}?a=b#c", "http://www.presstv.ir/sitemap.xml", "www.presstv.ir/Detail/2026/11/25/777077/s"]
URLS += ["", " ", "x", "ftp://www.presstv.ir/Detail/2026/1/1/1", "http://[::1", "http://www.presstv.ir:99999/x"]
URLS += ["http://", "http:///x", "javascript:alert(1)", "http://a b/", "http://x/\x01", "a" * 10000]
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
UNDECODABLE = st.sampled_from(["\udcff", "caf\udce9", "http://www.presstv.ir/\udc80"])
"""What Python makes of argv bytes that are not UTF-8 (surrogateescape)."""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return Archive(tmp_path_factory.mktemp("cli-fuzz"))


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Paths of every kind: a file, a directory, missing, under a file, empty, non-empty."""
    root = tmp_path_factory.mktemp("paths")
    (root / "file").write_text("x")
    (root / "full").mkdir()
    (root / "full" / "x").write_text("x")
    (root / "empty").mkdir()
    return [str(root / p) for p in ("file", "file/sub", "full", "empty", "missing/deeper/out", "new")] + [
        "",
        "-",
        "/",
        "/dev/null",
        "/proc",
    ]


def invoke(archive: Archive, args: list[str]) -> Result:
    """Run in an empty working directory: relative paths ("-", "new") land there."""
    with contextlib.chdir(tempfile.mkdtemp(dir=archive.config.root)):
        return CliRunner().invoke(cli, ["--config", str(archive.config.path), *args])


def assert_clean(result: Result, args: list[str]) -> None:
    where = f"edittrail {' '.join(map(repr, args))}"
    assert result.exit_code in (0, 1, 2), (where, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (where, repr(result.exception))
    assert "Traceback" not in result.output, where
    if result.exit_code == 1:
        assert result.stderr.splitlines()[-1].startswith("error: "), (where, result.stderr)


def values(paths: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.sampled_from(TIMES),
        st.sampled_from(URLS),
        st.sampled_from(paths),
        st.sampled_from(["demo", "presstv", "nope", "headline", "text", "html", "warc"]),
        TEXT,
        UNDECODABLE,
        st.integers().map(str),
    )


COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    # command: (options that take a value, flags)
    "check-config": ([], []),
    "summary": (["--outlet"], ["--json"]),
    "versions": (["--outlet"], ["--json"]),
    "diff": (["--from", "--to", "--outlet"], []),
    "changes": (["--outlet", "--since", "--kind", "--limit"], ["--json"]),
    "show": (["--outlet", "--at", "--format", "--output"], []),
    "export": (["--outlet", "--article", "--from", "--to", "--out"], []),
    "status": (["--outlet", "--runs"], ["--json"]),
    "mirrors": (["--outlet"], ["--json"]),
    "audit": (["--outlet"], ["--json"]),
}
TAKES_URL = {"versions", "diff", "show"}


DOMAIN_VALUES = {
    "--outlet": ["demo", "demo", "presstv", "nope"],
    "--format": ["text", "html", "warc"],
    "--kind": ["headline", "body", "retraction", "domain"],
    "--at": TIMES,
    "--since": TIMES,
    "--from": TIMES,
    "--to": TIMES,
    "--article": URLS,
    "--limit": NUMBERS,
    "--runs": NUMBERS,
}
"""Values of each option's own kind, so that most command lines get past parsing to the work."""


@st.composite
def command_lines(draw: st.DrawFn, paths: list[str]) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options, flags = COMMANDS[name]
    args = [name]
    hostile = st.integers(0, 3).map(lambda n: n == 0)  # one value in four is of any kind
    if name in TAKES_URL:
        args.append(draw(st.sampled_from(URLS) | TEXT | UNDECODABLE if draw(hostile) else st.sampled_from(URLS[:5])))
    for option in draw(st.lists(st.sampled_from(options), max_size=4)) if options else []:
        own = paths if option in ("--out", "--output") else DOMAIN_VALUES.get(option, NUMBERS)
        if name == "diff" and option in ("--from", "--to"):
            own = NUMBERS
        args += [option, draw(values(paths) if draw(hostile) else st.sampled_from(own))]
    args += draw(st.lists(st.sampled_from(flags), max_size=1, unique=True)) if flags else []
    if name == "export" and "--out" not in args:
        args += ["--out", draw(st.sampled_from(paths))]
    return args


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_command_lines_exit_0_1_or_2_without_a_traceback(archive, paths, data):
    args = data.draw(command_lines(paths))
    result = invoke(archive, args)
    event(f"{args[0]} exit {result.exit_code}")  # --hypothesis-show-statistics: how deep the values got
    assert_clean(result, args)


@pytest.mark.parametrize("option", ["--limit", "--since", "--kind", "--outlet"])
def test_every_hostile_value_of_changes_is_clean(archive, paths, option):
    for value in [*NUMBERS, *TIMES, "\udcff"]:
        args = ["changes", option, value]
        assert_clean(invoke(archive, args), args)


@pytest.mark.parametrize("url", [*URLS, "\udcff"])
def test_every_hostile_url_is_clean(archive, url, tmp_path):
    for command in (["show", url], ["show", url, "--format", "warc"], ["versions", url], ["diff", url]):
        assert_clean(invoke(archive, command), command)
    out = str(tmp_path / "export")  # under the test's own directory: as root, /nonexistent/x would be made
    assert_clean(invoke(archive, ["export", "--outlet", "demo", "--article", url, "--out", out]), [url])


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["serve", "--port", "0"],
        ["serve", "--port", "99999999999999999999999"],
        ["serve", "--port", "http"],
        ["simulate", "--port", "65536"],
        ["simulate", "--articles", "-1"],
        ["simulate", "--articles", "99999999999"],
        ["simulate", "--timeline", "/nonexistent.toml"],
        ["crawl", "--outlet", "demo", "--url", "ftp://www.presstv.ir/Detail/2026/1/1/1"],
        ["crawl", "--outlet", "demo", "--url", "www.presstv.ir/Detail/2026/1/1/1"],
        ["crawl", "--outlet", "nope"],
        ["reindex", "--outlet", "nope"],
        ["redetect", "--outlet", "nope"],
        ["backup", "--outlet", "nope"],
        ["mirrors", "probe", "--outlet", "nope"],
        ["mirrors", "accept", "\udcff", "--outlet", "demo"],
        ["mirrors", "reject", "x", "--outlet", "nope"],
    ],
    ids=" ".join,
)
def test_servers_and_crawls_refuse_hostile_values_before_they_start(archive, args):
    result = invoke(archive, args)
    assert_clean(result, args)
    assert result.exit_code in (1, 2)


@pytest.mark.parametrize("config", ["", "/", "/dev/null", "/nonexistent/outlets.toml", "\udcff"])
def test_a_hostile_config_path_is_clean(config):
    result = CliRunner().invoke(cli, ["--config", config, "check-config"])
    assert_clean(result, ["--config", config])
    assert result.exit_code in (1, 2)


def test_a_config_path_that_is_a_directory_is_refused_by_the_command_line_and_by_load_config(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path), "check-config"])
    assert result.exit_code == 2 and "is a directory" in result.output
    result = CliRunner().invoke(cli, ["check-config"], env={"EDITTRAIL_CONFIG": str(tmp_path)})
    assert result.exit_code == 2 and "is a directory" in result.output
