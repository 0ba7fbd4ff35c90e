"""The headless CLI as a user runs it: exit codes, one-line errors, JSON contract."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from whatif.engine.evaluate import OUTPUT_KEYS
from whatif.toplevel import command_names

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = str(ROOT / "presets" / "default.toml")


def whatif(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "whatif", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def test_eval_json_has_exactly_the_section_9_keys():
    out = whatif("eval", DEFAULT, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == list(OUTPUT_KEYS)
    assert data["mfu_estimated"] is True and data["racks"] == 512
    assert data["warnings"] == [{"code": "eu-ai-act", "message": data["warnings"][0]["message"]}]


def test_set_changes_the_result():
    base = json.loads(whatif("eval", DEFAULT, "--json").stdout)
    more = json.loads(whatif("eval", DEFAULT, "--json", "--set", "cluster.count=32768").stdout)
    assert more["it_mw"] == pytest.approx(2 * base["it_mw"])
    assert more["training_days"] < base["training_days"]


def test_table_and_explain():
    table = whatif("eval", DEFAULT)
    assert table.returncode == 0 and "Facility power" in table.stdout and "34.5 MW" in table.stdout
    explained = whatif("eval", DEFAULT, "--explain", "facility_mw")
    assert "facility_mw = it_mw × pue" in explained.stdout and "Uptime Institute" in explained.stdout


@pytest.mark.parametrize("args, message", [
    (("--set", "cluster.cout=5"), "did you mean 'count'?"),
    (("--set", "cluster.chip=h1000"), "unknown chip 'h1000' (did you mean 'h100'?)"),
    (("--set", "cluster.count=-3"), "cluster.count: -3 is out of range"),
    (("--set", "cluster.count=abc"), "cluster.count: expected a whole number, got 'abc'"),
    (("--set", "nonsense"), "expected GROUP.KEY=VALUE"),
    (("--explain", "nothing"), "unknown output to explain 'nothing'"),
])
def test_bad_input_exits_2_with_one_line(args, message):
    out = whatif("eval", DEFAULT, *args)
    assert out.returncode == 2 and message in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_corrupt_toml_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 1\n[cluster\n", encoding="utf-8")
    out = whatif("eval", str(bad))
    assert out.returncode == 2 and f"{bad}: not valid TOML" in out.stderr


def test_chips_and_presets_listings():
    chips = json.loads(whatif("chips", "--json").stdout)
    h100 = next(c for c in chips if c["key"] == "h100")
    assert h100["dense_tflops"]["bf16"] == 989.4 and h100["tdp_w"] == 700 and h100["estimate"] is False
    presets = json.loads(whatif("presets", "--json").stdout)
    assert any(p["path"].endswith("default.toml") and p["error"] is None for p in presets)


def test_help_does_not_import_textual():
    code = ("import sys; from whatif.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'textual' not in sys.modules and 'rich' not in sys.modules, 'UI imported by --help'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "eval" in out.stdout and "chips" in out.stdout


# --------------------------------------------------------------- conventions (clig.dev)
def whatif_io(*args: str, stdin=None, stdout=subprocess.PIPE, input: str | None = None,
              cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`whatif ARGS` with the given standard streams; stderr is always captured."""
    return subprocess.run([sys.executable, "-m", "whatif", *args], stdin=stdin, stdout=stdout, input=input,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=60)


def test_version_comes_from_the_package():
    from whatif import __version__

    for flag in ("--version", "-V"):
        out = whatif(flag)
        assert (out.returncode, out.stdout, out.stderr) == (0, f"whatif {__version__}\n", "")
    assert __version__ == "0.2.0"


