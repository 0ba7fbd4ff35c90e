"""The `whatif` console script: the app, the SSH or web server, or a headless command.

Kept import-light: `whatif --help`, `--version` and the headless commands never import
Textual. This module only dispatches; every command parses its own arguments.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from whatif.serve.entry import AppEntry


ENVIRONMENT_DEFAULTS = {
    # The engine's arrays are element-wise: no BLAS call ever runs multi-threaded, but
    # OpenBLAS starts a thread per core when numpy is imported, ~90 ms of CPU per start
    # (and per SSH visitor).
    "OPENBLAS_NUM_THREADS": "1",
    # pydantic scans every installed package's entry points for plugins before its first
    # validation (~5 ms per start); whatif uses none.
    "PYDANTIC_DISABLE_PLUGINS": "1",
    # Textual draws at most MAX_FPS frames a second. A keystroke first draws the typed
    # character, then the new results; at 60 fps the second frame waited up to 17 ms for its
    # slot, a third of key-to-result. Frames are drawn only when something changed.
    "TEXTUAL_FPS": "120",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for name, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)  # a value the user set wins
    from whatif.cli.main import EXIT_ERROR, write_stdout

    try:
        code = _dispatch(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else EXIT_ERROR
    except KeyboardInterrupt:  # ctrl+c during a long command: the shell's convention, no traceback
        code = 128 + 2
    # Help text, or output buffered by a command that returned: a full disk or a closed
    # pipe is reported (or ignored) here, not as a traceback at exit.
    return write_stdout("", code)


def _dispatch(argv: list[str]) -> int:
    from whatif.cli.main import COMMANDS
    from whatif.toplevel import TOP_OPTIONS, unknown_first_argument

    if argv and argv[0] in TOP_OPTIONS:
        from whatif.toplevel import main as toplevel_main
        return toplevel_main(argv)
    if argv and argv[0] in COMMANDS:
        from whatif.cli.main import main as cli_main
        return cli_main(argv)
    if argv and argv[0] == "serve-ssh":
        from whatif.serve.ssh.cli import main as serve_main
        return serve_main(argv[1:], visitor_app())
    if argv and argv[0] == "serve-web":
        from whatif.serve.web.cli import main as serve_web_main
        return serve_web_main(argv[1:], visitor_app())
    problem = unknown_first_argument(argv[0]) if argv else None
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from whatif.tui.launch import launch
    return launch(argv)


def visitor_app() -> AppEntry:
    """The app a server gives each visitor: this entry point (a fresh `python -m whatif.main`,
    or `main` in a fork of a process that imported what opening the app imports)."""
    from whatif.serve.entry import AppEntry
    from whatif.tui.launch import PRELOAD_MODULES

    return AppEntry(command=(sys.executable, "-m", __spec__.name), function=f"{__spec__.name}:main",
                    preload=("whatif.cli.main", *PRELOAD_MODULES),
                    environment={name: os.environ.get(name, value) for name, value in ENVIRONMENT_DEFAULTS.items()})


if __name__ == "__main__":
    sys.exit(main())
