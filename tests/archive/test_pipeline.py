"""The store step on a local store: one unreadable spool file does not hold up the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import load_config
from archive.errors import StoreError
from tests.support import write_config

GOLDEN = Path(__file__).parents[1] / "fixtures" / "warc" / "golden-20240506070809-00000.warc.gz"


def test_an_unreadable_spool_file_stays_in_the_spool_and_the_others_are_stored(tmp_path, caplog):
    config = load_config(write_config(tmp_path, port=8765))
    spool = config.spool_dir("demo")
    spool.mkdir(parents=True)
    good = Path(shutil.copy(GOLDEN, spool / "demo-aaaa-20261125105501-00001.warc.gz"))
    bad = spool / "demo-aaaa-20261125105501-00000.warc.gz"  # sorted first: the others come after it
    bad.mkdir()  # a directory where a WARC file should be: reading it is an OSError, even for root
    with pytest.raises(StoreError, match=r"1 WARC file\(s\) of demo stay in .*: demo-aaaa-20261125105501-00000"):
        pipeline.store(config, "demo")
    assert not good.exists() and bad.exists()
    stored = [o.key for o in pipeline.store_for(config, config.outlet("demo")).list("warcs/demo/")]
    assert stored == ["warcs/demo/2026/11/25/demo-aaaa-20261125105501-00001.warc.gz"]
    assert f"could not read the local file {bad}" in caplog.text


def test_a_run_report_is_filed_under_reports_by_the_day_of_its_warcs(tmp_path):
    from archive import pipeline
    from archive.config import load_config
    from tests.support import write_config

    config = load_config(write_config(tmp_path, port=8765))
    spool = config.spool_dir("demo")
    spool.mkdir(parents=True)
    (spool / "demo-1a2b3c4d-20261124093000.report.json").write_text('{"run_id": "r1"}')
    result = pipeline.store(config, "demo")
    assert result["reports"] == ["reports/demo/2026/11/24/demo-1a2b3c4d-20261124093000.report.json"]
    assert result["stored"] == []  # warcs/ holds WARC files only
    assert not list(spool.iterdir())
    assert pipeline.report_object_key("demo", "no-time.report.json") is None
