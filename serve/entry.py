"""What app a server gives its visitors, as the caller describes it.

The servers know nothing else of the app: not its module names, not its options. The
caller (`whatif.main`, the one entry point) hands them an `AppEntry`; a server starts
`argv` for each visitor, or, when it runs a preloader, imports `preload` once in that
preloader and calls `function` in a fork of it for each visitor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AppEntry:
    """The app started for every visitor.

    command: the program, e.g. (sys.executable, "-m", "pkg.main").
    args: what every visitor's app is started with (added to the command).
    function: the same program as "module:function", called as `function(list(args))`
        (it returns an exit status or None); None: the app is only ever started as `argv`.
    preload: modules the preloader imports before any visitor comes (the entry's module is
        imported too); the app's own packages among them are compiled to bytecode first.
    environment: variables every app process gets (and the preloader, before it imports).
    """

    command: tuple[str, ...]
    args: tuple[str, ...] = ()
    function: str | None = None
    preload: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.command:
            raise ValueError("AppEntry needs a command")
        if self.function is not None and not _is_function_spec(self.function):
            raise ValueError(f"AppEntry.function must be 'module:function', not {self.function!r}")

    @property
    def argv(self) -> list[str]:
        """The command line that starts one visitor's app as a process of its own."""
        return [*self.command, *self.args]

    def with_more_args(self, *args: str) -> AppEntry:
        """The same app, started with `args` after its own."""
        return dataclasses.replace(self, args=(*self.args, *args))


def _is_function_spec(spec: str) -> bool:
    module, colon, name = spec.partition(":")
    return bool(colon) and all(part.isidentifier() for part in (*module.split("."), name))
