"""Helpers the tests share: the shipped config adapted to a test, and WARC reading."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSTS = ["www.presstv.ir", "www.presstv.co.uk", "presstv.tv", "www.presstv.com"]
TWO_DOMAINS = {
    'mirrors = ["www.presstv.co.uk", "presstv.tv", "www.presstv.com"]\n': 'mirrors = ["www.presstv.co.uk"]\n',
    '"presstv.tv" = "127.0.0.1"\n"www.presstv.com" = "127.0.0.1"\n': "",
}
"""``write_config`` replacements for a demo outlet of HOSTS[:2] only (faster crawls)."""


def write_config(directory: Path, *, port: int, replace: dict[str, str] | None = None) -> Path:
    """The shipped outlets.toml, with the demo outlet on ``port`` and all data under ``directory``.

    ``replace`` maps snippets of the shipped file to what a test wants instead, so tests run
    the configuration users get and state only how theirs differs.
    """
    text = (ROOT / "outlets.toml").read_text()
    text = text.replace("port = 8765", f"port = {port}")
    for old, new in (replace or {}).items():
        if old not in text:
            raise AssertionError(f"outlets.toml no longer contains {old!r}; update the test")
        text = text.replace(old, new)
    path = directory / "outlets.toml"
    path.write_text(text)
    return path


def warc_responses(paths: list[Path]) -> list[dict]:
    """Every response record of the given WARC files, with its HTTP headers and raw payload."""
    from warcio.archiveiterator import ArchiveIterator

    records = []
    for path in paths:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                records.append(
                    {
                        "uri": record.rec_headers.get_header("WARC-Target-URI"),
                        "record_id": record.rec_headers.get_header("WARC-Record-ID"),
                        "status": int(record.http_headers.get_statuscode()),
                        "headers": dict(record.http_headers.headers),
                        "payload": record.raw_stream.read(),
                        "file": path.name,
                    }
                )
    return records
