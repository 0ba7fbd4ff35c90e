"""Plan view: the best chip, count and cooling under a power cap, a deadline and a budget.

The constraints are fields; every change re-plans (engine/analysis/plan.py: the rows are
resolved once per objective, so a keystroke only re-runs the vectorised search, tens of ms).
The ranked table holds each chip's best option; beside it a days-against-cost scatter of the
Pareto front with the current scenario marked. Enter on a row (or ctrl+a) closes the view
with that option's inputs, which the app applies through the session (undoable). ctrl+f
searches every whole-server count (the exact best, seconds) in a thread; the grid's plan
stays on screen meanwhile, and an edit made before it ends drops it.
"""

from __future__ import annotations

import math
import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static
from textual.worker import get_current_worker

from whatif.engine.analysis.plan import (OBJECTIVES, Limit, Option, Plan, Prepared, SearchStopped, limits_from,
                                         plan, prepare)
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result
from whatif.engine.units import fmt
from whatif.tui.widgets.base import content_width
from whatif.tui.widgets.fields import FieldInput  # no screen-wide layout pass per keystroke
from whatif.tui.widgets.keybar import KeyBar
from whatif.tui.widgets.results import set_text
from whatif.tui.widgets.result_table import ResultTable, Row
from whatif.tui.words import in_words

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("plan-cap", "Power cap, MW", "power_cap_mw"),
    ("plan-deadline", "Deadline, days", "deadline_days"),
    ("plan-budget", "Budget, $", "budget_usd"),
    ("plan-max", "Max chips", "max_chips"),
)
SCATTER_W, SCATTER_H = 44, 12
EVERY_COUNT = "every-count"   # the worker group of the every-count search
SCATTER_LABEL_W = 9  # the cost labels and the axis left of the points


class PlanTable(ResultTable):
    """The ranked options, one row per chip (the app's own table: a re-plan repaints the
    visible lines only, where a DataTable re-measures every cell)."""

    COLUMNS = (("chip", "Chip"), ("cooling", "Cooling"), ("count", "Chips"), ("days", "Days"), ("cost", "Cost"),
               ("mw", "MW"), ("co2", "CO2"), ("binding", "Binding"))
    SHRINK_STEPS = (("binding", 12), ("co2", 0), ("binding", 0), ("cooling", 9))

    def show(self, options: list[Option]) -> None:
        def right(text: str) -> Text:
            return Text(text, justify="right")

        self.set_rows([Row(str(k), {
            "chip": Text(o.chip), "cooling": Text(o.cooling), "count": right(f"{o.count:,}"),
            # The unit is in the header: five columns more for cost and MW at 80 columns.
            "days": right(fmt("training_days", o.figures["training_days"]).removesuffix(" days")),
            "cost": right(fmt("cost_usd", o.figures["cost_usd"])), "mw": right(fmt("facility_mw", o.figures["facility_mw"])),
            "co2": right(fmt("co2_t", o.figures["co2_t"])), "binding": Text(_binding_cell(o.binding))})
            for k, o in enumerate(options)])


def _binding_cell(binding: str) -> str:
    """The binding constraint in a table cell: its name ('near the power cap: ...' reads
    '≈ power cap', a limit the option nearly reaches)."""
    name = binding.split(":")[0]
    return "≈ " + name.removeprefix("near the ") if name.startswith("near the ") else name


