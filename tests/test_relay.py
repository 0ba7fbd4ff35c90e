"""The presenter relay (serve/relay.py) with raw socket clients: who may publish, who gets what, when."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from whatif.engine.presenter import (MAX_MESSAGE_BYTES, RELAY_ROLE_ENV, RELAY_SOCKET_ENV, RELAY_TOKEN_ENV,
                                     PresenterState, decode, encode)
from whatif.engine.presets import load_preset, preset_to_dict
from whatif.serve.relay import running_relay

TIMEOUT_S = 5.0


class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, env: dict[str, str], *, hello: bool = True, read_limit: int = MAX_MESSAGE_BYTES) -> Client:
        reader, writer = await asyncio.open_unix_connection(env[RELAY_SOCKET_ENV], limit=read_limit)
        client = cls(reader, writer)
        if hello:
            client.send({"type": "hello", "token": env[RELAY_TOKEN_ENV]})
        return client

    def send(self, message: dict) -> None:
        self.writer.write(encode(message))

    async def next(self, kind: str | None = None) -> dict:
        """The next message (of `kind`, skipping others)."""
        while True:
            line = await asyncio.wait_for(self.reader.readline(), TIMEOUT_S)
            assert line, "the relay closed the connection"
            message = decode(line)
            if kind is None or message["type"] == kind:
                return message

    async def closed(self) -> bool:
        try:
            while await asyncio.wait_for(self.reader.readline(), TIMEOUT_S):
                pass
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        self.writer.close()


def _state(count: int) -> dict:
    scenario = load_preset("presets/default.toml").with_values({"cluster.count": count})
    return PresenterState(scenario).to_wire()


@pytest.fixture
def in_root(in_repo_root):
    return None


async def test_the_socket_is_private_and_the_env_names_the_role(in_root):
    async with running_relay("Ada") as relay:
        env = relay.child_env("follower")
        assert env[RELAY_ROLE_ENV] == "follower" and env["WHATIF_PRESENTER_NAME"] == "Ada"
        assert stat.S_IMODE(os.stat(relay.socket_path.parent).st_mode) == 0o700
        assert env[RELAY_TOKEN_ENV] != relay.child_env("follower")[RELAY_TOKEN_ENV]
        with pytest.raises(ValueError, match="role must be one of"):
            relay.child_env("admin")  # type: ignore[arg-type]


async def test_followers_get_each_state_and_a_late_one_the_latest_at_once(in_root):
    async with running_relay() as relay:
        presenter = await Client.connect(relay.child_env("presenter"))
        early = await Client.connect(relay.child_env("follower"))
        assert (await early.next("presenter"))["present"] is True
        presenter.send({"type": "state", "state": _state(100)})
        assert (await early.next("state"))["state"]["scenario"]["cluster"]["count"] == 100
        presenter.send({"type": "state", "state": _state(200)})
        assert (await early.next("state"))["state"]["scenario"]["cluster"]["count"] == 200

        late = await Client.connect(relay.child_env("follower"))
        message = await late.next("state")
        assert message["state"]["scenario"]["cluster"]["count"] == 200
        assert PresenterState.from_wire(message["state"]).scenario.cluster.count == 200
        while (await presenter.next("followers"))["count"] != 2:
            pass
        for client in (presenter, early, late):
            client.close()


async def test_a_follower_cannot_publish_and_a_bad_token_gets_nothing(in_root):
    async with running_relay() as relay:
        presenter = await Client.connect(relay.child_env("presenter"))
        presenter.send({"type": "state", "state": _state(100)})
        follower = await Client.connect(relay.child_env("follower"))
        other = await Client.connect(relay.child_env("follower"))
        await other.next("state")
        follower.send({"type": "state", "state": _state(999)})
        follower.send({"type": "hello", "token": "whatever"})
        presenter.send({"type": "state", "state": _state(300)})  # ordered after the follower's try
        assert (await other.next("state"))["state"]["scenario"]["cluster"]["count"] == 300
        assert json.loads(relay.state_line)["state"]["scenario"]["cluster"]["count"] == 300

        stranger = await Client.connect({**relay.child_env("presenter"), RELAY_TOKEN_ENV: "guessed"})
        assert await stranger.closed()
        revoked_env = relay.child_env("presenter")
        relay.revoke(revoked_env)
        assert await (await Client.connect(revoked_env)).closed()
        second = await Client.connect(relay.child_env("presenter"))  # one presenter at a time
        assert (await second.next())["type"] == "refused"
        assert relay.states_received == 2
        for client in (presenter, follower, other):
            client.close()


async def test_followers_are_told_when_the_presenter_leaves_and_comes_back(in_root):
    async with running_relay() as relay:
        presenter_env = relay.child_env("presenter")
        presenter = await Client.connect(presenter_env)
        presenter.send({"type": "state", "state": _state(100)})
        follower = await Client.connect(relay.child_env("follower"))
        await follower.next("state")
        presenter.close()
        assert (await follower.next("presenter"))["present"] is False
        assert relay.state_line is not None  # the last state stays for late joiners
        again = await Client.connect(presenter_env)
        assert (await follower.next("presenter"))["present"] is True
        again.close()
        follower.close()


async def test_a_slow_follower_holds_up_nobody_and_catches_up_with_the_latest(in_root):
    """A follower that reads nothing fills its socket; the presenter and another follower
    go on, and once it reads it gets the latest state, not every one it missed."""
    async with running_relay() as relay:
        presenter = await Client.connect(relay.child_env("presenter"))
        stuck = await Client.connect(relay.child_env("follower"), read_limit=MAX_MESSAGE_BYTES)
        quick = await Client.connect(relay.child_env("follower"))
        await quick.next("presenter")
        big = _state(1)
        big["scenario"]["description"] = "x" * 200_000  # a few of these fill the socket buffers
        for count in range(1, 61):
            big["scenario"]["cluster"]["count"] = count
            presenter.send({"type": "state", "state": big})
            await presenter.writer.drain()
            assert (await quick.next("state"))["state"]["scenario"]["cluster"]["count"] == count
        counts = []
        while not counts or counts[-1] != 60:
            counts.append((await stuck.next("state"))["state"]["scenario"]["cluster"]["count"])
        assert len(counts) < 60, "the slow follower got every state instead of the latest"
        for client in (presenter, stuck, quick):
            client.close()


async def test_a_line_over_the_limit_disconnects_its_sender(in_root):
    async with running_relay() as relay:
        presenter = await Client.connect(relay.child_env("presenter"))
        presenter.writer.write(b"{" + b" " * (MAX_MESSAGE_BYTES + 10))
        assert await presenter.closed()
        assert not relay.presenter_connected


def test_a_states_p10_p90_bands_travel_and_bad_ones_are_dropped():
    scenario = load_preset("presets/default.toml")
    bands = {"training_days": (70.5, 80.0, 91.25, 79.0), "cost_usd": (1e8, 1.2e8, 1.5e8, 1.1e8)}
    wire = json.loads(json.dumps(PresenterState(scenario, bands=bands).to_wire()))
    assert PresenterState.from_wire(wire).bands == bands
    for bad in ({"training_days": [1, 2, 3]}, {"training_days": [1, 2, 3, "4"]}, {"training_days": [1, 2, 3, True]},
                {"x" * 100: [1, 2, 3, 4]}, [[1, 2, 3, 4]], {}, {f"o{i}": [1, 2, 3, 4] for i in range(17)}):
        wire["bands"] = bad
        assert PresenterState.from_wire(wire).bands is None  # the follower samples its own
    wire["bands"] = {"training_days": [1, 2, float("nan"), 4]}
    assert PresenterState.from_wire(wire).bands is None
