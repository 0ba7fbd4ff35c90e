"""The atomic writer (issue 11, part 3): mode kept, symlinks written through, one winner
when two writers create the same file, its own stale temp files removed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from whatif.engine.atomic import remove_stale_temp_files, write_atomic
from whatif.engine.errors import WhatifError
from whatif.engine.presets import save_preset
from tests.helpers import make_scenario


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_overwritten_file_keeps_its_mode(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("old", encoding="utf-8")
    for bits in (0o644, 0o640, 0o600):
        os.chmod(path, bits)
        save_preset(make_scenario(), path, overwrite=True)
        assert mode(path) == bits


def test_a_new_file_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        code = ("import os, sys; from whatif.engine.atomic import write_atomic; "
                "write_atomic(sys.argv[1], 'x'); print(oct(os.stat(sys.argv[1]).st_mode & 0o777))")
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "new.txt")], capture_output=True, text=True,
                             check=True)
    finally:
        os.umask(old)
    assert out.stdout.strip() == "0o640"


def test_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text("old", encoding="utf-8")
    os.chmod(real, 0o644)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert write_atomic(link, "new", overwrite=True) == link
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new" and mode(real) == 0o644
    with pytest.raises(WhatifError, match="file exists"):
        write_atomic(link, "newer")


def test_two_writers_creating_one_file_one_wins(tmp_path):
    for round_ in range(40):
        path = tmp_path / f"race-{round_}.toml"
        barrier = threading.Barrier(2)
        wins: list[str] = []
        losses: list[str] = []

        def writer(text: str) -> None:
            barrier.wait()
            try:
                write_atomic(path, text)
                wins.append(text)
            except WhatifError:
                losses.append(text)
        threads = [threading.Thread(target=writer, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1 and len(losses) == 1, (wins, losses)
        assert path.read_text(encoding="utf-8") == wins[0]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temp_files_are_removed(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f".p.toml.{dead}.abcd1234.tmp"
    live = tmp_path / f".p.toml.{os.getppid()}.abcd1234.tmp"   # a writer that is still running
    other = tmp_path / f".q.toml.{dead}.abcd1234.tmp"
    for temp in (stale, live, other):
        temp.write_text("half", encoding="utf-8")
    write_atomic(tmp_path / "p.toml", "x")
    assert not stale.exists() and live.exists() and other.exists()  # only this target's, only dead writers'
    assert remove_stale_temp_files(tmp_path) == 1 and not other.exists() and live.exists()


def test_kill_9_during_saves_leaves_no_temp_files_after_the_next_save(tmp_path):
    path = tmp_path / "p.toml"
    code = ("import sys; from whatif.engine.atomic import write_atomic\n"
            "while True: write_atomic(sys.argv[1], 'x' * 200000, overwrite=True)")
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", code, str(path)])
        try:
            child.wait(timeout=0.6)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    write_atomic(path, "final", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["p.toml"] and path.read_text(encoding="utf-8") == "final"


def test_a_long_name_still_gets_a_temp_file(tmp_path):
    path = tmp_path / ("n" * 250 + ".toml")
    write_atomic(path, "x")
    assert path.read_text(encoding="utf-8") == "x"
    with pytest.raises(WhatifError, match="cannot write"):
        write_atomic(tmp_path / ("n" * 300 + ".toml"), "x")  # over 255 bytes: a message, not OSError


def test_a_write_error_is_a_whatif_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(WhatifError, match="cannot write"):
            write_atomic(folder / "p.toml", "x")
    finally:
        os.chmod(folder, 0o700)
