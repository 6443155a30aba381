from __future__ import annotations

import re

from components._alarms import THRESHOLDS, render_thresholds_markdown
from tests.conftest import ROOT


def test_docs_alarms_table_matches_the_code():
    text = (ROOT / "docs" / "alarms.md").read_text()
    block = re.search(r"<!-- thresholds:begin -->\n(.*)<!-- thresholds:end -->", text, re.S)
    assert block is not None, "docs/alarms.md lost its thresholds markers"
    assert block.group(1) == render_thresholds_markdown(), (
        "docs/alarms.md is stale: regenerate the table from components/_alarms.py")


def test_every_threshold_explains_itself():
    for row in THRESHOLDS:
        assert len(row.why) > 40, row.alarm
