"""Benchmark the app in a real pseudo-terminal and PRINT the figures (no assertions).

1. start-up: from spawning `python -m whatif` until the first frame showing the results
   (the training time text) has been written to the terminal;
2. key-to-frame: from writing one keystroke into the count field (backspace, then a digit,
   alternating: 16384 -> 1638 -> 16385) until the terminal output contains the engine's new
   training time; and the bytes drawn per keystroke;
3. for context, the start-up of a one-label Textual app, each run right after one of the
   app's so both see the same machine (it is shared: its load average is printed too).

The app is measured as `make run` starts it: with the packages compiled to bytecode
first (Python writes none itself when PYTHONDONTWRITEBYTECODE is set).

Usage: .venv/bin/python bench/tui.py [--runs 30] [--keys 60] [--size 80x24]
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whatif.engine.evaluate import evaluate  # noqa: E402
from whatif.engine.presets import default_preset_path, load_preset  # noqa: E402
from whatif.engine.units import fmt  # noqa: E402


class Terminal:
    """The app on a PTY of a given size; read() collects what it draws."""

    def __init__(self, columns: int, rows: int, command: list[str] | None = None) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8")
        # Each run is ended by SIGTERM with unsaved edits: keep its recovery file (tui.recovery)
        # out of the user's state folder, or the next run would open on the restore dialog.
        env["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="whatif-bench-state-")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command or [sys.executable, "-m", "whatif"], cwd=ROOT, env=env, stdin=slave,
                                        stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
        os.close(slave)

    def wait_for(self, marker: bytes, timeout: float = 20.0) -> float:
        """Seconds until `marker` appears in output read from now on."""
        seen = b""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                seen += os.read(self.master, 65536)
                if marker in seen:
                    self.seen_bytes = len(seen)
                    return time.perf_counter()
        tail = seen[-400:].decode(errors="replace")
        raise TimeoutError(f"{marker!r} not drawn within {timeout} s; last output: {tail!r}")

    def drain(self, quiet: float = 0.15) -> int:
        """Read until the app has been silent for `quiet` seconds; returns bytes read."""
        total = 0
        while select.select([self.master], [], [], quiet)[0]:
            total += len(os.read(self.master, 65536))
        return total

    def send(self, data: bytes) -> float:
        now = time.perf_counter()
        os.write(self.master, data)
        return now

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        os.close(self.master)


def days_text(count: int) -> bytes:
    scenario = load_preset(default_preset_path()).with_values({"cluster.count": count})
    return fmt("training_days", evaluate(scenario)["training_days"]).encode()


REFERENCE_APP = """
from textual.app import App
from textual.widgets import Label
class Hello(App):
    def compose(self):
        yield Label("reference-frame")
Hello().run()
"""


def time_to_marker(columns: int, rows: int, marker: bytes, command: list[str] | None = None) -> float:
    term = Terminal(columns, rows, command)
    try:
        return term.wait_for(marker) - term.started
    finally:
        term.close()


def bench_startup(runs: int, columns: int, rows: int) -> tuple[list[float], list[float]]:
    """Seconds to first frame for the app and, interleaved, for the one-label reference app."""
    marker = days_text(load_preset(default_preset_path()).cluster.count)
    app, reference = [], []
    for _ in range(runs):
        app.append(time_to_marker(columns, rows, marker))
        reference.append(time_to_marker(columns, rows, b"reference-frame", [sys.executable, "-c", REFERENCE_APP]))
    return app, reference


def bench_keys(keys: int, columns: int, rows: int) -> tuple[list[float], list[int]]:
    """Edit the last digit of the count like a user correcting it: backspace (16384 -> 1638)
    then '5' (-> 16385), alternating. Returns seconds per key and bytes drawn per key."""
    count = load_preset(default_preset_path()).cluster.count
    shorter, edited = count // 10, count // 10 * 10 + 5
    term = Terminal(columns, rows)
    try:
        term.wait_for(days_text(count))
        term.drain(0.5)
        for _ in range(5):  # Tab to the count field: params, tokens, precision, More workload, chip, count
            term.send(b"\t")
            term.drain()
        term.send(b"\x1b[F")  # End
        term.drain()
        times, sizes = [], []
        for i in range(keys):
            key, marker = (b"\x7f", days_text(shorter)) if i % 2 == 0 else (b"5", days_text(edited))
            sent = term.send(key)
            times.append(term.wait_for(marker) - sent)
            sizes.append(term.seen_bytes + term.drain(0.1))
        return times, sizes
    finally:
        term.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="start-ups to time")
    parser.add_argument("--keys", type=int, default=60, help="keystrokes to time")
    parser.add_argument("--size", default="80x24", help="terminal COLUMNSxROWS")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    for package in ("whatif", "engine", "cli", "tui", "serve"):
        compileall.compile_dir(ROOT / package, quiet=2)
    start, hello = bench_startup(args.runs, columns, rows)
    keys, sizes = bench_keys(args.keys, columns, rows)
    load = os.getloadavg()
    print(f"terminal {columns}x{rows}, {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"start-up to first frame: median {statistics.median(start) * 1000:.0f} ms "
          f"(min {min(start) * 1000:.0f}, max {max(start) * 1000:.0f}, n={len(start)})")
    print(f"key to new result on screen: median {statistics.median(keys) * 1000:.1f} ms "
          f"(min {min(keys) * 1000:.1f}, max {max(keys) * 1000:.1f}, n={len(keys)})")
    print(f"bytes drawn per keystroke: median {statistics.median(sizes) / 1000:.1f} KB")
    print(f"reference one-label Textual app start-up: median {statistics.median(hello) * 1000:.0f} ms "
          f"(n={len(hello)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
