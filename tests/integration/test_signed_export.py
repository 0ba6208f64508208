"""`edittrail export --sign` and `edittrail verify` on a package exported from real crawls:
the signed WACZ verifies and still passes `wacz validate`; every kind of tampering is named."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from archive.cli.evidence import keygen, verify
from archive.cli.main import cli
from archive.evidence.keys import generate_key
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import Built, build_archive
from tests.support import HOSTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=12) as sim:
        return build_archive(tmp_path_factory.mktemp("signed"), sim)


@pytest.fixture(scope="module")
def key_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("key") / "signing.pem"
    generate_key(path)
    return path


def export(built: Built, out: Path, *extra: str) -> Path:
    url = f"{built.sim.base_url('www.presstv.ir')}/Detail/2026/1/1/{built.edited_id}/x"
    args = ["--config", str(built.config.path), "export", "--outlet", "demo", "--article", url, "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (wacz,) = out.glob("*.wacz")
    return wacz


@pytest.fixture(scope="module")
def signed(built, key_path, tmp_path_factory) -> Path:
    return export(built, tmp_path_factory.mktemp("pkg") / "signed", "--sign", str(key_path))


def run_verify(package: Path, *extra: str) -> Result:
    group = click.Group()
    group.add_command(verify)
    group.add_command(keygen)
    return CliRunner().invoke(group, ["verify", str(package), *extra], catch_exceptions=False)


def rewritten(wacz: Path, target: Path, changes: dict[str, bytes | None]) -> Path:
    """A copy of the WACZ with members replaced (bytes) or removed (None), each a valid ZIP entry."""
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    out.writestr(info, changes[info.filename])
            else:
                out.writestr(info, src.read(info))
    return target


def members(data: bytes) -> list[bytes]:
    """The gzip members of a record-per-member .warc.gz."""
    found = []
    while data:
        inflate = zlib.decompressobj(31)
        inflate.decompress(data)
        used = len(data) - len(inflate.unused_data)
        found.append(data[:used])
        data = inflate.unused_data
    return found


def test_a_signed_export_verifies_and_says_what_it_proves(signed, key_path):
    from archive.evidence.keys import load_signing_key

    key = load_signing_key(key_path)
    result = run_verify(signed.parent, "--expect-key", key.key_id)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(signed) as zf:
        created = json.loads(zf.read("datapackage.json"))["created"]
    assert f"signed by key {key.key_id}" in result.output
    assert f"unchanged since {created}, when the holder of key {key.key_id} signed it" in result.output
    assert "matching their recorded WARC-Block-/Payload-Digest" in result.output
    assert "does not prove that the capture was faithful to the live site" in result.output
    assert f"Also checked: every file of {signed.parent} matches its line in manifest-sha256.txt" in result.output
    assert "The manifest itself is unsigned" in result.output and "only the WACZ is signed" in result.output
    alone = run_verify(signed)
    assert alone.exit_code == 0 and "manifest-sha256.txt" not in alone.output
    export_json = json.loads((signed.parent / "export.json").read_text())
    assert export_json["signature"] == {"key_id": key.key_id, "public_key": key.public_key}


def test_the_signature_has_exactly_the_spec_fields_and_the_key_stays_out(signed, key_path):
    with zipfile.ZipFile(signed) as zf:
        digest = json.loads(zf.read("datapackage-digest.json"))
        manifest = json.loads(zf.read("datapackage.json"))
        archive_modes = {i.compress_type for i in zf.infolist() if i.filename.startswith("archive/")}
    signed_data = digest["signedData"]
    assert set(signed_data) == {"hash", "created", "software", "version", "signature", "publicKey"}
    assert signed_data["hash"] == digest["hash"] and signed_data["created"] == manifest["created"]
    assert signed_data["software"].startswith("edittrail")
    assert archive_modes == {zipfile.ZIP_STORED}  # still range-readable by ReplayWeb.page
    secret = b"".join(key_path.read_bytes().splitlines()[1:-1])
    for path in signed.parent.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes() and base64.b64decode(secret) not in path.read_bytes()


def test_wacz_validate_and_sha256sum_still_accept_the_signed_package(signed):
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(signed)], capture_output=True, text=True
    )
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    manifest = subprocess.run(
        ["sha256sum", "--strict", "-c", "manifest-sha256.txt"], cwd=signed.parent, capture_output=True, text=True
    )
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr


def test_a_changed_byte_in_a_record_names_the_file_and_the_record(signed, tmp_path):
    with zipfile.ZipFile(signed) as zf:
        name = next(n for n in zf.namelist() if n.startswith("archive/"))
        data = zf.read(name)
    parts = members(data)
    index = next(i for i, m in enumerate(parts) if b"WARC-Type: response" in gzip.decompress(m))
    record = gzip.decompress(parts[index])
    at = len(record) - 10  # in the HTTP body, before the record's closing CRLF CRLF
    changed = record[:at] + bytes([record[at] ^ 0x20]) + record[at + 1 :]
    offset = sum(len(m) for m in parts[:index])
    parts[index] = gzip.compress(changed)
    tampered = rewritten(signed, tmp_path / "t.wacz", {name: b"".join(parts)})
    result = run_verify(tampered)
    assert result.exit_code == 1
    assert f"FAIL {name}: its hash is sha256:" in result.output
    assert f"FAIL {name} offset {offset}: response <urn:uuid:" in result.output
    assert "payload digest failed" in result.output or "block digest failed" in result.output
    assert "FAILED" in result.output and "unchanged since" not in result.output


def test_a_flipped_byte_in_the_compressed_warc_is_named(signed, tmp_path):
    with zipfile.ZipFile(signed) as zf:
        name = next(n for n in zf.namelist() if n.startswith("archive/"))
        data = bytearray(zf.read(name))
    data[len(data) // 2] ^= 0xFF
    result = run_verify(rewritten(signed, tmp_path / "t.wacz", {name: bytes(data)}))
    assert result.exit_code == 1
    assert f"FAIL {name}: its hash is sha256:" in result.output
    assert f"FAIL {name}: cannot be read past its first " in result.output


def test_an_edited_datapackage_json_breaks_the_signed_hash(signed, tmp_path):
    with zipfile.ZipFile(signed) as zf:
        manifest = json.loads(zf.read("datapackage.json"))
    manifest["title"] = "Something else"
    tampered = rewritten(signed, tmp_path / "t.wacz", {"datapackage.json": json.dumps(manifest).encode()})
    result = run_verify(tampered)
    assert result.exit_code == 1
    assert "FAIL datapackage.json: its hash is sha256:" in result.output
    assert "it was edited after signing" in result.output


def test_a_removed_file_is_named(signed, tmp_path):
    result = run_verify(rewritten(signed, tmp_path / "t.wacz", {"pages/pages.jsonl": None}))
    assert result.exit_code == 1
    assert "FAIL pages/pages.jsonl: is listed in datapackage.json but missing from the package" in result.output


def test_a_signature_by_another_key_fails_and_a_resigned_package_fails_the_expected_key(signed, key_path, tmp_path):
    from archive.evidence.keys import load_signing_key

    other = generate_key(tmp_path / "other.pem")
    with zipfile.ZipFile(signed) as zf:
        digest = json.loads(zf.read("datapackage-digest.json"))
    forged = json.loads(json.dumps(digest))
    forged["signedData"]["signature"] = other.sign(digest["hash"])
    result = run_verify(
        rewritten(signed, tmp_path / "a.wacz", {"datapackage-digest.json": json.dumps(forged).encode()})
    )
    assert result.exit_code == 1
    assert "FAIL signature: the signature does not verify with publicKey over hash" in result.output
    assert "signature INVALID" in result.output
    resigned = json.loads(json.dumps(digest))
    resigned["signedData"].update(signature=other.sign(digest["hash"]), publicKey=other.public_key)
    package = rewritten(signed, tmp_path / "b.wacz", {"datapackage-digest.json": json.dumps(resigned).encode()})
    assert run_verify(package).exit_code == 0  # a valid signature, by whoever holds the other key
    expected = load_signing_key(key_path).key_id
    result = run_verify(package, "--expect-key", expected)
    assert result.exit_code == 1
    assert f"FAIL signature: made by key {other.key_id}, not by the expected key {expected}" in result.output


def test_an_unsigned_package_is_intact_but_exits_3(built, tmp_path):
    wacz = export(built, tmp_path / "unsigned")
    result = run_verify(wacz)
    assert result.exit_code == 3, result.output
    assert "unsigned" in result.output and "FAIL" not in result.output
    assert "without a signature anyone could have edited the package" in result.output


def test_an_extra_file_is_not_covered_and_is_named(signed, tmp_path):
    copy = tmp_path / "c.wacz"
    shutil.copy(signed, copy)
    with zipfile.ZipFile(copy, "a") as zf:
        zf.writestr("archive/extra.warc.gz", gzip.compress(b"hello"))
    result = run_verify(copy)
    assert result.exit_code == 1
    assert "FAIL archive/extra.warc.gz: is not listed in datapackage.json" in result.output


def copied(signed: Path, target: Path) -> Path:
    """A copy of the whole export directory, to tamper with."""
    return Path(shutil.copytree(signed.parent, target))


def sha256sum_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sha256sum", "--strict", "-c", "manifest-sha256.txt"], cwd=directory, capture_output=True, text=True
    )


def test_a_changed_loose_warc_and_an_edited_export_json_fail_the_directory(signed, tmp_path):
    directory = copied(signed, tmp_path / "pkg")
    loose = sorted((directory / "archive").glob("*.warc.gz"))[0]
    data = bytearray(loose.read_bytes())
    data[len(data) // 2] ^= 0x01
    loose.write_bytes(bytes(data))
    with open(directory / "export.json", "a") as fh:
        fh.write("\n")
    assert sha256sum_check(directory).stdout.count("FAILED") == 2
    result = run_verify(directory)
    assert result.exit_code == 1, result.output
    rel = loose.relative_to(directory).as_posix()
    assert f"FAIL {directory}/{rel}: its SHA-256 is " in result.output
    assert f"FAIL {directory}/export.json: its SHA-256 is " in result.output
    assert "manifest-sha256.txt records" in result.output
    assert "Proves" not in result.output and "unchanged since" not in result.output
    assert "FAILED: 2 problem(s) above, all in files of" in result.output
    assert f"The WACZ {signed.name} itself passed every check" in result.output
    assert run_verify(directory / signed.name).exit_code == 0  # the WACZ alone is still as signed


def test_a_missing_file_and_a_file_not_in_the_manifest_are_named(signed, tmp_path):
    directory = copied(signed, tmp_path / "pkg")
    (directory / "pages" / "pages.jsonl").unlink()
    (directory / "notes.txt").write_text("added later")
    result = run_verify(directory)
    assert result.exit_code == 1, result.output
    assert f"FAIL {directory}/pages/pages.jsonl: is listed in manifest-sha256.txt but missing" in result.output
    assert f"FAIL {directory}/notes.txt: is not listed in manifest-sha256.txt" in result.output


def test_a_changed_wacz_in_the_directory_fails_both_its_checks_and_its_manifest_line(signed, tmp_path):
    directory = copied(signed, tmp_path / "pkg")
    rewritten(signed, directory / signed.name, {"pages/pages.jsonl": b"{}\n"})
    result = run_verify(directory)
    assert result.exit_code == 1
    assert "FAIL pages/pages.jsonl: is " in result.output
    assert f"FAIL {directory}/{signed.name}: its SHA-256 is " in result.output
    assert "FAILED: " in result.output and "not as it was signed" in result.output


def test_a_directory_without_its_manifest_fails(signed, tmp_path):
    directory = copied(signed, tmp_path / "pkg")
    (directory / "manifest-sha256.txt").unlink()
    result = run_verify(directory)
    assert result.exit_code == 1
    assert f"FAIL {directory}/manifest-sha256.txt: is missing" in result.output


def test_a_loose_file_edited_with_its_manifest_line_passes_which_is_why_verify_says_it_is_unsigned(signed, tmp_path):
    """The limit the report states: the manifest vouches for the loose files only as far as
    nobody rewrote it; the signature covers the WACZ alone."""
    directory = copied(signed, tmp_path / "pkg")
    (directory / "export.json").write_text("{}")
    lines = (directory / "manifest-sha256.txt").read_text().splitlines()
    fresh = hashlib.sha256(b"{}").hexdigest()
    (directory / "manifest-sha256.txt").write_text(
        "\n".join(f"{fresh}  export.json" if line.endswith("  export.json") else line for line in lines) + "\n"
    )
    assert sha256sum_check(directory).returncode == 0
    result = run_verify(directory)
    assert result.exit_code == 0
    assert "The manifest itself is unsigned: anyone could rewrite a loose file and its manifest line" in result.output
