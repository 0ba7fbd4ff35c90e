"""Benchmark presenter mode through `whatif serve-ssh` and PRINT the figures (no assertions).

A server started like a host would (`whatif serve-ssh --presenter-password-file ...` in a
subprocess), a presenter and followers as real SSH sessions (asyncssh clients on PTYs,
120x36), each a real app process connected to the server's relay. The presenter presses
a key in the chip-count field (backspace, then the digit back, alternating); measured is
the time from that keystroke until every follower's screen shows the new count (the
status line's "N x NVIDIA"), until every follower's screen is wholly updated (the new
count and the P10/P90 strip's new figures: the strip reads "P10/P50/P90…", dimmed,
between the new result and its samples, and "P10/P50/P90:" once they are in; it is the
last part of an update to be drawn), and until the presenter's own screen is.

Phases, side by side in one run: 1 follower (the reference), 20 followers, 1 follower
again (the machine is shared: a drift shows as a difference between the two references).

Usage: .venv/bin/python bench/presenter.py [--followers 20] [--keys 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ssh import Visitor, _app_processes, _cpu_s, _ms, start_server  # noqa: E402

PASSWORD = "bench-presenter"


async def keystroke_to_followers(presenter: Visitor, followers: list[Visitor]) -> tuple[float, float, float]:
    """One presenter keystroke: seconds until every follower shows the new count, until every
    follower is wholly updated, and until the presenter is."""
    key, presenter.count = (b"\x7f", 1638) if presenter.count == 16384 else (b"4", 16384)
    needle = f"{presenter.count:,} x NVIDIA"
    start = time.perf_counter()

    async def seen(visitor: Visitor) -> tuple[float, float]:
        await visitor.until(lambda text: needle in text)
        count_s = time.perf_counter() - start
        await visitor.until(lambda text: needle in text and "P10/P50/P90:" in text)
        return count_s, time.perf_counter() - start

    presenter.process.stdin.write(key)
    (_, own), *theirs = await asyncio.gather(seen(presenter), *(seen(f) for f in followers))
    return max(count_s for count_s, _ in theirs), max(whole_s for _, whole_s in theirs), own


async def phase(presenter: Visitor, followers: list[Visitor], keys: int, server_pid: int) -> float:
    counts, everyone, own = [], [], []
    apps = _app_processes(server_pid)
    apps_cpu_s = sum(_cpu_s(pid) for pid in apps)
    server_cpu_s = _cpu_s(server_pid)
    client_cpu_s = time.process_time()
    for _ in range(keys):
        count_s, all_s, own_s = await keystroke_to_followers(presenter, followers)
        counts.append(count_s)
        everyone.append(all_s)
        own.append(own_s)
        await asyncio.gather(*(v.quiet(0.3) for v in (presenter, *followers)))
    print(f"\n{len(followers)} follower(s):")
    print(f"  key-to-all-followers-count    {_ms(counts)}")
    print(f"  key-to-all-followers-updated  {_ms(everyone)}  (the whole update, P10/P90 strip included)")
    print(f"  key-to-presenter-updated      {_ms(own)}")
    # This process models every terminal (tests/fixtures/ssh_screen.py) on the same 2 cores.
    print(f"  CPU per key: apps {(sum(_cpu_s(pid) for pid in apps) - apps_cpu_s) / keys * 1000:7.1f} ms "
          f"({len(apps)} apps), server {(_cpu_s(server_pid) - server_cpu_s) / keys * 1000:5.1f} ms, "
          f"bench client {(time.process_time() - client_cpu_s) / keys * 1000:5.1f} ms (quiet periods included)")
    return statistics.median(everyone)


async def main(followers: int, keys: int) -> None:
    with tempfile.TemporaryDirectory(prefix="whatif-bench-presenter-") as workdir:
        work = Path(workdir)
        (work / "presenter-password").write_text(PASSWORD + "\n")
        server, port = await start_server(followers + 1, work, "--presenter-password-file",
                                          str(work / "presenter-password"), "--presenter-name", "Bench")
        try:
            presenter = Visitor()
            await presenter.connect(port, username="presenter", password=PASSWORD)
            await presenter.until(lambda text: "presenting as Bench" in text)
            await presenter.focus_count_field()
            first = [Visitor()]
            await first[0].connect(port)
            await first[0].until(lambda text: "following Bench" in text)
            reference = await phase(presenter, first, keys, server.pid)

            more = [Visitor() for _ in range(followers - 1)]
            started = time.perf_counter()
            await asyncio.gather(*(v.connect(port) for v in more))
            await asyncio.gather(*(v.until(lambda text: "following Bench" in text) for v in more))
            print(f"\n({followers - 1} more followers connected in {time.perf_counter() - started:.1f} s)")
            await asyncio.gather(*(v.quiet(0.3) for v in (presenter, *first, *more)))  # under the cursor blink
            crowd = await phase(presenter, first + more, keys, server.pid)
            await asyncio.gather(*(v.close() for v in more))
            await asyncio.sleep(1.0)
            again = await phase(presenter, first, keys, server.pid)
            print(f"\nratio {followers} followers / 1 follower (median): {crowd / reference:.2f}x "
                  f"(against the second reference {crowd / again:.2f}x); target: all {followers} within 1 s")
            await asyncio.gather(presenter.close(), first[0].close())
        finally:
            server.send_signal(2)
            await asyncio.wait_for(server.wait(), 30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=20)
    parser.add_argument("--keys", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.followers, args.keys))
