"""The `goagent` command: help, show, bench, and clean errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from goagent.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "goagent.cli", *args], capture_output=True, text=True)


def test_help_lists_subcommands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("show", "bench"):
        assert command in out


def test_show_prints_gtp_labelled_board(tmp_path, capsys):
    path = tmp_path / "g.sgf"
    path.write_bytes(b"(;SZ[9]KM[7];B[ee];W[ec];B[])")
    assert main(["show", str(path), "--move", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    board_lines = [line for line in out if re.match(r"^\d", line)]
    assert [int(line.split()[0]) for line in board_lines] == list(range(9, 0, -1))
    assert board_lines[4].split()[1:10] == [".", ".", ".", ".", "X", ".", ".", ".", "."]
    assert "(O)" in board_lines[2]  # the last move is framed
    assert "Black to move." in out and "Moves played: 2." in out
    assert out[0].split() == list("ABCDEFGHJ")


def test_show_rejects_bad_move_number(tmp_path):
    path = tmp_path / "g.sgf"
    path.write_bytes(b"(;SZ[9];B[ee])")
    result = run_cli("show", str(path), "--move", "5")
    assert result.returncode == 2
    assert "between 0 and 1" in result.stderr and result.stdout == ""


def test_show_missing_file_is_one_line_error():
    result = run_cli("show", "/no/such/file.sgf")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("goagent: error:") and "Traceback" not in result.stderr


def test_bench_board_json():
    result = run_cli("bench", "board", "--size", "5", "--seconds", "0.2", "--no-baseline", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["engine"]["size"] == 5 and data["engine"]["playouts_per_s"] > 0
