"""The demo limits every server front-end applies (SSH and web), whatever its transport.

- Seats: at most `max_sessions` visitors have an app at once; a seat is taken when the
  app starts and given back when its session ends.
- Idle timeout: a session ends after so long without input from its visitor.
- Shared password: checked in constant time; wrong ones are paced per address: every
  attempt from an address waits its turn, spaced by a delay that doubles with the
  address's recent failures (across connections, so reconnecting does not reset it). The
  wait comes before the password is checked, so its length says nothing about whether it
  was right.
- Terminal sizes are clamped (`clamp_terminal_size`).
- Exposure: listening beyond loopback is allowed, but never silently (`is_loopback`).

Addresses are IPv4 addresses, or IPv6 /64 prefixes (one host usually owns a whole /64).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Terminal sizes outside these bounds are clamped: 0x0 (a client without a terminal size)
# would give the app no room, and absurd sizes cost CPU and bandwidth (a 1000x400 first
# screen was 2.2 MB and 20 s of one core); 400x150 is a 4K screen in a small font.
DEFAULT_COLUMNS, DEFAULT_ROWS = 80, 24
MAX_COLUMNS, MAX_ROWS = 400, 150


def clamp_terminal_size(columns: int, rows: int) -> tuple[int, int]:
    """A visitor's terminal size within the bounds; the default for 0 or less."""
    return (min(columns, MAX_COLUMNS) if columns > 0 else DEFAULT_COLUMNS,
            min(rows, MAX_ROWS) if rows > 0 else DEFAULT_ROWS)


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


def password_matches(expected: str | None, given: str) -> bool:
    """The shared password, compared in constant time; no password set matches nothing."""
    return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())


class Seats(Generic[T]):
    """The sessions that have an app, at most `capacity` of them, oldest first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.holders: list[T] = []
        self._beyond: list[T] = []  # holders of seats kept for them, not counted (the presenter's)

    def __len__(self) -> int:
        return len(self.holders)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self.holders))

    def claim(self, holder: T, *, beyond_capacity: bool = False) -> bool:
        """Take a seat for `holder`; False when all are taken. `beyond_capacity`: a seat kept
        for it that the capacity does not count (presenter mode's presenter)."""
        if beyond_capacity:
            self._beyond.append(holder)
        elif len(self.holders) - len(self._beyond) >= self.capacity:
            return False
        self.holders.append(holder)
        return True

    def release(self, holder: T) -> None:
        if holder in self.holders:
            self.holders.remove(holder)
        if holder in self._beyond:
            self._beyond.remove(holder)


async def idle_expired(last_input_s: Callable[[], float], timeout_s: float) -> None:
    """Return once `timeout_s` have passed since `last_input_s()` (time.monotonic);
    never when `timeout_s` is 0 or less."""
    if timeout_s <= 0:
        await asyncio.Event().wait()
    while (remaining_s := last_input_s() + timeout_s - time.monotonic()) > 0:
        await asyncio.sleep(remaining_s)


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
