"""Signing keys for evidence packages: load, make, and the two signature forms WACZ tools read.

A key is a PEM PKCS#8 private key file. Ed25519 is the default. ECDSA P-384 is also accepted,
because ReplayWeb.page (wabac.js) checks an anonymous WACZ signature only as ECDSA P-384 with
SHA-256; an Ed25519 signature is sound, and `edittrail verify` checks it, but ReplayWeb.page
cannot. In a WACZ the public key is base64 DER SubjectPublicKeyInfo, which names its algorithm,
so the verifier needs no extra field (the spec allows none).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from archive.errors import EdittrailError

Algorithm = Literal["ed25519", "ecdsa-p384"]
ALGORITHMS: tuple[Algorithm, ...] = ("ed25519", "ecdsa-p384")
P384_BYTES = 48


class KeyFileError(EdittrailError):
    """A key file is missing, unreadable, of the wrong kind, or would be overwritten."""


@dataclass(frozen=True)
class SigningKey:
    """A private key loaded from its file, with the public half as a WACZ carries it."""

    path: Path
    private: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> str:
        """Base64 DER SubjectPublicKeyInfo: the ``publicKey`` of an anonymous WACZ signature."""
        return public_key_text(self.private.public_key())

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def algorithm(self) -> Algorithm:
        return "ed25519" if isinstance(self.private, ed25519.Ed25519PrivateKey) else "ecdsa-p384"

    def sign(self, text: str) -> str:
        """Base64 signature of ``text`` (UTF-8): Ed25519, or ECDSA P-384/SHA-256 as r||s the way
        WebCrypto writes it (wabac.js reads only that form; authsign's DER form is read too)."""
        data = text.encode("utf-8")
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return base64.b64encode(self.private.sign(data)).decode("ascii")
        r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
        return base64.b64encode(r.to_bytes(P384_BYTES, "big") + s.to_bytes(P384_BYTES, "big")).decode("ascii")


def public_key_text(public: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def key_id(public_key: str) -> str:
    """A short name for a public key to quote and compare: the first 16 hex digits of the SHA-256
    of its DER form (``sha256sum`` of ``openssl pkey -pubout -outform DER`` starts with them)."""
    try:
        der = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        der = public_key.encode("utf-8", "replace")
    return hashlib.sha256(der).hexdigest()[:16]


def load_signing_key(path: Path) -> SigningKey:
    """The private key in ``path``, or a KeyFileError naming the file and what to do."""
    fix = f"make one with `edittrail keygen {path}`"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist; {fix}") from None
    except OSError as exc:
        raise KeyFileError(f"key file {path} cannot be read ({exc.strerror or exc})") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(f"key file {path} is encrypted; give an unencrypted PKCS#8 PEM key or {fix}") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"key file {path} is not a PEM private key; {fix}") from None
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return SigningKey(path, private)
    if isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(private.curve, ec.SECP384R1):
        return SigningKey(path, private)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        kind = f"an ECDSA {private.curve.name}"
    else:
        kind = "an " + type(private).__name__.removeprefix("_").replace("PrivateKey", "")
    raise KeyFileError(
        f"key file {path} holds {kind} key; an Ed25519 or ECDSA P-384 key is needed; "
        "make one with `edittrail keygen NEW_KEYFILE`"
    )


def generate_key(path: Path, algorithm: Algorithm = "ed25519") -> SigningKey:
    """Write a new private key to ``path`` (mode 0600, never over an existing file)."""
    private: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = ec.generate_private_key(ec.SECP384R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; keygen never overwrites a key, give a new file name") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path} ({exc.strerror or exc})") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return SigningKey(path, private)


def check_signature(public_key: str, signature: str, text: str) -> str | None:
    """None when ``signature`` is ``public_key``'s signature of ``text``, else why not."""
    try:
        public = serialization.load_der_public_key(base64.b64decode(public_key, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        return "publicKey is not a base64 DER public key"
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return "signature is not base64"
    data = text.encode("utf-8")
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, data)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            size = (public.curve.key_size + 7) // 8
            if len(raw) == 2 * size:  # WebCrypto's r||s; anything else is taken as DER
                raw = encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
            public.verify(raw, data, ec.ECDSA(hashes.SHA256()))
        else:
            return f"publicKey is a {type(public).__name__} key, which edittrail cannot check"
    except InvalidSignature:
        return "the signature does not verify with publicKey over hash (made by another key, or altered since)"
    return None
