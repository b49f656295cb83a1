"""GTP transcripts for the rules commands and the count under a ruleset; GNU Go as referee.

The GNU Go checks score positions whose dead stones both programs agree on
(``final_status_list dead``) and compare ``final_score`` (GNU Go's default is
Japanese counting).  They skip when GNU Go is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gtp_testkit import make_engine, one, transcript, use_evaluator

from goagent.coords import BLACK, WHITE, action_to_gtp, gtp_to_action
from goagent.mcts import Evaluation
from goagent.rules import PRESETS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "goagent"))
from test_dead_stones import FALSE_EYE, ONE_EYE, TWO_EYES  # noqa: E402
from test_scoring import DAME, DEAD, SEKI, board  # noqa: E402

GNUGO = "/usr/games/gnugo"


@pytest.fixture
def engine():
    return make_engine()


def rules_of(engine) -> dict:
    return json.loads(one(engine, "kata-get-rules").text)


def test_default_rules_are_tromp_taylor(engine):
    assert rules_of(engine) == PRESETS["tromp-taylor"].to_json()


def test_rules_flag():
    assert rules_of(make_engine(rules="japanese"))["scoring"] == "TERRITORY"


def test_kata_set_rules_by_name_and_json(engine):
    assert one(engine, "kata-set-rules japanese").ok
    assert rules_of(engine) == {
        "friendlyPassOk": False, "hasButton": False, "ko": "SIMPLE", "scoring": "TERRITORY",
        "suicide": False, "tax": "SEKI", "whiteHandicapBonus": "0",
    }  # fmt: skip
    assert one(engine, 'kata-set-rules {"ko": "SITUATIONAL", "scoring": "AREA", "komi": 7}').ok
    assert rules_of(engine)["ko"] == "SITUATIONAL" and engine.state.komi == 7.0
    assert engine.state.rules.ko == "situational"


def test_bad_rules_are_refused_and_change_nothing(engine):
    transcript(engine, "kata-set-rules chinese")
    reply = one(engine, "kata-set-rules chess")
    assert not reply.ok and "unknown rules" in reply.text
    assert not one(engine, "kata-set-rules").ok
    assert not one(engine, 'kata-set-rules {"ko": "SIMPLE", "bogus": 1}').ok
    assert rules_of(engine) == PRESETS["chinese"].to_json()


def test_kgs_rules(engine):
    assert one(engine, "kgs-rules chinese").ok
    assert engine.rules == PRESETS["chinese-kgs"]  # KGS's Chinese rules use positional superko
    assert one(engine, "kgs-rules new_zealand").ok and engine.rules == PRESETS["new-zealand"]
    assert one(engine, "kgs-rules japanese").ok and engine.rules == PRESETS["japanese"]
    reply = one(engine, "kgs-rules ing")
    assert not reply.ok and "japanese" in reply.text


def test_rules_survive_clear_board_and_apply_to_the_new_game(engine):
    transcript(engine, "kata-set-rules aga\nboardsize 9\nclear_board")
    assert engine.state.rules == PRESETS["aga"]


def test_loadsgf_takes_ru(engine, tmp_path):
    path = tmp_path / "game.sgf"
    path.write_text("(;GM[1]FF[4]SZ[9]KM[6.5]RU[Japanese];B[ee];W[cc])")
    assert one(engine, f"loadsgf {path}").ok
    assert engine.rules == PRESETS["japanese"] and engine.state.komi == 6.5


def set_position(engine, diagram: str, komi: float = 0.5):
    colors, dead, n = board(diagram)
    transcript(engine, f"boardsize {n}\nkomi {komi}")
    engine.state.setup(
        black=np.flatnonzero(colors == BLACK).tolist(), white=np.flatnonzero(colors == WHITE).tolist()
    )
    # The diagram's dead marks stand in for the dead-stone finder (tests/goagent/test_dead_stones.py).
    engine._dead_stones = lambda: dead.copy()
    return colors, dead, n


def test_final_score_under_each_ruleset(engine):
    set_position(engine, DEAD)
    # Japanese: Black 10 territory + 1 prisoner, White 5 + 1 -> B+4.5 (komi 0.5).
    transcript(engine, "kata-set-rules japanese")
    assert one(engine, "final_score").text == "B+4.5"
    # Chinese: Black 18 stones + 10, White 16 + 5 -> B+6.5.
    transcript(engine, "kata-set-rules chinese")
    assert one(engine, "final_score").text == "B+6.5"
    assert one(engine, "final_status_list dead").text.split("\n") == ["B6", "F4"]


def test_final_status_list_seki(engine):
    set_position(engine, SEKI)
    transcript(engine, "kata-set-rules japanese")
    seki = one(engine, "final_status_list seki").text.split("\n")
    assert sorted(seki) == ["A7 C7 A6 B6 C6 D6", "E7 G7 E6 F6 G6"]
    alive = one(engine, "final_status_list alive").text.split("\n")
    assert len(alive) == 2 and one(engine, "final_status_list dead").text == ""
    assert one(engine, "final_score").text == "W+4.5"  # 8 - 12 - 0.5: seki eyes do not count
    transcript(engine, "kata-set-rules chinese")
    assert one(engine, "final_score").text == "W+4.5"  # 22 - 26 - 0.5


def lone_white_stone_in_black_wall(engine) -> None:
    """7x7, Japanese rules, komi 0.5: Black's wall with a lone White stone on E5."""
    letters = "ABCDEFG"
    empty = {"A1", "C1", "D5", "E5", "F5"}
    black = [f"{c}{r}" for c in letters for r in range(1, 8) if f"{c}{r}" not in empty]
    transcript(
        engine,
        f"boardsize 7\nkomi 0.5\nkata-set-rules japanese\nset_free_handicap {' '.join(black)}\nplay w e5",
    )


