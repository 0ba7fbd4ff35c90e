"""Benchmark switching scenario tabs in a real pseudo-terminal, beside a keystroke, and
PRINT the figures (no assertions).

The app opens two presets in tabs (`whatif A.toml B.toml`). Each round, interleaved so both
see the same load on this shared machine:
1. ctrl+PageDown to tab B, until B's training time is on screen; ctrl+PageUp back to A,
   until A's is (a switch shows results already computed: nothing is evaluated);
2. for reference, two keystrokes in A's count field (backspace, then the digit back), each
   until the engine's new training time is on screen (bench/tui.py's key-to-frame).

Prints medians and the ratio switch / keystroke.

Usage: .venv/bin/python bench/tabs.py [--rounds 20] [--size 80x24]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tui import Terminal  # noqa: E402
from whatif.engine.evaluate import evaluate  # noqa: E402
from whatif.engine.presets import load_preset, shipped_presets_dir  # noqa: E402
from whatif.engine.units import fmt  # noqa: E402

A = shipped_presets_dir() / "cluster-100k-h100-air.toml"
B = shipped_presets_dir() / "cluster-100k-b200-liquid.toml"
NEXT_TAB, PREVIOUS_TAB, END, BACKSPACE = b"\x1b[6;5~", b"\x1b[5;5~", b"\x1b[F", b"\x7f"


def days_text(path: Path, count: int | None = None) -> bytes:
    scenario = load_preset(path)
    if count is not None:
        scenario = scenario.with_values({"cluster.count": count})
    return fmt("training_days", evaluate(scenario)["training_days"]).encode()


def bench(rounds: int, columns: int, rows: int) -> tuple[list[float], list[float]]:
    count = load_preset(A).cluster.count
    last_digit = str(count % 10).encode()
    a, b, a_shorter = days_text(A), days_text(B), days_text(A, count // 10)
    assert len({a, b, a_shorter}) == 3, "the markers must differ"
    term = Terminal(columns, rows, [sys.executable, "-m", "whatif", str(A), str(B)])
    try:
        term.wait_for(a)
        term.drain(0.5)
        for _ in range(5):  # Tab to the count field: params, tokens, precision, More workload, chip, count
            term.send(b"\t")
            term.drain()
        switches, keys = [], []
        for _ in range(rounds):
            for key, marker in ((NEXT_TAB, b), (PREVIOUS_TAB, a)):
                sent = term.send(key)
                switches.append(term.wait_for(marker) - sent)
                term.drain(0.1)
            term.send(END)  # a switch selects the field's value (typing replaces it)
            term.drain()
            for key, marker in ((BACKSPACE, a_shorter), (last_digit, a)):
                sent = term.send(key)
                keys.append(term.wait_for(marker) - sent)
                term.drain(0.1)
        return switches, keys
    finally:
        term.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds of two switches and two keys")
    parser.add_argument("--size", default="80x24", help="terminal COLUMNSxROWS")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    for package in ("whatif", "engine", "cli", "tui", "serve"):
        compileall.compile_dir(ROOT / package, quiet=2)
    switches, keys = bench(args.rounds, columns, rows)
    load = os.getloadavg()
    print(f"terminal {columns}x{rows}, {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    switch_ms, key_ms = statistics.median(switches) * 1000, statistics.median(keys) * 1000
    print(f"tab switch to the other tab's result on screen: median {switch_ms:.1f} ms "
          f"(min {min(switches) * 1000:.1f}, max {max(switches) * 1000:.1f}, n={len(switches)})")
    print(f"keystroke to the new result on screen (reference): median {key_ms:.1f} ms "
          f"(min {min(keys) * 1000:.1f}, max {max(keys) * 1000:.1f}, n={len(keys)})")
    print(f"switch / keystroke: {switch_ms / key_ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
