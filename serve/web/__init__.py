"""`whatif serve-web`: the app in a browser, every visitor with their own app process.

Modules, outermost first:
- `cli`: the command line (options, checks, logging), then runs the server;
- `server`: aiohttp (pages, login, static files, the WebSocket), seats, and each session's
  lifetime (idle timeout, shutdown, crash isolation);
- `session`: one visitor's app, started by textual-serve's `AppService` under the demo rule;
- `page`: the HTML the server sends (the app page, login, full); nothing from elsewhere.
The terminal in the page is textual-serve's (its textual.js, xterm.css and fonts, served
from its package folder), and the app talks to it through Textual's WebDriver over pipes.
The demo rule and limits are shared with serve-ssh (serve/demo.py, serve/limits.py).
"""
