"""What a connection may cost the server before its app starts: the lobby and the password throttle.

A seat (server.DemoServer.sessions) is taken only when a visitor's app starts. Until
then a connection waits in the *lobby*: TCP accepted, logging in, or logged in and about
to open its session. The lobby has a capacity of its own, separate from the seats, and a
limit per address, so silent sockets or logged-in connections that never open a session
(`ssh -N`) cannot lock visitors out: when the lobby is full, a newcomer takes the place
of the oldest waiting connection of the address that holds the most places (a real
visitor passes through the lobby in a fraction of a second; a flood from a few addresses
only displaces itself). The server gives each lobby connection deadlines (login, then
opening the session); see server.py.

Wrong passwords: every attempt from an address waits its turn, spaced by a delay that
doubles with the address's recent failures (across connections, so reconnecting does
not reset it), and a connection gets a few attempts only. The wait comes before the
password is checked, so its length says nothing about whether it was right.

Addresses are IPv4 addresses, or IPv6 /64 prefixes (one host usually owns a whole /64).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def address_key(host: str) -> str:
    """The address a limit counts by: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by /64."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


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


class AuthThrottle:
    """Per-address pacing of password attempts.

    An address with n recent failures (within `memory_s`) has its attempts spaced by
    `base_s * 2**(n-1)`, at most `max_s`; with none they are not delayed. At most
    `max_addresses` addresses are remembered (the oldest forgotten first).
    """

    def __init__(self, base_s: float = 0.5, max_s: float = 8.0, memory_s: float = 600.0,
                 max_addresses: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.base_s, self.max_s, self.memory_s = base_s, max_s, memory_s
        self.max_addresses = max_addresses
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._next_turn: dict[str, float] = {}

    def failures(self, key: str) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        horizon = self._clock() - self.memory_s
        while times and times[0] < horizon:
            times.popleft()
        if not times:
            del self._failures[key]
            self._next_turn.pop(key, None)
            return 0
        return len(times)

    def spacing_s(self, key: str) -> float:
        """How far apart this address's attempts are now."""
        failures = self.failures(key)
        return 0.0 if failures == 0 else min(self.base_s * 2 ** (failures - 1), self.max_s)

    def reserve(self, key: str) -> float:
        """Book the address's next turn; the seconds to wait for it."""
        spacing_s = self.spacing_s(key)
        if spacing_s == 0:
            return 0.0
        now = self._clock()
        turn = max(now, self._next_turn.get(key, now))
        self._next_turn[key] = turn + spacing_s
        return turn - now

    async def wait_turn(self, key: str) -> None:
        delay_s = self.reserve(key)
        if delay_s > 0:
            await asyncio.sleep(delay_s)

    def record_failure(self, key: str) -> None:
        times = self._failures.pop(key, None) or deque()
        times.append(self._clock())
        self._failures[key] = times  # re-inserted: most recently failed last
        while len(self._failures) > self.max_addresses:
            forgotten = next(iter(self._failures))
            del self._failures[forgotten]
            self._next_turn.pop(forgotten, None)
        # The next turn is spaced from now by the new (doubled) delay.
        self._next_turn[key] = max(self._next_turn.get(key, 0.0), self._clock() + self.spacing_s(key))
