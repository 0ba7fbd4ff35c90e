"""The `whatif` console script: the app, the SSH server, or a headless command.

Kept import-light: `whatif --help` and the headless commands never import Textual.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The engine's arrays are element-wise: no BLAS call ever runs multi-threaded, but
    # OpenBLAS starts a thread per core when numpy is imported, ~90 ms of CPU per start
    # (and per SSH visitor). A value the user set wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # pydantic scans every installed package's entry points for plugins before its first
    # validation (~5 ms per start); whatif uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    # Textual draws at most MAX_FPS frames a second. A keystroke first draws the typed
    # character, then the new results; at 60 fps the second frame waited up to 17 ms for its
    # slot, a third of key-to-result. Frames are drawn only when something changed.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from whatif.cli.main import COMMANDS

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        from whatif.cli.main import main as cli_main
        return cli_main(argv)
    if argv and argv[0] == "serve-ssh":
        from whatif.serve.ssh.cli import main as serve_main
        return serve_main(argv[1:])
    from whatif.tui.launch import launch
    return launch(argv)


if __name__ == "__main__":
    sys.exit(main())
