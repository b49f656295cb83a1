"""Whole games against GNU Go 3.8 over GTP, refereed by ``gtp.referee``.

Skipped when GNU Go is not installed (``apt-get install gnugo``).  The 9x9
game is quick (few visits, GNU Go level 0); the 19x19 one is marked slow.
"""

from __future__ import annotations

import os

import pytest
from test_subprocess import goagent_command

from goagent.gtp_client import GtpProcess
from gtp.referee import play_game

GNUGO = "/usr/games/gnugo"

pytestmark = pytest.mark.skipif(
    not os.access(GNUGO, os.X_OK), reason=f"GNU Go is not installed at {GNUGO} (apt-get install gnugo)"
)


def match(size: int, goagent_color: str, resign: str) -> None:
    flags = ["--model", "playouts", "--visits", "24", "--resign", resign]
    goagent = GtpProcess([*goagent_command(), "gtp", *flags])
    gnugo = GtpProcess([GNUGO, "--mode", "gtp", "--level", "0"])
    black, white = (goagent, gnugo) if goagent_color == "B" else (gnugo, goagent)
    try:
        report = play_game(black, white, size=size, komi=7.5)
    finally:
        codes = goagent.quit(), gnugo.quit()
    assert report.errors == []
    assert report.finished, report.end
    assert report.result.startswith(("B+", "W+")) or report.result == "0"
    assert codes[0] == 0
    if report.end == "two passes":
        assert set(report.scores) == {"B", "W"}


def test_full_9x9_game_against_gnugo():
    match(9, "B", resign="0")  # no resigning: the game ends with two passes and final_score


@pytest.mark.slow
def test_full_19x19_game_against_gnugo():
    match(19, "W", resign="0.05")
