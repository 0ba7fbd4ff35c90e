"""`whatif serve-ssh`: give every SSH visitor their own live whatif app.

    whatif serve-ssh [--host 127.0.0.1] [--port 2222] [--preset FILE | --tour DIR]
                     [--max-sessions N] [--idle-timeout MIN] [--host-key FILE]
                     [--auth none|password|keys] [--password-file FILE] [--authorized-keys FILE]
                     [--log-file FILE]
                     [--presenter-password-file FILE] [--presenter-keys FILE] [--presenter-name NAME]

The password for `--auth password` comes from --password-file (first line) or the
WHATIF_SSH_PASSWORD environment variable, never from the command line (it would show
in `ps`); the presenter's likewise (--presenter-password-file, WHATIF_SSH_PRESENTER_PASSWORD).
With a presenter credential the server runs in presenter mode: who logs in as user
`presenter` with it drives the scenario every other visitor follows (serve/relay.py).
This module parses and checks the options, then runs the server (server.py); the app to
serve is given by the caller (`whatif.main`) as an `AppEntry`, to which the options add
the visitors' arguments (--preset, --tour).
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

PASSWORD_ENV = "WHATIF_SSH_PASSWORD"
PRESENTER_PASSWORD_ENV = "WHATIF_SSH_PRESENTER_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    from whatif.serve.demo import OneLineParser, add_demo_arguments

    parser = OneLineParser(
        prog="whatif serve-ssh",
        description="Serve the whatif app over SSH: every visitor gets their own app, and nothing else.",
    )
    add_demo_arguments(parser, port=2222)
    parser.add_argument("--host-key", metavar="FILE",
                        help="SSH host key; generated (Ed25519, 0600) if missing "
                             "(default ~/.config/whatif/ssh_host_ed25519_key)")
    parser.add_argument("--auth", choices=("none", "password", "keys"), default="none",
                        help="none: anyone who can connect; password: a shared password; keys: authorized keys")
    parser.add_argument("--password-file", metavar="FILE",
                        help=f"file whose first line is the password for --auth password (or set {PASSWORD_ENV})")
    parser.add_argument("--authorized-keys", metavar="FILE", help="public keys allowed with --auth keys")
    presenter = parser.add_argument_group(
        "presenter mode", "one presenter (user 'presenter', own password or key) drives the scenario; every "
        "other visitor's app follows it live and can branch off (F8)")
    presenter.add_argument("--presenter-password-file", metavar="FILE",
                           help=f"file whose first line is the presenter's password (or set {PRESENTER_PASSWORD_ENV})")
    presenter.add_argument("--presenter-keys", metavar="FILE", help="public keys the presenter may log in with")
    presenter.add_argument("--presenter-name", default="presenter", metavar="NAME",
                           help="the presenter's name as followers see it (default: presenter)")
    return parser


def exposure_warning(host: str, auth: str) -> str | None:
    """Binding beyond loopback without authentication is allowed, but never silently."""
    from whatif.serve.limits import is_loopback

    if auth != "none" or is_loopback(host):
        return None
    return (f"WARNING: listening on {host} with --auth none: anyone who can reach this address gets "
            "the app (only the app: no shell, no files, no forwarding). Use --auth password or "
            "--auth keys unless that is what you want.")


def _read_password(password_file: str | None, env_name: str) -> str | None:
    if password_file:
        text = Path(password_file).read_text(encoding="utf-8")
        return text.splitlines()[0] if text.strip() else None
    return os.environ.get(env_name) or None


def main(argv: Sequence[str] | None, app: AppEntry) -> int:
    """`whatif serve-ssh ARGV`, serving `app` (the caller's) to every visitor."""
    args = build_parser().parse_args(argv)
    from whatif.serve.demo import check_visitor_content, setup_server_log, visitor_args
    from whatif.serve.ssh.config import ServeConfig
    from whatif.serve.ssh.server import ServeError, default_host_key_path

    problem = check_visitor_content(args.preset, args.tour)
    if problem:
        return _fail(problem)
    try:
        password = _read_password(args.password_file, PASSWORD_ENV)
    except OSError as exc:
        return _fail(f"--password-file {args.password_file}: {exc.strerror or exc}")
    try:
        presenter_password = _read_password(args.presenter_password_file, PRESENTER_PASSWORD_ENV)
    except OSError as exc:
        return _fail(f"--presenter-password-file {args.presenter_password_file}: {exc.strerror or exc}")
    if args.presenter_password_file and not presenter_password:
        return _fail(f"--presenter-password-file {args.presenter_password_file}: the first line is empty")
    if presenter_password and presenter_password == password:
        return _fail("the presenter's password must differ from the visitors' (--password-file)")
    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be 0-65535, not {args.port}")
    try:
        setup_server_log(args.log_file, quiet=("asyncssh",))  # it logs every packet type at INFO
    except OSError as exc:
        return _fail(f"--log-file {args.log_file}: {exc.strerror or exc}")
    config = ServeConfig(
        app=app.with_more_args(*visitor_args(args.preset, args.tour)),
        host_key_path=Path(args.host_key) if args.host_key else default_host_key_path(),
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        idle_timeout_s=max(0.0, args.idle_timeout) * 60,
        auth=args.auth,
        password=password,
        authorized_keys=Path(args.authorized_keys).expanduser() if args.authorized_keys else None,
        presenter_password=presenter_password,
        presenter_keys=Path(args.presenter_keys).expanduser() if args.presenter_keys else None,
        presenter_name=args.presenter_name,
    )
    warning = exposure_warning(args.host, args.auth)
    if warning:
        print(warning, file=sys.stderr)
    try:
        return asyncio.run(_serve(config))
    except ServeError as exc:
        return _fail(f"{exc}")


def _fail(problem: str) -> int:
    """A configuration problem: one line on standard error, exit status 2."""
    print(f"whatif serve-ssh: {problem}", file=sys.stderr)
    return 2


async def _serve(config) -> int:  # type: ignore[no-untyped-def]
    from whatif.serve.demo import stop_on_signals
    from whatif.serve.ssh.server import DemoServer

    server = DemoServer(config)
    await server.start()
    stop = stop_on_signals()
    host = config.host if ":" not in config.host else f"[{config.host}]"
    print(f"whatif demo: listening on {host}:{server.port} (auth {config.auth}, "
          f"at most {config.max_sessions} visitors, idle timeout "
          f"{config.idle_timeout_s / 60:g} min)\n"
          f"host key {server.host_key.get_fingerprint()} ({config.host_key_path})\n"
          f"visitors: ssh -p {server.port} demo@{host}\n"
          + (f"presenter ({config.presenter_name}): ssh -p {server.port} presenter@{host}\n"
             if config.presenter_mode else "") +
          "Ctrl+C stops the server.", file=sys.stderr, flush=True)
    await stop.wait()
    logging.getLogger("whatif.ssh").info("shutting down: %d visitor(s) connected", len(server.sessions))
    await server.close()
    return 0
