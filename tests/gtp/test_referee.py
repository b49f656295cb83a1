"""``python -m gtp.referee`` on the one game runner: handicap, komi default, bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from goagent.sgf import load_sgf
from gtp.referee import main

FAKE = Path(__file__).parents[1] / "selfplay" / "fake_gtp_engine.py"
ENGINE = f"{sys.executable} {FAKE}"


def test_a_handicap_game_between_two_engines(tmp_path, capsys):
    sgf = tmp_path / "game.sgf"
    code = main(["--black", ENGINE, "--white", ENGINE, "--handicap", "3", "--quiet", "--sgf", str(sgf)])
    out = capsys.readouterr().out
    assert code == 0
    # Both pass at once; they count a draw, Tromp-Taylor gives Black the board (81 - 0.5).
    assert "9x9, 3 handicap stones, komi 0.5" in out and "result B+80.5 (Tromp-Taylor)" in out
    record = load_sgf(str(sgf))
    assert record.handicap == 3 and len(record.setup_black) == 3 and record.result == "B+80.5"


def test_bad_handicap_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--black", ENGINE, "--white", ENGINE, "--handicap", "1"])
    assert stop.value.code == 2
    assert "2 stones or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--black", "/no/such/engine", "--white", ENGINE])
    assert "cannot start" in capsys.readouterr().err
