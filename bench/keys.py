"""Key-to-visible in tmux: whatif beside a minimal Textual app, alternately, and PRINT the
medians and their ratio (no assertions).

The minimal app is one Input writing the same formula's training days into a Label (the
engine's load, with_values and evaluate, formatted as the app formats it). Both run in
tmux at the same size on a private tmux server. Each round edits the last digit of the
chip count in both apps: backspace (16384 -> 1638), then a digit (-> 1638d); a key is timed
from just before `tmux send-keys` until `tmux capture-pane` shows the new training time.
Rounds alternate between the apps, so both see the same machine (it is shared and noisy).

whatif shows the new figure in several places, timed apart (each against the minimal app's
one Label):
- headline: the Training time card, what a user looks at first (its large digits on a wide,
  tall screen, where the text '76.7 days' is only in the table);
- views: the detail table's Training time row and the status line's chip count too, the
  views the app may draw a frame after the headline;
- strip: the P10/P50/P90 strip's samples for the new value too (the whole screen settled;
  the app defers them while keys come in, by design slower).

What the two share, and so cancels in the ratio only partly: one send-keys and at least one
capture-pane per key (a screen read's round trip is printed). The screen is read when tmux
reports the app's output (a control-mode client, class Control); --poll reads it again and
again instead, as the first versions did, which took most of a core from the apps.

--baseline DIR also times the app of another source tree in the same rounds (before/after
figures under the same load), e.g. `git archive main | tar -x -C DIR`.

Usage: .venv/bin/python bench/keys.py [--keys 20] [--size 80x24] [--baseline DIR] [--poll]
"""

from __future__ import annotations

import argparse
import compileall
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whatif.engine.evaluate import evaluate  # noqa: E402
from whatif.engine.presets import default_preset_path, load_preset  # noqa: E402
from whatif.engine.units import fmt  # noqa: E402

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Input, Label
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset
from whatif.engine.units import fmt

BASE = load_preset(default_preset_path())

def days(count):
    return fmt("training_days", evaluate(BASE.with_values({"cluster.count": count}))["training_days"])

class Minimal(App):
    def compose(self):
        yield Input(str(BASE.cluster.count), id="count", select_on_focus=False)
        yield Label(days(BASE.cluster.count), id="days")

    def on_input_changed(self, event):
        try:
            count = int(event.value)
        except ValueError:
            return
        self.query_one("#days", Label).update(days(count))

