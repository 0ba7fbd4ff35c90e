"""Goal seek dialog: solve one input for a target output; Apply puts the answer in the scenario.

"Solve for" can also be a choice: the chip, the cooling type, or chip, cooling and count
together (engine/analysis/plan.py: choose), for a <= or >= goal, minimising the objective
picked under it (e.g. the cheapest chip that finishes in 60 days).

The answer is recomputed as the fields change (a solve is a few vectorised engine calls,
~3 ms), so the dialog reads like a calculator. Apply closes it with {key: value}, which the
app applies to the scenario (validated by the engine); Escape closes without changing anything.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from whatif.engine.analysis.inputs import numeric_keys, parse_range
from whatif.engine.analysis.plan import CHOICE_KEYS, OBJECTIVES, Plan, choose
from whatif.engine.analysis.solve import Goal, Solution, solve
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, Result
from whatif.engine.inputs import BY_KEY
from whatif.engine.units import QUANTITIES
from whatif.tui.widgets.fields import FieldInput  # editing keys in order (textual #6605)
from whatif.tui.words import in_words

OPS: tuple[tuple[str, str], ...] = (("=", "="), ("<=", "<="), (">=", ">="))  # reach, at most, at least
# Choices the dialog can solve for, beside the numeric inputs: label -> comma-separated keys.
CHOICES: tuple[tuple[str, str], ...] = (
    ("Chip (choose one)", "cluster.chip"),
    ("Cooling type (choose one)", "facility.cooling"),
    ("Chip, cooling and count (plan)", "cluster.chip,facility.cooling,cluster.count"),
)


class GoalSeekScreen(ModalScreen[dict | None]):
    """Solve `Solve for` so that `Output op Target`, optionally within `Range`."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="goal_seek.cancel"),
        Binding("ctrl+a", "apply", "Apply", id="goal_seek.apply", priority=True),  # over Input's "home"
    ]

    def __init__(self, result: Result, key: str = "cluster.count", output: str = "training_days",
                 op: str = "<=", target: float | None = None) -> None:
        super().__init__()
        self.result = result
        self.key, self.output, self.op = key, output, op
        self.target = target if target is not None else _round_target(result.values[output] * 0.75)
        self.solution: Solution | None = None
        self.choice: Plan | None = None
        self.objective = "cost"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="goal-seek") as box:
            box.border_title = "Goal seek"
            box.border_subtitle = "ctrl+a apply · esc cancel"
            with Horizontal(classes="goal-row"):
                yield Label("Solve for")
                yield Select([*((BY_KEY[k].label, k) for k in numeric_keys()), *CHOICES], value=self.key,
                             allow_blank=False,
                             id="goal-key")
            with Horizontal(classes="goal-row"):
                yield Label("so that")
                yield Select([(_output_label(n), n) for n in NUMERIC_OUTPUTS], value=self.output,
                             allow_blank=False, id="goal-output")
            with Horizontal(classes="goal-row"):
                yield Label("is")
                yield Select(OPS, value=self.op, allow_blank=False, id="goal-op")
                # Selected on focus, as the input fields are: typing 30 replaces the target
                # (it made 4.930 of a 4.9 days' target, found in tmux).
                yield FieldInput(f"{self.target:g}", id="goal-target", select_on_focus=True,
                            tooltip="a number, or 'cap' for the scenario's power cap")
            with Horizontal(classes="goal-row", id="goal-objective-row"):
                yield Label("minimising")
                yield Select([(k, k) for k in OBJECTIVES], value=self.objective, allow_blank=False,
                             id="goal-objective", tooltip="when choosing a chip or cooling type")
            with Horizontal(classes="goal-row"):
                yield Label("within")
                yield FieldInput("", placeholder="LOW:HIGH (blank = default range)", id="goal-range",
                            select_on_focus=False)
            yield Static("", id="goal-answer")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="goal-apply", disabled=True)
                yield Button("Cancel", id="goal-cancel")

    def on_mount(self) -> None:
        self.query_one("#goal-target", Input).focus()
        self.recompute()

    @on(Select.Changed)
    @on(Input.Changed)
    def _changed(self, event) -> None:
        event.stop()
        self.recompute()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "goal-apply":
            self.action_apply()
        else:
            self.action_cancel()

    def recompute(self) -> Solution | None:
        """Solve with the current fields; show the answer or what is wrong."""
        answer = self.query_one("#goal-answer", Static)
        apply = self.query_one("#goal-apply", Button)
        self.solution = None
        self.choice = None
        try:
            key = str(self.query_one("#goal-key", Select).value)
            self.query_one("#goal-objective-row").display = any(k in CHOICE_KEYS for k in key.split(","))
            if any(k in CHOICE_KEYS for k in key.split(",")):
                return self._choose(key.split(","))
            output = str(self.query_one("#goal-output", Select).value)
            op = str(self.query_one("#goal-op", Select).value)
            target = _number(self.query_one("#goal-target", Input).value,
                             self.result.scenario.facility.power_cap_mw)
            span = self.query_one("#goal-range", Input).value.strip()
            low, high = parse_range(span, key) if span else (None, None)
            self.solution = solve(self.result.scenario, key, Goal(output, op, target), low, high, base=self.result)
        except WhatifError as exc:
            answer.update(Text(in_words(str(exc))))
            answer.add_class("-none")
            apply.disabled = True
            return None
        answer.update(Text(in_words(self.solution.message)))
        answer.set_class(not self.solution.ok, "-none")
        apply.disabled = not self.solution.ok
        return self.solution

    def _choose(self, keys: list[str]) -> None:
        """The chip / cooling choice for the goal (the Range field does not apply)."""
        answer = self.query_one("#goal-answer", Static)
        output = str(self.query_one("#goal-output", Select).value)
        op = str(self.query_one("#goal-op", Select).value)
        target = _number(self.query_one("#goal-target", Input).value, self.result.scenario.facility.power_cap_mw)
        objective = str(self.query_one("#goal-objective", Select).value)
        self.choice = choose(self.result.scenario, keys, [(output, op, target)], objective,
                             catalog=self.result.resolved.catalog)
        answer.update(Text(in_words(self.choice.message)))
        answer.set_class(not self.choice.ok, "-none")
        self.query_one("#goal-apply", Button).disabled = not self.choice.ok
        return None

    def action_apply(self) -> None:
        self.recompute()
        if self.choice is not None:
            if not self.choice.ok:
                self.app.bell()
                return
            self.dismiss(dict(self.choice.best.values))
            return
        solution = self.solution
        if solution is None or not solution.ok:
            self.app.bell()
            return
        self.dismiss({solution.key: solution.value})  # the app applies it to the scenario

    def action_cancel(self) -> None:
        self.dismiss(None)


def _number(text: str, power_cap_mw: float | None = None) -> float:
    """The target: a number, or 'cap' for the scenario's power cap."""
    if text.strip().lower() == "cap":
        if power_cap_mw is None:
            raise WhatifError("'cap' needs a power cap in the scenario (Facility: Power cap, MW)", key="target")
        return float(power_cap_mw)
    try:
        return float(text.strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise WhatifError(f"target {text.strip()!r} is not a number", key="target") from None


def _output_label(name: str) -> str:
    """'Training time (days)': words, not the output's name (training_days)."""
    q = QUANTITIES[name]
    return f"{q.label} ({q.unit})" if q.unit else q.label


def _round_target(value: float) -> float:
    """A round starting target (two significant figures) so the dialog opens with a question."""
    if value == 0 or value != value:
        return 0.0
    from math import floor, log10
    digits = 1 - int(floor(log10(abs(value))))
    return round(value, digits)
