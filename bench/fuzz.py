"""Fuzz campaign (issue 11): PRINTS figures, asserts nothing. Not part of the test suite.

1. presets: mutated shipped presets (values from a hostile list, truncation, byte flips,
   deep nesting, huge integers, special files) through eval / check / sweep / solve, in
   process; counts tracebacks (any exception other than a one-line WhatifError exit) and
   hangs (a run over --timeout seconds);
2. keys: the app under Pilot, random keys over the main screen and every dialog, after an
   unsaved edit; counts crashes (an exception, the app gone, an error it survived) and
   runs that lost the edit;
3. kill -9: a child saving a preset in a loop is killed at a random moment; counts files
   that do not load afterwards and temp files left (after the kill, and after one more
   save, which removes those of dead writers).

Usage: .venv/bin/python bench/fuzz.py [--presets 2200] [--key-runs 22] [--keys 300] [--kills 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ["inf", "-inf", "nan", "true", "false", '"15.6"', '""', "0", "-0.0", "1e308", "-1", "1e-320", "9" * 4301,
           "9" * 4000, "[" * 600 + "]" * 600, "{a = " * 600 + "1" + "}" * 600, "[[1, 2], [3]]", "1979-05-27",
           "0x7fffffffffffffff", '"h100"', '"b200"', '"air"', '"nope"', "[]", "{}", "1_000", "+1e10", "0.5", "2",
           "100000000000", '"🙂"', "[1, 2]", "[2, 1]", "{low = 0.1, high = 0.5}", "{low = 0.5, high = 0.1}"]
# Valid but extreme: they pass validation and stress the model, checks and analyses.
EXTREME = ["1e-9", "1e-300", "5e-324", "1e9", "1e30", "1e300", "1.7e308", "0.999999", "1", "100000000", "0.0001"]
KEYS = ["schema", "name", "workload.params_b", "workload.tokens_t", "workload.flops", "workload.precision",
        "workload.active_params_b", "cluster.chip", "cluster.count", "cluster.mfu", "cluster.goodput",
        "cluster.mtti_chip_hours", "cluster.checkpoint_minutes", "cluster.restart_minutes", "cluster.planned_downtime",
        "facility.pue", "facility.cooling", "facility.region", "facility.power_cap_mw", "facility.it_kw_per_chip",
        "facility.load_factor", "economics.mode", "economics.rent_usd_per_chip_hour", "economics.chip_capex_usd",
        "economics.depreciation_years", "claims.flops", "claims.training_days", "claims.chip_hours",
        "claims.cost_usd", "claims.facility_mw", "uncertainty.samples", "uncertainty.seed", "uncertainty.mfu",
        "uncertainty.pue", "chips.h100", "chips.new", "chips.h100.tdp_w", "cooling.x", "bogus"]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 2)):
        kind = rng.random()
        if kind < 0.6:
            key, value = rng.choice(KEYS), rng.choice(EXTREME if rng.random() < 0.5 else HOSTILE)
            group, _, field = key.partition(".")
            if not field:
                lines.insert(1, f"{key} = {value}")
            elif "." in field:
                lines += [f"[{group}.{field.partition('.')[0]}]", f"{field.partition('.')[2]} = {value}"]
            else:
                lines += [f"[{group}]", f"{field} = {value}"] if rng.random() < 0.3 else []
                if not lines or not lines[-1].startswith(f"{field} ="):
                    try:
                        at = lines.index(f"[{group}]") + 1
                    except ValueError:
                        lines += [f"[{group}]"]
                        at = len(lines)
                    lines.insert(at, f"{field} = {value}")
        elif kind < 0.75 and lines:
            del lines[rng.randrange(len(lines))]
        elif kind < 0.9 and lines:
            i = rng.randrange(len(lines))
            line = lines[i]
            if line:
                j = rng.randrange(len(line))
                lines[i] = line[:j] + rng.choice("[]{}=\"'.,#\\\x00é9-") + line[j + 1:]
        else:
            joined = "\n".join(lines)
            lines = joined[: rng.randrange(len(joined) + 1)].splitlines()
    return "\n".join(lines) + "\n"


class Hang(Exception):
    pass


def _alarm(_signum, _frame):
    raise Hang()


def run_cli(args: list[str], timeout: float) -> tuple[str, str]:
    """('ok' | 'error' | 'traceback' | 'hang', detail)."""
    from whatif.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except Hang:
        return "hang", " ".join(args)[:200]
    except SystemExit as exc:  # argparse
        return ("error" if exc.code == 2 else "traceback"), err.getvalue()[-300:]
    except BaseException:  # noqa: BLE001 - counting them is the point
        return "traceback", traceback.format_exc()[-600:]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    message = err.getvalue()
    if code == 2 and message.count("\n") > 1:
        return "traceback", message[-600:]
    return ("ok" if code == 0 else "error"), message[-300:]


def campaign_presets(count: int, seed: int, timeout: float) -> None:
    rng = random.Random(seed)
    shipped = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "presets").glob("*.toml"))]
    folder = Path(tempfile.mkdtemp(prefix="whatif-fuzz-"))
    commands = [["eval"], ["check"], ["sweep", "--vary", "cluster.count=1000:50000", "--points", "5"],
                ["solve", "--for", "cluster.count", "--target", "training_days=60"]]
    counts = {"ok": 0, "error": 0, "traceback": 0, "hang": 0}
    examples: dict[str, list[str]] = {"traceback": [], "hang": []}
    specials = []
    if hasattr(os, "mkfifo"):
        fifo = folder / "fifo.toml"
        os.mkfifo(fifo)
        specials.append(str(fifo))
    specials += [d for d in ("/dev/zero", "/dev/urandom", "/dev/null") if os.path.exists(d)]
    runs = 0
    started = time.perf_counter()
    for i in range(count):
        path = folder / f"p{i % 50}.toml"
        if i < len(specials):
            target = specials[i]
        else:
            path.write_text(mutate(rng.choice(shipped), rng), encoding="utf-8", errors="surrogatepass")
            target = str(path)
        extra: list[str] = []
        if rng.random() < 0.3:
            extra = ["--set", f"{rng.choice(KEYS)}={rng.choice(EXTREME + HOSTILE)}"]
        for command in commands:
            outcome, detail = run_cli([*command, target, *extra], timeout)
            counts[outcome] += 1
            runs += 1
            if outcome in examples and len(examples[outcome]) < 5:
                examples[outcome].append(f"{command[0]} {target} {' '.join(extra)[:80]}: {detail}")
    took = time.perf_counter() - started
    print(f"presets: {count} presets x {len(commands)} commands = {runs} runs in {took:.0f} s: "
          f"{counts['ok']} ok, {counts['error']} one-line errors, {counts['traceback']} tracebacks, "
          f"{counts['hang']} hangs (> {timeout:g} s)")
    for kind, found in examples.items():
        for example in found:
            print(f"  {kind}: {example}")


# The keys that open, answer and stack dialogs weigh as much as all the typing keys together.
DIALOG_KEYS = ("ctrl+p", "ctrl+q", "ctrl+o", "ctrl+s", "f2", "ctrl+g", "ctrl+r", "f6", "f1", "ctrl+t", "ctrl+b",
               "escape", "tab", "enter")
TYPING_KEYS = ("ctrl+z", "ctrl+y", "shift+tab", "up", "down", "left", "right", "backspace", "delete", "space",
               "question_mark", "pageup", "pagedown", "home", "end", *"0123456789", *"abcdefghijklmnopqrstuvwxyz",
               ".", "%", "-", ",", "_")
APP_KEYS = DIALOG_KEYS * (len(TYPING_KEYS) // len(DIALOG_KEYS)) + TYPING_KEYS


async def _key_run(seed: int, keys: int) -> tuple[int, bool, str]:
    """(keys pressed, crashed, what) for one seeded run. The user quitting (ctrl+q, then
    Discard) ends a run without a crash."""
    from whatif.tui.app import WhatifApp

    rng = random.Random(seed)
    app = WhatifApp()
    pressed = 0
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("end", "backspace", "1")
        await pilot.pause()
        for _ in range(keys):
            key = rng.choice(APP_KEYS)
            await pilot.press(key)
            pressed += 1
            if not app.is_running or app._exception is not None or getattr(app, "unexpected_errors", None):
                break
        if app.is_running:
            await pilot.pause()
        errors = getattr(app, "unexpected_errors", [])
        crashed = app._exception is not None or bool(errors) or (not app.is_running and app.return_code != 0)
        what = repr(app._exception or (errors or [None])[0]) if crashed else ""
    return pressed, crashed, what


def campaign_keys(runs: int, keys: int, seed: int) -> None:
    os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="whatif-fuzz-state-"))
    os.environ["WHATIF_USER_PRESETS"] = tempfile.mkdtemp(prefix="whatif-fuzz-presets-")
    os.chdir(tempfile.mkdtemp(prefix="whatif-fuzz-cwd-"))  # exports (F6) go to the current folder
    total = crashes = quits = 0
    started = time.perf_counter()
    whats = []
    for run in range(runs):
        try:
            pressed, crashed, what = asyncio.run(_key_run(seed + run, keys))
        except BaseException as exc:  # noqa: BLE001 - the app raised out of run_test
            pressed, crashed, what = keys, True, repr(exc)
        total += pressed
        crashes += crashed
        quits += not crashed and pressed < keys
        if crashed:
            whats.append(f"seed {seed + run}: {what[:200]}")
    print(f"keys: {runs} runs x {keys} keys = {total} keys in {time.perf_counter() - started:.0f} s: "
          f"{crashes} crashes ({quits} runs ended early by the user quitting: ctrl+q, Discard)")
    for what in whats[:5]:
        print(f"  crash: {what}")


SAVER = """
import sys
from whatif.engine.presets import load_preset, save_preset
scenario = load_preset(sys.argv[2])
print("ready", flush=True)
while True:
    save_preset(scenario, sys.argv[1], overwrite=True)
