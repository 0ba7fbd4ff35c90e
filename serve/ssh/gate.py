"""Decide which of the app's output bytes reach the visitor.

Textual draws on the alternate screen and prints crash tracebacks on the normal screen
after leaving it, through the same file descriptor. So output produced while the app is on
the alternate screen is forwarded live; anything printed outside it is held back. When the
app ends cleanly the held text is forwarded (it is what a terminal would show locally);
when it crashes the held text goes to the server log and the visitor gets a terminal reset
and a short message instead.
"""

from __future__ import annotations

import re

ALT_SCREEN_ENTER = b"\x1b[?1049h"
ALT_SCREEN_LEAVE = b"\x1b[?1049l"

# Undo everything a full-screen app may have switched on, for when it dies without
# cleaning up: kitty keyboard mode, mouse reporting (all encodings), bracketed paste,
# focus events, in-band resize reports, the alternate screen; then re-enable line wrap,
# show the cursor and reset colours and attributes.
TERMINAL_RESET = (
    b"\x1b[<u"
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1016l"
    b"\x1b[?2004l\x1b[?1004l\x1b[?2048l"
    b"\x1b[?1049l\x1b[?7h\x1b[?25h\x1b[0m\r\n"
)

# Escape sequences (CSI, OSC, two-byte ESC) stripped from held text before it is logged.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")

# A crash that Textual reports is a rich traceback; plain Python prints the same header.
_TRACEBACK_MARK = b"Traceback (most recent call last)"


def _partial_marker_len(data: bytes | bytearray, marker: bytes) -> int:
    """Length of the longest tail of `data` that is a proper prefix of `marker`."""
    for size in range(min(len(marker) - 1, len(data)), 0, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


class OutputGate:
    """Split the app's output into live screen bytes and held-back text."""

    def __init__(self, hold_limit_bytes: int = 256 * 1024) -> None:
        self.on_alt_screen = False
        self.entered_alt_screen = False
        self._hold_limit_bytes = hold_limit_bytes
        self._held = bytearray()
        self._discarded = bytearray()
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        """Take a chunk of app output; return the bytes to send to the visitor now."""
        data = self._pending + data
        self._pending = b""
        out = bytearray()
        while data:
            marker = ALT_SCREEN_LEAVE if self.on_alt_screen else ALT_SCREEN_ENTER
            index = data.find(marker)
            if index < 0:
                # Keep a possibly split marker for the next chunk.
                keep = _partial_marker_len(data, marker)
                body, self._pending = data[: len(data) - keep], data[len(data) - keep:]
                self._route(body, out)
                break
            end = index + len(marker)
            if self.on_alt_screen:
                out += data[:end]  # the visitor's terminal must leave the screen too
            else:
                self._hold(data[:index])
                # Text printed before the screen opened (warnings...) is log material.
                self._discarded += self._held
                self._held.clear()
                out += data[index:end]
                self.entered_alt_screen = True
            self.on_alt_screen = not self.on_alt_screen
            data = data[end:]
        return bytes(out)

    def _route(self, data: bytes, out: bytearray) -> None:
        if self.on_alt_screen:
            out += data
        else:
            self._hold(data)

    def _hold(self, data: bytes) -> None:
        room = self._hold_limit_bytes - len(self._held)
        if room > 0:
            self._held += data[:room]

    def held_text(self) -> str:
        """Everything held back so far, as plain text for the server log."""
        raw = (bytes(self._discarded) + bytes(self._held) + self._pending).decode("utf-8", errors="replace")
        return _ESCAPES.sub("", raw)

    def looks_crashed(self, exit_status: int | None) -> bool:
        """A non-zero exit, a signal, or a traceback on the normal screen. With no status
        (None: unknown), an app that never left the alternate screen did not end cleanly."""
        held = bytes(self._held) + self._pending
        if _TRACEBACK_MARK in held:
            return True
        if exit_status is None:
            return self.on_alt_screen
        return exit_status != 0

    def release(self) -> bytes:
        """The held output, for a clean exit."""
        data = bytes(self._held) + self._pending
        self._held.clear()
        self._pending = b""
        return data
