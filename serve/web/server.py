"""The aiohttp server: pages, the shared-password login, textual-serve's static files, and
a WebSocket per visitor (session.py), each holding a seat while its app runs.

Routes: `/` the app page (or the login form when a password is set), `/login` the form's
target, `/ws/<role>` the visitor's WebSocket, `/static/` textual-serve's terminal script,
stylesheet and fonts. Every response forbids loading anything from elsewhere
(Content-Security-Policy), and a WebSocket is accepted only from a page of this server
(its Origin) and, with a password, from a browser that logged in.

Roles: a visitor is role "visitor". A role has its page path, its own password (or none)
and its login cookie, so a second, separately authenticated role (a presenter) is one
`add_role` call; `child_environment(role)` is what that role's apps get on top of the
demo rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from textual_serve.download_manager import DownloadManager

from whatif.serve.limits import AuthThrottle, Seats, address_key, password_matches
from whatif.serve.relay import Relay
from whatif.serve.ssh.preload import Preloader, PreloaderKeeper
from whatif.serve.web.config import WebConfig
from whatif.serve.web.page import STATIC_PATH, app_page, login_page, notice_page
from whatif.serve.web.session import WebSession, msg_full, web_driver_environment

log = logging.getLogger("whatif.web")

VISITOR = "visitor"
PRESENTER = "presenter"  # presenter mode's role, at PRESENTER_PATH
PRESENTER_PATH = "/present"
_MAX_LOGINS = 10_000  # remembered login tokens; the oldest are forgotten first
_MAX_REQUEST_BYTES = 16 * 1024  # a login form; nothing else is posted
_MAX_MESSAGE_BYTES = 64 * 1024  # a browser message: a key, a paste, a size
_CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                            "form-action 'self'; base-uri 'none'")


class ServeError(Exception):
    """A configuration problem to show as one line, without a traceback."""


def static_folder() -> Path:
    """textual-serve's static files (textual.js, xterm.css, the Roboto Mono fonts), found
    without importing it."""
    spec = importlib.util.find_spec("textual_serve")
    assert spec is not None and spec.submodule_search_locations, "textual-serve is a dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@dataclass(frozen=True)
class Role:
    name: str
    path: str  # its page; its login form posts to path + "login"
    password: str | None

    @property
    def cookie(self) -> str:
        return f"whatif_{self.name}"

    @property
    def login_path(self) -> str:
        return f"{self.path.rstrip('/')}/login"


class Logins:
    """Browsers that gave a role's password: random tokens (their cookie), for a while."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def issue(self, role: str) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (role, time.monotonic() + self.ttl_s)
        while len(self._tokens) > _MAX_LOGINS:
            self._tokens.popitem(last=False)
        return token

    def valid(self, token: str | None, role: str) -> bool:
        entry = self._tokens.get(token or "")
        if entry is None:
            return False
        if entry[1] < time.monotonic():
            del self._tokens[token]  # type: ignore[arg-type]
            return False
        return entry[0] == role


