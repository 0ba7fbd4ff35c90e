"""Small builders and waits shared by the tests."""

from __future__ import annotations

from typing import Any

from whatif.engine.scenario import Scenario, scenario_from_dict


def make_scenario(**groups: dict[str, Any]) -> Scenario:
    """A scenario from partial groups; workload and cluster get round-number defaults."""
    data: dict[str, Any] = {
        "workload": {"params_b": 100.0, "tokens_t": 2.0},
        "cluster": {"chip": "h100", "count": 1000},
    }
    for group, values in groups.items():
        data.setdefault(group, {}).update(values)
    return scenario_from_dict(data)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`whatif ARGV...` in-process: exit code, standard output, standard error."""
    from whatif.cli.main import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def screen_text(app: Any, width: int = 120) -> str:
    """The plain text of every Static on the app's current screen (e.g. the help)."""
    import io

    from rich.console import Console
    from textual.widgets import Static

    console = Console(width=width, file=io.StringIO(), record=True)
    for widget in app.screen.query(Static):
        console.print(widget.content)
    return console.export_text()


async def pause_until(pilot: Any, predicate: Any, pauses: int = 100) -> None:
    """Pause the app until `predicate()` holds. Views that follow the headline figures are
    updated a frame later, and how many pauses that takes depends on the machine's load."""
    for _ in range(pauses):
        if predicate():
            return
        await pilot.pause()
    assert predicate(), f"still false after {pauses} pauses"


async def views_caught_up(pilot: Any) -> None:
    """Pause until the views that follow the headline figures show the current result."""
    await pause_until(pilot, lambda: pilot.app.views_current)


def cells(strips: list[Any]) -> list[list[tuple[str, Any]]]:
    """Each Strip as (character, style) per cell, as a terminal shows it: how its segments
    are cut does not show."""
    return [[(character, segment.style) for segment in strip for character in segment.text]
            for strip in strips]
