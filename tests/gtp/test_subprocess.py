"""`goagent gtp` launched the way a GUI launches it: pipes, handshake, analysis, quit."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from goagent.gtp_client import GtpProcess


def goagent_command() -> list[str]:
    script = Path(sys.executable).parent / "goagent"
    if script.exists():
        return [str(script)]
    found = shutil.which("goagent")
    return [found] if found else [sys.executable, "-m", "goagent.cli"]


ENGINE = [*goagent_command(), "gtp", "--model", "playouts", "--visits", "20"]


def timed_handshake() -> tuple[float, GtpProcess, list]:
    start = time.perf_counter()
    engine = GtpProcess(ENGINE, stderr=subprocess.PIPE)
    engine.write("name\nversion\nprotocol_version\nlist_commands")  # all at once, as Sabaki does
    replies = [engine.read_response(timeout=30) for _ in range(4)]
    return time.perf_counter() - start, engine, replies


def test_engine_as_a_gui_drives_it(tmp_path):
    seconds, engine, replies = timed_handshake()
    if seconds >= 0.5:  # a cold start (first run, busy machine): the next one is the one a GUI sees
        engine.quit()
        seconds, engine, replies = timed_handshake()
    try:
        assert seconds < 0.5, f"handshake took {seconds:.2f} s"
        assert [r.text for r in replies[:3]] == ["goagent", "0.1.0", "2"]
        assert "kata-analyze" in replies[3].text.split("\n")

        for command in ("boardsize 9", "komi 7", "clear_board", "play B E5"):
            assert engine.ask(command) == ""
        move = engine.ask("genmove W")
        assert move.upper() != "E5" and (move == "pass" or len(move) in (2, 3))

        # Analysis streams until the GUI sends anything; that command is then answered.
        engine.write("lz-analyze B 10")
        first = engine.reader.get(timeout=30)
        assert first == "=\n"
        info = engine.reader.get(timeout=30)
        assert info.startswith("info move ")
        engine.write("protocol_version")  # Sabaki's way to stop analysis
        sent = time.monotonic()
        while (line := engine.reader.get(timeout=5)) != "\n":  # the rest of the stream, then its end
            assert line.startswith("info move ")
        stopped_in = time.monotonic() - sent
        assert engine.read_response(timeout=5).text == "2" and stopped_in < 2

        assert engine.ask("undo") == "" and engine.ask("genmove w") != ""
    finally:
        start = time.monotonic()
        code = engine.quit()
        stderr = engine.proc.stderr.read().decode()
    assert code == 0 and time.monotonic() - start < 3
    assert "Traceback" not in stderr


def test_stdout_has_only_responses():
    result = subprocess.run(
        ENGINE,
        input=b"boardsize 5\n\n# comment\nshowboard\nkata-analyze b 1\nfinal_score\nprintsgf\nfly\nquit\n",
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0
    heads = [line for line in result.stdout.decode().split("\n\n") if line.strip()]
    assert [h[0] for h in heads] == ["=", "=", "=", "=", "=", "?", "="]


def test_bad_model_path_is_a_clean_error():
    command = [*goagent_command(), "gtp", "--model", "/no/such.pt"]
    result = subprocess.run(command, capture_output=True, timeout=60)
    assert result.returncode == 2 and b"no such checkpoint" in result.stderr and result.stdout == b""


def test_help_explains_every_flag():
    result = subprocess.run([*goagent_command(), "gtp", "--help"], capture_output=True, text=True, timeout=60)
    for flag in ("--model", "--visits", "--seconds", "--threads", "--resign", "--seed"):
        assert flag in result.stdout
    assert "Sabaki" in result.stdout


def test_cli_registers_gtp():
    from goagent.cli import build_parser

    full = build_parser().format_help()
    assert "gtp" in full and "show" in full
    assert build_parser().parse_args(["gtp", "--visits", "5"]).visits == 5


def test_the_handshake_path_imports_neither_numba_nor_torch():
    """What a GUI's first commands wait for: importing the GTP server must not load the
    board engine's Numba or the network's torch (they load after the handshake)."""
    code = "import sys, gtp.server; print(sorted({'numba', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
