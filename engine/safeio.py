"""Reading the user's TOML files safely: bounded in time and memory, one-line errors.

`read_user_text(path)` opens without blocking (a FIFO or a device is refused at once, not
read forever), accepts regular files only and at most `MAX_FILE_BYTES`. `loads_toml(text,
origin)` turns every way tomllib can fail on hostile input (bad syntax, nesting deep enough
to exhaust the stack, an integer too long to convert) into a WhatifError naming the file,
and refuses nesting deeper than `MAX_DEPTH` (so no later step recurses into it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from whatif.engine.errors import WhatifError

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32  # tables and arrays inside one another; real presets use 3


def read_user_text(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at `path`. Raises WhatifError naming the file for
    a missing file, a folder, FIFO or device, a file over `limit` bytes, or non-UTF-8."""
    where = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise WhatifError("no such file", path=where) from None
    except OSError as exc:
        raise WhatifError(f"cannot read: {exc.strerror or exc}", path=where) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                    else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a socket")
            raise WhatifError(f"not a regular file ({kind}); allowed: a TOML file", path=where)
        if info.st_size > limit:
            raise WhatifError(f"file too large ({info.st_size:,} bytes); allowed: at most {limit:,}", path=where)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the size may change while we read: never read more than limit + 1
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise WhatifError(f"file too large (over {limit:,} bytes); allowed: at most {limit:,}", path=where)
    except OSError as exc:
        raise WhatifError(f"cannot read: {exc.strerror or exc}", path=where) from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise WhatifError("not a text file (expected UTF-8 TOML)", path=where) from None


def loads_toml(text: str, origin: str | None) -> dict[str, Any]:
    """tomllib.loads, with every failure a WhatifError naming `origin`; nesting is bounded."""
    import tomllib  # ~4 ms: not for a preset whose parsed form is cached (engine.prepared)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WhatifError(f"not valid TOML: {exc}", path=origin) from None
    except RecursionError:
        raise WhatifError(f"nested too deeply; allowed: at most {MAX_DEPTH} levels of tables and arrays",
                          path=origin) from None
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() (4300) digits
        raise WhatifError("an integer is too long (over 4300 digits); allowed: numbers such as 25000 or 2.1e25",
                          path=origin) from None
    check_depth(data, origin)
    return data


def check_depth(data: Any, origin: str | None, limit: int = MAX_DEPTH) -> None:
    """WhatifError if tables and arrays nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise WhatifError(f"nested too deeply; allowed: at most {limit} levels of tables and arrays",
                              path=origin)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
