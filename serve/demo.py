"""The demo rule, for every server front-end (serve-ssh and serve-web).

A visitor's app runs in demo mode (WHATIF_DEMO=1) with a folder of its own that is its
HOME, its XDG config/state/data/cache homes, its TMPDIR and where it saves presets
(WHATIF_USER_PRESETS): nothing a visitor does writes into the server user's home, and
the folder is removed when the session ends. Of the server's own environment an app gets
PATH and PYTHONPATH only (no secrets), and nothing of the client's. An app that ends is
stopped with its whole process group (crash isolation: nothing it started outlives it),
and what went wrong goes to the server log (`setup_server_log`), never to the visitor.
The limits (seats, idle timeout, password) are serve/limits.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from whatif.engine.presets import USER_PRESETS_ENV
from whatif.engine.paths import DEMO_ENV

# XDG base directories, each a subfolder of the session folder.
_XDG_HOMES = {"XDG_CONFIG_HOME": "config", "XDG_STATE_HOME": "state", "XDG_DATA_HOME": "data",
              "XDG_CACHE_HOME": "cache"}


class OneLineParser(argparse.ArgumentParser):
    """A server's options: a usage error is one line (exit status 2), like every command's."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def add_demo_arguments(parser: argparse.ArgumentParser, port: int) -> None:
    """The options every server shares: where it listens, what visitors start from, how
    many, how long idle, the log."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=port, help=f"TCP port (default {port})")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--preset", metavar="FILE", help="preset every visitor starts from (default: the app's default)")
    what.add_argument("--tour", metavar="DIR", help="folder of presets visitors step through (next/previous keys)")
    parser.add_argument("--max-sessions", type=int, default=20, metavar="N",
                        help="visitors at the same time; more are told to come back (default 20)")
    parser.add_argument("--idle-timeout", type=float, default=15.0, metavar="MIN",
                        help="close a session after MIN minutes without a key press (default 15, 0 = never)")
    parser.add_argument("--log-file", metavar="FILE", help="server log (default: standard error)")


async def first_ended(waits: Mapping[str, Awaitable[object]]) -> str:
    """The name of whichever of `waits` ends first (a session's end: the app exited, the
    visitor left, idle, shutdown); the others are cancelled."""
    futures = {name: asyncio.ensure_future(wait) for name, wait in waits.items()}
    try:
        done, _ = await asyncio.wait(futures.values(), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in futures.values():
            future.cancel()
    return next(name for name, future in futures.items() if future in done)


def stop_on_signals() -> asyncio.Event:
    """An event set by ctrl+c (SIGINT) or SIGTERM from now on (a server waits on it)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def visitor_args(preset: str | None, tour: str | None) -> list[str]:
    """What every visitor's app is started with: the app's own options for --preset/--tour
    (absolute: the app runs in the visitor's folder)."""
    if tour:
        return ["--tour", str(Path(tour).resolve())]
    if preset:
        return [str(Path(preset).resolve())]
    return []


def check_visitor_content(preset: str | None, tour: str | None) -> str | None:
    """A one-line problem with --preset/--tour, checked before anyone connects."""
    if tour:
        folder = Path(tour)
        if not folder.is_dir():
            return f"--tour {tour}: not a folder"
        if not any(folder.glob("*.toml")):
            return f"--tour {tour}: no .toml presets in it"
    if preset:
        from whatif.engine.errors import WhatifError
        from whatif.engine.presets import load_preset

        try:
            load_preset(preset)
        except WhatifError as exc:
            return str(exc)
        except OSError as exc:
            return f"--preset {preset}: {exc.strerror or exc}"
    return None


def base_environment(app_environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """What every app process gets whoever the visitor is: PATH, PYTHONPATH (if set), UTF-8,
    no bytecode written into the install, and the variables the app asked for."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(app_environment or {}),
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def demo_environment(session_dir: Path) -> dict[str, str]:
    """The demo rule as environment variables: demo mode, and every place the app may
    write to inside `session_dir`."""
    return {
        DEMO_ENV: "1",
        "HOME": str(session_dir),
        USER_PRESETS_ENV: str(session_dir),
        "TMPDIR": str(session_dir),
        **{name: str(session_dir / sub) for name, sub in _XDG_HOMES.items()},
    }


def visitor_environment(session_dir: Path, app_environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of an app run for a visitor (a front-end adds its terminal's)."""
    return {**base_environment(app_environment), **demo_environment(session_dir)}


def create_session_dir(prefix: str = "whatif-") -> Path:
    """A new private (0700) folder for one session, with its XDG subfolders."""
    session_dir = Path(tempfile.mkdtemp(prefix=prefix))
    for sub in _XDG_HOMES.values():
        (session_dir / sub).mkdir()
    return session_dir


def remove_session_dir(session_dir: Path) -> None:
    """Remove a session folder and everything the visitor left in it."""
    shutil.rmtree(session_dir, ignore_errors=True)


class AppProcess(Protocol):
    """A visitor's app process (asyncio's, or one a preloader forked)."""

    pid: int

    async def wait(self) -> Any: ...


async def stop_process_group(process: AppProcess, grace_s: float, exited: Callable[[], bool]) -> int | None:
    """Hang up, terminate, then kill the app's whole process group (it leads its own
    session); wait for its end. Returns its exit status, None when that is unknown."""
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL):
        if exited():
            break
        if not signal_process_group(process.pid, sig):
            break
        try:
            await asyncio.wait_for(process.wait(), grace_s)
        except TimeoutError:
            continue
    status = await process.wait()
    # A helper the app started may outlive it in the same group.
    signal_process_group(process.pid, signal.SIGKILL)
    return status


def signal_process_group(pid: int, sig: int) -> bool:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def setup_server_log(log_file: str | None, quiet: Iterable[str] = ()) -> None:
    """The server log: timestamped lines to `log_file` (default standard error); the
    libraries named in `quiet` log warnings only. OSError when the file cannot be opened."""
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
