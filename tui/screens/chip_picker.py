"""Pick a chip with search over the catalog: type to filter by key, name or vendor, Enter picks.

Typing goes to the search box; up/down move in the list; Enter takes the highlighted chip;
`/` comes back to the search box from the list; Escape clears the search, then cancels
(tui.screens.filter_list).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from whatif.engine.catalog import Catalog, Chip
from whatif.tui.screens.dialogs import FilterDialog
from whatif.tui.widgets.ordered_keys import InOrderInput


def chip_matches(catalog: Catalog, query: str) -> list[str]:
    """Chip keys matching `query`: key prefix first, then key, name or vendor containing it."""
    q = query.strip().lower()
    ranked: list[tuple[int, str]] = []
    for key, chip in catalog.chips.items():
        if not q or key.startswith(q):
            rank = 0
        elif q in key:
            rank = 1
        elif q in chip.name.lower() or q in chip.vendor.lower():
            rank = 2
        else:
            continue
        ranked.append((rank, key))
    return [key for _, key in sorted(ranked)]


def chip_line(key: str, chip: Chip, width: int) -> Text:
    peak = chip.dense_tflops.get("bf16") or max(chip.dense_tflops.values())
    hbm = f"{chip.hbm_gb:.0f} GB" if chip.hbm_gb else "? GB"
    tdp = f"{chip.tdp_w:.0f} W" if chip.tdp_w else "? W"
    # Figures in fixed columns before the name, which the list cuts to its width: after a
    # long name they wrapped to a second line at 80 columns and half the chips fell off.
    text = Text()
    text.append(f"{key:<{width}}", style="bold")
    text.append(f"  {peak:>6,.0f} TF · {hbm:>6} · {tdp:>6}", style="dim")
    text.append("  est." if chip.estimate else "      ", style="italic")
    text.append(f"  {chip.name}")
    return text


class ChipPicker(FilterDialog):
    FILTER_ID = "chip-search"
    LIST_ID = "chip-list"

    def __init__(self, catalog: Catalog, current: str) -> None:
        super().__init__()
        self.catalog = catalog
        self.current = current
        self.key_width = max(len(k) for k in catalog.chips)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="chip-picker") as box:
            box.border_title = "Choose a chip (dense bf16 TFLOP/s · HBM · TDP)"
            box.border_subtitle = "type to filter · ↑↓ move · Enter pick · Esc clear, cancel"
            yield InOrderInput(placeholder="filter by key, name or vendor (b200, mi3, tpu, nvidia...)", id="chip-search",
                        select_on_focus=False)
            yield OptionList(id="chip-list")
            yield Static("", id="chip-count", classes="dialog-note")

    def on_mount(self) -> None:
        self.refilter("")
        options = self.options
        index = options.get_option_index(self.current) if self.current in self.catalog.chips else 0
        options.highlighted = index
        self.filter.focus()

    def refilter(self, text: str) -> None:
        keys = chip_matches(self.catalog, text)
        options = self.options
        options.clear_options()
        options.add_options([Option(chip_line(k, self.catalog.chips[k], self.key_width), id=k) for k in keys])
        if keys:
            options.highlighted = 0
        self.query_one("#chip-count", Static).update(
            f"{len(keys)} of {len(self.catalog.chips)} chips · est.: estimated specs, not a datasheet's")