def test_dead_stones_come_from_the_finder(engine):
    # Black's wall with a lone white stone inside: goagent.dead_stones finds it dead.
    lone_white_stone_in_black_wall(engine)
    assert one(engine, "final_status_list dead").text == "E5"
    assert one(engine, "final_score").text == "B+5.5"  # A1 C1 D5 E5 F5 + 1 prisoner - 0.5


class WhiteOwnsAll:
    """A network whose ownership says every point is White's; ``knows_dead_stones`` as
    ``goagent.inference`` sets it from the checkpoint.  It records what it was asked."""

    def __init__(self, knows_dead_stones: bool):
        self.knows_dead_stones = knows_dead_stones
        self.asked = []

    def evaluate(self, states, legal, symmetries=None):
        self.asked.append((sorted(s.to_play for s in states), symmetries))
        priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
        signs = np.array([1.0 if s.to_play == WHITE else -1.0 for s in states], np.float32)
        ownership = np.ones((len(states), states[0].size ** 2), np.float32) * signs[:, None]
        return Evaluation(priors, np.zeros(len(states), np.float32), ownership)


@pytest.mark.parametrize("knows", [True, False])
def test_the_count_asks_the_network_only_if_it_learned_dead_stones(engine, knows):
    """Black's wall with a lone White stone inside (dead by the playouts).  A network
    that learned dead stones is asked once, for both sides to move and all eight
    symmetries; a third of its say (White owns E5) does not save the stone.  A
    network that did not learn them is never asked."""
    lone_white_stone_in_black_wall(engine)
    network = WhiteOwnsAll(knows)
    use_evaluator(engine, network)
    assert one(engine, "final_status_list dead").text == "E5"
    assert network.asked == ([([BLACK, WHITE], "average")] if knows else [])


def test_handicap_bonus_in_final_score(engine):
    transcript(engine, "boardsize 9\nkomi 0.5\nfixed_handicap 3")
    engine._dead_stones = lambda: np.zeros(81, bool)
    transcript(engine, "kata-set-rules japanese")
    japanese = one(engine, "final_score").text
    transcript(engine, "kata-set-rules chinese")
    chinese = one(engine, "final_score").text
    transcript(engine, "kata-set-rules aga")
    aga = one(engine, "final_score").text
    # Only black stones: the whole board is Black's.  Japanese: 78 points - 0.5;
    # Chinese: 81 - 0.5 - 3 (N); AGA: 81 - 0.5 - 2 (N-1).
    assert (japanese, chinese, aga) == ("B+77.5", "B+77.5", "B+78.5")


# -- GNU Go as referee -----------------------------------------------------------


def gnugo(commands: str) -> list[str]:
    out = subprocess.run(
        [GNUGO, "--mode", "gtp"], input=commands + "\nquit\n", capture_output=True, text=True, timeout=120
    ).stdout
    return [block[1:].strip() for block in out.strip().split("\n\n") if block.startswith("=")]


def position_sgf(colors, n: int, path: Path) -> Path:
    stones = "".join(
        f"{tag}" + "".join(f"[{'abcdefghijklmnopqrs'[a % n]}{'abcdefghijklmnopqrs'[a // n]}]" for a in points)
        for tag, points in (("AB", np.flatnonzero(colors == BLACK)), ("AW", np.flatnonzero(colors == WHITE)))
    )
    path.write_text(f"(;GM[1]FF[4]SZ[{n}]KM[0.5]RU[Japanese]{stones})")
    return path


