"""Signing keys: keygen writes a private file once, loading says what is wrong and how to fix it,
and both signature forms verify the way WACZ tools check them (over the hash string)."""

from __future__ import annotations

import base64
import stat

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from archive.cli.evidence import keygen, verify
from archive.cli.main import cli
from archive.evidence.keys import KeyFileError, check_signature, generate_key, key_id, load_signing_key

HASH = "sha256:" + "ab" * 32


def group() -> click.Group:
    commands = click.Group()
    commands.add_command(keygen)
    commands.add_command(verify)
    return commands


def test_keygen_writes_a_0600_key_prints_its_public_half_and_never_overwrites(tmp_path):
    path = tmp_path / "signing.pem"
    result = CliRunner().invoke(group(), ["keygen", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_signing_key(path)
    assert key.algorithm == "ed25519"
    assert f"public key: {key.public_key}" in result.output and f"key id:     {key.key_id}" in result.output
    assert "PRIVATE" not in result.output
    before = path.read_bytes()
    again = CliRunner().invoke(group(), ["keygen", str(path)])
    assert again.exit_code == 2 and "already exists" in again.output and str(path) in again.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsa-p384"])
def test_a_signature_verifies_over_the_hash_string_and_nothing_else(tmp_path, algorithm):
    key = generate_key(tmp_path / "k.pem", algorithm)
    signature = key.sign(HASH)
    assert check_signature(key.public_key, signature, HASH) is None
    assert "does not verify" in (check_signature(key.public_key, signature, HASH[:-1] + "c") or "")
    other = generate_key(tmp_path / "other.pem", algorithm)
    assert "does not verify" in (check_signature(other.public_key, signature, HASH) or "")


def test_ecdsa_signatures_are_webcrypto_r_s_and_der_from_authsign_is_read_too(tmp_path):
    """wabac.js (ReplayWeb.page) imports the key as SPKI P-384 and verifies ECDSA/SHA-256 r||s."""
    key = generate_key(tmp_path / "k.pem", "ecdsa-p384")
    raw = base64.b64decode(key.sign(HASH))
    assert len(raw) == 96
    public = serialization.load_der_public_key(base64.b64decode(key.public_key))
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp384r1"
    der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    public.verify(der, HASH.encode(), ec.ECDSA(hashes.SHA256()))
    assert check_signature(key.public_key, base64.b64encode(der).decode(), HASH) is None


def test_key_id_is_the_start_of_the_sha256_of_the_public_key(tmp_path):
    import hashlib

    key = generate_key(tmp_path / "k.pem")
    assert key.key_id == key_id(key.public_key) == hashlib.sha256(base64.b64decode(key.public_key)).hexdigest()[:16]


def test_loading_a_bad_key_file_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(KeyFileError, match=r"missing\.pem does not exist; make one with `edittrail keygen"):
        load_signing_key(tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(KeyFileError, match=r"junk\.pem is not a PEM private key"):
        load_signing_key(tmp_path / "junk.pem")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "rsa.pem").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(KeyFileError, match=r"rsa\.pem holds an RSA key; an Ed25519 or ECDSA P-384 key is needed"):
        load_signing_key(tmp_path / "rsa.pem")
    p256 = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "p256.pem").write_bytes(
        p256.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with pytest.raises(KeyFileError, match=r"p256\.pem holds an ECDSA secp256r1 key"):
        load_signing_key(tmp_path / "p256.pem")


def test_export_with_a_bad_key_is_a_usage_error_before_any_work(tmp_path):
    (tmp_path / "junk.pem").write_text("not a key")
    result = CliRunner().invoke(
        cli,
        ["export", "--outlet", "demo", "--out", str(tmp_path / "out"), "--sign", str(tmp_path / "junk.pem")],
    )
    assert result.exit_code == 2, result.output
    assert "--sign" in result.output and "junk.pem is not a PEM private key" in result.output
    assert "edittrail keygen" in result.output
    assert not (tmp_path / "out").exists()


def test_verify_of_a_missing_or_ambiguous_package_says_what_to_give(tmp_path):
    result = CliRunner().invoke(group(), ["verify", str(tmp_path)])
    assert result.exit_code == 1 and "holds 0 .wacz files" in result.output
    (tmp_path / "bogus.wacz").write_bytes(b"not a zip")
    result = CliRunner().invoke(group(), ["verify", str(tmp_path / "bogus.wacz")])
    assert result.exit_code == 1 and "bogus.wacz: is not a readable ZIP/WACZ" in result.output
