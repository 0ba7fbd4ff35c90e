"""`whatif serve-ssh`: an SSH server that gives every visitor their own app process.

Modules: `gate` (what of the app's output reaches the visitor), `child` (the app process
on its own PTY), `session` (one SSH channel <-> one app), `server` (asyncssh server,
host key, authentication, limits). The command line lives in `tui.ssh_server`.
Nothing here imports Textual: the app runs in a child process.
"""
