"""Every page that lists changes renders every kind of change, not only edits.

Found by the scale benchmark: a retraction's change has no ``served_by`` in its details, and
the changes list (home, changes, article pages) read it unguarded under StrictUndefined, so
any archive with a retraction answered 500.
"""

from __future__ import annotations

import pytest

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from tests.archive.api.support import api_client, wait_past
from tests.support import TWO_DOMAINS, write_config


@pytest.mark.integration
def test_pages_render_a_retraction_beside_an_edit(tmp_path, sim):
    config = load_config(write_config(tmp_path, port=sim.port, replace=TWO_DOMAINS))
    pipeline.run_cycle(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        wait_past(idx._db.execute("SELECT max(fetched_at) FROM captures").fetchone()[0])
    retracted, edited = sim.site.article_ids()[:2]
    sim.retract(retracted)
    sim.edit_headline(edited, "A headline edited beside a retraction", declared=False)
    pipeline.run_cycle(config, "demo", articles=(sim.article_url(retracted),))  # off the listings now
    with Index(config.index_path, readonly=True) as idx:
        kinds = {row[0] for row in idx._db.execute("SELECT kind FROM changes")}
    assert {"retraction", "headline"} <= kinds, kinds

    client = api_client(config)
    for page in ("/demo/", "/demo/changes", f"/demo/article/{retracted}", f"/demo/article/{edited}"):
        answer = client.get(page)
        assert answer.status_code == 200, (page, answer.text[:300])
    assert "A headline edited beside a retraction" in client.get("/demo/changes").text
