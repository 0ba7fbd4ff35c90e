"""The HTML the web server sends: the app page, the login form, a notice.

Everything a page loads comes from this server: textual-serve's terminal script and
stylesheet and its Roboto Mono fonts under /static/ (its own page template links a font
stylesheet on fonts.googleapis.com, which an offline or firewalled host cannot reach, and
the page then waits for it). No page has a script or style from elsewhere.
"""

from __future__ import annotations

from html import escape
from string import Template

STATIC_PATH = "/static/"
_FONT = f"{STATIC_PATH}fonts/RobotoMono-VariableFont_wght.ttf"
_FONT_ITALIC = f"{STATIC_PATH}fonts/RobotoMono-Italic-VariableFont_wght.ttf"

_STYLE = Template("""
@font-face { font-family: "Roboto Mono"; src: url("$font") format("truetype");
             font-weight: 100 700; font-display: block; }
@font-face { font-family: "Roboto Mono"; font-style: italic; src: url("$font_italic") format("truetype");
             font-weight: 100 700; font-display: block; }
html, body { margin: 0; height: 100%; background: #0c181f; color: #e4ecf0;
             font: 16px/1.5 "Roboto Mono", Menlo, monospace; }
.notice { position: fixed; inset: 0; display: flex; align-items: center; justify-content: center;
          text-align: center; padding: 2em; }
a, button { color: #e4ecf0; }
form { display: flex; flex-direction: column; gap: 0.8em; min-width: 18em; }
input, button { font: inherit; padding: 0.4em 0.6em; border-radius: 4px; border: 1px solid #4b6675;
                background: #12232d; color: #e4ecf0; }
.error { color: #ff9b8a; }
""").substitute(font=_FONT, font_italic=_FONT_ITALIC)

_APP = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="preload" href="$font" as="font" type="font/ttf" crossorigin>
<link rel="stylesheet" href="${static}css/xterm.css">
<style>$style
.textual-terminal { width: 100vw; height: 100vh; opacity: 0; }
body.-first-byte .textual-terminal { opacity: 1; }
body.-first-byte #starting { display: none; }
#ended { display: none; inset: auto 0 0 0; padding: 0.8em; background: #12232d; border-top: 1px solid #4b6675; }
body.-closed #ended { display: flex; }
</style>
</head>
<body>
<div id="starting" class="notice">Starting your $title app&hellip;</div>
<div id="terminal" class="textual-terminal" data-font-size="$font_size"></div>
<div id="ended" class="notice"><div>This session has ended. <a href="">Start a fresh one</a></div></div>
<script>
// textual.js opens the WebSocket this attribute names; it is built from the page's own
// address so that a proxy in front of the server (another host, port or https) just works.
document.getElementById("terminal").dataset.sessionWebsocketUrl =
  (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "$websocket_path";
</script>
<script src="${static}js/textual.js"></script>
</body>
</html>
""")

_NOTICE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$style</style>
</head>
<body><div class="notice"><div>$body</div></div></body>
</html>
""")


def app_page(title: str, websocket_path: str, font_size: int = 16) -> str:
    """The page with the terminal; its script connects to `websocket_path` on this server."""
    return _APP.substitute(title=escape(title), font=_FONT, static=STATIC_PATH, style=_STYLE,
                           font_size=int(font_size), websocket_path=escape(websocket_path, quote=True))


def login_page(title: str, action: str, error: str | None = None) -> str:
    """The shared-password form, posting to `action`."""
    problem = f'<p class="error">{escape(error)}</p>' if error else ""
    body = (f"<form method=\"post\" action=\"{escape(action, quote=True)}\">"
            f"<p>The {escape(title)} demo asks for a password.</p>{problem}"
            "<input type=\"password\" name=\"password\" autofocus autocomplete=\"current-password\" "
            "aria-label=\"password\"><button type=\"submit\">Open the app</button></form>")
    return _NOTICE.substitute(title=escape(title), style=_STYLE, body=body)


def notice_page(title: str, message: str) -> str:
    """A page with one message and a link to try again."""
    body = f"<p>{escape(message)}</p><p><a href=\"\">Try again</a></p>"
    return _NOTICE.substitute(title=escape(title), style=_STYLE, body=body)
