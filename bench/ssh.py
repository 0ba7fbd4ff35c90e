"""Benchmark `whatif serve-ssh` with real SSH sessions and PRINT the figures (no assertions).

For 1 and for 20 concurrent visitors (asyncssh clients on PTYs, 120x36, all connecting at
once) against a server started like a host would (`whatif serve-ssh` in a subprocess):

1. connect-to-first-screen: from opening the TCP connection until the visitor's screen
   shows the headline results ("days", "MW") and the footer;
2. key-to-update: with every session open, one keystroke in the count field (backspace,
   then the digit back, alternating) until the screen shows the recomputed scenario
   (the status line's chip count); measured one session at a time (round robin) and with
   every visitor pressing a key at the same moment;
3. memory per session: RSS and PSS of each app process (forked by the server's preloader,
   or the server's children without one), and the server's;
   and the app's CPU time per keystroke, which bounds what 2 cores can serve.

`--fixture` runs the same measurements against the tests' tiny Textual app instead of
the real one: what the SSH path itself costs, apart from the app's own work.

`--hostile` measures instead what hostile clients cost a real visitor: their time to
first screen while N silent TCP sockets are open (spread over loopback addresses
127.1.x.y standing for other hosts; all from one address; and reopened as fast as the
server closes them), while N logged-in connections open no session (`ssh -N`), with a
5000x5000 terminal, and the timeline of wrong passwords from one address.

Usage: .venv/bin/python bench/ssh.py [--sessions 1,20] [--keys 10] [--fixture] [--hostile]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.ssh_screen import Screen  # noqa: E402  (the tests' terminal model)

COLUMNS, ROWS = 120, 36
TIMEOUT_S = 120.0


class Visitor:
    fixture = False  # set by --fixture: the tests' tiny app, "+" bumps COUNT=n

    def __init__(self) -> None:
        self.screen = Screen(COLUMNS, ROWS)
        self.conn: asyncssh.SSHClientConnection | None = None
        self.process = None
        self.first_screen_s = 0.0
        self.count = 0 if self.fixture else 16384

    async def connect(self, port: int, columns: int = COLUMNS, rows: int = ROWS, username: str = "demo",
                      **options) -> None:
        start = time.perf_counter()
        self.conn = await asyncssh.connect("127.0.0.1", port, known_hosts=None, username=username,
                                           client_keys=None, **options)
        self.process = await self.conn.create_process(term_type="xterm-256color",
                                                      term_size=(columns, rows), encoding=None)
        self.received = 0
        if self.fixture:
            await self.until(lambda text: "COUNT=0 " in text)
        else:
            await self.until(lambda text: "days" in text and "MW" in text and "^q Quit" in text)
        self.first_screen_s = time.perf_counter() - start

    async def until(self, predicate, timeout_s: float = TIMEOUT_S) -> None:
        async def read() -> None:
            while not predicate(self.screen.text()):
                chunk = await self.process.stdout.read(65536)
                if not chunk:
                    raise EOFError(self.screen.text())
                self.received += len(chunk)
                self.screen.feed(chunk)
        await asyncio.wait_for(read(), timeout_s)

    async def quiet(self, quiet_s: float = 0.3) -> None:
        while True:
            try:
                chunk = await asyncio.wait_for(self.process.stdout.read(65536), quiet_s)
            except TimeoutError:
                return
            self.screen.feed(chunk)

    async def focus_count_field(self) -> None:
        """Command palette -> "Go to field: Chips", caret at the end of the text."""
        if self.fixture:
            return
        self.process.stdin.write(b"\x10")
        await self.quiet(0.2)
        self.process.stdin.write(b"Go to field: Chips")
        await self.until(lambda text: "cluster.count" in text)
        self.process.stdin.write(b"\r")
        await self.until(lambda text: "Go to field" not in text)
        await self.quiet(0.2)
        self.process.stdin.write(b"\x05")  # ctrl+e: end
        await self.quiet(0.2)

    async def keystroke(self) -> float:
        """Backspace (16384 -> 1638) or the digit back; seconds until the new count shows."""
        if self.fixture:
            self.count += 1
            key, needle = b"+", f"COUNT={self.count} "
        else:
            key, self.count = (b"\x7f", 1638) if self.count == 16384 else (b"4", 16384)
            needle = f"{self.count:,} x NVIDIA"
        start = time.perf_counter()
        self.process.stdin.write(key)
        await self.until(lambda text: needle in text)
        return time.perf_counter() - start

    async def close(self) -> None:
        self.conn.close()
        await self.conn.wait_closed()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (the preloaded modules) split among their users."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _rss_mb(pid)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _app_processes(server_pid: int) -> list[int]:
    """The visitors' apps: children of the preloader when the server runs one, else the
    server's own children."""
    children = _children(server_pid)
    preloaders = [pid for pid in children if b"whatif.serve.ssh.preload" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    if preloaders:
        return _children(preloaders[0])
    return children


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


# The server with the fixture app: the same DemoServer the CLI runs, another app command.
_FIXTURE_SERVER = """
import asyncio, signal, sys
from pathlib import Path
from whatif.serve.entry import AppEntry
from whatif.serve.ssh.config import ServeConfig
from whatif.serve.ssh.server import DemoServer
async def serve():
    server = DemoServer(ServeConfig(app=AppEntry(command=(sys.executable, sys.argv[1])), host_key_path=Path(sys.argv[2]),
                                    port=0, idle_timeout_s=0, max_sessions=int(sys.argv[3])))
    await server.start()
    print(f"ssh -p {server.port} demo@127.0.0.1\\nCtrl+C", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await server.close()
asyncio.run(serve())
"""


async def start_server(max_sessions: int, workdir: Path, *more: str) -> tuple[asyncio.subprocess.Process, int]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(workdir)}
    if Visitor.fixture:
        argv = ["-c", _FIXTURE_SERVER, str(ROOT / "tests" / "fixtures" / "ssh_fixture_app.py"),
                str(workdir / "host_key"), str(max_sessions)]
    else:
        argv = ["-m", "whatif", "serve-ssh", "--port", "0", "--idle-timeout", "0",
                "--max-sessions", str(max_sessions), "--log-file", str(workdir / "server.log"), *more]
    server = await asyncio.create_subprocess_exec(sys.executable, *argv, cwd=ROOT, env=env,
                                                  stderr=asyncio.subprocess.PIPE)
    banner = b""
    while b"Ctrl+C" not in banner:
        line = await asyncio.wait_for(server.stderr.readline(), 30)
        if not line:
            raise RuntimeError(f"server did not start: {banner.decode()}")
        banner += line
    return server, int(re.search(rb"ssh -p (\d+) ", banner).group(1))


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (f"median {statistics.median(values) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   "
            f"max {ordered[-1] * 1000:7.1f} ms   (n={len(values)})")


