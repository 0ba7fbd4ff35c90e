"""Atomic file writes: a temp file in the same folder, fsync, then rename. Never clobbers
an existing file unless told to, and never leaves a half-written or temp file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from whatif.engine.errors import WhatifError


def write_atomic(path: str | Path, text: str, *, overwrite: bool = False, exists_hint: str = "",
                 mode: int | None = None) -> Path:
    """Write `text` to `path`. Raises WhatifError if the file exists and `overwrite` is False
    (`exists_hint` says how to replace it, e.g. the CLI's --force). `mode`: the new file's
    permission bits (e.g. the replaced file's); None leaves the temp file's 0600."""
    path = Path(path)
    if path.exists() and not overwrite:
        hint = f" ({exists_hint})" if exists_hint else ""
        raise WhatifError(f"file exists; not overwritten{hint}", path=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