"""


def campaign_kills(kills: int, seed: int) -> None:
    from whatif.engine.atomic import write_atomic
    from whatif.engine.errors import WhatifError
    from whatif.engine.presets import load_preset

    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="whatif-kill-"))
    target = folder / "p.toml"
    source = ROOT / "presets" / "article-gpt4.toml"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    os.chmod(target, 0o644)
    corrupt = left_max = 0
    started = time.perf_counter()
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(target), str(source)], stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout is not None
        child.stdout.readline()
        time.sleep(rng.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.wait()
        try:
            load_preset(target)
        except WhatifError:
            corrupt += 1
        left_max = max(left_max, sum(1 for p in folder.iterdir() if p.name.endswith(".tmp")))
    write_atomic(target, target.read_text(encoding="utf-8"), overwrite=True)
    left = sum(1 for p in folder.iterdir() if p.name.endswith(".tmp"))
    mode = oct(os.stat(target).st_mode & 0o777)
    print(f"kill -9: {kills} kills during saves in {time.perf_counter() - started:.0f} s: {corrupt} corrupt, "
          f"at most {left_max} temp file(s) at a time, {left} left after the next save; mode {mode} (was 0o644)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presets", type=int, default=2200)
    parser.add_argument("--key-runs", type=int, default=22)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", choices=["presets", "keys", "kills"])
    args = parser.parse_args()
    if args.only in (None, "presets"):
        campaign_presets(args.presets, args.seed, args.timeout)
    if args.only in (None, "kills"):
        campaign_kills(args.kills, args.seed)
    if args.only in (None, "keys"):
        campaign_keys(args.key_runs, args.keys, args.seed)


if __name__ == "__main__":
    main()