class PlanScreen(Screen[dict | None]):
    # One line of compact fields, in two rows below 120 columns (at 80 one row put Max chips
    # and Minimise off the screen), and a narrower scatter there so the table keeps days,
    # cost and MW. Here rather than in app.tcss: parsed only when the view first opens.
    DEFAULT_CSS = """
    PlanScreen #plan-bar { height: 1; margin: 1 0; }
    PlanScreen #plan-bar Label { padding: 0 1; }
    PlanScreen #plan-bar Input { width: 14; }
    PlanScreen #plan-bar Select { width: 18; }
    PlanScreen.-narrow #plan-bar { layout: grid; grid-size: 6; grid-columns: auto 12 auto 12 auto 1fr; height: 2; }
    PlanScreen.-narrow #plan-bar Input { width: 12; }
    PlanScreen #plan-body { height: 1fr; }
    PlanScreen #plan-table { width: 1fr; }
    PlanScreen #plan-scatter { width: 54; padding: 0 1; }
    PlanScreen.-narrow #plan-scatter { width: 28; }
    PlanScreen #plan-status { height: auto; max-height: 3; padding: 0 1; }
    PlanScreen #plan-status.-error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back", id="plan.close"),
        Binding("ctrl+a", "apply_row", "Apply row", id="plan.apply", priority=True),
        Binding("ctrl+f", "every_count", "Every count", id="plan.every_count", priority=True,
                tooltip="Search every whole-server count: the exact best, in seconds"),
    ]

    def __init__(self, result: Result, power_cap_mw: float | None = None, deadline_days: float | None = None,
                 budget_usd: float | None = None, objective: str = "days", every_count: bool = True) -> None:
        super().__init__()
        self.every_count_allowed = every_count   # False: no ctrl+f (a demo server's shared cores)
        self.result = result
        scenario = result.scenario
        cap = power_cap_mw if power_cap_mw is not None else scenario.facility.power_cap_mw
        self.start = {"power_cap_mw": cap, "deadline_days": deadline_days, "budget_usd": budget_usd,
                      "max_chips": None}
        self.objective = objective
        self.plan: Plan | None = None
        self._prepared: dict[tuple, Prepared] = {}
        self._asked = 0   # plans asked for; a search that ends after a newer one is dropped

    def compose(self) -> ComposeResult:
        with Horizontal(id="plan-bar"):
            for widget_id, label, name in FIELDS:
                yield Label(label)
                value = self.start[name]
                yield FieldInput("" if value is None else f"{value:g}", placeholder="none", id=widget_id,
                                 select_on_focus=False, compact=True)
            yield Label("Minimise")
            yield Select([(k, k) for k in OBJECTIVES], value=self.objective, allow_blank=False, id="plan-objective",
                         compact=True)
        with Horizontal(id="plan-body"):
            yield PlanTable(id="plan-table")
            yield Static("", id="plan-scatter")
        yield Static("", id="plan-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.recompute()
        self.query_one("#plan-cap", Input).focus()

    # ------------------------------------------------------------- the plan
    def constraints(self) -> dict[str, float | None]:
        """The fields as numbers (blank = no constraint); WhatifError names a bad one."""
        values: dict[str, float | None] = {}
        for widget_id, label, name in FIELDS:
            text = self.query_one(f"#{widget_id}", Input).value.strip().replace(",", "").replace("_", "")
            if not text:
                values[name] = None
                continue
            try:
                number = float(text.lstrip("$"))
            except ValueError:
                raise WhatifError(f"{text!r} is not a number", key=label) from None
            if not (math.isfinite(number) and number > 0):
                raise WhatifError("must be a number > 0", key=label)
            values[name] = number
        return values

    def recompute(self) -> Plan | None:
        self._asked += 1
        self.workers.cancel_group(self, EVERY_COUNT)   # its limits are not these
        status = self.query_one("#plan-status", Static)
        try:
            c = self.constraints()
            objective = OBJECTIVES[str(self.query_one("#plan-objective", Select).value)]
            limits = limits_from(c["power_cap_mw"], c["deadline_days"], c["budget_usd"])
            max_chips = int(c["max_chips"]) if c["max_chips"] else None
            self.plan = plan(self.result.scenario, limits, objective, max_chips=max_chips,
                             prepared=self._prepared_for(objective, limits))
        except WhatifError as exc:
            set_text(status, Text(in_words(str(exc))))
            status.add_class("-error")
            return None
        self._fill(self.plan)
        return self.plan

    def _prepared_for(self, objective: str, limits: list[Limit]) -> Prepared:
        """The plan's rows for `objective` and the outputs `limits` bound, resolved once."""
        key = (objective, tuple(sorted({l.output for l in limits})))
        if key not in self._prepared:
            self._prepared[key] = prepare(self.result.scenario, objective=objective, limits=limits,
                                          catalog=self.result.resolved.catalog)
        return self._prepared[key]

    def _fill(self, result: Plan) -> None:
        self.query_one("#plan-table", PlanTable).show(result.options)
        self._draw_scatter()
        status = self.query_one("#plan-status", Static)
        if result.ok:
            best = result.best
            # ctrl+f is in the key bar: at 80 columns the status's three lines are full.
            searched = ("every count searched (exact)" if result.every_count else
                        f"{result.evaluated:,} options searched")
            set_text(status, Text(f"{len(result.options)} chips feasible, {searched}; best {best.chip} x "
                                  f"{best.count:,} ({best.cooling}): {best.why}. Enter applies the highlighted row"))
        else:
            searched = "every count searched (exact): " if result.every_count else ""
            set_text(status, Text(searched + in_words(result.message)))
        status.set_class(not result.ok, "-error")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "every_count":
            return self.every_count_allowed
        return True

    def action_every_count(self) -> None:
        """Search every whole-server count of the plan on screen, in a thread (seconds)."""
        current = self.plan
        try:
            self.constraints()
        except WhatifError:   # the fields say what is wrong; the plan on screen is an older one
            current = None
        if current is None or current.every_count:
            self.app.bell()
            return
        self._asked += 1
        asked, scenario = self._asked, self.result.scenario
        prepared = self._prepared_for(current.objective, current.limits)
        self._say_searching(0.0)

        def search() -> None:
            # Messages, not call_from_thread: that waits for the app, which on quitting waits
            # for this thread. A cancelled worker (the view closed, the app quit, an edit)
            # stops at the next batch.
            worker, told = get_current_worker(), [0.0]

            def progress(share: float) -> bool:
                if time.monotonic() - told[0] > 0.2:
                    told[0] = time.monotonic()
                    self.post_message(self.Searched(asked, share))
                return not worker.is_cancelled

            try:
                found = plan(scenario, current.limits, current.objective, max_chips=current.max_chips,
                             prepared=prepared, every_count=True, progress=progress)
            except SearchStopped:
                return
            self.post_message(self.Searched(asked, 1.0, found))

        self.run_worker(search, thread=True, exclusive=True, group=EVERY_COUNT, exit_on_error=False)

    def _say_searching(self, share: float) -> None:
        status = self.query_one("#plan-status", Static)
        set_text(status, Text(f"Searching every whole-server count: {share:.0%} done; the table shows the "
                              "grid's plan until then"))
        status.remove_class("-error")   # an infeasible grid plan's red is not the search's

    class Searched(Message):
        """The every-count search `asked` has searched `share` of the counts; `found` at the end."""

        def __init__(self, asked: int, share: float, found: Plan | None = None) -> None:
            super().__init__()
            self.asked, self.share, self.found = asked, share, found

    @on(Searched)
    def _searched(self, event: Searched) -> None:
        if event.asked != self._asked:   # the limits changed since
            return
        if event.found is None:
            self._say_searching(event.share)
        else:
            self.plan = event.found
            self._fill(event.found)

    def _draw_scatter(self) -> None:
        box = self.query_one("#plan-scatter", Static)
        width = content_width(box) - SCATTER_LABEL_W
        if self.plan is not None:
            set_text(box, scatter(self.plan.pareto, self.result, width if width > 10 else SCATTER_W))

    def on_resize(self) -> None:
        self.call_after_refresh(self._draw_scatter)  # the scatter as wide as its box now is

    # ------------------------------------------------------------- events
    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event) -> None:
        event.stop()
        self.recompute()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#plan-table", PlanTable).focus()

    @on(PlanTable.RowSelected, "#plan-table")
    def _selected(self, event: PlanTable.RowSelected) -> None:
        event.stop()
        self.apply_row(int(event.row_key))

    def action_apply_row(self) -> None:
        self.apply_row(self.query_one("#plan-table", PlanTable).cursor_row)

    def apply_row(self, index: int) -> None:
        """Close with row `index`'s inputs (the app applies them through the session)."""
        if self.plan is None or not self.plan.ok or not 0 <= index < len(self.plan.options):
            self.app.bell()
            return
        self.dismiss(dict(self.plan.options[index].values))

    def action_close(self) -> None:
        self.dismiss(None)