class WebDemoServer:
    """Serve the app to browsers. `await start()`, then `await close()`."""

    def __init__(self, config: WebConfig) -> None:
        if config.max_sessions < 1:
            raise ServeError(f"--max-sessions must be at least 1, not {config.max_sessions}")
        self.config = config
        # The app with what makes it draw for the browser, for its preloader too, which also
        # imports the driver (the app would import it in each fork).
        driver = web_driver_environment()
        self.app = dataclasses.replace(config.app, environment={**config.app.environment, **driver},
                                       preload=(*config.app.preload, driver["TEXTUAL_DRIVER"].partition(":")[0]))
        self.preloads = PreloaderKeeper(self.app)
        self.seats: Seats[WebSession] = Seats(config.max_sessions)
        self.download_manager = DownloadManager()  # AppService wants one; the app delivers no files
        self.logins = Logins(config.login_ttl_s)
        self.auth_throttle = AuthThrottle()
        self.roles: dict[str, Role] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._application = web.Application(client_max_size=_MAX_REQUEST_BYTES,
                                            middlewares=[self._security_headers])
        self._application.router.add_get("/ws/{role}", self._websocket)
        self._application.router.add_static(STATIC_PATH.rstrip("/"), static_folder(), show_index=False,
                                            follow_symlinks=False)
        self.add_role(VISITOR, "/", config.password)
        self.relay: Relay | None = None  # presenter mode: started with the server
        if config.presenter_password:
            self.relay = Relay(config.presenter_name)
            self.add_role(PRESENTER, PRESENTER_PATH, config.presenter_password)

    def add_role(self, name: str, path: str, password: str | None) -> None:
        """A kind of visitor with a page at `path` and its own password (None: anyone); its
        WebSocket is /ws/<name>. Before start() (aiohttp's routes are frozen then)."""
        role = Role(name, path, password)
        self.roles[name] = role

        async def page(request: web.Request) -> web.Response:
            return await self._page(request, role)

        async def login(request: web.Request) -> web.Response:
            return await self._login(request, role)

        self._application.router.add_get(path, page)
        self._application.router.add_post(role.login_path, login)

    def child_environment(self, role: str) -> dict[str, str]:
        """Variables the apps of `role` get on top of the demo rule: in presenter mode, the
        relay's for a presenter or a follower (every other visitor)."""
        if self.relay is None:
            return {}
        return self.relay.child_env("presenter" if role == PRESENTER else "follower")

    def environment_ended(self, environment: dict[str, str]) -> None:
        """The app given `environment` ended: its relay token connects nothing any more."""
        if self.relay is not None:
            self.relay.revoke(environment)

    @property
    def preloader(self) -> Preloader | None:
        return self.preloads.preloader

    @property
    def sessions(self) -> list[WebSession]:
        """The visitors with an app, oldest first."""
        return self.seats.holders

    @property
    def port(self) -> int:
        assert self._runner is not None and self._runner.addresses, "start() first"
        return self._runner.addresses[0][1]

    async def start(self) -> None:
        """Listen (a problem is a ServeError at once), then start the preloader: visitors who
        come before it is ready get apps started on their own."""
        if self.relay is not None:
            await self.relay.start()  # its socket exists before any app starts
        self._runner = web.AppRunner(self._application, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.config.host, self.config.port, reuse_address=True)
        try:
            await self._site.start()
        except OSError as exc:
            await self._runner.cleanup()
            if self.relay is not None:
                await self.relay.close()
            raise ServeError(f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}") from None
        if self.config.preload and self.app.function is not None:
            await self.preloads.start()

    async def close(self) -> None:
        """Stop listening, tell every visitor, stop every app, wait for all of it."""
        if self._site is not None:
            await self._site.stop()
        for session in self.seats:
            session.request_shutdown()
        tasks = [session.task for session in self.seats if session.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=4 * self.config.grace_s + 5)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.preloads.close()
        if self.relay is not None:
            await self.relay.close()

    # --- pages ----------------------------------------------------------------------------

    @web.middleware
    async def _security_headers(self, request: web.Request, handler) -> web.StreamResponse:  # type: ignore[no-untyped-def]
        response = await handler(request)
        response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if response.content_type == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    def _logged_in(self, request: web.Request, role: Role) -> bool:
        return role.password is None or self.logins.valid(request.cookies.get(role.cookie), role.name)

    async def _page(self, request: web.Request, role: Role) -> web.Response:
        title = self.config.title
        if not self._logged_in(request, role):
            return _html(login_page(title, role.login_path))
        if len(self.seats) >= self.config.max_sessions:
            return _html(notice_page(title, msg_full(self.config.max_sessions)), status=503)
        return _html(app_page(title, f"/ws/{role.name}", _int(request.query.get("fontsize"), 16, 8, 48)))

    async def _login(self, request: web.Request, role: Role) -> web.Response:
        """The form's password: each attempt waits its address's turn (limits.AuthThrottle)."""
        address = address_key(request.remote or "?")
        await self.auth_throttle.wait_turn(address)
        try:
            form = await request.post()
        except ValueError:  # too large, or not a form
            raise web.HTTPBadRequest() from None
        given = form.get("password")
        if role.password is not None and isinstance(given, str) and password_matches(role.password, given):
            response = web.Response(status=303, headers={"Location": role.path})
            response.set_cookie(role.cookie, self.logins.issue(role.name), httponly=True, samesite="Strict",
                                path="/", max_age=int(self.config.login_ttl_s))
            log.info("%s: logged in (%s)", _peer(request), role.name)
            return response
        self.auth_throttle.record_failure(address)
        log.info("%s: wrong password (%s)", _peer(request), role.name)
        return _html(login_page(self.config.title, role.login_path, "Wrong password."), status=401)

    # --- the visitor's WebSocket ----------------------------------------------------------

    def _same_origin(self, request: web.Request) -> bool:
        """A browser says which page opened the socket; only this server's pages may (a page
        elsewhere could otherwise drive a visitor's app with their login cookie)."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser: it has no cookies of a visitor to abuse
        return origin.partition("://")[2] == request.host

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        role = self.roles.get(request.match_info["role"])
        if role is None:
            raise web.HTTPNotFound()
        if not self._same_origin(request) or not self._logged_in(request, role):
            log.info("%s: refused a WebSocket (%s)", _peer(request), "origin" if self._logged_in(request, role)
                     else "not logged in")
            raise web.HTTPForbidden()
        websocket = web.WebSocketResponse(heartbeat=30, max_msg_size=_MAX_MESSAGE_BYTES)
        await websocket.prepare(request)
        session = WebSession(self, websocket, _peer(request), role.name)
        await session.run(_int(request.query.get("width"), 80, 1, 10_000), _int(request.query.get("height"), 24, 1, 10_000))
        return websocket


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _peer(request: web.Request) -> str:
    peername = request.transport.get_extra_info("peername") if request.transport else None
    return f"{peername[0]}:{peername[1]}" if peername else (request.remote or "?")


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text or ""), low), high)
    except ValueError:
        return default
