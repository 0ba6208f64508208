"""The probe over TLS: a certificate that verifies gives its expiry as data; one that does not is unreachable."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from archive.config import load_config
from archive.mirrors.classify import SERVING, UNREACHABLE
from archive.mirrors.probe import fetch_once, probe_domain
from tests.support import write_config

pytestmark = pytest.mark.integration

HOST = "www.presstv.ir"
NOT_AFTER = (datetime.now(UTC) + timedelta(days=3650)).replace(microsecond=0)  # valid whenever the test runs
PAGE = b'<html><body><a href="/Detail/2026/11/20/777400/A-story">A story</a></body></html>'


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a leaf certificate for HOST: (ca.pem, leaf.pem, leaf.key)."""
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("edittrail test CA"))
        .issuer_name(_name("edittrail test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(NOT_AFTER + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def https_outlet(tmp_path) -> Iterator[tuple[object, Path]]:
    ca, leaf, key = make_pki(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        outlet = load_config(write_config(tmp_path, port=server.server_address[1])).outlet("demo")
        yield outlet.model_copy(update={"scheme": "https"}), ca
    finally:
        server.shutdown()
        server.server_close()


def test_a_certificate_that_verifies_gives_its_expiry_as_data(https_outlet):
    outlet, ca = https_outlet
    trust = ssl.create_default_context(cafile=str(ca))

    def fetch(url, address, timeout):
        return fetch_once(url, address, timeout, user_agent="edittrail-test", tls=trust)

    result = probe_domain(outlet, HOST, timeout=5, fetch=fetch)
    assert result.state == SERVING, result.detail
    assert result.tls_expires == NOT_AFTER.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_certificate_that_does_not_verify_makes_the_domain_unreachable(https_outlet):
    outlet, _ = https_outlet  # the system's trust store does not know the test CA
    result = probe_domain(outlet, HOST, timeout=5)
    assert result.state == UNREACHABLE
    assert result.detail.startswith("tls:") and "CERTIFICATE_VERIFY_FAILED" in result.detail