def scatter(front: list[Option], current: Result, width: int = SCATTER_W, height: int = SCATTER_H) -> Text:
    """Days (x) against cost (y) of the Pareto front ('o') with the current scenario ('@');
    an axis spanning more than 10x is logarithmic."""
    points = [(o.figures["training_days"], o.figures["cost_usd"]) for o in front]
    text = Text("Pareto front: days → against cost ↑\n", style="bold")
    here = (current.values["training_days"], current.values["cost_usd"])
    if not points:
        return text + Text("(no feasible option with a cost)")
    xs = [p[0] for p in points] + ([here[0]] if all(map(math.isfinite, here)) else [])
    ys = [p[1] for p in points] + ([here[1]] if all(map(math.isfinite, here)) else [])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    logx, logy = x0 > 0 and x1 / x0 > 10, y0 > 0 and y1 / y0 > 10
    grid = [[" "] * width for _ in range(height)]

    def share(v: float, lo: float, hi: float, log: bool) -> float:
        if hi == lo:
            return 0.0
        return math.log(v / lo) / math.log(hi / lo) if log else (v - lo) / (hi - lo)

    def put(x: float, y: float, mark: str) -> None:
        col = round(share(x, x0, x1, logx) * (width - 1))
        line = round((1 - share(y, y0, y1, logy)) * (height - 1))
        grid[line][col] = mark

    for x, y in points:
        put(x, y, "o")
    if all(map(math.isfinite, here)):
        put(*here, "@")
    for k, line in enumerate(grid):
        label = fmt("cost_usd", y1) if k == 0 else fmt("cost_usd", y0) if k == height - 1 else ""
        text.append(f"{label:>7} │", style="dim")
        for ch in line:
            text.append(ch, style="bold magenta" if ch == "@" else "cyan" if ch == "o" else "")
        text.append("\n")
    text.append(" " * 8 + "└" + "─" * width + "\n", style="dim")
    left, right = fmt("training_days", x0), fmt("training_days", x1)
    if len(left) + len(right) + 1 > width:  # a narrow scatter: the title names the axis
        left, right = left.removesuffix(" days"), right.removesuffix(" days")
    text.append(" " * 9 + left + " " * max(1, width - len(left) - len(right)) + right + "\n", style="dim")
    scales = ", ".join(n for n, log in (("days", logx), ("cost", logy)) if log)
    if scales:
        text.append(f"log scale: {scales}\n", style="dim")
    text.append("o Pareto option  ", style="cyan")
    text.append("@ current scenario", style="bold magenta")
    return text
