"""docs/alarms.md shows the thresholds the code uses: generated blocks, kept in sync."""

from __future__ import annotations

import re

from components._alarms import (
    THRESHOLDS,
    render_store_defaults_markdown,
    render_thresholds_markdown,
)
from tests.conftest import ROOT


def _block(text: str, marker: str) -> str:
    block = re.search(rf"<!-- {marker}:begin -->\n(.*)<!-- {marker}:end -->", text, re.S)
    assert block is not None, f"docs/alarms.md lost its {marker} markers"
    return block.group(1)


def test_docs_platform_thresholds_table_matches_the_code():
    text = (ROOT / "docs" / "alarms.md").read_text()
    assert _block(text, "thresholds") == render_thresholds_markdown(), (
        "docs/alarms.md is stale: regenerate the table from components/_alarms.py")


def test_docs_store_defaults_match_the_code():
    text = (ROOT / "docs" / "alarms.md").read_text()
    assert _block(text, "store-defaults") == render_store_defaults_markdown()


def test_the_table_renders_every_row_and_a_changed_value_shows():
    table = render_thresholds_markdown()
    assert all(f"`{t.alarm}`" in table for t in THRESHOLDS)
    assert "> 85 % (average) for 3 x 5 min" in table
    assert "default 10000" in table
    assert "| CloudWatch + Prometheus |" in table