@pytest.mark.skipif(not os.access(GNUGO, os.X_OK), reason=f"GNU Go is not installed at {GNUGO}")
@pytest.mark.parametrize("diagram", [DAME, DEAD], ids=["dame", "dead"])
def test_final_score_agrees_with_gnugo(engine, tmp_path, diagram):
    colors, dead, n = set_position(engine, diagram)
    path = position_sgf(colors, n, tmp_path / "position.sgf")
    answers = gnugo(f"loadsgf {path}\nfinal_status_list dead\nfinal_score")
    assert sorted(answers[1].split()) == sorted(action_to_gtp(a, n) for a in np.flatnonzero(dead))
    transcript(engine, "kata-set-rules japanese")
    assert one(engine, "final_score").text == answers[2]


@pytest.mark.skipif(not os.access(GNUGO, os.X_OK), reason=f"GNU Go is not installed at {GNUGO}")
@pytest.mark.parametrize(
    "diagram", [DEAD, TWO_EYES, ONE_EYE, FALSE_EYE], ids=["dead", "two eyes", "one eye", "false eye"]
)
def test_dead_stones_and_score_agree_with_gnugo(engine, tmp_path, diagram):
    """The finder itself (no dead marks given) against GNU Go on the same position."""
    colors, _, n = board(diagram)
    path = position_sgf(colors, n, tmp_path / "position.sgf")
    answers = gnugo(f"loadsgf {path}\nfinal_status_list dead\nfinal_score")
    transcript(engine, f"loadsgf {path}")
    ours = one(engine, "final_status_list dead").text.split()
    assert sorted(ours) == sorted(answers[1].split())
    assert one(engine, "final_score").text == answers[2]


KGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kgs-6d" / "KGS-2017_01-19-733-.tar.gz"


@pytest.mark.skipif(not os.access(GNUGO, os.X_OK), reason=f"GNU Go is not installed at {GNUGO}")
@pytest.mark.skipif(not KGS.exists(), reason=f"no KGS archive at {KGS}")
@pytest.mark.slow
def test_kgs_games_scored_like_gnugo_where_the_dead_stones_agree(tmp_path):
    """Three finished KGS games (Japanese rules): where GNU Go's dead stones equal the
    record's markup, goagent's final_score with those dead stones equals GNU Go's."""
    from goagent.final_ownership import markup
    from goagent.sgf import iter_sources, read_sgf

    compared = 0
    for name, data in iter_sources([str(KGS)]):
        record = read_sgf(data, name)
        marks = markup(data, record.size)
        if compared == 3 or marks is None or record.handicap or not record.rules.lower().startswith("jap"):
            continue
        path = tmp_path / "game.sgf"
        path.write_bytes(data)
        answers = gnugo(f"loadsgf {path}\nfinal_status_list dead\nfinal_score")
        state = record.to_state()
        colors = state.board.to_array().reshape(-1)
        tb, tw = marks
        dead = ((colors == WHITE) & tb) | ((colors == BLACK) & tw)
        gnugo_dead = {gtp_to_action(v, record.size) for v in answers[1].split()}
        if gnugo_dead != set(np.flatnonzero(dead).tolist()):
            continue
        engine = make_engine()
        transcript(engine, f"loadsgf {path}")
        engine._dead_stones = lambda dead=dead: dead
        assert one(engine, "final_score").text == answers[2], name
        compared += 1
    assert compared == 3


@pytest.mark.parametrize(
    ("rules", "passes"), [("japanese", True), ("chinese", True), ("tromp-taylor", False)]
)
def test_genmove_passes_back_once_the_game_is_over_under_the_rules(engine, rules, passes):
    """The issue's case: a finished game, the opponent has passed, early in the move count.
    Under Japanese and Chinese rules the search counts the finished game as final_score
    does (the dead stone on B5 off) and passes back; under Tromp-Taylor the half-board
    rule holds and it plays on."""
    from gtp_testkit import use_evaluator
    from test_player import PassTenth
    from test_search_rules import SETTLED, komi_for

    set_position(engine, SETTLED, komi_for(rules))
    transcript(engine, f"kata-set-rules {rules}\nplay w pass")
    use_evaluator(engine, PassTenth(1.0))
    engine.brain.player.config = replace(engine.brain.player.config, visits=400)
    reply = one(engine, "genmove b")
    assert reply.ok and (reply.text == "pass") == passes, reply.text
