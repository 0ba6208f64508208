"""An archive with one change of each kind a card shows differently: a silent headline edit, a
declared body edit (one paragraph reworded among unchanged ones) and a backdated date, made
between two real crawls of the simulated outlet (two domains)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive import pipeline
from archive.config import Config, load_config
from archive.index import Index
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import wait_past
from tests.support import TWO_DOMAINS, write_config

NEW_HEADLINE = "Quietly rewritten headline about talks"
NEW_PARAGRAPH = "The ministry now says the talks were postponed, not cancelled, according to officials."
BACKDATED = datetime(2020, 1, 2, 3, 4, tzinfo=UTC)


@dataclass(frozen=True)
class Edited:
    config: Config
    headline_id: str
    body_id: str
    date_id: str
    old_headline: str
    old_paragraph: str


def build_edited_archive(directory: Path, sim: SimulatedOutlet) -> Edited:
    config = load_config(write_config(directory, port=sim.port, replace=TWO_DOMAINS))
    pipeline.run_cycle(config, "demo")
    headline_id, body_id, date_id = sim.site.article_ids()[1:4]
    with Index(config.index_path, readonly=True) as idx:
        wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])
        old_headline = idx._db.execute(
            "SELECT headline FROM versions WHERE article_id = ?", [str(headline_id)]
        ).fetchone()[0]
        body = idx._db.execute("SELECT body FROM versions WHERE article_id = ?", [str(body_id)]).fetchone()[0]
    sim.edit_headline(headline_id, NEW_HEADLINE, declared=False)
    sim.edit_body(body_id, replace={2: NEW_PARAGRAPH}, declared=True)
    sim.edit_date(date_id, BACKDATED)
    pipeline.run_cycle(config, "demo")
    return Edited(config, str(headline_id), str(body_id), str(date_id), old_headline, body.split("\n\n")[2])
