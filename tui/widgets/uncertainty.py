"""P10/P50/P90 in the app: the strip under the headline figures (the full pane is
tui.widgets.uncertainty_view).

Both follow the scenario on every recompute. The Monte Carlo (engine.analysis.uncertainty)
runs once per result (10,000 draws by default, ~4 ms) and is shared by the two widgets.
"""

from __future__ import annotations

import math

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual.visual import Visual, visualize
from textual.widget import _RenderCache
from textual.widgets import Static

from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result
from whatif.engine.units import fmt
from whatif.tui.widgets.base import ResultView, content_width
from whatif.tui.widgets.lean_lines import LeanLines
from whatif.tui.widgets.results import line_count, set_text, signature as _signature

if TYPE_CHECKING:
    from whatif.engine.analysis.uncertainty import Band, MonteCarlo

# engine.analysis.uncertainty (and numpy.random under it) is imported on first use, after
# the first frame: the strip's first samples are drawn once the app is on screen.

# Short names for the strip (it has one line per figure pair at 80 columns).
STRIP_NAMES: dict[str, str] = {"training_days": "time", "cost_usd": "cost", "facility_mw": "power",
                               "energy_mwh": "energy", "co2_t": "CO2"}


# (result, its Monte Carlo): holding the result itself (not its id) so a new result can
# never be mistaken for a freed one at the same address.
_cache: tuple[Result, MonteCarlo | str] | None = None
# (result, the strip's bands for it) as a presenter computed them (tui.follow): a follower
# shows them instead of drawing the same seeded samples again, one Monte Carlo per follower.
_given: tuple[Result, dict[str, Band]] | None = None
# Called with each result whose Monte Carlo ran (a presenter then sends its bands).
_sampled: list[Callable[[Result], object]] = []


def monte_carlo_for(result: Result) -> MonteCarlo | str:
    """The Monte Carlo of `result` (or the reason it cannot run), computed once per result."""
    global _cache
    if _cache is not None and _cache[0] is result:
        return _cache[1]
    from whatif.engine.analysis.uncertainty import monte_carlo

    try:
        mc: MonteCarlo | str = monte_carlo(result.scenario, result)
    except WhatifError as exc:
        mc = str(exc)
    _cache = (result, mc)
    for callback in _sampled:
        callback(result)
    return mc


def on_sampled(callback: Callable[[Result], object], remove: bool = False) -> None:
    """Call `callback` with each result whose Monte Carlo ran (or could not: no bands then);
    `remove`: no longer."""
    if not remove:
        _sampled.append(callback)
    elif callback in _sampled:
        _sampled.remove(callback)


def sampled(result: Result) -> bool:
    """True if the Monte Carlo of `result` ran (or could not run)."""
    return _cache is not None and _cache[0] is result


def sampled_bands(result: Result) -> dict[str, tuple[float, float, float, float]] | None:
    """The headline bands of `result` if its Monte Carlo already ran (never runs it)."""
    if not sampled(result) or isinstance(_cache[1], str):  # type: ignore[index]
        return None
    from whatif.engine.analysis.uncertainty import HEADLINE

    bands = _cache[1].bands
    return {name: (b.p10, b.p50, b.p90, b.point) for name in HEADLINE if (b := bands.get(name)) is not None}


def give_bands(result: Result, bands: Mapping[str, tuple[float, float, float, float]]) -> None:
    """Show `bands` (another app's Monte Carlo of the same scenario) in the strip for `result`."""
    global _given
    from whatif.engine.analysis.uncertainty import HEADLINE, Band

    if all(name in bands for name in HEADLINE):
        _given = (result, {name: Band(*bands[name]) for name in HEADLINE})


def strip_bands(result: Result) -> dict[str, Band] | str:
    """The strip's bands of `result`: given by a presenter, else from the Monte Carlo."""
    if _given is not None and _given[0] is result:
        return _given[1]
    mc = monte_carlo_for(result)
    return mc if isinstance(mc, str) else mc.bands


def band_text(name: str, bands: Mapping[str, Band]) -> str:
    """'71.8/81.4/90.1 days' style P10/P50/P90 of one output (the unit once, at the end);
    'n/a' once where none is available (a chip without a published price: not 'n/a/n/a/n/a')."""
    band = bands[name]
    if all(math.isnan(v) for v in (band.p10, band.p50, band.p90)):
        return fmt(name, math.nan)
    texts = [fmt(name, band.p10), fmt(name, band.p50), fmt(name, band.p90)]
    units = {t.rpartition(" ")[2] for t in texts if " " in t}
    if len(units) == 1 and all(" " in t for t in texts):        # same unit word: show it once
        texts = [t.rpartition(" ")[0] for t in texts[:2]] + [texts[2]]
    return "/".join(texts)


