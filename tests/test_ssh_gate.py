"""The pieces of the SSH server that need no network: output gate, sizes, child environment."""

from __future__ import annotations

from pathlib import Path

from whatif.serve.ssh.child import TermSize, child_environment, safe_term_type
from whatif.serve.ssh.gate import ALT_SCREEN_ENTER, ALT_SCREEN_LEAVE, TERMINAL_RESET, OutputGate
from whatif.serve.limits import AuthThrottle, address_key
from whatif.serve.ssh.limits import Lobby


def test_gate_forwards_the_screen_and_holds_text_printed_outside_it():
    gate = OutputGate()
    assert gate.feed(b"DeprecationWarning: x\n") == b""  # before the app's screen: log material
    assert gate.feed(ALT_SCREEN_ENTER + b"frame 1") == ALT_SCREEN_ENTER + b"frame 1"
    assert gate.feed(b"frame 2" + ALT_SCREEN_LEAVE + b"bye\n") == b"frame 2" + ALT_SCREEN_LEAVE
    assert not gate.looks_crashed(0)
    assert gate.release() == b"bye\n"
    assert "DeprecationWarning" in gate.held_text()


def test_gate_finds_markers_split_across_reads():
    gate = OutputGate()
    first, second = ALT_SCREEN_ENTER[:4], ALT_SCREEN_ENTER[4:]
    assert gate.feed(b"x" + first) == b""
    assert gate.feed(second + b"ab") == ALT_SCREEN_ENTER + b"ab"
    out = gate.feed(b"cd" + ALT_SCREEN_LEAVE[:6])
    assert out == b"cd"  # the maybe-marker waits for the next read
    assert gate.feed(ALT_SCREEN_LEAVE[6:] + b"tail") == ALT_SCREEN_LEAVE
    assert not gate.on_alt_screen and gate.release() == b"tail"


def test_gate_calls_a_traceback_or_a_failed_exit_a_crash_and_keeps_it_for_the_log():
    gate = OutputGate()
    gate.feed(ALT_SCREEN_ENTER + b"screen" + ALT_SCREEN_LEAVE)
    gate.feed(b"\x1b[31mTraceback (most recent call last)\x1b[0m ... RuntimeError: boom\n")
    assert gate.looks_crashed(0)
    assert "RuntimeError: boom" in gate.held_text()
    assert "\x1b" not in gate.held_text()  # the log gets plain text
    assert OutputGate().looks_crashed(1) and OutputGate().looks_crashed(-9)


def test_gate_holds_a_bounded_amount():
    gate = OutputGate(hold_limit_bytes=10)
    gate.feed(b"x" * 100)
    assert gate.release() == b"x" * 10


def test_terminal_reset_undoes_what_a_full_screen_app_switches_on():
    for sequence in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l", b"\x1b[?2004l",
                     b"\x1b[?25h", b"\x1b[0m", b"\x1b[<u", b"\x1b[?7h"):
        assert sequence in TERMINAL_RESET


def test_client_sizes_are_sane():
    assert TermSize.from_client(0, 0) == TermSize(80, 24)
    assert TermSize.from_client(120, 40, 960, 640) == TermSize(120, 40, 960, 640)
    assert TermSize.from_client(100_000, 100_000) == TermSize(400, 150)
    assert TermSize(100, 30).packed() == b"\x1e\x00\x64\x00\x00\x00\x00\x00"  # rows, columns, px, px


def test_terminal_type_from_the_client_is_used_only_if_it_is_a_plain_name():
    assert safe_term_type("xterm-kitty") == "xterm-kitty"
    assert safe_term_type("screen.xterm-256color") == "screen.xterm-256color"
    assert safe_term_type("../../etc/x") == "xterm-256color"
    assert safe_term_type("") == "xterm-256color"
    assert safe_term_type(None) == "xterm-256color"


def test_child_environment_is_the_agreed_contract_and_nothing_of_the_server(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("WHATIF_SSH_PASSWORD", "secret")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    monkeypatch.setenv("HOME", "/home/server-user")
    monkeypatch.setenv("PYTHONPATH", "/opt/lib")
    env = child_environment("xterm-256color", tmp_path, {"TEXTUAL_FPS": "120"})
    assert env["TERM"] == "xterm-256color"
    assert env["COLORTERM"] == "truecolor"
    assert env["LANG"] == "C.UTF-8"
    assert env["WHATIF_DEMO"] == "1"
    assert env["WHATIF_USER_PRESETS"] == str(tmp_path)
    assert env["XDG_CONFIG_HOME"] == str(tmp_path / "config")
    assert env["XDG_STATE_HOME"] == str(tmp_path / "state")
    assert env["HOME"] == str(tmp_path) and env["TMPDIR"] == str(tmp_path)
    assert "/home/server-user" not in env.values()
    assert env["PYTHONPATH"] == "/opt/lib"  # passed on, so the app imports what the server does
    assert env["TEXTUAL_FPS"] == "120"  # the app's own settings (AppEntry.environment)
    assert "COLUMNS" not in env and "LINES" not in env
    assert "secret" not in env.values()


def test_an_app_whose_exit_status_is_unknown_crashed_only_if_it_did_not_leave_its_screen():
    # A fork of a preloader that died: the server knows it ended, not how.
    clean = OutputGate()
    clean.feed(ALT_SCREEN_ENTER + b"screen" + ALT_SCREEN_LEAVE)
    assert not clean.looks_crashed(None)
    killed = OutputGate()
    killed.feed(ALT_SCREEN_ENTER + b"screen")
    assert killed.looks_crashed(None)
    traceback = OutputGate()
    traceback.feed(ALT_SCREEN_ENTER + ALT_SCREEN_LEAVE + b"Traceback (most recent call last):\n")
    assert traceback.looks_crashed(None)


def test_the_lobby_limits_each_address_and_makes_room_at_the_busiest_one():
    lobby: Lobby[str] = Lobby(capacity=4, per_address=3)
    assert lobby.admit("a1", "A") == (True, None)
    assert lobby.admit("a2", "A") == (True, None)
    assert lobby.admit("a3", "A") == (True, None)
    assert lobby.admit("a4", "A") == (False, None)  # per address
    assert lobby.admit("b1", "B") == (True, None)
    assert lobby.admit("c1", "C") == (True, "a1")  # full: the oldest of the busiest address goes
    lobby.leave("b1")
    lobby.leave("b1")  # twice is harmless
    assert len(lobby) == 4 - 1 and lobby.count("A") == 2 and "b1" not in lobby


def test_password_attempts_of_an_address_are_spaced_by_a_doubling_delay():
    now = [100.0]
    throttle = AuthThrottle(base_s=0.5, max_s=8.0, memory_s=600.0, clock=lambda: now[0])
    assert throttle.reserve("A") == 0.0 and throttle.reserve("A") == 0.0  # no failures: no wait
    waits = []
    for _ in range(7):
        waits.append(throttle.reserve("A"))
        now[0] += waits[-1]
        throttle.record_failure("A")
    assert waits == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert throttle.reserve("B") == 0.0  # other addresses are not slowed down
    # Parallel attempts from one address wait in line.
    assert throttle.reserve("A") == 8.0 and throttle.reserve("A") == 16.0
    now[0] += 601.0
    assert throttle.failures("A") == 0 and throttle.reserve("A") == 0.0  # forgotten after a while


def test_addresses_are_counted_per_host_and_ipv6_per_64():
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_key("fe80::1%eth0") == "fe80::/64"
