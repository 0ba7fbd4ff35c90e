"""What an SSH connection may cost the server before its app starts: the lobby.

A seat (server.DemoServer.sessions) is taken only when a visitor's app starts. Until
then a connection waits in the *lobby*: TCP accepted, logging in, or logged in and about
to open its session. The lobby has a capacity of its own, separate from the seats, and a
limit per address, so silent sockets or logged-in connections that never open a session
(`ssh -N`) cannot lock visitors out: when the lobby is full, a newcomer takes the place
of the oldest waiting connection of the address that holds the most places (a real
visitor passes through the lobby in a fraction of a second; a flood from a few addresses
only displaces itself). The server gives each lobby connection deadlines (login, then
opening the session); see server.py.

Addresses are counted as serve/limits.address_key says (IPv4, or IPv6 /64); the password
throttle and the seats are shared with the web server (serve/limits.py).
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Lobby(Generic[T]):
    """Connections without an app yet, oldest first, counted per address."""

    def __init__(self, capacity: int, per_address: int) -> None:
        self.capacity = capacity
        self.per_address = per_address
        self._waiting: dict[T, str] = {}  # insertion order = age
        self._counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def __contains__(self, item: object) -> bool:
        return item in self._waiting

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)

    def admit(self, item: T, key: str) -> tuple[bool, T | None]:
        """Let `item` (from address `key`) in: (admitted, the connection it displaced or None).
        Refused when its address already holds `per_address` places."""
        if self.count(key) >= self.per_address:
            return False, None
        displaced = None
        if len(self._waiting) >= self.capacity:
            most = max(self._counts.values())
            displaced = next(other for other, other_key in self._waiting.items() if self._counts[other_key] == most)
            self.leave(displaced)
        self._waiting[item] = key
        self._counts[key] = self.count(key) + 1
        return True, displaced

    def leave(self, item: T) -> None:
        key = self._waiting.pop(item, None)
        if key is None:
            return
        self._counts[key] -= 1
        if not self._counts[key]:
            del self._counts[key]