def test_help_lists_every_command_and_the_apps_options():
    from whatif.cli.main import COMMANDS

    out = whatif("--help")
    assert out.returncode == 0 and out.stderr == ""
    listed = {line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ") and line.split()}
    assert set(COMMANDS) | {"serve-ssh"} <= listed
    assert "whatif [PRESET ...] [--tour DIR]" in out.stdout and "--tour DIR" in out.stdout
    assert "-V, --version" in out.stdout and "exit codes: 0 success" in out.stdout


@pytest.mark.parametrize("command", command_names())
def test_each_commands_help(command):
    out = whatif(command, "--help")
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith(f"usage: whatif {command}")


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_neither_the_ui_nor_the_engines_libraries(flag):
    code = ("import sys; from whatif.main import main\n"
            f"main([{flag!r}])\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'numpy', 'pydantic'})\n"
            "assert not heavy, heavy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args, message", [
    (("evl",), "whatif: unknown command 'evl' (did you mean 'eval'?)"),
    (("serve-sh", "--port", "0"), "whatif: unknown command 'serve-sh' (did you mean 'serve-ssh'?)"),
    (("frobnicate",), "whatif: unknown command 'frobnicate', and no preset file of that name; commands: "
                      + ", ".join(command_names())),
    (("--verison",), "whatif: unknown option '--verison' (did you mean '--version'?)"),
    (("--frob",), "whatif: unknown option '--frob' (see 'whatif --help')"),
    (("no-such.toml",), "whatif: no-such.toml: no such preset file"),  # a preset, not a command
    (("-",), "whatif: the app cannot read its preset from standard input (it needs the terminal there); "
             "save it to a file and run 'whatif FILE.toml', or use 'whatif eval -'"),
    (("eval",), "whatif: the following arguments are required: PRESET (see 'whatif eval --help')"),
])
def test_bad_first_arguments_get_one_line_and_exit_2(args, message):
    out = whatif_io(*args, stdin=subprocess.DEVNULL)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", message + "\n")


def test_double_dash_ends_the_options_and_the_commands():
    out = whatif_io("--", "evl", stdin=subprocess.DEVNULL)
    assert (out.returncode, out.stderr) == (2, "whatif: evl: no such preset file\n")


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    from whatif.main import main

    class Interrupted:
        def isatty(self) -> bool:
            return False

        def read(self) -> str:
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdin", Interrupted())
    assert main(["eval", "-"]) == 130
    assert capsys.readouterr() == ("", "")


def test_an_existing_file_is_a_preset_even_with_a_commands_look(tmp_path):
    (tmp_path / "evl").write_text(Path(DEFAULT).read_text(encoding="utf-8"), encoding="utf-8")
    out = whatif_io("evl", stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.startswith("whatif: the app needs a terminal")


# ------------------------------------------------------------------- '-' is standard input
DEFAULT_TEXT = Path(DEFAULT).read_text(encoding="utf-8")


def test_eval_reads_the_preset_from_standard_input():
    piped = whatif_io("eval", "-", "--json", input=DEFAULT_TEXT)
    assert piped.returncode == 0 and piped.stderr == ""
    assert json.loads(piped.stdout) == json.loads(whatif("eval", DEFAULT, "--json").stdout)


@pytest.mark.parametrize("args, expected", [
    (("export", "-", "--format", "csv"), "training_days,"),
    (("sweep", "-", "--vary", "cluster.count=1024:2048", "--points", "2", "--csv"), "cluster.count,"),
    (("solve", "-", "--for", "cluster.count", "--target", "training_days=60"), "cluster.count = "),
    (("sensitivity", "-", "--output", "training_days"), "Sensitivity of training time"),
    (("compare", "-", DEFAULT), "H100        H100 (2)"),
    (("check", "-"), "<stdin>: Llama 3.1 405B class on 16,384 H100\n  no [claims] in this preset"),
])
def test_every_preset_argument_takes_standard_input(args, expected):
    out = whatif_io(*args, input=DEFAULT_TEXT)
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout


@pytest.mark.parametrize("args, stdin, message", [
    (("eval", "-"), "schema = 1\n[cluster\n", "whatif: <stdin>: not valid TOML: "),
    (("eval", "-"), "", "whatif: <stdin>: schema: missing 'schema = 1' at the top of the file"),
    (("check", "-"), "schema = 2\n", "whatif: <stdin>: schema: schema 2 is not supported"),
    (("compare", "-", "-"), DEFAULT_TEXT, "whatif: '-' (standard input) can be given for one preset only"),
], ids=["bad-toml", "empty", "check-schema", "twice"])
def test_standard_input_errors_name_stdin(args, stdin, message):
    out = whatif_io(*args, input=stdin)
    assert out.returncode == 2 and out.stdout == "" and out.stderr.startswith(message)
    assert out.stderr.count("\n") == 1


def test_undecodable_standard_input():
    out = subprocess.run([sys.executable, "-m", "whatif", "eval", "-"], input=b"\xff\xfe", capture_output=True,
                         cwd=ROOT, timeout=60)
    assert (out.returncode, out.stderr) == (2, b"whatif: <stdin>: not a text file (expected UTF-8 TOML)\n")


def test_dash_o_dash_writes_to_standard_output(tmp_path):
    dashed = whatif_io("export", DEFAULT, "--format", "json", "-o", "-", cwd=tmp_path)
    plain = whatif_io("export", DEFAULT, "--format", "json", cwd=tmp_path)
    assert dashed.returncode == 0 and dashed.stdout == plain.stdout and json.loads(dashed.stdout)["outputs"]
    assert list(tmp_path.iterdir()) == []  # no file called '-'


def test_output_to_a_folder_is_refused(tmp_path):
    out = whatif_io("export", DEFAULT, "-o", str(tmp_path))
    assert (out.returncode, out.stderr) == (2, f"whatif: {tmp_path}: is a folder; give a file name\n")


# ---------------------------------------------------------- closed pipes and full disks
LONG_SWEEP = ("sweep", DEFAULT, "--vary", "cluster.count=1000:1000000", "--points", "3000", "--csv")  # ~165 KB


@pytest.mark.parametrize("args", [("eval", DEFAULT), LONG_SWEEP, ("--help",), ("eval", "--help")])
def test_a_closed_pipe_exits_0_quietly(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -0`: every write fails with EPIPE
    try:
        out = whatif_io(*args, stdout=write_end)
    finally:
        os.close(write_end)
    assert (out.returncode, out.stderr) == (0, "")


def test_head_reads_the_first_line_and_the_rest_is_dropped_quietly():
    pipeline = subprocess.run(f"{sys.executable} -m whatif {' '.join(LONG_SWEEP)} | head -1", shell=True,
                              capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert pipeline.stdout.startswith("cluster.count,") and pipeline.stdout.count("\n") == 1
    assert pipeline.stderr == ""


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


@needs_dev_full
@pytest.mark.parametrize("args", [("eval", DEFAULT), LONG_SWEEP, ("--help",), ("--version",), ("chips",),
                                  ("export", DEFAULT, "-o", "-")])
def test_a_full_disk_on_standard_output_is_one_line_and_exit_2(args):
    with open("/dev/full", "w") as full:
        out = whatif_io(*args, stdout=full)
    assert (out.returncode, out.stderr) == (2, "whatif: cannot write standard output: No space left on device\n")


@needs_dev_full
@pytest.mark.parametrize("extra", [(), ("--force",)])
def test_a_full_disk_on_an_output_file_names_the_file(extra):
    # A device is written into, never renamed over (that would replace /dev/full itself).
    out = whatif_io("export", DEFAULT, "-o", "/dev/full", *extra)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", "whatif: cannot write /dev/full: No space left on device\n")
    assert not Path("/dev/full").is_file()


# ------------------------------------------------------------------ the app needs a terminal
def test_the_app_without_a_terminal_says_so_and_exits_2():
    out = whatif_io(stdin=subprocess.DEVNULL)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == ("whatif: the app needs a terminal (standard input, output and error are not terminals); "
                          "for headless use try 'whatif eval PRESET'\n")


def test_without_a_terminal_textual_is_not_even_imported():
    code = ("import sys; from whatif.main import main\n"
            "code = main([])\n"
            "assert 'textual' not in sys.modules, 'Textual imported for nothing'\n"
            "sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 2 and out.stderr.startswith("whatif: the app needs a terminal"), out.stderr


def test_the_app_piped_into_cat_says_so_on_the_terminal():
    """`whatif | cat` in a terminal: only standard output is not a TTY."""
    master, slave = os.openpty()
    try:
        out = subprocess.run([sys.executable, "-m", "whatif"], stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                             cwd=ROOT, timeout=60)
        os.close(slave)
        slave = -1
        said = b""
        while select.select([master], [], [], 0.2)[0]:
            try:
                said += os.read(master, 4096)
            except OSError:
                break
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert (out.returncode, out.stdout) == (2, b"")
    assert said.replace(b"\r\n", b"\n") == (b"whatif: the app needs a terminal (standard output is not one); "
                                            b"for headless use try 'whatif eval PRESET'\n")


def test_the_app_on_a_terminal_starts_and_quits_with_ctrl_q():
    from fixtures.pty_app import PtyApp

    app = PtyApp([sys.executable, "-m", "whatif"], cwd=ROOT)
    try:
        app.wait_for("Llama 3.1 405B class on 16,384 H100", "Training time")
        app.send(b"\x11")  # ctrl+q
        assert app.wait_exit() == 0
    finally:
        app.close()
