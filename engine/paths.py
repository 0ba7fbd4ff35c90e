"""Where the user's whatif files are: the config file, the older chip file, the state folder.

Kept apart from engine.settings (which validates config.toml with pydantic) so that a
process that only needs a path, such as `whatif eval` looking up its start-up cache
(engine.prepared), imports no pydantic. engine.settings re-exports every name here.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

APP_NAME = "whatif"
CONFIG_ENV = "WHATIF_CONFIG"
USER_CHIPS_ENV = "WHATIF_CHIPS"
# Set by the servers for every visitor: the app writes only inside the session folder.
DEMO_ENV = "WHATIF_DEMO"


def config_dir() -> Path:
    """The platform's folder for the user's whatif files (Linux: $XDG_CONFIG_HOME/whatif)."""
    return _config_dir(*(os.environ.get(name) for name in _DIR_ENV))


# What platformdirs reads to place the folder (XDG on Linux, the home folder elsewhere):
# config_dir() is asked on every resolve() (the catalog's user files), and platformdirs
# takes ~50 us to answer, so the answer is remembered for the environment it came from.
_DIR_ENV = ("XDG_CONFIG_HOME", "HOME", "USERPROFILE", "APPDATA")


@functools.lru_cache(maxsize=8)
def _config_dir(*_env: str | None) -> Path:
    import platformdirs  # ~3 ms: only when a user path is needed, not at engine import

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """The platform's folder for files the app keeps for itself (Linux: ~/.local/state/whatif)."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def host_key_path() -> Path:
    """Where `whatif serve-ssh` keeps its host key unless told otherwise (--host-key)."""
    return config_dir() / "ssh_host_ed25519_key"


def config_path() -> Path:
    return _user_file(os.environ.get(CONFIG_ENV), "config.toml", *(os.environ.get(name) for name in _DIR_ENV))


def user_chips_path() -> Path:
    return _user_file(os.environ.get(USER_CHIPS_ENV), "chips.toml", *(os.environ.get(name) for name in _DIR_ENV))


@functools.lru_cache(maxsize=16)
def _user_file(env: str | None, name: str, *dir_env: str | None) -> Path:
    """Remembered for the environment it came from, as _config_dir: both paths are asked on
    every resolve() and building them with pathlib took a third of it."""
    return Path(env).expanduser() if env else _config_dir(*dir_env) / name


def mtime(path: Path | str) -> float:
    """The file's mtime in ns, or -1 if it does not exist (cache keys: files may change)."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1
