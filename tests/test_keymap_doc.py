"""docs/keymap.md lists every binding id with its default key, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from whatif.tui.app import WhatifApp
from whatif.tui.screens.help import binding_ids, every_binding

KEYMAP_DOC = Path(__file__).resolve().parent.parent / "docs" / "keymap.md"
ROW = re.compile(r"^\| `([^`]+)` \| `([^`]+)` \| (.+) \|$")


def doc_rows() -> dict[str, str]:
    """Binding id -> default key, from the doc's table rows."""
    rows: dict[str, str] = {}
    for line in KEYMAP_DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            binding_id, key, _what = match.groups()
            assert binding_id not in rows, f"docs/keymap.md lists {binding_id!r} twice"
            rows[binding_id] = key
    return rows


def test_every_binding_has_a_row_with_its_default_key_and_every_row_a_binding():
    rows = doc_rows()
    bindings = {b.id: b.key for _where, b in every_binding(WhatifApp.BINDINGS)}
    assert set(bindings) - set(rows) == set(), "bindings without a row in docs/keymap.md"
    assert set(rows) - set(bindings) == set(), "rows in docs/keymap.md that name no binding"
    assert {i: k for i, k in rows.items() if bindings[i] != k} == {}, "default keys differ from the bindings"


def test_the_discovery_sees_screens_and_widgets_a_keymap_may_rebind():
    ids = binding_ids(WhatifApp.BINDINGS)
    # one of the app's, a dialog's, a view's (chart keys could not be rebound before) and a field's
    assert {"preset.save", "list.filter", "chart.toggle_log", "field.reset"} <= set(ids)
