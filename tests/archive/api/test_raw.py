"""Archived headers made safe to replay from the app's origin."""

from __future__ import annotations

from archive.api.raw import ARCHIVE_ONLY, replay_headers


def test_hop_by_hop_go_active_headers_are_kept_inert_and_the_sandbox_is_added():
    archived = [
        ("Content-Type", "text/html"),
        ("Content-Encoding", "gzip"),
        ("Connection", "keep-alive, X-Private"),
        ("X-Private", "1"),
        ("X-Archive-Orig-Transfer-Encoding", "chunked"),
        ("Content-Length", "10"),
        ("Set-Cookie", "a=1"),
        ("Clear-Site-Data", '"cookies"'),
        ("Location", "/next"),
    ]
    sent = replay_headers(archived, "http://www.outlet.example/a", lambda url: f"/c/1id_/{url}")
    assert ("Content-Type", "text/html") in sent and ("Content-Encoding", "gzip") in sent
    names = [name.lower() for name, _ in sent]
    assert "connection" not in names and "x-private" not in names and "content-length" not in names
    assert ("X-Archive-Orig-Set-Cookie", "a=1") in sent and "set-cookie" not in names
    assert "clear-site-data" not in names
    assert ("Location", "/c/1id_/http://www.outlet.example/next") in sent
    assert ("Content-Security-Policy", f"sandbox; {ARCHIVE_ONLY}") in sent and (
        "X-Content-Type-Options",
        "nosniff",
    ) in sent
