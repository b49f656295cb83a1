"""KaTrain drives ``goagent analysis`` with its own engine class (headless).

KaTrain is not a dependency of goagent: this test skips unless ``katrain``
imports, and it imports nothing of goagent's (it runs the engine as KaTrain
does, as a custom engine command).  To run it, install KaTrain in its own
virtual environment and point it at goagent's command:

    python3 -m venv /tmp/katrain-venv && /tmp/katrain-venv/bin/pip install katrain pytest
    GOAGENT=$PWD/.venv/bin/goagent /tmp/katrain-venv/bin/python -m pytest tests/gtp/test_katrain.py

It reviews a short 9x9 game (every node analysed through KaTrain's
``Game``), ponders and stops, and plays KaTrain's AI modes that need only
standard fields; a mode that needs what goagent lacks gets a warning line and
still a move.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time

import pytest

pytest.importorskip("katrain.core.engine")

from katrain.core.ai import generate_ai_move  # noqa: E402
from katrain.core.base_katrain import KaTrainBase  # noqa: E402
from katrain.core.constants import AI_DEFAULT, AI_HANDICAP, AI_POLICY, AI_SCORELOSS, AI_SIMPLE_OWNERSHIP  # noqa: E402
from katrain.core.engine import KataGoEngine  # noqa: E402
from katrain.core.game import Game, KaTrainSGF  # noqa: E402

GAME = "(;GM[1]FF[4]SZ[9]KM[7]RU[Chinese];B[ee];W[cg];B[gc];W[gg];B[cc];W[fg];B[dg];W[ch];B[eg])"
VISITS = 24


def _goagent() -> str:
    """The goagent command: $GOAGENT, else one beside this Python or on PATH."""
    found = os.environ.get("GOAGENT") or shutil.which("goagent", path=os.path.dirname(sys.executable))
    found = found or shutil.which("goagent")
    if not found:
        pytest.skip("no goagent command: set GOAGENT to goagent's executable")
    return found


class HeadlessKaTrain(KaTrainBase):
    """KaTrain's base application without a GUI; keeps the log lines."""

    def __init__(self):
        super().__init__(force_package_config=True, debug_level=0)
        self.lines: list[tuple[int, str]] = []
        self.lock = threading.Lock()

    def log(self, message, level=0):
        with self.lock:
            self.lines.append((level, str(message)))

    def __call__(self, *args, **kwargs):  # popups and other GUI messages
        self.log(f"GUI call {args}", 99)

    def errors(self) -> list[str]:
        from katrain.core.constants import OUTPUT_ERROR

        return [m for level, m in self.lines if level == OUTPUT_ERROR]

    def warnings(self) -> list[str]:
        return [m for _, m in self.lines if "'warning'" in m]


@pytest.fixture(scope="module")
def katrain_engine():
    katrain = HeadlessKaTrain()
    config = dict(katrain.config("engine"))
    config.update(
        backend="custom",
        altcommand=f"exec '{_goagent()}' analysis --model default --visits {VISITS}",
        max_visits=VISITS,
        fast_visits=8,
        max_time=300.0,  # KaTrain's maxTime (8 s by default) would cut searches short on a busy machine
        allow_recovery=False,
    )
    engine = KataGoEngine(katrain, config)
    yield katrain, engine
    engine.shutdown(finish=False)


def _wait(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_katrain_reviews_a_game(katrain_engine):
    katrain, engine = katrain_engine
    root = KaTrainSGF.parse_sgf(GAME)
    game = Game(katrain, engine, move_tree=root)  # analyses every node on a thread
    nodes = list(game.root.nodes_in_tree)
    assert len(nodes) == 10
    assert _wait(lambda: all(n.analysis_complete for n in nodes) and engine.is_idle(), 180), katrain.lines[
        -20:
    ]
    for node in nodes:
        root_info = node.analysis["root"]
        assert root_info["visits"] >= VISITS
        assert 0.0 <= node.winrate <= 1.0
        assert node.score is not None
        assert len(node.ownership) == 81 and len(node.policy) == 82
        moves = node.analysis["moves"]
        assert moves and all(m["visits"] >= 0 for m in moves.values())
        best = min(moves.values(), key=lambda m: m["order"])
        assert best["pv"] and "scoreLead" in best and "scoreStdev" in best
    # KaTrain's derived figures: points lost per move need the parent's and child's score
    assert all(n.points_lost is not None for n in nodes[1:])
    assert not katrain.errors(), katrain.errors()


def test_katrain_ponders_and_stops(katrain_engine):
    katrain, engine = katrain_engine
    root = KaTrainSGF.parse_sgf(GAME)
    node = list(root.nodes_in_tree)[-1]
    updates = []
    engine.request_analysis(node, lambda result, partial: updates.append((partial, result)), ponder=True)
    assert _wait(lambda: len(updates) >= 2, 60), katrain.lines[-10:]
    assert all(partial for partial, _ in updates[:2])
    assert updates[1][1]["rootInfo"]["visits"] > 0
    engine.stop_pondering()  # terminate: the query ends with a final result
    assert _wait(lambda: engine.is_idle(), 30), katrain.lines[-10:]
    assert updates[-1][0] is False
    assert not katrain.errors(), katrain.errors()


@pytest.mark.parametrize("mode", [AI_DEFAULT, AI_POLICY, AI_SCORELOSS, AI_SIMPLE_OWNERSHIP, AI_HANDICAP])
def test_katrain_ai_modes_play(katrain_engine, mode):
    katrain, engine = katrain_engine
    root = KaTrainSGF.parse_sgf(GAME)
    game = Game(katrain, engine, move_tree=root)
    game.set_current_node(list(game.root.nodes_in_tree)[-1])
    assert _wait(lambda: engine.is_idle(), 180)
    before = len(katrain.warnings())
    settings = katrain.config(f"ai/{mode}") or {}
    move, played = generate_ai_move(game, mode, settings)
    assert move is not None and played is not None, katrain.lines[-10:]
    assert played.move.player == "W"
    if mode == AI_HANDICAP:  # playoutDoublingAdvantage: goagent says it has no such mode
        assert any("playoutDoublingAdvantage" in w for w in katrain.warnings()[before:])
    assert not katrain.errors(), katrain.errors()
