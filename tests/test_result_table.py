"""The result table's column fitting, and what it shows at 80x24 with and without a baseline."""

from __future__ import annotations

from rich.text import Text
from textual.app import App

from whatif.engine.units import fmt
from whatif.tui.app import WhatifApp
from whatif.tui.widgets.result_table import LABEL_MIN, ResultTable, Row, column_widths
from whatif.tui.widgets.results import DetailTable
from tests.helpers import views_caught_up


def test_columns_keep_natural_widths_when_they_fit():
    natural = {"label": 20, "value": 15, "note": 9, "delta": 0}
    assert column_widths(natural, 46) == natural  # 20 + 15 + 9 + 2 gaps = 46


def test_labels_then_notes_then_delta_tails_give_way_and_values_never():
    natural = {"label": 20, "value": 15, "note": 9, "delta": 23}
    # 20 + 15 + 9 + 23 + 3 gaps = 70. In 62: the label loses 4 (to 16), then the note goes
    # whole rather than leave a stub (56).
    assert column_widths(natural, 62) == {"label": 16, "value": 15, "note": 0, "delta": 23}
    # In 46 (80 columns): label 16 (66), the note goes with its gap (56), the delta loses 10.
    assert column_widths(natural, 46) == {"label": 16, "value": 15, "note": 0, "delta": 13}
    # In 35: the delta stops at 9 cells ('-19.1 % …'), then the label goes down to 12.
    assert column_widths(natural, 35) == {"label": LABEL_MIN, "value": 15, "note": 0, "delta": 9}


def _lines(table: DetailTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def _row_line(pilot, table: DetailTable, key: str) -> str:
    """The row's line as drawn, after scrolling it into view with the cursor."""
    table.move_cursor(table.get_row_index(key))
    await pilot.pause()
    label = table.get_cell(key, "label").plain
    return next(line for line in _lines(table) if line.startswith(label[:LABEL_MIN - 1]))


async def test_80x24_table_shows_every_column_uncut_and_with_a_baseline_keeps_the_percentages():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(DetailTable)
        lines = _lines(table)
        assert lines[0].split() == ["Quantity", "Value", "Note"]
        assert all(len(line) <= table._width() for line in lines)
        mfu = await _row_line(pilot, table, "mfu")
        assert mfu.split() == ["MFU", "39.9", "%", "auto"]
        servers = await _row_line(pilot, table, "server_overhead_mw")
        share = app.session.result["server_overhead_mw"] / app.session.result["facility_mw"]
        value = fmt("server_overhead_mw", app.session.result["server_overhead_mw"])
        assert servers.split() == ["Servers,", "fans,", "CPUs", *value.split(), f"{share:.0%}", "of", "MW"]
        assert "…" not in servers
        await pilot.press("ctrl+b")
        app.session.apply_values({"cluster.count": 8192})
        await views_caught_up(pilot)
        lines = _lines(table)
        assert lines[0].split()[:2] == ["Quantity", "Value"] and "vs baseline" in lines[0]
        days = await _row_line(pilot, table, "training_days")
        change = (app.session.result["training_days"] / app.session.baseline["training_days"] - 1) * 100
        assert f"+{change:.1f} %" in days  # the percentage survives the narrow column


async def test_new_rows_keep_the_cursor_on_a_row_and_enter_selects_it():
    selected: list[str] = []

    class Host(App):
        def compose(self):
            yield ResultTable(id="t")

        def on_result_table_row_selected(self, event: ResultTable.RowSelected) -> None:
            selected.append(event.row_key)

    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(ResultTable)
        table.set_rows([Row(k, {"label": Text(k)}) for k in ("a", "b", "c", "d")])
        table.focus()
        await pilot.press("end")
        assert table.cursor_row == 3
        table.set_rows([Row(k, {"label": Text(k)}) for k in ("x", "y")])  # fewer rows now
        await pilot.press("enter")
        await pilot.pause()
        assert selected == ["y"]


async def test_a_column_widens_and_narrows_with_its_longest_cell():
    """The natural widths follow the cells as they change (kept per cell, not measured
    again each update): a longer value widens its column, and it narrows again once that
    value is shorter; a section row's heading never counts."""
    class Host(App):
        def compose(self):
            yield ResultTable(id="t")

    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(ResultTable)
        table.set_rows([Row("s", {"label": Text("A long section heading")}, section=True),
                        Row("a", {"label": Text("a"), "value": Text("1.0")}),
                        Row("b", {"label": Text("b"), "value": Text("22.0")})])
        await pilot.pause()
        assert table._natural_widths() == {"label": len("Quantity"), "value": 5, "note": 0, "delta": 0}
        table.update_cells({("a", "value"): Text("1,234,567"), ("b", "note"): Text("auto")})
        assert table._natural_widths() == {"label": 8, "value": 9, "note": 4, "delta": 0}
        assert table._widths["value"] == 9
        table.update_cells({("a", "value"): Text("1.5")})
        assert table._natural_widths()["value"] == 5 and table._widths["value"] == 5
        await pilot.pause()
        assert table.render_line(2).text.split() == ["a", "1.5"]


async def test_a_new_result_fills_the_rows_on_screen_first_and_the_rest_before_anyone_sees_them():
    """The rows on screen take the new figures at once; those off screen just after the
    frame, or sooner if something reads them (a copy, a cell) or brings them into view."""
    from whatif.engine.evaluate import evaluate

    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one("#detail", DetailTable)
        on_screen = table._keys_on_screen()
        off = next(row.key for row in table.rows
                   if not row.section and not row.key.startswith("in:") and row.key not in on_screen)
        assert "training_days" in on_screen

        def held(key: str) -> str:  # the cell as held, without bringing the rows up to date
            return table.rows[table.get_row_index(key)].cells["value"].plain

        def shown_for(count: int) -> tuple:
            result = evaluate(app.session.scenario.with_values({"cluster.count": count}))
            table.update_result(result, None)
            return fmt("training_days", result.values["training_days"]), fmt(off, result.values[off])

        before = held(off)
        days, figure = shown_for(8192)
        assert held("training_days") == days and held(off) == before != figure   # on screen: at once
        assert table.get_cell(off, "value").plain == figure                     # read: brought up first

        days, figure = shown_for(4096)
        assert held(off) != figure
        await pilot.pause()                                                      # after the frame
        assert held(off) == figure and table._off_screen is None

        days, figure = shown_for(2048)
        assert held(off) != figure
        table.scroll_end(animate=False, immediate=True)                          # into view
        assert held(off) == figure

        days, figure = shown_for(1024)
        assert figure in table.as_text()                                         # a copy
