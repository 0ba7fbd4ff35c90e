"""`whatif serve-ssh`: an SSH server that gives every visitor their own app process.

Modules, outermost first:
- `cli`: the command line (options, checks, logging), then runs the server;
- `server`: asyncssh (host key, authentication, seats, which channels may open), and the preloader;
- `session`: one visitor, their SSH channel <-> their app, session folder, idle timeout and endings;
- `child`: the app process on its own PTY (forked by the preloader, or started on its own);
- `preload`: the process that imported the app once and forks visitors' apps;
- `gate`: which of the app's output reaches the visitor.
The app is given by the caller as an `AppEntry` (serve/entry.py); the demo rule (folders,
environment) is serve/demo.py. Nothing here imports Textual or the app: it runs in child
processes.
"""
