"""ResultView: the one hook a results pane needs to follow the live scenario.

Any widget that also subclasses ResultView gets `update_result(result, baseline)` called by
the app after every successful recompute (and once when it is mounted, if a result exists):

    class ChartPane(ResultView, Static):
        def update_result(self, result, baseline):
            self.update(f"{result['training_days']:.1f} days")

`result` is an engine.evaluate.Result; `baseline` is the pinned baseline Result or None.
Update in place (set text, update cells): the app calls this on every keystroke. A view
mounted later (a tab's pane built when first shown) posts `ResultViewMounted` and the app
answers with the current result: views never reach into the app for data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.message import Message

if TYPE_CHECKING:
    from textual.widget import Widget

    from whatif.engine.evaluate import Result


class ResultViewMounted(Message):
    """A result view is mounted: the app gives it the current result."""

    def __init__(self, view: ResultView) -> None:
        super().__init__()
        self.view = view


class ResultView:
    """Mixin for widgets that show the current result. Put it first in the bases."""

    # False: skip updates while this view's TabPane is hidden; it is updated when shown.
    update_when_hidden: bool = True
    # False: may be updated once the frame with the new headline figures is out (the app's
    # own secondary views), not within the call that changed the result.
    update_at_once: bool = True
    # Bumped whenever a view mounts or unmounts: a list of the views is current while it stays.
    mounts: ClassVar[int] = 0

    def update_result(self, result: Result, baseline: Result | None) -> None:
        raise NotImplementedError

    def _on_mount(self) -> None:
        # Textual calls the mount handler of every class in the MRO, so this runs for
        # subclasses too: a pane mounted after the last recompute starts up to date.
        ResultView.mounts += 1
        self.post_message(ResultViewMounted(self))  # type: ignore[attr-defined]

    def _on_unmount(self) -> None:
        ResultView.mounts += 1


def content_width(widget: Widget) -> int:
    """Width of `widget`'s content area as of its last layout. Widget.size asks the
    compositor, which rebuilds its whole map when a layout is pending: called from render()
    during the first layout it took 40 % of start-up."""
    return max(widget.outer_size.width - widget.styles.gutter.width, 0)


class RecomputingView(ResultView):
    """A view computed from the result and settings of its own (a chart's input, a
    tornado's output): it keeps the last result so a changed setting recomputes at once."""

    _result: Result | None = None

    def update_result(self, result: Result, baseline: Result | None) -> None:
        self._result = result
        self._recompute()

    def _recompute(self) -> None:
        raise NotImplementedError
