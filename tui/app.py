"""The whatif app: input panels on the left, live results on the right.

The App wires screens, bindings and views to the active editing session
(tui.session.EditSession, `app.session`), which holds the scenario, its result, pending
edits, errors, baseline, file and tour. Several sessions are open as scenario tabs
(tui.workspace.Workspace, `app.workspace`); switching tabs shows another session. Edits
go up as messages (InputPanels.Edited) and become session calls; the session says what
changed (Change) and the App hands the new data down to the widgets that show it. File
dialogs and the write policy live in tui.files, the palette's commands in tui.commands.

Extending the results
---------------------
* Results live in the TabbedContent `#tabs`; add a pane from your own module:

      await app.query_one("#tabs", TabbedContent).add_pane(TabPane("Chart", ChartView(), id="tab-chart"))

  or subclass WhatifApp and extend `result_panes()` (yields extra TabPanes at compose time).
* A widget that subclasses `tui.widgets.base.ResultView` gets `update_result(result,
  baseline_or_None)` after every recompute, and once when mounted. Update in place.
* A costly view may set `update_when_hidden = False`: while its TabPane is not the active
  tab it is skipped, and updated when the tab is shown (keeps keystrokes fast); and
  `update_at_once = False`: it is updated once the frame with the new headline figures is
  out, not within the call that changed the result.

Keys: see BINDINGS (every one has an id, shows in the key bar or the help screen) and the
command palette (ctrl+p).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.reactive import Reactive
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs

from whatif.engine.errors import WhatifError, did_you_mean
from whatif.engine.inputs import BY_KEY
from whatif.engine.presets import default_preset_path
from whatif.engine.units import QUANTITIES
from whatif.tui.commands import WhatifCommands
from whatif.tui.files import FileFlows
from whatif.tui.recovery import RecoveryFile, recovery_dir
from whatif.tui.session import Change, EditSession
from whatif.tui.workspace import Workspace
from whatif.tui.widgets.base import ResultView, ResultViewMounted
from whatif.tui.widgets.fields import InputPanels
from whatif.tui.widgets.frame_hold import FrameHold
from whatif.tui.widgets.keybar import KeyBar
from whatif.tui.widgets.lean_lines import LeanStatic
from whatif.tui.widgets.results import DetailTable, Headline, WarningsView, can_explain, set_text
from whatif.tui.widgets.span_compositor import SpanCompositor
from whatif.tui.widgets.tabstrip import TabItem, TabStrip
from whatif.tui.widgets.titlebar import TitleBar
from whatif.tui.widgets.uncertainty import UncertaintyStrip
from whatif.tui.words import in_words

if TYPE_CHECKING:
    # Types only: opened from a cached opening (engine.opening), the app draws its first
    # frame before pydantic, which these are built on, is imported.
    from whatif.engine.opening import Opening
    from whatif.engine.scenario import Scenario
    from whatif.engine.tours import Tour
    from whatif.tui.follow import FollowLink
    from whatif.tui.recovery import Recovered
    from whatif.tui.screens.compare import CompareScreen

# Unsaved edits reach the recovery file this long after the last change (tui.recovery).
RECOVERY_DELAY_S = 1.0
# Where an exception reaches App._handle_exception without ending the loop that ran it
# (Textual 8: callbacks, timers, workers): the app can keep running there.
_SURVIVABLE_CALLERS = frozenset({"_flush_next_callbacks", "_tick", "_run"})

# Actions that change the scenario (or what it is compared with): refused while following a
# presenter (tui.follow), whether from a key, the palette or a button.
# The tab keys too: a follower's active tab is the one that mirrors the presenter.
EDITING_ACTIONS = frozenset({"toggle_baseline", "undo", "redo", "revert", "open_preset", "tour_next",
                             "tour_previous", "goal_seek", "plan", "edit_details", "new_tab",
                             "duplicate_tab", "close_tab", "step_tab"})

MIN_SIZE = (80, 24)  # columns, rows: every panel and dialog fits (snapshot-tested)
XWIDE_COLUMNS = 150  # from here the input panel widens again (Screen class -xwide)
# Result panes whose view is built the first time the tab is shown:
# pane id -> (tab title, module, view class, view id).
LAZY_PANES: dict[str, tuple[str, str, str, str]] = {
    "tab-chart": ("Chart", "whatif.tui.widgets.chart", "SweepChart", "chart"),
    "tab-sensitivity": ("Sensitivity", "whatif.tui.widgets.chart", "TornadoView", "tornado"),
    "tab-uncertainty": ("P10/P90", "whatif.tui.widgets.uncertainty_view", "UncertaintyView", "uncertainty"),
}


class InputsScroll(VerticalScroll, can_focus=False):
    """Scrolls the input panels. Not focusable itself, so Tab goes from field to field and
    typing edits at once."""


class MainScreen(Screen):
    """The app's default screen. Its widgets are styled when they mount; Textual restyles
    the whole tree again when a screen is first shown (~1/3 of the work between mounting and
    the first frame), needed only when a screen comes back after styles changed."""

    _resumed_once = False
    # Focus lands here when the screen first shows. Focusing it from on_mount instead first
    # gave focus to the inputs' scroll container and then took it away, and each change
    # restyled every input row (~70 ms of start-up).
    AUTO_FOCUS = f"#{BY_KEY['workload.params_b'].widget_id}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A keystroke's frame renders the widgets it changes, not all near them (a count
        # key's headline frame: 7 widgets, not 46 at 80x24).
        self._compositor = SpanCompositor()
        self._draw_when_idle = False
        self._changed: list[Widget] = []
        self._kept_binding_chain: tuple[tuple, list[tuple[DOMNode, BindingsMap]]] | None = None

    def draw_when_idle(self, changed: Iterable[Widget] = ()) -> None:
        """Draw the next frame as soon as the screen is idle, not at the frame timer's next
        tick: after a frame the timer waits up to a period or two (~25 ms seen after a key
        that came just after a frame), and the views that follow the headline figures were
        ready ~10 ms after it (tui.app.WhatifApp._show_followers).

        `changed`: widgets just changed, whose repaints the frame takes at once. A repaint
        reaches the screen in two message hops (the widget's Idle, then an Update to the
        screen), and the screen's own Idle could come first: it drew the typed character
        without the figures it brings."""
        self._draw_when_idle = True
        self._changed.extend(changed)
        self.check_idle()

    def _on_idle(self, event: events.Idle) -> None:
        # Runs before Screen's own handler (which resumes the update timer) for the same
        # event; draws with what the update timer calls.
        if self._draw_when_idle and self.is_current and not self.app._batch_count:
            self._take_repaints()
            if self._dirty_widgets:
                self._draw_when_idle = False
                self._on_timer_update()

    @property
    def _binding_chain(self) -> list[tuple[DOMNode, BindingsMap]]:
        """Textual's chain of bindings from the focused widget up, kept while a field has
        the focus: Textual builds it for every key (a copy of each node's bindings, those an
        Input would take as characters filtered out: ~0.15 ms a keystroke). What it is made
        of is the path to the field and the keymap; the fields' and their parents' bindings
        are fixed at construction. Anything else focused gets Textual's own each time."""
        focused = self.focused
        if not isinstance(focused, Input) or focused.loading:
            return super()._binding_chain
        key = (tuple(focused.ancestors_with_self), tuple(self.app._keymap.items()))
        kept = self._kept_binding_chain
        if kept is None or kept[0] != key:
            kept = self._kept_binding_chain = (key, super()._binding_chain)
        return kept[1]

    def _take_repaints(self) -> None:
        """What Textual does for each repaint (Widget._check_refresh, Screen._on_update),
        here and now for the widgets in `_changed`."""
        changed, self._changed = self._changed, []
        for widget in changed:
            if widget._repaint_required and widget.display and not widget._closing:
                widget._repaint_required = False
                self._dirty_widgets.add(widget)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (which does the work) for the same event.
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False
        # Focus comes back here from every dialog, picker and the compare view without a
        # Focus event, so Input's select-on-focus does not run: typing after a dialog
        # appended to the value (405 became 4057). Select it as focusing it would.
        # (Textual calls one of _on_screen_resume / on_screen_resume per class, so it is here.)
        focused = self.focused
        if isinstance(focused, Input) and focused.select_on_focus:
            focused.select_all()


