"""Atomic file writes: a temp file in the same folder, fsync, then rename (or link).

- Readers see the old file or the new one, never half of one; a crash leaves at most a
  temp file, which the next write to the same file (and `remove_stale_temp_files` for a
  folder) removes once its writer is gone.
- The target keeps its permission bits; a new file gets the usual 0666 less the umask.
- A symlink is written through: its target changes, the link stays a link.
- Without `overwrite`, creating the file is race-free: the temp file is hard-linked to the
  name, which fails if the name exists, so of two writers only one wins.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from pathlib import Path

from whatif.engine.errors import WhatifError

TEMP_SUFFIX = ".tmp"
# A temp file whose writer's pid is not alive is stale at once; any is stale after this long
# (a pid from another machine on a shared folder, or a reused pid).
STALE_AFTER_S = 24 * 3600.0


def write_atomic(path: str | Path, text: str, *, overwrite: bool = False, exists_hint: str = "",
                 mode: int | None = None) -> Path:
    """Write `text` to `path` (returned as given). Raises WhatifError if the file exists and
    `overwrite` is False (`exists_hint` says how to replace it, e.g. the CLI's --force).
    `mode`: the permission bits; default the replaced file's, or 0666 less the umask."""
    path = Path(path)
    try:
        return _write(path, text, overwrite, exists_hint, mode)
    except OSError as exc:
        raise WhatifError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None


def _write(path: Path, text: str, overwrite: bool, exists_hint: str, mode: int | None) -> Path:
    target = Path(os.path.realpath(path))  # through symlinks: the link itself is kept
    if not overwrite and os.path.lexists(target):
        _exists(path, exists_hint)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target.parent, target.name)
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{_owner(target.name)}.{os.getpid()}.", suffix=TEMP_SUFFIX,
                               dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            _create(tmp, target, path, exists_hint)
        _fsync_folder(target.parent)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _create(tmp: str, target: Path, path: Path, exists_hint: str) -> None:
    """Give the temp file the name `target` only if no file has it (one writer wins)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        _exists(path, exists_hint)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        # No hard links here (some network and FAT file systems): claim the name, then rename.
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            _exists(path, exists_hint)
        os.replace(tmp, target)


def _exists(path: Path, exists_hint: str) -> None:
    hint = f" ({exists_hint})" if exists_hint else ""
    raise WhatifError(f"file exists; not overwritten{hint}", path=str(path))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every platform opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_UMASK: int | None = None


def _umask() -> int:
    """The process umask (read once: setting it to read it is not thread-safe)."""
    global _UMASK
    if _UMASK is None:
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                line = next(line for line in status if line.startswith("Umask:"))
            _UMASK = int(line.split()[1], 8)
        except (OSError, StopIteration, ValueError, IndexError):
            _UMASK = os.umask(0o022)
            os.umask(_UMASK)
    return _UMASK


def remove_stale_temp_files(folder: str | Path, name: str | None = None) -> int:
    """Remove this writer's temp files in `folder` (only those for `name` if given) whose
    writing process is gone, or that are older than a day. Returns how many were removed;
    never raises (a folder we cannot list has nothing to clean)."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return 0
    removed = 0
    now = time.time()
    for entry in entries:
        pid = _temp_writer(entry, name)
        if pid is None or pid == os.getpid():
            continue
        full = os.path.join(folder, entry)
        try:
            info = os.lstat(full)
            if not stat.S_ISREG(info.st_mode):
                continue
            if _alive(pid) and now - info.st_mtime < STALE_AFTER_S:
                continue
            os.unlink(full)
            removed += 1
        except OSError:
            continue
    return removed


def _temp_writer(entry: str, name: str | None) -> int | None:
    """The pid in '.NAME.PID.XXXXXXXX.tmp' (for `name`, if given), else None. Older temp
    files without a pid ('.NAME.XXXXXXXX.tmp') count as pid 0: stale after a day."""
    if not (entry.startswith(".") and entry.endswith(TEMP_SUFFIX)):
        return None
    stem = entry[1:-len(TEMP_SUFFIX)]
    base, _, random_part = stem.rpartition(".")
    if not base or len(random_part) != 8:
        return None
    owner, _, pid_text = base.rpartition(".")
    if owner and pid_text.isdigit():
        return int(pid_text) if name is None or owner == _owner(name) else None
    return 0 if name is None or base == _owner(name) else None


def _owner(name: str) -> str:
    """The target's name as its temp files carry it: at most 200 bytes, so that the temp
    name stays within the usual 255-byte limit."""
    return name.encode()[:200].decode(errors="ignore")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True  # unknown writer: only age makes it stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True
