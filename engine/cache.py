"""A start-up cache of validated objects (the catalog, presets), in the user's cache folder.

Building pydantic's validators and parsing the TOML catalogs was most of what a `whatif`
process did before it could evaluate anything. The first run validates as usual and keeps
the result; later runs load it in well under a millisecond, and the models' validators are
only built (pydantic's defer_build) when something new must be validated.

An entry is found by a key made of everything its value depends on: whatif's version,
pydantic's (the stamp of its version file), the Python version, and the path, size and
modification time of every source file (the data files, the user's files, and the modules
that define the models), plus the bytes of a preset. Anything changed is a new key; an entry that cannot be read is
rebuilt. Nothing is cached in a demo session or when WHATIF_NO_CACHE=1. The folder is
`<user cache dir>/whatif` (Linux: $XDG_CACHE_HOME/whatif), or $WHATIF_CACHE_DIR, and holds at
most MAX_ENTRIES files; deleting it is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from whatif.engine.paths import DEMO_ENV

CACHE_ENV = "WHATIF_CACHE_DIR"
NO_CACHE_ENV = "WHATIF_NO_CACHE"
MAX_ENTRIES = 64
T = TypeVar("T")


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("whatif", appauthor=False))


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV) != "1" and os.environ.get(DEMO_ENV) != "1"


def _stamp(path: str) -> tuple[str, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return (path, info.st_size, info.st_mtime_ns)


def key(kind: str, sources: Iterable[str | Path], content: bytes = b"") -> str:
    # whatif's version: the parent package is always loaded before the engine, and the
    # engine imports nothing of ours above it.
    version = getattr(sys.modules.get("whatif"), "__version__", "")
    files = [*map(str, sources), _pydantic_version_file()]
    parts = (kind, version, sys.version_info[:3], sorted(_stamp(f) for f in files), hashlib.sha256(content).hexdigest())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


@functools.cache
def _pydantic_version_file() -> str:
    """pydantic's version.py, found without importing pydantic (~50 ms that a hit of plain
    data, engine.prepared, need not pay): an upgrade changes its size or mtime."""
    import importlib.util

    spec = importlib.util.find_spec("pydantic")
    origin = spec.origin if spec and spec.origin else ""
    return os.path.join(os.path.dirname(origin), "version.py")


def cached(kind: str, sources: Iterable[str | Path], build: Callable[[], T], content: bytes = b"") -> T:
    """`build()`, or its value from an earlier run with the same sources and content.
    Exceptions of `build` pass through and are never cached."""
    if not enabled():
        return build()
    entry = key(kind, sources, content)
    found = load(kind, entry)
    if found is not None:
        return found
    value = build()
    store(kind, entry, value)
    return value


def load(kind: str, entry: str) -> object | None:
    """The value stored under key `entry` (from `key(kind, ...)`), or None if there is none
    (or the cache is off)."""
    if not enabled():
        return None
    path = cache_dir() / f"{kind}-{entry}.pickle"
    try:
        with open(path, "rb") as handle:
            value = pickle.load(handle)
    except Exception:  # absent, unreadable or from an incompatible build: rebuild it
        return None
    try:
        os.utime(path)  # pruning removes the least recently used entries, not the oldest
    except OSError:
        pass
    return value


def store(kind: str, entry: str, value: object) -> None:
    """Keep `value` under key `entry` (nothing when the cache is off)."""
    if enabled():
        _store(cache_dir() / f"{kind}-{entry}.pickle", value)


def _store(path: Path, value: object) -> None:
    """Write atomically; a folder that cannot be written just means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(temp, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
        _prune(path.parent)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)


def module_files(*modules: str) -> list[str]:
    """The source files of `modules` (whose classes the cached objects are instances of)."""
    return [getattr(sys.modules[name], "__file__", "") or "" for name in modules]