class WhatifApp(App):
    CSS_PATH = ["app.tcss", "widgets/claims.tcss", "widgets/analysis.tcss"]
    TITLE = "whatif"
    COMMANDS = App.COMMANDS | {WhatifCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    # Textual's own title reactives repaint the whole screen when they change: the
    # '● modified' mark came and went with each edit that left or reached the saved value,
    # and each such frame was the whole screen. Only the title bar shows them (it watches
    # both and redraws its line).
    title: Reactive[str] = Reactive("", compute=False, repaint=False)
    sub_title: Reactive[str] = Reactive("", compute=False, repaint=False)
    BINDINGS = [
        Binding("ctrl+b", "toggle_baseline", "Baseline", id="baseline.toggle",
                tooltip="Pin the current result as baseline (again to unpin)"),
        Binding("ctrl+z", "undo", "Undo", id="edit.undo", show=False, tooltip="Undo the last change"),
        Binding("ctrl+y,ctrl+shift+z", "redo", "Redo", id="edit.redo", show=False, tooltip="Redo what undo took back"),
        Binding("f5", "revert", "Revert to saved", id="edit.revert", show=False,
                tooltip="Drop every change since the preset was opened or saved (undo brings them back)"),
        Binding("ctrl+o", "open_preset", "Open", id="preset.open", tooltip="Open a preset in a new tab"),
        Binding("ctrl+s", "save", "Save", id="preset.save"),
        Binding("f2", "save_as", "Save as", id="preset.save_as"),
        Binding("ctrl+t", "show_toml", "TOML", id="preset.show_toml", show=False),
        Binding("f4", "edit_details", "Details", id="preset.details", show=False,
                tooltip="Edit the preset's name, description and source"),
        Binding("pagedown", "tour_next", "Next stop", id="tour.next", priority=True),
        Binding("pageup", "tour_previous", "Prev stop", id="tour.previous", priority=True),
        Binding("f9", "toggle_tour_notes", "Tour notes", id="tour.notes", show=False,
                tooltip="Open or close the tour stop's notes"),
        Binding("ctrl+g", "goal_seek", "Goal seek", id="analysis.goal_seek"),
        Binding("ctrl+r", "compare", "Compare", id="analysis.compare",
                tooltip="Compare the open tabs side by side (the chip and cooling variants from there: v)"),
        Binding("ctrl+n", "new_tab", "New tab", id="tabs.new", show=False,
                tooltip="Open the default preset in a new tab"),
        Binding("f3", "duplicate_tab", "Duplicate tab", id="tabs.duplicate", show=False,
                tooltip="Copy this tab (its edits too) into a new one"),
        # Priority: an input field would take ctrl+w (delete a word). Only while several tabs
        # are open (check_action), so with one tab the field still gets it.
        Binding("ctrl+w", "close_tab", "Close tab", id="tabs.close", show=False, priority=True,
                tooltip="Close this tab (asks first if it has unsaved changes)"),
        Binding("ctrl+pagedown", "step_tab(1)", "Next tab", id="tabs.next", show=False),
        Binding("ctrl+pageup", "step_tab(-1)", "Previous tab", id="tabs.previous", show=False),
        Binding("f7", "plan", "Plan", id="analysis.plan", show=False),
        Binding("f6", "export", "Export", id="analysis.export", show=False,
                tooltip="Export the results as Markdown, CSV or JSON"),
        Binding("alt+0", "focus_inputs", "Inputs", id="view.inputs", show=False,
                tooltip="Go to the input fields (alt+0)"),
        *(Binding(f"alt+{n}", f"show_view('{pane}')", f"{title} view", id=f"view.{pane.removeprefix('tab-')}",
                  show=False, tooltip=f"Show the {title} view (alt+{n})")
          for n, (pane, title) in enumerate((("tab-results", "Results"), ("tab-claims", "Claims"),
                                             ("tab-chart", "Chart"), ("tab-sensitivity", "Sensitivity"),
                                             ("tab-uncertainty", "P10/P90")), 1)),
        Binding("f8", "toggle_follow", "Branch/rejoin", id="follow.branch",
                tooltip="Following a presenter: branch off into your own copy, or rejoin them"),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", id="app.help_key", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, path: str | Path | None = None, *, tour: Tour | None = None,
                 scenario: Scenario | None = None, session: EditSession | None = None,
                 more: Sequence[str | Path] = (), placeholder: bool | None = None,
                 relay_env: Mapping[str, str] | None = None, opening: Opening | None = None) -> None:
        """Open `session`, or a new one on `scenario`, the first stop of `tour` or the preset
        at `path` (default: the default preset), and the presets at `more` in further tabs.
        `placeholder`: the first tab is the default preset the user did not ask for (an open
        replaces it); by default when none of path, scenario, tour or session is given.
        `relay_env`: a presenter relay's variables (engine.presenter; default: this process's
        environment). `opening`: the preset at `path` and the user's settings as plain data
        from the start-up cache (engine.opening), the models built after the first frame.
        Raises WhatifError for a preset that does not load (before any screen is drawn)."""
        super().__init__()
        if placeholder is None:
            placeholder = path is None and scenario is None and tour is None and session is None
        # The user's config: theme, keymap and catalog entries. A bad file is reported once
        # the screen is up; the app then runs on the defaults.
        if opening is not None:
            self.settings = opening.settings
            session = EditSession.from_opening(opening)
        else:
            from whatif.engine.user import load_settings
            self.settings = load_settings()
        if session is None:
            catalog = self.settings.catalog
            if tour is not None:
                session = EditSession.for_tour(tour, catalog=catalog)
            elif scenario is not None:
                session = EditSession(scenario, Path(path) if path is not None else None, catalog=catalog)
            else:
                session = EditSession.from_file(path if path is not None else default_preset_path(),
                                                catalog=catalog)
        self._mounted = False
        self.workspace = Workspace(session, placeholder=placeholder and not more)
        self._typed_texts: dict[EditSession, dict[str, str]] = {}  # a tab's invalid texts while away
        self._shown: EditSession = session                         # the session the panels show
        self.workspace.on_added(self._watch)
        self.workspace.subscribe(self._tabs_changed)
        self._watch(session)
        for other in more:
            self.workspace.open(other)
        self.workspace.activate(0)
        self._shown = self.workspace.active
        self._settings_problems = self._apply_settings()
        self.files = FileFlows(self, self.workspace)
        self._widgets: dict[str, Widget] = {}
        self._deferred: set[ResultView] = set()
        self._followers_pending = False
        self._tours: list[Tour] | None = None   # palette_tours, read once
        self._views: tuple[tuple | None, tuple[ResultView, ...]] = (None, ())   # result_views, remembered
        # A typed key's frame waits for its edit's result (tui.widgets.frame_hold).
        self.frame_hold = FrameHold(self)
        self._claims_view_mounted = False
        self._claims_tab_hidden = False
        self._tour_notes_open = False
        # Called once the first frame is on screen (tui.launch resumes garbage collection).
        self.after_first_frame: Callable[[], object] | None = None
        # Safety net: unsaved edits go to a recovery file (tui.recovery); errors the app
        # survived (tests assert there are none).
        self.recovery = RecoveryFile(recovery_dir(self.files.policy.demo))
        self._recovery_timer: object | None = None
        self.unexpected_errors: list[BaseException] = []
        self.follow: FollowLink | None = None  # presenter mode (tui.follow), set on mount
        self._relay_env = os.environ if relay_env is None else relay_env

    @property
    def session(self) -> EditSession:
        """The active tab's session: what the panels show and every edit goes to."""
        return self.workspace.active

    def _watch(self, session: EditSession) -> None:
        session.subscribe(lambda change: self._session_changed(change, session))

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        # Give the screen its breakpoint classes before any child exists: set later (on the
        # first Resize) they restyle every widget again, ~17 % of start-up work.
        self._preset_breakpoints()
        yield TitleBar()
        yield TabStrip(id="tab-strip")
        yield LeanStatic("", id="too-small")
        yield LeanStatic("", id="tour-band")
        with Horizontal(id="main"):
            with InputsScroll(id="inputs"):
                yield InputPanels(self.session.catalog, self.session.scenario, id="input-panels")
            with Vertical(id="results"):
                yield LeanStatic("", id="stale-banner")
                yield Headline(id="headline")
                yield UncertaintyStrip(id="uncertainty-strip")
                with TabbedContent(id="tabs"):
                    with TabPane("Results", id="tab-results"):
                        yield WarningsView(id="warnings")
                        yield DetailTable(id="detail")
                    # Hidden for scenarios without claims; ClaimsView is mounted for the first
                    # scenario that has some (_sync_claims_pane) and then runs the tab itself.
                    yield TabPane("Claims", id="tab-claims")
                    # Filled when first shown (_fill_lazy_pane): fewer widgets and imports before
                    # the first frame; each view brings itself up to date when it mounts.
                    for pane_id, (title, *_view) in LAZY_PANES.items():
                        yield TabPane(title, id=pane_id)
                    yield from self.result_panes()
        yield LeanStatic("", id="status")
        yield KeyBar()

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def _preset_breakpoints(self) -> None:
        width, height = self.size
        classes = {name: False for _, name in (*self.HORIZONTAL_BREAKPOINTS, *self.VERTICAL_BREAKPOINTS)}
        for dimension, points in ((width, self.HORIZONTAL_BREAKPOINTS), (height, self.VERTICAL_BREAKPOINTS)):
            chosen = [name for limit, name in sorted(points) if dimension >= limit]
            if chosen:
                classes[chosen[-1]] = True
        self.screen.update_classes(classes, update=False)

    def result_panes(self) -> Iterable[TabPane]:
        """Extra result panes (subclasses or other modules extend this)."""
        return ()

    def on_mount(self) -> None:
        self._mounted = True
        self.query_one("#tour-band").display = self.session.tour is not None
        self._cached("#stale-banner").display = False
        self._show_tabs()
        self._show_size_notice(*self.size)
        self._set_width_class(self.size.width)
        self._session_changed(Change(result=True, errors=True, title=True, tour=True))
        self._show_followers()  # the first frame shows them at once
        # Views that re-render from on_resize (the P10/P90 strip) change height during the
        # first layout pass, which Textual does not re-measure: lay out once more after it.
        self.call_after_refresh(self._relayout_views)
        if self.after_first_frame is not None:
            self.call_after_refresh(self.after_first_frame)
        # Presets and catalogs come validated from the cache (engine.cache), so the scenario's
        # validator is built on the first edit: build it now, after the first frame.
        self.call_after_refresh(self.session.warm_up)
        # Table cells carry colours taken from the theme: repaint them when it changes.
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for problem in self._settings_problems:
            self.notify(problem, title="Your settings", severity="error", timeout=12)
        self.call_after_refresh(self._after_start)
        self._start_follow_link()

    def _start_follow_link(self) -> None:
        """Presenter mode, when the server started this app with a relay (tui.follow)."""
        from whatif.engine.presenter import RELAY_SOCKET_ENV

        if RELAY_SOCKET_ENV in self._relay_env:
            from whatif.tui.follow import FollowLink

            self.follow = FollowLink.from_environment(self, self._relay_env)
            if self.follow is not None:
                self.follow.start()
                self.follow_changed()

    def follow_changed(self) -> None:
        """The presenter link's state changed: the status and title lines, the F8 key."""
        if not (self._mounted and self.is_running and self.screen_stack):
            return
        self._static("#status").set_class(self.follow is not None, "-following")
        # A follower cannot type into the fields: a blinking cursor would only cost a frame
        # twice a second in every follower's app (twenty of them on a small server).
        following = self.follow is not None and self.follow.following
        for field in self.panels.query(Input):
            field.cursor_blink = not following
        self._show_errors()
        self._update_title()
        self.refresh_bindings()

    def on_unmount(self) -> None:
        self.frame_hold.close()
        if self.follow is not None:
            self.follow.stop()

    def action_toggle_follow(self) -> None:
        if self.follow is not None:
            self.follow.toggle_branch()

    # ------------------------------------------------------------ user settings
    def _apply_settings(self) -> list[str]:
        """Theme and keymap from the user's config; what could not be used, as messages."""
        settings = self.settings
        problems = [settings.problem] if settings.problem else []
        if settings.theme is not None:
            if settings.theme in self.available_themes:
                self.theme = settings.theme
            else:
                problems.append(f"{settings.path}: theme: unknown theme {settings.theme!r}"
                                f"{did_you_mean(settings.theme, self.available_themes)}; allowed: "
                                f"{', '.join(sorted(self.available_themes))}")
        if settings.keymap:
            # An id no binding has is simply unused; it is named once the app is up (_check_keymap).
            self.set_keymap(dict(settings.keymap))
        self._saved_theme = self.theme
        return problems

    def _check_keymap(self) -> None:
        """Name the keymap's ids that no binding has. Finding every binding imports each
        screen and view (~0.4 s): done after the first frame."""
        settings = self.settings
        if not settings.keymap:
            return
        from whatif.tui.screens.help import binding_ids

        known = binding_ids(self.BINDINGS)
        for binding_id in settings.keymap:
            if binding_id not in known:
                self.notify(f"{settings.path}: keymap: unknown binding id {binding_id!r}"
                            f"{did_you_mean(binding_id, known)}; docs/keymap.md lists them",
                            title="Your settings", severity="error", timeout=12)

    def _theme_changed(self, _theme: object) -> None:
        self._show_result()
        if self.theme != self._saved_theme:  # picked by the user: remembered for the next start
            self._saved_theme = self.theme
            try:
                from whatif.engine.settings import save_theme
                save_theme(self.theme)
            except WhatifError as exc:
                self.notify(str(exc), title="Theme not saved", severity="warning", timeout=8)

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        # Widgets set classes while they are built (Input(compact=True) does in __init__);
        # each such change restyled a node that is styled anyway when it mounts.
        if node is self or node.is_attached:
            super().update_styles(node, animate)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._relayout_views)
        self._show_size_notice(event.size.width, event.size.height)
        self._set_width_class(event.size.width)

    def _set_width_class(self, width: int) -> None:
        main = self.screen_stack[0] if self.screen_stack else self.screen
        main.set_class(width >= XWIDE_COLUMNS, "-xwide")

    def _show_size_notice(self, width: int, height: int) -> None:
        """Below MIN_SIZE panels and dialog buttons are cut off: say so, not silently."""
        notice = self._static("#too-small")
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        notice.display = small
        if small:
            set_text(notice, f"The terminal is {width}x{height}; whatif needs {MIN_SIZE[0]}x{MIN_SIZE[1]} "
                             "to show every panel and dialog. Make the window larger.")

    def _relayout_views(self) -> None:
        for view in self.result_views():
            if isinstance(view, Widget):
                view.refresh(layout=True)

    def _cached(self, selector: str) -> Widget:
        """query_one, remembered: these widgets live as long as the app."""
        widget = self._widgets.get(selector)
        if widget is None:
            widget = self._widgets[selector] = self.query_one(selector)
        return widget

    @property
    def panels(self) -> InputPanels:
        panels = self._cached("#input-panels")
        assert isinstance(panels, InputPanels)
        return panels

    # ------------------------------------------------------------ session -> widgets
    def _session_changed(self, change: Change, source: EditSession | None = None) -> None:
        """Hand what changed down to the widgets that show it (a tab not shown: its mark
        in the tab strip)."""
        if not self._mounted:
            return  # not composed yet: on_mount shows everything
        if change.title:
            self._schedule_recovery()
            self._show_tabs()
        if change.result and not self._on_main_screen():
            self._refresh_compare()
        session = self.session
        if source is not None and source is not session:
            return
        if change.fields:
            self.panels.show_values(session.scenario)
        if change.result:
            self._show_result()
        if change.errors:
            self._show_errors()
        if change.title:
            self._update_title()
        if change.tour:
            self._show_tour_band()
            self.refresh_bindings()

    def _schedule_recovery(self) -> None:
        if self._recovery_timer is None:
            self._recovery_timer = self.set_timer(RECOVERY_DELAY_S, self._write_recovery)

    # ------------------------------------------------------------ tabs
    def _tabs_changed(self) -> None:
        """A tab was added, closed, switched to or pinned: show the active one if it is
        another (its result as it is: nothing is recomputed)."""
        if not self._mounted:
            return
        alive = set(self.workspace.sessions)
        self._typed_texts = {s: t for s, t in self._typed_texts.items() if s in alive}
        self._schedule_recovery()  # a closed tab's edits leave the recovery file
        session = self.session
        if session is not self._shown:
            if self._shown in alive:  # invalid text typed there: shown again on return
                self._typed_texts[self._shown] = self.panels.texts(self._shown.pending)
            self._shown = session
            self.panels.show_values(session.scenario)
            self.panels.show_texts(self._typed_texts.pop(session, {}))
            focused = self.screen_stack[0].focused
            if isinstance(focused, Input) and self.panels in focused.ancestors:
                focused.select_all()  # typing replaces this tab's value, as after focusing it
            self.query_one("#tour-band").display = session.tour is not None
            self._session_changed(Change(result=True, errors=True, title=True, tour=True))  # bindings too
        self._show_tabs()

    def _refresh_compare(self) -> None:
        """A tab changed under the compare view (ctrl+z there): show its new result."""
        from whatif.tui.screens.compare_tabs import TabsCompareScreen

        if isinstance(self.screen, TabsCompareScreen):
            self.screen.rebuild()

    def _show_tabs(self) -> None:
        ws = self.workspace
        strip = self._cached("#tab-strip")
        assert isinstance(strip, TabStrip)
        if strip.display != (len(ws) > 1):  # set only on a change: called on every keystroke
            strip.display = len(ws) > 1
        if len(ws) > 1:
            strip.show([TabItem(label, s.dirty, i == ws.active_index, s is ws.pinned)
                        for i, (s, label) in enumerate(zip(ws.sessions, ws.short_labels()))],
                       "^PgDn next · ^r compare")

    @on(TabStrip.Selected)
    def _tab_clicked(self, event: TabStrip.Selected) -> None:
        event.stop()
        self.workspace.activate(event.index)

    def action_new_tab(self) -> None:
        try:
            self.workspace.new()
        except WhatifError as exc:
            self.notify(str(exc), title="Cannot open the default preset", severity="error", timeout=8)

    def action_duplicate_tab(self) -> None:
        self.workspace.duplicate()
        self.notify("A copy of the tab; its changes are unsaved until you save it under a name (F2)", timeout=4)

    def action_close_tab(self) -> None:
        session = self.session
        self.files.when_saved(lambda: self.workspace.close(self.workspace.index(session)),
                              "Close this tab and discard its unsaved changes?")

    def action_step_tab(self, by: int) -> None:
        self.workspace.step(by)

    def _on_main_screen(self) -> bool:
        """The main screen is shown, perhaps under the palette (whose entries run there)."""
        screens = [s for s in self.screen_stack if not isinstance(s, CommandPalette)]
        return bool(screens) and len(screens) == 1

    @on(InputPanels.Edited)
    def _edited(self, event: InputPanels.Edited) -> None:
        event.stop()
        try:
            self._apply_edit(event)
        finally:
            self.frame_hold.release()  # the typed key and its result: one frame, drawn at once
            self._draw_main_when_idle([self.focused] if self.focused else [])

    def _apply_edit(self, event: InputPanels.Edited) -> None:
        if self.follow is not None and event.value != self.session.scenario.get(event.key) \
                and self.follow.refuses_edit():
            self.panels.show_values(self.session.scenario)  # the typed text goes; the presenter's stays
            return
        self.session.edit(event.key, event.value)

    def _show_errors(self) -> None:
        session = self.session
        self.panels.show_errors(session.errors)
        stale = session.stale
        self._cached("#results").set_class(stale, "-stale")
        banner = self._static("#stale-banner")
        banner.display = stale
        status = self._static("#status")
        status.set_class(stale, "-error")
        if stale:
            labels = ", ".join(BY_KEY[key].label for key in session.errors)
            set_text(banner, f"STALE: showing the last good result; fix {labels}")
            key, message = next(iter(session.errors.items()))
            set_text(status, f"{BY_KEY[key].label}: {message}")
        else:
            set_text(status, self._status_text())

    def _static(self, selector: str) -> Static:
        widget = self._cached(selector)
        assert isinstance(widget, Static)
        return widget

    def _status_text(self) -> str:
        session = self.session
        parts = [self.follow.status_text()] if self.follow is not None else []
        if session.baseline is not None:
            parts.append("baseline pinned (ctrl+b to unpin)")
        r = session.result.resolved
        # The chip's name without its details ('NVIDIA B200', not '... (HGX/DGX B200, 1,000 W)'):
        # at 80 columns the line wrapped and took the inputs' last row.
        chip = r.chip.name.split(" (")[0]
        parts.append(f"{session.scenario.cluster.count:,} x {chip} · {r.precision} · {r.cooling.key} · "
                     f"{r.region.key} · {r.mode}")
        return " │ ".join(parts)

    @property
    def views_current(self) -> bool:
        """Whether every view shows the current result: the table, warnings and hints that
        follow the headline figures by a frame have been brought up to date."""
        return not self._followers_pending

    def result_views(self) -> tuple[ResultView, ...]:
        """Every mounted ResultView on the main screen (panes added later included). The
        walk is remembered until a view mounts or unmounts: it took 0.2-0.4 ms, twice a key."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        key = (screen, ResultView.mounts)
        if self._views[0] != key:
            self._views = (key, tuple(w for w in screen.walk_children() if isinstance(w, ResultView)))
        return self._views[1]

    def _show_result(self) -> None:
        """Update the result views: at once, except those that may follow the frame with the
        new headline figures (update_at_once False: the table, warnings, P10/P90 strip), which
        come with the fields' hints and the status line (_show_followers). Textual redraws
        every widget inside the box around a frame's changes: the table, the hints (left
        column) and the status (bottom line) stretched it from the figures to the whole screen.
        A typed key's frame waits for this call (frame_hold), so the figures go out with the
        typed character, at once."""
        self._sync_claims_pane()
        self._draw_main_when_idle(self._update_views(at_once=True))
        if not self._followers_pending:
            self._followers_pending = True
            self.call_after_refresh(self._show_followers)

    def _show_followers(self) -> None:
        """What follows the headline figures: the other views, the fields' hints, the status."""
        self._followers_pending = False
        session = self.session
        views = self._update_views(at_once=False)
        self.panels.show_hints(session.result)
        status = self._static("#status")
        if not session.stale:
            set_text(status, self._status_text())
        main = self._main_screen()
        if main is not None:
            main.draw_when_idle([*views, *self.panels.hint_widgets(), status])
            self.frame_hold.collect_after_next_frame()

    def _main_screen(self) -> MainScreen | None:
        main = self.screen_stack[0] if self.screen_stack else None
        return main if isinstance(main, MainScreen) else None

    def _draw_main_when_idle(self, changed: Iterable[Widget]) -> None:
        """The main screen, while shown, draws `changed` (and what else is due) as soon as it
        is idle, not at the frame timer's next tick (MainScreen.draw_when_idle)."""
        main = self._main_screen()
        if main is not None and main.is_current:
            main.draw_when_idle(changed)

    def _update_views(self, at_once: bool) -> list[Widget]:
        """Bring the views that update at once (or those that follow) up to date; the
        widgets among them that were updated."""
        session = self.session
        updated: list[Widget] = []
        for view in self.result_views():
            if view.update_at_once is not at_once:
                continue
            if isinstance(view, Widget) and not view.is_mounted:
                continue  # still mounting: it posts ResultViewMounted and is updated then
            if not view.update_when_hidden and _in_hidden_pane(view):
                self._deferred.add(view)  # brought up to date when its tab is shown
                continue
            view.update_result(session.result, session.baseline)
            if isinstance(view, Widget):
                updated += (view, *view.children)  # the Headline's are its cards
        return updated

    @on(ResultViewMounted)
    def _view_mounted(self, event: ResultViewMounted) -> None:
        event.stop()
        event.view.update_result(self.session.result, self.session.baseline)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        self._fill_lazy_pane(event.pane)
        waiting = [v for v in self._deferred if not _in_hidden_pane(v)]
        for view in waiting:
            self._deferred.discard(view)
            if isinstance(view, Widget) and view.is_mounted:
                view.update_result(self.session.result, self.session.baseline)

    def _sync_claims_pane(self) -> None:
        """Until a scenario with claims arrives, keep the Claims tab hidden and its view
        unbuilt (a table and three texts less to build before the first frame)."""
        if self._claims_view_mounted:
            return
        if self.session.has_claims():
            from whatif.tui.widgets.claims import ClaimsView
            self._claims_view_mounted = True
            self.query_one("#tab-claims", TabPane).mount(ClaimsView(id="claims"))
        elif not self._claims_tab_hidden:
            try:
                self.query_one("#tabs", TabbedContent).hide_tab("tab-claims")
            except (Tabs.TabError, NoMatches):  # not mounted yet: again on the next result
                return
            self._claims_tab_hidden = True

    def _fill_lazy_pane(self, pane: TabPane) -> None:
        """Mount the view of a pane from LAZY_PANES the first time its tab is shown."""
        if pane.id not in LAZY_PANES or pane.children:
            return
        _title, module, class_name, view_id = LAZY_PANES[pane.id]
        view_class = getattr(importlib.import_module(module), class_name)
        pane.mount(view_class(id=view_id))

    def _update_title(self) -> None:
        session = self.session
        self.title = session.scenario.name or "whatif"
        name = session.path.name if session.path else "unsaved scenario"
        if self.follow is not None and self.follow.following:
            name = f"{self.follow.presenter_name} presenting"
        self.sub_title = f"{name} ● modified" if session.dirty else name

    def _show_tour_band(self) -> None:
        """Where the tour is and what to look at: two lines (the stop, its note's first line)
        unless opened with F9, so the note shows even at 80x24."""
        tour = self.session.tour
        if tour is None:
            return
        from rich.text import Text

        index = self.session.stop_index
        stop = tour.stops[index]
        scenario = self.session.scenario
        notes = [n for n in (stop.note, scenario.description) if n]
        head = f"Tour stop {index + 1}/{len(tour.stops)}"
        keys = "PgDn next, PgUp back"
        if not self._tour_notes_open:  # the stop's name is in the title bar
            # The keys before the tour's title: at 80 columns the end of the line is cut.
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(head, style="bold")
            text.append((" · F9 notes" if notes else "") + f" · {keys} · ")
            text.append(tour.title, style="bold")
            if notes:
                text.append("\n" + " ".join(notes))
        else:
            text = Text()
            text.append(head, style="bold")
            text.append(f" · F9 closes · {keys} · ")
            text.append(f"{tour.title}\n", style="bold")
            text.append(scenario.name or stop.path.stem, style="bold")
            for note in notes:
                text.append(f"\n{note}")
        band = self._static("#tour-band")
        band.set_class(self._tour_notes_open, "-open")
        band.set_class(not self._tour_notes_open, "-closed")
        band.update(text)

    def action_toggle_tour_notes(self) -> None:
        self._tour_notes_open = not self._tour_notes_open
        self._show_tour_band()

    # ------------------------------------------------------------ actions
    def action_toggle_baseline(self) -> None:
        self.session.toggle_baseline()  # the status line says "baseline pinned"; deltas appear at once

    def action_undo(self) -> None:
        if not self.session.undo():
            self.notify("Nothing to undo", timeout=2)

    def action_revert(self) -> None:
        if not self.session.revert():
            self.notify("No changes since the preset was opened or saved", timeout=3)

    def action_redo(self) -> None:
        if not self.session.redo():
            self.notify("Nothing to redo", timeout=2)

    async def action_quit(self) -> None:
        self.files.when_saved(self._quit, "Quit and discard unsaved changes?", every_tab=True)

    def _quit(self) -> None:
        """A clean end (saved, or the user chose to discard): nothing left to recover."""
        self.recovery.close()
        self.exit()

    # ------------------------------------------------------------ safety net
    def _write_recovery(self) -> None:
        """Unsaved edits to the recovery file; none: no file (called debounced)."""
        self._recovery_timer = None
        try:
            dirty = self.workspace.dirty_sessions()
            if dirty:
                self.recovery.write(dirty)
            else:
                self.recovery.remove()
        except WhatifError as exc:
            if not getattr(self, "_recovery_warned", False):
                self._recovery_warned = True
                self.notify(f"{exc} (your edits are not backed up; save them)", title="Recovery file",
                            severity="warning", timeout=8)
        except Exception:  # the safety net itself must never take the app down
            pass

    def _after_start(self) -> None:
        """Once the first frame is up: clean our stale temp files in the user's preset
        folder, and offer to restore edits an app left behind when it ended unexpectedly."""
        from whatif.engine.atomic import remove_stale_temp_files
        from whatif.engine.presets import user_presets_dir
        from whatif.tui.recovery import left_behind

        remove_stale_temp_files(user_presets_dir())
        self._check_keymap()
        self._offer_recovery(left_behind(self.recovery.folder))

    def _offer_recovery(self, paths: list[Path]) -> None:
        from whatif.tui import recovery
        from whatif.tui.screens.dialogs import RecoverScreen

        while paths:
            path = paths.pop(0)
            try:
                tabs = recovery.read(path)
            except WhatifError as exc:
                self.notify(f"{exc}; left as it is", title="Recovery file", severity="warning", timeout=8)
                continue

            def answer(restore: bool | None, path: Path = path, tabs: list[recovery.Recovered] = tabs) -> None:
                if restore:
                    restored = self._restore(tabs)
                    if restored < len(tabs):  # one did not load: the file stays for the next start
                        self.notify(f"{len(tabs) - restored} of {len(tabs)} not restored; they stay in {path}",
                                    title="Recovery file", severity="warning", timeout=10)
                        if not restored:
                            return
                    else:
                        recovery.discard(path)  # now ours: the debounced write keeps them
                elif restore is False:
                    recovery.discard(path)
                if restore is not None or paths:
                    self._offer_recovery(paths)
            self.push_screen(RecoverScreen(", ".join(t.label for t in tabs)), answer)
            return

    def _restore(self, tabs: list[Recovered]) -> int:
        """Each recovered scenario in a tab of its own (the untouched start tab gives way
        to the first, which is shown); how many were restored."""
        restored: list[tuple[EditSession, str]] = []
        for found in tabs:
            try:
                session = EditSession(found.scenario, found.source, catalog=self.session.catalog)
            except WhatifError as exc:
                self.notify(f"{exc}; left as it is", title="Not restored", severity="error", timeout=8)
                continue
            self.workspace.add(session)
            session.recover(found.scenario, found.source, found.pending)
            restored.append((session, found.label))
        if restored:
            self.workspace.activate(self.workspace.index(restored[0][0]))
            self.notify(f"Restored unsaved edits to {', '.join(label for _, label in restored)}; "
                        "save them with ctrl+s", timeout=6)
        return len(restored)

    def _unexpected(self, error: BaseException) -> None:
        """An exception our code did not expect: back up the edits, say so, keep running."""
        self.unexpected_errors.append(error)
        kept = self._backup_now()
        try:
            from whatif.tui.screens.dialogs import ErrorScreen

            for screen in self.screen_stack:
                if isinstance(screen, ErrorScreen):
                    screen.add(error)
                    return
            super().push_screen(ErrorScreen(error, kept))
        except Exception:
            pass

    def _backup_now(self) -> str:
        """Write the recovery file at once; what to tell the user about their edits."""
        try:
            dirty = self.workspace.dirty_sessions()
            if dirty:
                return f"Your unsaved edits are kept in {self.recovery.write(dirty)}."
            return "You have no unsaved edits."
        except Exception as exc:  # noqa: BLE001 - reporting, not handling
            return f"Your unsaved edits could not be backed up ({exc}): save them now."

    def _handle_exception(self, error: Exception) -> None:
        # Textual calls this for any unhandled exception and then ends the app. Where the loop
        # that raised goes on (callbacks, timers, workers), show the error and keep running;
        # elsewhere end as Textual does, with the edits in the recovery file.
        caller = sys._getframe(1).f_code.co_name
        if self._mounted and self.is_running and caller in _SURVIVABLE_CALLERS:
            self._unexpected(error)
            return
        self._backup_now()
        super()._handle_exception(error)

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        if namespace is self and action_name in EDITING_ACTIONS and self.follow is not None \
                and self.follow.refuses_edit():
            return True
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:  # a key, the palette or a button: report, keep running
            if not (self._mounted and self.is_running):
                raise
            self._unexpected(error)
            return True

    async def _dispatch_message(self, message: Any) -> None:
        try:
            await super()._dispatch_message(message)
        except Exception as error:  # the app's own handlers (edits, dialogs' answers)
            if not (self._mounted and self.is_running):
                raise
            self._unexpected(error)

    # ------------------------------------------------------------ screens
    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False) -> Any:
        """Textual's push_screen, guarded: a dialog is never opened twice (a second palette
        raised DuplicateIds and ended the app), and a dialog replaces an open palette
        instead of opening on top of it."""
        if isinstance(screen, ModalScreen):
            if any(type(open_) is type(screen) for open_ in self.screen_stack):
                self.bell()
                return _refused(wait_for_dismiss)
            if not isinstance(screen, CommandPalette) and isinstance(self.screen, CommandPalette):
                self.pop_screen()
        return super().push_screen(screen, callback, wait_for_dismiss=wait_for_dismiss)

    def action_command_palette(self) -> None:
        # Not over a dialog: answer it first (its commands would open dialogs over dialogs).
        if isinstance(self.screen, ModalScreen) and not isinstance(self.screen, CommandPalette):
            self.bell()
            return
        super().action_command_palette()

    def action_open_preset(self) -> None:
        self.files.open()

    def action_save(self) -> None:
        self.files.save()

    def action_save_as(self) -> None:
        self.files.save_as()

    def action_edit_details(self) -> None:
        from whatif.tui.screens.dialogs import DetailsScreen

        s = self.session.scenario
        self.push_screen(DetailsScreen(s.name, s.description, s.source),
                         lambda details: details is not None and self.session.set_details(**details))

    def action_show_toml(self) -> None:
        self.files.show_toml()

    def action_export(self) -> None:
        self.files.export(result=self.session.result)

    def action_goal_seek(self) -> None:
        self.open_goal_seek()

    def open_goal_seek(self, **preset: Any) -> None:
        """The goal seek dialog (preset: its key, output, op or target); Apply sets the answer."""
        from whatif.tui.screens.goal_seek import GoalSeekScreen

        def apply(values: dict | None) -> None:
            if values:
                self.set_input_values(values)
        self.push_screen(GoalSeekScreen(self.session.result, **preset), apply)

    def action_plan(self) -> None:
        """The Plan view; Enter on a row applies that option (undoable)."""
        from whatif.tui.screens.plan import PlanScreen

        def apply(values: dict | None) -> None:
            if values:
                self.set_input_values(values)
        # A demo's visitors share the server's cores: no search of seconds each (every count).
        self.push_screen(PlanScreen(self.session.result, every_count=not self.files.policy.demo), apply)

    def action_compare(self) -> None:
        """The open tabs side by side (their chip and cooling variants from there)."""
        from whatif.tui.screens.compare_tabs import TabsCompareScreen

        self.push_screen(TabsCompareScreen(self.workspace))

    def on_compare_screen_add_current(self, event: CompareScreen.AddCurrent) -> None:
        scenario = self.session.scenario
        event.screen.add_column(scenario.name or "Current", scenario)

    def on_compare_screen_export_requested(self, event: CompareScreen.ExportRequested) -> None:
        self.files.export(comparison=event.comparison, name="compare.csv", done=event.done)

    def action_show_view(self, pane_id: str) -> None:
        """Bring a results view forward and focus it, so its own keys (the chart's x, y, l)
        work at once."""
        tabs = self.query_one("#tabs", TabbedContent)
        if pane_id == "tab-claims" and not self._claims_view_mounted:
            self.notify("This scenario makes no claims to check (a preset's [claims] table)", timeout=4)
            return
        tabs.active = pane_id
        self.call_after_refresh(self._focus_view, pane_id)

    def _focus_view(self, pane_id: str, tries: int = 20) -> None:
        """Focus the view once its pane has built it (a pane's view mounts when first shown)."""
        pane = self.query_one(f"#{pane_id}", TabPane)
        target = next((w for w in pane.walk_children(Widget) if w.focusable), None)
        if target is not None:
            target.focus()
        elif tries > 0:
            self.call_after_refresh(self._focus_view, pane_id, tries - 1)

    def action_focus_inputs(self) -> None:
        self.run_worker(self.panels.focus_field("workload.params_b"))

    def action_help(self) -> None:
        from whatif.tui.screens.help import HelpScreen
        self.push_screen(HelpScreen(self.settings.keymap))

    def action_explain(self, name: str) -> None:
        """Show how output `name` was computed (formula, values, origins)."""
        from whatif.tui.screens.dialogs import ExplainScreen, InputSourceScreen

        result = self.session.result
        label = QUANTITIES[name].label if name in QUANTITIES else name
        if name in result.resolved.values and not can_explain(name):
            self.push_screen(InputSourceScreen(name, label, result.resolved.values[name],
                                               result.resolved.origins[name]))
            return
        if not can_explain(name):
            self.notify(f"{label}: part of the power breakdown; explain Facility power or IT power for "
                        f"the formula.", timeout=5)
            return
        from whatif.engine.explain import explain
        self.push_screen(ExplainScreen(explain(result, name)))

    @on(DetailTable.RowSelected, "#detail")
    def _row_selected(self, event: DetailTable.RowSelected) -> None:
        event.stop()
        key = event.row_key
        name = event.table.row_name(key)
        if name is None:
            return
        if key and key.startswith("in:") and name in ("mfu_in", "goodput_in"):
            name = name.removesuffix("_in")
        self.action_explain(name)

    def set_input_values(self, values: dict[str, Any]) -> None:
        """Set inputs from a dialog or the palette; a value the engine rejects is a message."""
        if self.follow is not None and self.follow.refuses_edit():
            return
        try:
            self.session.apply_values(values)
        except WhatifError as exc:
            self.notify(in_words(str(exc)), title="Not applied", severity="error", timeout=8)

    # ------------------------------------------------------------ tour
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_follow":
            return self.follow is not None and self.follow.role == "follower"
        if action in ("close_tab", "step_tab"):
            # Not under a dialog (its answer belongs to the tab it was opened on); one tab:
            # the key goes on to the focused field.
            return len(self.workspace) > 1 and self._on_main_screen()
        if action in ("new_tab", "duplicate_tab"):
            return self._on_main_screen()
        if action == "toggle_tour_notes":
            return self.session.tour is not None
        if action in ("tour_next", "tour_previous"):
            if self.session.tour is None:
                return False  # the keys then reach the focused widget (scrolling)
            return True if self.session.can_go(1 if action == "tour_next" else -1) else None
        return True

    def action_tour_next(self) -> None:
        self._go_stop(self.session.stop_index + 1)

    def action_tour_previous(self) -> None:
        self._go_stop(self.session.stop_index - 1)

    def _go_stop(self, index: int) -> None:
        def go() -> None:
            try:
                self.session.go_stop(index)
            except WhatifError as exc:
                self.notify(str(exc), title="Cannot open tour stop", severity="error", timeout=8)
            self.refresh_bindings()
        if self.session.tour is not None and 0 <= index < len(self.session.tour.stops):
            self.files.when_saved(go, "Leave this stop and discard your changes?")

    # ------------------------------------------------------------ palette (tui.commands)
    def palette_bindings(self) -> list[Binding]:
        """The app's bindings worth a palette entry (not the second keys of an action)."""
        return [b for b in self.BINDINGS if isinstance(b, Binding) and b.id and not b.id.endswith("_key")
                and self.check_action(b.action, ()) is not False]

    def palette_tabs(self) -> list[str]:
        """The open tabs' names, when there is more than one to go to."""
        return self.workspace.short_labels() if len(self.workspace) > 1 else []

    def go_to_tab(self, index: int) -> None:
        self.workspace.activate(index)

    def palette_tours(self) -> list[Tour]:
        """The shipped tours, read once: the palette asks on every key typed into it."""
        if self._tours is None:
            from whatif.engine.tours import shipped_tours

            self._tours = shipped_tours()
        return self._tours

    def open_tour(self, tour: Tour) -> None:
        """`tour` from its first stop, in a new tab (the open ones keep their edits)."""
        try:
            session = EditSession.for_tour(tour, catalog=self.session.catalog)
        except WhatifError as exc:
            self.notify(in_words(str(exc)), title="Cannot open the tour", severity="error", timeout=8)
            return
        self.workspace.add(session)

    def palette_chips(self) -> list[tuple[str, str]]:
        return [(key, chip.name) for key, chip in sorted(self.session.catalog.chips.items())]

    def set_input(self, key: str, value: Any) -> None:
        self.set_input_values({key: value})

    def go_to_field(self, key: str) -> None:
        self.run_worker(self.panels.focus_field(key))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own commands (theme, keys, quit...), less the screenshot in a demo
        # session: it would write into the server user's Downloads folder.
        for command in super().get_system_commands(screen):
            if not (self.files.policy.demo and command.title.lower().startswith("screenshot")):
                yield command


def _refused(wait_for_dismiss: bool) -> Any:
    """What push_screen returns for a screen it did not open: awaitable, resolving to None."""
    import asyncio

    from textual.await_complete import AwaitComplete

    if wait_for_dismiss:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future
    return AwaitComplete()


def _in_hidden_pane(widget: object) -> bool:
    """True if `widget` sits in a TabPane that is not the active one of its TabbedContent."""
    if not isinstance(widget, Widget):
        return False
    for node in widget.ancestors:
        if isinstance(node, TabPane):
            tabs = next((a for a in node.ancestors if isinstance(a, TabbedContent)), None)
            if tabs is not None and tabs.active != node.id:
                return True
    return False
