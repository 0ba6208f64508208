"""The base of the service's absolute links comes from the server's side of the connection (or a
configured public URL), never from a Host header the client chose."""

from __future__ import annotations

import pytest

from archive.api.origin import checked_public_url, service_base
from archive.errors import ConfigError


def scope(host: str | None, server: tuple[str, int | None] | None = ("127.0.0.1", 8000), **more):
    headers = [(b"host", host.encode("latin-1"))] if host is not None else []
    return {"type": "http", "scheme": "http", "server": server, "headers": headers, "root_path": "", **more}


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "127.0.0.1:8001",
        "127.0.0.1",  # port 80, not the bound 8000
        "localhost:9999",
        "127.0.0.1:8000@evil.example",
        "127.0.0.1:8000/evil",
        "",
        None,
    ],
)
def test_a_host_that_is_not_the_bound_socket_gives_the_bound_address(host):
    assert service_base(scope(host)) == "http://127.0.0.1:8000"


def test_the_clients_own_spelling_of_the_bound_socket_is_kept():
    assert service_base(scope("127.0.0.1:8000")) == "http://127.0.0.1:8000"
    assert service_base(scope("LOCALHOST:8000")) == "http://localhost:8000"  # a browser's origin stays its own
    assert service_base(scope("[::1]:8000", server=("::1", 8000))) == "http://[::1]:8000"
    assert service_base(scope("testserver", server=("testserver", 80))) == "http://testserver"


def test_localhost_is_trusted_only_on_a_loopback_socket():
    assert service_base(scope("localhost:8000", server=("192.0.2.7", 8000))) == "http://192.0.2.7:8000"


def test_a_public_url_wins_and_root_path_prefixes_the_bound_address():
    assert service_base(scope("evil.example"), "https://archive.example.org") == "https://archive.example.org"
    assert service_base(scope("evil.example", root_path="/edittrail/")) == "http://127.0.0.1:8000/edittrail"
    assert service_base(scope("evil.example", scheme="javascript")) == "http://127.0.0.1:8000"


def test_without_an_address_links_are_path_absolute():
    assert service_base(scope("evil.example", server=("/run/edittrail.sock", None))) == ""
    assert service_base(scope("evil.example", server=None, root_path="/x")) == "/x"


def test_a_public_url_must_be_an_http_origin():
    assert checked_public_url("https://archive.example.org/") == "https://archive.example.org"
    assert checked_public_url(None) is None
    for bad in ("archive.example.org", "ftp://x/", "https://x/?q=1", "https://x:99999/"):
        with pytest.raises(ConfigError):
            checked_public_url(bad)