async def run(sessions: int, keys: int, port: int, server_pid: int) -> None:
    visitors = [Visitor() for _ in range(sessions)]
    started = time.perf_counter()
    await asyncio.gather(*(v.connect(port) for v in visitors))
    all_open_s = time.perf_counter() - started
    apps = _app_processes(server_pid)
    start_cpu_s = [_cpu_s(pid) for pid in apps]
    await asyncio.gather(*(v.quiet(0.5) for v in visitors))
    idle_before_s = sum(_cpu_s(pid) for pid in apps)
    idle_started = time.perf_counter()
    await asyncio.sleep(2.0)  # nobody types: what do open sessions cost?
    idle_cpu_pct = (sum(_cpu_s(pid) for pid in apps) - idle_before_s) / (time.perf_counter() - idle_started) \
        / len(apps) * 100
    for visitor in visitors:
        await visitor.focus_count_field()

    cpu_before_s = sum(_cpu_s(pid) for pid in apps)
    round_robin = []
    for _ in range(keys):
        for visitor in visitors:
            round_robin.append(await visitor.keystroke())
            await visitor.quiet(0.05)
    cpu_per_key_ms = (sum(_cpu_s(pid) for pid in apps) - cpu_before_s) / len(round_robin) * 1000
    together = []
    for _ in range(max(1, keys // 2)):
        together += await asyncio.gather(*(v.keystroke() for v in visitors))
        await asyncio.gather(*(v.quiet(0.1) for v in visitors))

    app_rss = [_rss_mb(pid) for pid in apps]
    app_pss = [_pss_mb(pid) for pid in apps]
    print(f"\n{sessions} concurrent session(s), all connecting at once "
          f"(all {sessions} usable after {all_open_s:.2f} s):")
    print(f"  connect-to-first-screen       {_ms([v.first_screen_s for v in visitors])}")
    print(f"  app CPU to first screen       median {statistics.median(start_cpu_s) * 1000:7.0f} ms per app")
    print(f"  app CPU while idle            {idle_cpu_pct:7.1f} % of a core per app")
    print(f"  key-to-update, one at a time  {_ms(round_robin)}")
    print(f"  key-to-update, all at once    {_ms(together)}")
    print(f"  app CPU per keystroke         {cpu_per_key_ms:7.1f} ms (user+system, one-at-a-time run)")
    print(f"  memory: {len(apps)} app processes, RSS median {statistics.median(app_rss):.1f} MB, "
          f"PSS median {statistics.median(app_pss):.1f} MB (shared pages split; total "
          f"{sum(app_pss):.0f} MB); server RSS {_rss_mb(server_pid):.1f} MB")
    await asyncio.gather(*(v.close() for v in visitors))


# --- hostile clients -----------------------------------------------------------------------

def _source(index: int) -> str:
    """The loopback address standing for the index-th other host (127.1.x.y; all of 127/8 is lo)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


async def _silent(port: int, source: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    return reader, writer


async def _first_screen_s(port: int, **options) -> float:
    """A real visitor's connect-to-first-screen; inf if they do not get in within 30 s."""
    visitor = Visitor()
    try:
        await asyncio.wait_for(visitor.connect(port, **options), 30)
        return visitor.first_screen_s
    except (OSError, asyncssh.Error, EOFError, TimeoutError):
        return float("inf")
    finally:
        if visitor.conn is not None:
            await visitor.close()


async def _with_silent(port: int, count: int, hosts: int) -> tuple[float, int]:
    """A visitor's first screen while `count` silent sockets from `hosts` addresses are open."""
    sockets, refused = [], 0
    for index in range(count):
        try:
            sockets.append(await _silent(port, _source(index % hosts)))
        except OSError:
            refused += 1
    await asyncio.sleep(0.3)
    try:
        first_s = await _first_screen_s(port)
        return first_s, sum(await asyncio.gather(*(_still_open(reader) for reader, _ in sockets)))
    finally:
        for _, writer in sockets:
            writer.close()


async def _still_open(reader: asyncio.StreamReader) -> bool:
    try:
        while await asyncio.wait_for(reader.read(4096), 0.3):
            pass  # the server's version line
    except TimeoutError:
        return True
    except OSError:
        pass
    return False


async def _with_churn(port: int, count: int, hosts: int, seconds: float) -> list[float]:
    """Visitors' first screens while `count` silent sockets are reopened as soon as they close."""
    stop = asyncio.Event()

    async def keep_one(index: int) -> None:
        while not stop.is_set():
            try:
                reader, writer = await _silent(port, _source(index % hosts))
            except OSError:
                await asyncio.sleep(0.05)
                continue
            try:
                while not stop.is_set() and await asyncio.wait_for(reader.read(4096), 0.5) != b"":
                    pass
            except (TimeoutError, OSError):
                pass
            finally:
                writer.close()

    attackers = [asyncio.ensure_future(keep_one(index)) for index in range(count)]
    await asyncio.sleep(1.0)
    times = []
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            times.append(await _first_screen_s(port))
    finally:
        stop.set()
        await asyncio.gather(*attackers, return_exceptions=True)
    return times


async def _with_no_session(port: int, count: int, hosts: int) -> tuple[float, float]:
    """A visitor's first screen while `count` logged-in connections open no session; and
    how long until the server has closed them all."""
    conns = await asyncio.gather(*(asyncssh.connect("127.0.0.1", port, local_addr=(_source(i % hosts), 0),
                                                    known_hosts=None, username="demo", client_keys=None)
                                   for i in range(count)), return_exceptions=True)
    opened = time.perf_counter()
    try:
        first_s = await _first_screen_s(port)
        try:
            await asyncio.wait_for(asyncio.gather(*(c.wait_closed() for c in conns if not isinstance(c, BaseException))),
                                   30)
        except TimeoutError:
            return first_s, float("inf")
        return first_s, time.perf_counter() - opened
    finally:
        for conn in conns:
            if not isinstance(conn, BaseException):
                conn.close()


class _Guesser(asyncssh.SSHClient):
    def __init__(self, attempts: list[float], start: float, budget: int) -> None:
        self._attempts, self._start, self._budget = attempts, start, budget

    def password_auth_requested(self) -> str | None:
        if len(self._attempts) >= self._budget:
            return None
        self._attempts.append(time.perf_counter() - self._start)
        return "wrong"


async def _password_timeline(port: int, total: int) -> list[list[float]]:
    """`total` wrong passwords from one address, reconnecting whenever the server hangs up:
    seconds since the start at which each attempt went out, per connection."""
    start = time.perf_counter()
    connections: list[list[float]] = []
    while (made := sum(len(c) for c in connections)) < total:
        attempts: list[float] = []
        connections.append(attempts)
        try:
            await asyncssh.connect("127.0.0.1", port, known_hosts=None, username="demo", client_keys=None,
                                   preferred_auth="password",
                                   client_factory=lambda: _Guesser(attempts, start, total - made))
        except (asyncssh.Error, OSError):
            pass
    return connections


async def hostile(workdir: Path) -> None:
    server, port = await start_server(20, workdir)
    try:
        base = [await _first_screen_s(port) for _ in range(3)]
        print(f"\nreal visitor's connect-to-first-screen, nobody else connected: "
              f"{', '.join(f'{t:.2f}' for t in base)} s")
        for count, hosts in ((36, 5), (100, 13), (300, 38), (300, 1)):
            first_s, still = await _with_silent(port, count, hosts)
            print(f"  with {count:3d} silent sockets from {hosts:2d} address(es) ({still:3d} still open after): "
                  f"{first_s:.2f} s")
            await asyncio.sleep(0.5)
        churn = await _with_churn(port, 200, 25, 10.0)
        print(f"  with 200 silent sockets from 25 addresses reopened as soon as closed: "
              f"{len(churn)} visitors in 10 s, first screen {_ms(churn)}")
        await asyncio.sleep(0.5)
        for count, hosts in ((36, 5), (60, 8)):
            first_s, closed_s = await _with_no_session(port, count, hosts)
            print(f"  with {count:3d} logged-in connections without a session: {first_s:.2f} s "
                  f"(the server closed them all {closed_s:.1f} s after they logged in)")
            await asyncio.sleep(0.5)
        visitor = Visitor()
        await visitor.connect(port, columns=5000, rows=5000)
        print(f"  a 5000x5000 terminal (clamped to 400x150): first screen {visitor.first_screen_s:.2f} s, "
              f"{visitor.received / 1e6:.2f} MB")
        await visitor.close()
    finally:
        server.send_signal(2)
        await asyncio.wait_for(server.wait(), 30)
    (workdir / "password").write_text("correct horse\n")
    server, port = await start_server(20, workdir, "--auth", "password", "--password-file", str(workdir / "password"))
    try:
        timeline = await _password_timeline(port, 10)
        print("  10 wrong passwords from one address, reconnecting when hung up on; each sent at (s, "
              "| between connections): " + " | ".join(", ".join(f"{t:.1f}" for t in attempts) for attempts in timeline))
    finally:
        server.send_signal(2)
        await asyncio.wait_for(server.wait(), 30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,20", help="comma-separated session counts (default 1,20)")
    parser.add_argument("--keys", type=int, default=10, help="keystrokes per session (default 10)")
    parser.add_argument("--fixture", action="store_true",
                        help="serve the tests' tiny app instead: the cost of the SSH path alone")
    parser.add_argument("--hostile", action="store_true",
                        help="what silent sockets, sessionless logins and password guessing cost a visitor")
    args = parser.parse_args()
    Visitor.fixture = args.fixture
    counts = [int(n) for n in args.sessions.split(",")]
    print(f"bench/ssh.py: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"asyncssh {asyncssh.__version__}, screen {COLUMNS}x{ROWS}, loopback, "
          f"{'fixture app' if args.fixture else 'real app'}; "
          f"load average before {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as workdir:
        if args.hostile:
            await hostile(Path(workdir))
            return
        server, port = await start_server(max(counts) + 5, Path(workdir))
        try:
            for sessions in counts:
                await run(sessions, args.keys, port, server.pid)
                await asyncio.sleep(1.0)  # let the server reap and clean up between runs
            print(f"\nload average after {os.getloadavg()[0]:.1f} (other work on the machine skews every figure)")
        finally:
            server.send_signal(2)
            await asyncio.wait_for(server.wait(), 30)


if __name__ == "__main__":
    asyncio.run(main())
