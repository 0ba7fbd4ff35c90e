"""A keystroke and its result in one frame.

Textual draws the typed character as soon as the field has it, while the edit it makes is
still on its way up to the app as a message (field -> row -> panel -> panels -> app). The
screen then draws two frames per key: the character at once, and the new figures at the
next frame tick, which the frame timer puts one to two frame periods later (~17-33 ms at
60 fps: after a frame it skips to the tick after the next). A minimal app with one Input
and a Label pays that too; whatif paid it and a frame more.

`FrameHold` keeps the screen from drawing between the key and the app having applied its
edit (App.batch_update), so the character and the figures go out together in the first
frame, which the idle timer draws at once. The hold never outlasts MAX_HOLD_S: an edit that
never arrives (an app without a hold to release) cannot freeze the screen.

The cyclic garbage collector waits too, from the key until its frames are out (the headline
figures' and, when the app asks, the next one, with the views that follow them): a keystroke
allocates thousands of objects (strips, styles, messages), so collections fell inside it,
two or three per key at ~0.3-1 ms each and a larger one every few keys (120x40), freeing
next to nothing. They run after the frames instead.
"""

from __future__ import annotations

import asyncio
import gc
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from textual.app import ScreenStackError

if TYPE_CHECKING:
    from textual.app import App

MAX_HOLD_S = 0.1


class FrameHold:
    """Counted holds on an app's frames: `hold` for each edit sent up, `release` once the
    app has applied it; the screen draws again when the last one is released."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._count = 0
        self._batch: AbstractContextManager | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._collector_paused = False
        self._collector_deferred = False

    @property
    def held(self) -> bool:
        return self._batch is not None

    def hold(self) -> None:
        if self._batch is None:
            self._batch = self.app.batch_update()
            self._batch.__enter__()
            # The event loop's own timer, not a Textual Timer: that is a task per key, named
            # by the app's repr and cancelled a millisecond later (~0.1 ms a key).
            self._timer = asyncio.get_running_loop().call_later(MAX_HOLD_S, self.release_all)
            if gc.isenabled():  # (not before the first frame: tui.launch resumes it then)
                gc.disable()
                self._collector_paused = True
        self._count += 1

    def release(self) -> None:
        """One edit applied (no hold left: nothing happens)."""
        self._count = max(self._count - 1, 0)
        if not self._count:
            self.release_all()

    def release_all(self) -> None:
        self._count = 0
        batch, self._batch = self._batch, None
        if batch is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch.__exit__(None, None, None)
        # The screen went idle while held and skipped its frame: let it look again.
        try:
            self.app.screen.check_idle()
        except ScreenStackError:  # the app is closing
            self._collector_deferred = False
            self._resume_collector()
            return
        if self._collector_paused:
            self.app.call_after_refresh(self._resume_collector)

    def collect_after_next_frame(self) -> None:
        """Keep the collector paused one frame more (the views that follow the headline
        figures are drawn in the next one)."""
        self._collector_deferred = self._collector_paused

    def close(self) -> None:
        """The app is closing: a collector paused for a frame that will not come resumes
        now (else it stays off for whatever runs after the app in the process)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._collector_deferred = False
        self._resume_collector()

    def _resume_collector(self) -> None:
        if self._collector_deferred:
            self._collector_deferred = False
            try:
                self.app.call_after_refresh(self._resume_collector)
                return
            except ScreenStackError:  # the app is closing
                pass
        if self._collector_paused:
            self._collector_paused = False
            gc.enable()
