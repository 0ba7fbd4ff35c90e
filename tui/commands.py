"""The command palette's whatif commands (ctrl+p): every action, every open tab, every
explainable number, every chip, every shipped tour, and "go to field" for every input.

A Textual command Provider: it asks the app (through `CommandHost`) to act and holds no
state of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from whatif.engine.inputs import INPUTS
from whatif.engine.units import QUANTITIES
from whatif.tui.words import output_words

if TYPE_CHECKING:
    from whatif.engine.tours import Tour


class CommandHost(Protocol):
    """What the palette needs of the app."""

    def palette_bindings(self) -> list[Binding]: ...
    def palette_chips(self) -> list[tuple[str, str]]: ...
    def palette_tabs(self) -> list[str]: ...
    def palette_tours(self) -> list[Tour]: ...
    def open_tour(self, tour: Tour) -> None: ...
    def go_to_tab(self, index: int) -> None: ...
    def run_action(self, action: str) -> Any: ...
    def action_explain(self, name: str) -> None: ...
    def set_input(self, key: str, value: Any) -> None: ...
    def go_to_field(self, key: str) -> None: ...


class WhatifCommands(Provider):
    """whatif's own palette entries; Textual's (theme, keys, quit) come from its system provider."""

    def commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        """(text, what it does, help) for every entry."""
        from whatif.engine.explain import explainable  # resolves with the models: not before the first frame

        host = cast(CommandHost, self.app)
        for binding in host.palette_bindings():
            yield (binding.description, lambda a=binding.action: host.run_action(a),
                   binding.tooltip or f"{binding.description} ({binding.key})")
        for name in explainable():
            label = QUANTITIES[name].label if name in QUANTITIES else name
            yield f"Explain {label}", lambda n=name: host.action_explain(n), f"how {output_words(name)} is computed"
        for tour in host.palette_tours():
            yield (f"Tour: {tour.title}", lambda t=tour: host.open_tour(t),
                   "step through its stops in a new tab (PageDown / PageUp)")
        for index, label in enumerate(host.palette_tabs()):
            yield f"Tab {index + 1}: {label}", lambda i=index: host.go_to_tab(i), "switch to this scenario tab"
        for key, chip_name in host.palette_chips():
            yield f"Chip: {chip_name}", lambda k=key: host.set_input("cluster.chip", k), f"make the chip {key}"
        for spec in INPUTS:
            yield f"Go to field: {spec.short}", lambda k=spec.key: host.go_to_field(k), spec.description

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)

    async def discover(self) -> Hits:
        for text, callback, help_text in self.commands():
            yield DiscoveryHit(text, callback, help=help_text)
