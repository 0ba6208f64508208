"""The export directory's manifest-sha256.txt read as `sha256sum --strict -c` reads it, plus
every file it leaves out: each problem names the file (under the directory as given) or the line."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from archive.evidence.manifest import check_directory
from archive.evidence.verify import Verdict


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "a.warc.gz").write_bytes(b"warc bytes")
    (tmp_path / "export.json").write_text("{}")
    (tmp_path / "manifest-sha256.txt").write_text(
        f"{sha(b'warc bytes')}  archive/a.warc.gz\n{sha(b'{}')}  export.json\n"
    )
    return tmp_path


def checked(directory: Path) -> Verdict:
    verdict = Verdict(package=directory / "x.wacz")
    check_directory(directory, verdict)
    return verdict


def problems(verdict: Verdict) -> dict[str, str]:
    return {p.where: p.what for p in verdict.problems}


def test_an_intact_directory_has_no_problem_and_counts_its_files(directory):
    assert subprocess.run(["sha256sum", "--strict", "-c", "manifest-sha256.txt"], cwd=directory).returncode == 0
    verdict = checked(directory)
    assert verdict.problems == [] and verdict.manifest_files == 2 and verdict.directory == directory


def test_a_changed_file_names_both_hashes(directory):
    (directory / "export.json").write_text("{} ")
    found = problems(checked(directory))
    assert found == {
        f"{directory}/export.json": f"its SHA-256 is {sha(b'{} ')}, manifest-sha256.txt records {sha(b'{}')}"
    }


def test_lines_that_are_not_sha256sum_lines_or_point_outside_are_named_by_number(directory):
    manifest = directory / "manifest-sha256.txt"
    manifest.write_text(
        manifest.read_text() + "not a line\n" + f"{sha(b'x')}  ../outside\n" + f"{sha(b'x')}  /etc/passwd\n"
    )
    found = problems(checked(directory))
    label = f"{directory}/manifest-sha256.txt"
    assert found[f"{label} line 3"].startswith("is not 'SHA256  PATH' as sha256sum writes")
    assert found[f"{label} line 4"] == "names '../outside', outside the directory"
    assert found[f"{label} line 5"] == "names '/etc/passwd', outside the directory"


def test_a_file_listed_twice_is_named(directory):
    manifest = directory / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + f"{sha(b'{}')}  export.json\n")
    assert problems(checked(directory)) == {
        f"{directory}/export.json": "is listed twice in manifest-sha256.txt (again on line 3)"
    }


def test_an_escaped_file_name_and_binary_mode_read_as_sha256sum_writes_them(directory):
    (directory / "a\\b.txt").write_bytes(b"odd")
    manifest = directory / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + f"\\{sha(b'odd')} *a\\\\b.txt\n")
    assert subprocess.run(["sha256sum", "--strict", "-c", "manifest-sha256.txt"], cwd=directory).returncode == 0
    verdict = checked(directory)
    assert verdict.problems == [] and verdict.manifest_files == 3


def test_the_current_directory_is_labelled_dot_slash_not_like_a_wacz_member(directory, monkeypatch):
    monkeypatch.chdir(directory)
    (directory / "extra").write_text("")
    assert problems(checked(Path("."))) == {"./extra": "is not listed in manifest-sha256.txt: nothing vouches for it"}
