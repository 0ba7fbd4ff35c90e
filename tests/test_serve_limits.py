"""The demo limits both servers share (serve/limits.py): seats, idle timeout, password."""

from __future__ import annotations

import asyncio
import time

from whatif.serve.limits import Seats, idle_expired, password_matches


def test_seats_are_given_up_to_the_capacity_and_back():
    seats: Seats[str] = Seats(2)
    assert seats.claim("a") and seats.claim("b")
    assert not seats.claim("c")
    assert list(seats) == ["a", "b"] and len(seats) == 2
    seats.release("a")
    seats.release("a")  # twice is harmless
    assert seats.claim("c") and seats.holders == ["b", "c"]


def test_the_password_must_be_set_and_equal():
    assert password_matches("s3cret", "s3cret")
    assert not password_matches("s3cret", "s3cre")
    assert not password_matches(None, "") and not password_matches("", "")


async def test_idle_expiry_follows_the_last_input_and_never_comes_when_disabled():
    last = [time.monotonic()]
    waiter = asyncio.ensure_future(idle_expired(lambda: last[0], 0.3))
    await asyncio.sleep(0.2)
    last[0] = time.monotonic()  # input: the deadline moves
    await asyncio.sleep(0.2)
    assert not waiter.done()
    await asyncio.wait_for(waiter, 1)
    never = asyncio.ensure_future(idle_expired(lambda: 0.0, 0))
    await asyncio.sleep(0.1)
    assert not never.done()
    never.cancel()


def test_a_seat_beyond_capacity_is_not_counted_against_the_others():
    seats: Seats[str] = Seats(1)
    assert seats.claim("presenter", beyond_capacity=True)
    assert seats.claim("first") and not seats.claim("second")
    seats.release("presenter")
    assert not seats.claim("second")  # still one seat, taken by "first"
    seats.release("first")
    assert seats.claim("second") and seats.holders == ["second"]
