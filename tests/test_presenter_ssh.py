"""Presenter mode over SSH with two real OpenSSH clients, each on a terminal of its own:
the presenter logs in with its key and drives; a visitor follows, branches off, rejoins."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from fixtures.ssh_visitor import REAL_APP, Visitor
from test_ssh_openssh import SSH, TerminalWindow
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset
from whatif.engine.units import fmt
from whatif.serve.ssh.config import ServeConfig
from whatif.serve.ssh.server import DemoServer

pytestmark = pytest.mark.skipif(SSH is None, reason="OpenSSH client (ssh) is not installed")

F8 = b"\x1b[19~"
SHIFT_TAB = b"\x1b[Z"


def _argv(port: int, user: str, *extra: str) -> list[str]:
    return [SSH, "-F", "/dev/null", "-p", str(port), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            *extra, f"{user}@127.0.0.1"]


def days_text(count: int) -> str:
    result = evaluate(load_preset(default_preset_path()).with_values({"cluster.count": count}))
    return fmt("training_days", result["training_days"])


async def _go_to_count_field(window: TerminalWindow) -> None:
    """Command palette -> "Go to field: Chips", caret at the end (as a user would)."""
    window.send(b"\x10")
    await window.until_text("Search for commands")
    window.send(b"Go to field: Chips")
    await window.until_text("number of accelerators")  # the palette lists the field
    window.send(b"\r")
    await asyncio.sleep(0.5)
    window.send(b"\x05")  # ctrl+e: end of the text
    await asyncio.sleep(0.3)


@pytest.fixture
def presenter_key(tmp_path):
    key = asyncssh.generate_private_key("ssh-ed25519")
    private = tmp_path / "presenter_key"
    private.write_bytes(key.export_private_key())
    private.chmod(0o600)
    authorized = tmp_path / "presenter_authorized_keys"
    authorized.write_bytes(key.export_public_key())
    return private, authorized


async def test_two_openssh_clients_presenter_drives_follower_branches_and_rejoins(tmp_path, presenter_key):
    private, authorized = presenter_key
    server = DemoServer(ServeConfig(app=REAL_APP, host_key_path=tmp_path / "host_key", port=0,
                                    presenter_keys=authorized, presenter_name="Ada"))
    await server.start()
    presenter, follower = TerminalWindow(120, 36), TerminalWindow(100, 30)
    try:
        await presenter.start(_argv(server.port, "presenter", "-i", str(private), "-o", "IdentitiesOnly=yes"))
        await presenter.until_text("presenting as Ada", "16,384 x NVIDIA")
        await follower.start(_argv(server.port, "demo"))
        await follower.until_text("following Ada", "F8 branch off", "16,384 x NVIDIA")
        await presenter.until_text("to 1 follower")

        # The presenter types a count: the follower's screen shows the new training days.
        await _go_to_count_field(presenter)
        presenter.send(b"\x7f")  # 16384 -> 1638
        await presenter.until_text("1,638 x NVIDIA")
        await follower.until_text("1,638 x NVIDIA", days_text(1638))
        assert days_text(1638) != days_text(16384)

        # Typing while following is refused and says how to branch off.
        await _go_to_count_field(follower)
        follower.send(b"\x7f")
        await follower.until_text("press F8 to branch off")
        assert "1,638 x NVIDIA" in follower.screen.text()

        # Branched off, the follower edits its own copy; the presenter is unaffected.
        follower.send(F8)
        await follower.until_text("branched off from Ada")
        await _go_to_count_field(follower)
        follower.send(b"\x7f")  # 1638 -> 163
        await follower.until_text("163 x NVIDIA", days_text(163))
        await asyncio.sleep(1.0)
        assert "1,638 x NVIDIA" in presenter.screen.text() and "163 x NVIDIA" not in presenter.screen.text()

        presenter.send(b"2")  # 1638 -> 16382, while the follower is away
        await presenter.until_text("16,382 x NVIDIA")
        await asyncio.sleep(1.0)
        assert "163 x NVIDIA" in follower.screen.text()

        # Rejoining drops the copy (after a yes) and shows the presenter's latest state at once.
        follower.send(F8)
        await follower.until_text("drop your changes?")
        follower.send(SHIFT_TAB + b"\r")  # from "Keep editing" to "Discard"
        await follower.until_text("following Ada", "16,382 x NVIDIA", days_text(16382))
    finally:
        presenter.close()
        follower.close()
        await asyncio.wait_for(server.close(), 20)


async def test_the_presenter_login_needs_the_presenters_credential(tmp_path, presenter_key):
    """With visitors on --auth none, user 'presenter' still needs the presenter's key or
    password; a wrong one is refused, the right password makes that visitor the presenter."""
    _private, authorized = presenter_key
    server = DemoServer(ServeConfig(app=REAL_APP, host_key_path=tmp_path / "host_key", port=0,
                                    presenter_password="lectern", presenter_name="Ada", preload=False))
    await server.start()
    try:
        with pytest.raises(asyncssh.PermissionDenied):
            await Visitor.connect(server.port, username="presenter", password="wrong")
        visitor = await Visitor.connect(server.port, username="presenter", password="lectern")
        await visitor.until_text("presenting as Ada")
        (session,) = server.sessions
        assert session.presenter and session.session_dir.is_dir()
        visitor.conn.close()
    finally:
        await asyncio.wait_for(server.close(), 20)