Minimal().run()
"""
DIGITS = "57391"  # the last digit typed in turn (not 4: 16384 is where we started)


def days_text(count: int) -> str:
    scenario = load_preset(default_preset_path()).with_values({"cluster.count": count})
    return fmt("training_days", evaluate(scenario)["training_days"])


class Tmux:
    """One app in a session of a private tmux server."""

    def __init__(self, socket: str, name: str, command: list[str], columns: int, rows: int, env: dict,
                 cwd: Path = ROOT) -> None:
        self.base = ["tmux", "-L", socket]
        self.target = name
        self.stages = list(STAGES) if name != "minimal" else ["headline"]
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        shell = f"cd {cwd} && exec env {exports} " + " ".join(f"'{c}'" for c in command)
        subprocess.run([*self.base, "new-session", "-d", "-s", name, "-x", str(columns), "-y", str(rows), shell],
                       check=True)
        self.pid = int(subprocess.run([*self.base, "display-message", "-p", "-t", name, "#{pane_pid}"],
                                      capture_output=True, text=True, check=True).stdout)
        self.control: Control | None = None  # set by watch()

    def cpu_seconds(self) -> float:
        """CPU time the app's process has used (user + system): less sensitive to the
        machine's load than the latency."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def watch(self) -> None:
        """From now on talk to tmux through a control-mode client (see Control)."""
        self.control = Control(self.base, self.target)

    def screen(self) -> str:
        if self.control is not None:
            return self.control.command(f"capture-pane -p -t {self.target}")
        return subprocess.run([*self.base, "capture-pane", "-p", "-t", self.target],
                              capture_output=True, text=True).stdout

    def send(self, key: str) -> float:
        start = time.perf_counter()
        if self.control is not None:
            self.control.command(f"send-keys -t {self.target} {key}")
        else:
            subprocess.run([*self.base, "send-keys", "-t", self.target, key], check=True)
        return start

    def next_output(self, deadline: float) -> None:
        """Wait for the app's next output (control mode), or poll at once (polling mode)."""
        if self.control is not None:
            self.control.wait_output(deadline)

    def wait_for(self, text: str, timeout: float = 20.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if text in self.screen():
                return time.perf_counter()
        raise TimeoutError(f"{text!r} not on screen within {timeout} s:\n{self.screen()}")

    def timed_key(self, key: str, days: str, count: int) -> dict[str, float] | None:
        """Seconds from sending `key` until each stage (STAGES) of the new figures `days` for
        `count` chips is on screen; None (key not sent) if the headline still shows `days`
        after the last key's frames (a view showing the same figure)."""
        deadline = time.perf_counter() + 5.0
        while STAGES["headline"](self.screen().splitlines(), days, count):
            if time.perf_counter() > deadline:
                return None
            time.sleep(0.02)
        sent = self.send(key)
        seen: dict[str, float] = {}
        deadline = sent + 20.0
        while len(seen) < len(self.stages):
            lines = self.screen().splitlines()
            now = time.perf_counter()
            if now > deadline:
                raise TimeoutError(f"{days!r} for {count} not everywhere within 20 s:\n" + "\n".join(lines))
            for stage in self.stages:
                if stage not in seen and STAGES[stage](lines, days, count):
                    seen[stage] = now - sent
            if len(seen) < len(self.stages):
                self.next_output(deadline)
        return seen


class Control:
    """A tmux control-mode client on one session: commands (capture-pane, send-keys) go
    over its pipe, and tmux tells it when the pane has new output (%output). The screen is
    then read only when the app wrote something, where polling ran a tmux client process
    after another and took most of a core from the two apps being measured (more from the
    one with more work per key)."""

    def __init__(self, base: list[str], session: str) -> None:
        self.proc = subprocess.Popen([*base, "-C", "attach-session", "-f", "ignore-size", "-t", session],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self._buffer = b""
        self._output = False   # output seen since the last wait_output
        self.command("display-message -p ready")  # past the attach's own replies

    def _line(self, deadline: float) -> str | None:
        assert self.proc.stdout is not None
        while b"\n" not in self._buffer:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("tmux control client ended")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        text = line.decode("utf-8", "replace")
        if text.startswith("%output "):
            self._output = True
        return text

    def command(self, command: str, timeout: float = 10.0) -> str:
        """Run a tmux command; its output (between %begin and %end)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        deadline = time.perf_counter() + timeout
        lines: list[str] | None = None
        while True:
            line = self._line(deadline)
            if line is None:
                raise TimeoutError(f"tmux did not answer {command!r}")
            if lines is None:
                if line.startswith("%begin"):
                    lines = []
            elif line.startswith(("%end", "%error")):
                if line.startswith("%error"):
                    raise RuntimeError(f"tmux {command!r}: {lines}")
                return "\n".join(lines) + "\n"
            else:
                lines.append(line)

    def wait_output(self, deadline: float) -> None:
        while not self._output:
            if self._line(deadline) is None:
                return
        self._output = False

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


CARD_TITLE = "Training time"  # the first headline card's title and the table row's label


def _big_digits(number: str) -> list[str]:
    """The rows of Textual's large digits for `number`, as the headline card draws them."""
    from rich.console import Console
    from textual.renderables.digits import Digits

    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(Digits(number))
    return [row.rstrip() for row in console.export_text().splitlines()]


def headline_shows(lines: list[str], days: str, count: int) -> bool:
    """The Training time card (the first line titled so: the headline is above the table)
    shows `days`, as text under its title or as large digits (the number, its unit below)."""
    for i, line in enumerate(lines):
        column = line.find(CARD_TITLE)
        if column >= 0:
            below = lines[i + 1:i + 4]
            if below and below[0][column:].startswith(days):
                return True
            digits = _big_digits(days.split(" ")[0])
            return len(below) == len(digits) and all(row[column:].startswith(d) for row, d in zip(below, digits))
    # The minimal app: its one Label.
    return any(line.strip() == days for line in lines)


def views_show(lines: list[str], days: str, count: int) -> bool:
    """The table's Training time row shows `days` and the status line the chip count."""
    rows = [line for line in lines if CARD_TITLE in line]
    if len(rows) < 2:
        return False
    label_end = rows[-1].index(CARD_TITLE) + len(CARD_TITLE)
    return rows[-1][label_end:].lstrip().startswith(days) and any(f"{count:,} x " in line for line in lines[-3:])


def strip_shows(lines: list[str], days: str, count: int) -> bool:
    """Views as above, and the P10/P50/P90 strip's samples in (not its 'P10/P50/P90…' mark
    of samples still to come)."""
    screen = "\n".join(lines)
    return views_show(lines, days, count) and "P10/P50/P90:" in screen and "P10/P50/P90…" not in screen


STAGES = {"headline": headline_shows, "views": views_show, "strip": strip_shows}


def package_view(source: Path) -> Path:
    """A folder where `import whatif` finds the source tree `source` (laid out as this repo:
    whatif/, engine/, tui/... mapped by pyproject's package-dir); it comes first on PYTHONPATH,
    before this checkout's editable install."""
    view = Path(tempfile.mkdtemp(prefix="whatif-bench-view-")) / "whatif"
    view.mkdir()
    for item in (source / "whatif").iterdir():
        (view / item.name).symlink_to(item)
    for package in ("engine", "cli", "tui", "serve", "presets"):
        (view / package).symlink_to(source / package)
    return view.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20, help="digit keys timed in each app")
    parser.add_argument("--size", default="80x24", help="terminal COLUMNSxROWS")
    parser.add_argument("--baseline", type=Path, help="also time the app of this source tree")
    parser.add_argument("--poll", action="store_true",
                        help="read the screen by running capture-pane again and again (the first "
                             "versions' method), not when a control-mode client reports output")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    for package in ("whatif", "engine", "cli", "tui", "serve"):
        compileall.compile_dir(ROOT / package, quiet=2)
    count = load_preset(default_preset_path()).cluster.count
    shorter = count // 10
    socket = f"whatif-bench-{os.getpid()}"
    # Neither app may read the user's config or recovery files.
    env = {"XDG_STATE_HOME": tempfile.mkdtemp(prefix="whatif-bench-state-"),
           "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="whatif-bench-config-"),
           "TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8"}
    minimal_file = Path(tempfile.mkdtemp(prefix="whatif-bench-")) / "minimal.py"
    minimal_file.write_text(MINIMAL_APP)
    try:
        apps = {"whatif": Tmux(socket, "whatif", [sys.executable, "-m", "whatif"], columns, rows, env),
                "minimal": Tmux(socket, "minimal", [sys.executable, str(minimal_file)], columns, rows, env)}
        if args.baseline is not None:
            # Started in the view, not in the tree: `-m` puts the current folder first on sys.path,
            # and the tree's own whatif/ would then take the rest from this checkout.
            view = package_view(args.baseline.resolve())
            apps["baseline"] = Tmux(socket, "baseline", [sys.executable, "-m", "whatif"], columns, rows,
                                    {**env, "PYTHONPATH": str(view)}, cwd=view)
        start = days_text(count)
        for app in apps.values():
            app.wait_for(start)
        time.sleep(1.0)  # past the app's after-first-frame work
        for name in apps:
            if name != "minimal":
                for _ in range(5):  # Tab to the count: params, tokens, precision, More workload, chip, count
                    apps[name].send("Tab")
                    time.sleep(0.15)
        for app in apps.values():
            app.send("End")
        time.sleep(0.3)
        if not args.poll:
            for app in apps.values():
                app.watch()
        # key kind -> app -> stage -> milliseconds
        timings: dict[str, dict[str, dict[str, list[float]]]] = {
            kind: {name: {stage: [] for stage in app.stages} for name, app in apps.items()}
            for kind in ("digit", "backspace")}
        shorter_text = days_text(shorter)
        cpu_before = {name: app.cpu_seconds() for name, app in apps.items()}
        for i in range(args.keys):
            digit = DIGITS[i % len(DIGITS)]
            edited_text = days_text(shorter * 10 + int(digit))
            for name, app in list(apps.items()) if i % 2 == 0 else reversed(apps.items()):
                for kind, key, text, chips in (("backspace", "BSpace", shorter_text, shorter),
                                               ("digit", digit, edited_text, shorter * 10 + int(digit))):
                    seen = app.timed_key(key, text, chips)
                    for stage, seconds in (seen or {}).items():
                        timings[kind][name][stage].append(seconds * 1000)
                    time.sleep(0.1)  # the app settles (the P10/P90 strip) before the next key
        cpu_ms = {name: (app.cpu_seconds() - cpu_before[name]) * 1000 / (2 * args.keys) for name, app in apps.items()}
        floor = []
        for _ in range(20):
            begin = time.perf_counter()
            apps["minimal"].screen()
            floor.append((time.perf_counter() - begin) * 1000)
    finally:
        for app in locals().get("apps", {}).values():
            if app.control is not None:
                app.control.close()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    load = os.getloadavg()
    print(f"tmux {columns}x{rows}, screen read {'by polling' if args.poll else 'on output (control mode)'}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    # Both kinds together too: the minimal app draws a digit in one frame and a backspace (a
    # binding, handled a step later) in two, so each kind alone flatters or blames one side.
    timings["any"] = {name: {stage: timings["digit"][name][stage] + timings["backspace"][name][stage]
                             for stage in stages} for name, stages in timings["digit"].items()}
    for kind, samples in timings.items():
        minimal = samples["minimal"]["headline"]
        m = statistics.median(minimal)
        print(f"{kind} key to visible: minimal app median {m:.1f} ms (n={len(minimal)})")
        for name in (n for n in apps if n != "minimal"):
            for stage, ms in samples[name].items():
                w = statistics.median(ms)
                print(f"  {name} {stage:>8}: median {w:.1f} ms (n={len(ms)}), ratio {w / m:.2f}x")
    print("CPU per key (backspace and digit alike, process user+system): "
          + ", ".join(f"{name} {ms:.1f} ms" for name, ms in cpu_ms.items()))
    print(f"one screen read (capture-pane) median {statistics.median(floor):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
