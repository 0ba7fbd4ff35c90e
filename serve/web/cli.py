"""`whatif serve-web`: give every browser visitor their own live whatif app.

    whatif serve-web [--host 127.0.0.1] [--port 8000] [--preset FILE | --tour DIR]
                     [--max-sessions N] [--idle-timeout MIN] [--password-file FILE]
                     [--log-file FILE] [--presenter-password-file FILE] [--presenter-name NAME]

The shared password comes from --password-file (first line) or the WHATIF_WEB_PASSWORD
environment variable, never from the command line (it would show in `ps`); the
presenter's likewise (WHATIF_WEB_PRESENTER_PASSWORD). With it the server runs in presenter
mode: who logs in at /present drives what every other visitor follows (serve/relay.py). This module
parses and checks the options, then runs the server (server.py); the app to serve is
given by the caller (`whatif.main`) as an `AppEntry`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from whatif.serve.entry import AppEntry
    from whatif.serve.web.config import WebConfig

PASSWORD_ENV = "WHATIF_WEB_PASSWORD"
PRESENTER_PASSWORD_ENV = "WHATIF_WEB_PRESENTER_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    from whatif.serve.demo import OneLineParser, add_demo_arguments

    parser = OneLineParser(
        prog="whatif serve-web",
        description="Serve the whatif app to web browsers: every visitor gets their own app, and nothing else.",
    )
    add_demo_arguments(parser, port=8000)
    parser.add_argument("--password-file", metavar="FILE",
                        help=f"file whose first line is the visitors' shared password (or set {PASSWORD_ENV}); "
                             "default: no password")
    presenter = parser.add_argument_group(
        "presenter mode", "one presenter (the page /present, own password) drives the scenario; every other "
        "visitor's app follows it live and can branch off (F8)")
    presenter.add_argument("--presenter-password-file", metavar="FILE",
                           help=f"file whose first line is the presenter's password (or set {PRESENTER_PASSWORD_ENV})")
    presenter.add_argument("--presenter-name", default="presenter", metavar="NAME",
                           help="the presenter's name as followers see it (default: presenter)")
    return parser


def exposure_warning(host: str, password: str | None) -> str | None:
    """Binding beyond loopback without a password is allowed, but never silently."""
    from whatif.serve.limits import is_loopback

    if password or is_loopback(host):
        return None
    return (f"WARNING: listening on {host} without a password: anyone who can reach this address gets "
            f"the app (only the app: no shell, no files). Use --password-file FILE or {PASSWORD_ENV} "
            "unless that is what you want.")


def main(argv: Sequence[str] | None, app: AppEntry) -> int:
    """`whatif serve-web ARGV`, serving `app` (the caller's) to every visitor."""
    args = build_parser().parse_args(argv)
    from whatif.serve.demo import check_visitor_content, setup_server_log, visitor_args
    from whatif.serve.web.config import WebConfig

    problem = check_visitor_content(args.preset, args.tour)
    if problem:
        return _fail(problem)
    passwords = {}
    for option, path, env_name in (("--password-file", args.password_file, PASSWORD_ENV),
                                   ("--presenter-password-file", args.presenter_password_file, PRESENTER_PASSWORD_ENV)):
        passwords[option] = os.environ.get(env_name) or None
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                return _fail(f"{option} {path}: {getattr(exc, 'strerror', None) or exc}")
            passwords[option] = text.splitlines()[0] if text.strip() else None
            if not passwords[option]:
                return _fail(f"{option} {path}: the first line is empty")
    password, presenter_password = passwords["--password-file"], passwords["--presenter-password-file"]
    if presenter_password and presenter_password == password:
        return _fail("the presenter's password must differ from the visitors' (--password-file)")
    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be 0-65535, not {args.port}")
    if args.max_sessions < 1:
        return _fail(f"--max-sessions must be at least 1, not {args.max_sessions}")
    try:
        setup_server_log(args.log_file, quiet=("aiohttp",))
    except OSError as exc:
        return _fail(f"--log-file {args.log_file}: {exc.strerror or exc}")
    config = WebConfig(
        app=app.with_more_args(*visitor_args(args.preset, args.tour)),
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        idle_timeout_s=max(0.0, args.idle_timeout) * 60,
        password=password,
        presenter_password=presenter_password,
        presenter_name=args.presenter_name,
    )
    warning = exposure_warning(args.host, password)
    if warning:
        print(warning, file=sys.stderr)
    from whatif.serve.web.server import ServeError

    try:
        return asyncio.run(_serve(config))
    except ServeError as exc:
        return _fail(f"{exc}")


def _fail(problem: str) -> int:
    """A configuration problem: one line on standard error, exit status 2."""
    print(f"whatif serve-web: {problem}", file=sys.stderr)
    return 2


async def _serve(config: WebConfig) -> int:
    from whatif.serve.demo import stop_on_signals
    from whatif.serve.web.server import PRESENTER_PATH, WebDemoServer

    server = WebDemoServer(config)
    await server.start()
    stop = stop_on_signals()
    host = config.host if ":" not in config.host else f"[{config.host}]"
    print(f"whatif demo: listening on {host}:{server.port} ({'password' if config.password else 'no password'}, "
          f"at most {config.max_sessions} visitors, idle timeout {config.idle_timeout_s / 60:g} min)\n"
          f"visitors: http://{host}:{server.port}/\n"
          + (f"presenter ({config.presenter_name}): http://{host}:{server.port}{PRESENTER_PATH}\n"
             if config.presenter_password else "") +
          "Ctrl+C stops the server.", file=sys.stderr, flush=True)
    await stop.wait()
    logging.getLogger("whatif.web").info("shutting down: %d visitor(s) connected", len(server.sessions))
    await server.close()
    return 0
