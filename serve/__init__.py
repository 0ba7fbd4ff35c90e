"""Servers that give visitors their own copy of an app: `whatif serve-ssh` (`ssh/`) and
`whatif serve-web` (`web/`, in a browser).

A front-end of its own: it never imports the app's modules. The caller (`whatif.main`)
gives it the app as an `AppEntry` (entry.py): the command to start for each visitor and,
for a preloader, the same app as a function plus the modules worth importing first. What
every front-end shares is the demo rule (demo.py): demo mode, and a folder per session
that is the app's HOME and holds everything it writes; the limits (limits.py): seats,
idle timeout, the password check; the preloader (ssh/preload.py, which takes a PTY
or pipes); and presenter mode's relay (relay.py): one presenter's app publishes its state,
every other visitor's app follows it, whichever server started them.
"""