class UncertaintyStrip(ResultView, LeanLines, Static):
    """'P10/P50/P90: time 71.8/81.4/90.1 days · cost $67.8M/$93.1M/$130M ...' under the headline.

    The Monte Carlo runs a moment after the result arrives (DELAY_S; the first one just after
    the app's first frame), so the frame with the new headline figures goes out first; while
    typing (results closer than DELAY_S), only the last result is sampled."""

    DELAY_S = 0.03
    update_at_once = False  # follows the headline figures' frame (tui.app._show_result)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: Result | None = None
        self._timer = None
        self._started = False   # the first samples wait for the app's first frame
        self._shown: Result | None = None
        self._shown_text = ""   # the text of the samples on screen
        # (text signature, size, visual style, selection) -> lines drawn: the dimmed line a
        # key brings is drawn while the app is idle, just after the samples it dims (~0.4 ms
        # a key).
        self._drawn: dict[tuple, object] = {}

    def update_result(self, result: Result, baseline: Result | None) -> None:
        if (_cache is not None and _cache[0] is result) or (_given is not None and _given[0] is result):
            self._show(result)  # the samples already exist (or the presenter's): no reason to wait
            return
        self._waiting = result
        if not self._started:
            self._started = True
            # Two lines, the strip's usual height: the layout does not move when the
            # figures replace it.
            set_text(self, Text("P10/P50/P90: sampling...\n"))
            self.call_after_refresh(self._show_waiting)
        elif self._timer is not None:
            self._timer.reset()  # still typing: sample once the keys pause
        else:
            self._timer = self.set_timer(self.DELAY_S, self._show_waiting)
            if self._shown is not None:
                # The figures on screen are the last scenario's until the samples are in:
                # dimmed, 'P10/P50/P90…' (same length, so as many lines: the layout does
                # not move).
                set_text(self, self._dimmed(), lines=getattr(self, "_whatif_lines", None))

    def _show_waiting(self) -> None:
        self._timer = None
        result, self._waiting = self._waiting, None
        if result is not None:
            self._show(result)

    def _show(self, result: Result) -> None:
        self._shown = result
        self._shown_text = self._text_for(result)
        set_text(self, Text(self._shown_text))
        self.call_after_refresh(self._draw_dimmed)

    def _dimmed(self) -> Text:
        return Text(self._shown_text.replace("P10/P50/P90:", "P10/P50/P90…", 1), style="dim")

    def _draw_dimmed(self) -> None:
        """Draw the dimmed line now, while idle: the next key shows it."""
        if not self.is_mounted or not self._shown_text or not self.size.width:
            return
        text = self._dimmed()
        key = (_signature(text), self.size, self.visual_style, self.text_selection)
        if key not in self._drawn:
            width, height = self.size
            visual = visualize(self, text, markup=self._render_markup)
            self._remember(key, Visual.to_strips(self, visual, width, height, self.visual_style))

    def _remember(self, key: tuple, lines: object) -> None:
        if len(self._drawn) >= 4:
            self._drawn.clear()
        self._drawn[key] = lines

    def _render_content(self) -> None:
        # Textual's (Widget._render_content), from the lines drawn ahead where they exist.
        key = (getattr(self, "_whatif_signature", None), self.size, self.visual_style, self.text_selection)
        lines = self._drawn.get(key)
        if lines is None:
            super()._render_content()
            if key[0] is not None:
                self._remember(key, self._render_cache.lines)
            return
        self._render_cache = _RenderCache(self.size, lines)
        self._dirty_regions.clear()

    def _text_for(self, result: Result) -> str:
        from whatif.engine.analysis.uncertainty import HEADLINE

        bands = strip_bands(result)
        if isinstance(bands, str):
            return f"P10/P50/P90: not available ({bands})"
        # Time and cost always; more figures while they fit on two lines.
        room = 2 * max(content_width(self) - 2, 40)
        text = "P10/P50/P90:"
        for i, name in enumerate(HEADLINE):
            part = f"{' ·' if i else ''} {STRIP_NAMES[name]} {band_text(name, bands)}"
            if i >= 2 and len(text) + len(part) > room:
                break
            text += part
        return text

    def on_resize(self) -> None:
        if self._shown is not None:
            self._show(self._shown)  # the line holds as many figures as the new width fits
            self.call_after_refresh(self._fit_height)

    def _fit_height(self) -> None:
        """Lay out again if the height is not the text's: going from 100 to 160 columns in
        tmux, the longer line for the wider screen stayed one line tall now and then (the
        layout of a resize passes through intermediate widths), its second line cut off."""
        lines = line_count(self, Text(str(self.render())), content_width(self))
        if lines > 0 and self.size.height != lines:
            self.refresh(layout=True)
