"""`goagent review`: losses as KaTrain counts them, the annotated SGF (read back by
sgfmill and, where node and the npm package are installed, by Sabaki's own
@sabaki/sgf), the graph, and clear errors on bad input.

The searches use a scripted evaluator whose score is the Tromp-Taylor count, so
a game where one side passes while the other fills the board has known big
mistakes, and every test runs in a second or two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from sgfmill import sgf

from goagent.cli import main as cli_main
from goagent.coords import BLACK, WHITE, action_to_sgfmill, gtp_to_action
from goagent.game import Move
from goagent.mcts import ChildInfo, Evaluation, SearchResult
from goagent.review import (
    Review,
    annotate_sgf,
    check_board_size,
    review_game,
    search_score,
)
from goagent.review_plot import plot_review
from goagent.sgf import GameRecord, read_sgf, write_sgf

SABAKI_SGF = os.environ.get("GOAGENT_SABAKI_SGF", "/work/sabaki-sgf/node_modules/@sabaki/sgf")


class CountEvaluator:
    """Uniform priors; score = stones on the board, Black's minus White's minus komi, for the
    side to move; value = tanh(score / 2).  A pass gives the opponent a stone: about a point."""

    def evaluate(self, states, legal) -> Evaluation:
        priors = np.stack([m.astype(np.float32) / m.sum() for m in legal])
        scores = []
        for s in states:
            board = s.recent_boards(1)[0]
            black = (board == BLACK).sum() - (board == WHITE).sum() - s.komi
            scores.append(black if s.to_play == BLACK else -black)
        scores = np.array(scores, np.float32)
        return Evaluation(priors, np.tanh(scores / 2).astype(np.float32), None, scores)


def game(size: int = 5, moves: str = "C3 pass B2 pass D4 C2", komi: float = 0.5) -> GameRecord:
    """White passes twice while Black builds: White's passes are the mistakes."""
    record = GameRecord(size=size, komi=komi, black_player="Ann", white_player="Bob")
    color = BLACK
    for vertex in moves.split():
        record.moves.append(Move(color, gtp_to_action(vertex, size)))
        color = WHITE if color == BLACK else BLACK
    return record


@pytest.fixture(scope="module")
def reviewed() -> tuple[bytes, Review]:
    record = game()
    data = write_sgf(record)
    return data, review_game(read_sgf(data), CountEvaluator(), visits=24, progress=False)


def test_every_position_has_black_winrate_and_score(reviewed):
    _, review = reviewed
    assert len(review.positions) == len(review.record.moves) + 1
    for k, pos in enumerate(review.positions):
        assert pos.moves == k
        assert 0.0 <= pos.winrate <= 1.0
        assert pos.score is not None and pos.visits >= 24
        assert pos.best is not None and pos.pv[0] == pos.best


def test_losses_are_before_minus_after_from_the_movers_side(reviewed):
    _, review = reviewed
    for loss in review.moves:
        before, after = review.positions[loss.number - 1], review.positions[loss.number]
        sign = 1 if loss.color == BLACK else -1
        assert loss.points == pytest.approx(sign * (before.score - after.score))
        assert loss.winrate == pytest.approx(sign * (before.winrate - after.winrate))


def test_mistakes_rank_by_points_and_by_winrate_above_the_threshold(reviewed):
    _, review = reviewed
    by_points = review.mistakes("points", threshold=1.0)
    assert by_points, "White's passes on a 5x5 board lose points"
    assert all(m.points >= 1.0 for m in by_points)
    assert [m.points for m in by_points] == sorted((m.points for m in by_points), reverse=True)
    assert all(m.action != m.best for m in by_points)
    assert {m.number for m in by_points} <= {2, 4}, "only White's passes lose a point or more"
    assert review.mistakes("points", threshold=1e6) == []
    assert review.mistakes("points", threshold=1.0, limit=1) == by_points[:1]
    by_winrate = review.mistakes("winrate", threshold=1.0)
    assert [m.winrate for m in by_winrate] == sorted((m.winrate for m in by_winrate), reverse=True)
    assert all(100 * m.winrate >= 1.0 for m in by_winrate)
    with pytest.raises(ValueError, match="rank mistakes by"):
        review.mistakes("elo")


def test_search_score_weights_children_by_visits_else_the_root_score():
    children = [ChildInfo(0, 3, 0.1, 0.5, 0.0, [0], 2.0), ChildInfo(1, 1, 0.0, 0.5, 0.0, [1], -2.0)]
    result = SearchResult(visits=4, value=0.0, children=children, score=9.0)
    if getattr(result, "score_mean", None) is None:
        assert search_score(result) == pytest.approx(1.0)  # (3 * 2 - 2) / 4
    result = SearchResult(visits=0, value=0.0, children=[], score=9.0)
    assert search_score(result) == pytest.approx(9.0)


def _annotated(reviewed, threshold=1.0):
    data, review = reviewed
    mistakes = review.mistakes("points", threshold)
    return annotate_sgf(data, review, mistakes), review, mistakes


def test_annotated_sgf_reads_back_with_sgfmill(reviewed):
    out, review, mistakes = _annotated(reviewed)
    parsed = sgf.Sgf_game.from_bytes(out)
    main = parsed.get_main_sequence()
    assert read_sgf(out).moves == review.record.moves, "the main line is unchanged"
    for k, node in enumerate(main):
        pos = review.positions[k]
        assert float(node.get_raw("SBKV")) == pytest.approx(100 * pos.winrate, abs=0.006)
        assert node.get("C").startswith("goagent (")
    size = review.record.size
    for m in mistakes:
        node = main[m.number]
        assert node.get_raw("BM") == b"1"
        assert "Mistake" in node.get("C")
        siblings = node.parent
        assert len(siblings) == 2 and siblings[0] is node, "the variation comes after the game's move"
        variation = siblings[1]
        color, point = variation.get_move()
        assert (color, point) == ("w" if m.color == WHITE else "b", action_to_sgfmill(m.best, size))
        assert "goagent's line" in variation.get("C")
        length, node = 1, variation
        while len(node):
            node, length = node[0], length + 1
        assert length == len(review.positions[m.number - 1].pv)


def test_original_comments_and_properties_survive(reviewed):
    data, review = reviewed
    original = data.replace(b"PB[Ann]", b"PB[Ann]C[hello]")
    out = annotate_sgf(original, review, [])
    root = sgf.Sgf_game.from_bytes(out).get_root()
    assert root.get("C").startswith("hello\n\ngoagent (") and root.get("PB") == "Ann"


def test_graph_png(reviewed, tmp_path):
    _, review = reviewed
    path = plot_review(review, review.mistakes("points", 1.0), str(tmp_path / "g.png"))
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(
    shutil.which("node") is None or not os.path.isdir(SABAKI_SGF),
    reason=f"needs node and @sabaki/sgf (npm install @sabaki/sgf; GOAGENT_SABAKI_SGF={SABAKI_SGF})",
)
def test_sabaki_parses_comments_variations_and_sbkv(reviewed, tmp_path):
    out, review, mistakes = _annotated(reviewed)
    path = tmp_path / "review.sgf"
    path.write_bytes(out)
    script = (
        "const sgf = require(process.argv[1]);"
        "const [root] = sgf.parseFile(process.argv[2]);"
        "const main = []; let node = root;"
        "while (node) { main.push({data: node.data, children: node.children.length});"
        " node = node.children[0]; }"
        "const variations = [];"
        "main.forEach((_, i) => { let n = root; for (let j = 0; j < i; j++) n = n.children[0];"
        " for (const c of n.children.slice(1)) { let len = 0, m = c;"
        "  while (m) { len++; m = m.children[0]; } variations.push({at: i, data: c.data, len}); } });"
        "console.log(JSON.stringify({main, variations}));"
    )
    shown = subprocess.run(
        ["node", "-e", script, SABAKI_SGF, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    parsed = json.loads(shown.stdout)
    assert len(parsed["main"]) == len(review.positions)
    for k, node in enumerate(parsed["main"]):
        assert float(node["data"]["SBKV"][0]) == pytest.approx(100 * review.positions[k].winrate, abs=0.006)
        assert node["data"]["C"][0].startswith("goagent (")
    assert sorted(v["at"] for v in parsed["variations"]) == sorted(m.number - 1 for m in mistakes)
    for v in parsed["variations"]:
        assert v["data"]["C"][0].startswith("goagent's line")
        assert v["len"] == len(review.positions[v["at"]].pv)


def test_the_command_writes_sgf_and_graph(tmp_path, capsys):
    path = tmp_path / "g.sgf"
    path.write_bytes(write_sgf(game(moves="C3 C2 pass D2 B4")))
    rc = cli_main(["review", str(path), "--model", "playouts", "--visits", "6", "--by", "winrate", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "reviewed 5 moves" in out and "no score lead" in out
    assert (tmp_path / "g-review.png").stat().st_size > 0
    assert len(read_sgf((tmp_path / "g-review.sgf").read_bytes()).moves) == 5


def test_a_finished_game_ends_without_a_search(tmp_path):
    record = game(moves="C3 C2 pass pass")
    review = review_game(record, CountEvaluator(), visits=4, progress=False)
    assert review.positions[-1].winrate is None and review.moves[-1].points is None
    out = annotate_sgf(write_sgf(record), review, [])
    last = sgf.Sgf_game.from_bytes(out).get_main_sequence()[-1]
    assert not last.has_property("SBKV") and "game is over" in last.get("C")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"(;GM[1]SZ[19:13];B[aa])", r"board size SZ\[19:13\]"),
        (b"(;GM[1]SZ[30];B[aa])", r"board size SZ\[30\]"),
        (b"(;GM[1]SZ[9];B[aa]", "not a readable SGF"),
        (b"(;GM[1]SZ[9];B[ee];W[ee])", "move 2 is illegal"),
        (b"this is not sgf", "not a readable SGF"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path, capsys, content, message):
    path = tmp_path / "bad.sgf"
    path.write_bytes(content)
    assert cli_main(["review", str(path), "--model", "playouts", "--quiet"]) == 2
    assert pytest.importorskip("re").search(message, capsys.readouterr().err)


def test_missing_file_and_bad_visits(tmp_path, capsys):
    assert cli_main(["review", str(tmp_path / "nope.sgf"), "--quiet"]) == 2
    assert "nope.sgf" in capsys.readouterr().err
    path = tmp_path / "g.sgf"
    path.write_bytes(write_sgf(game()))
    assert cli_main(["review", str(path), "--model", "playouts", "--visits", "0", "--quiet"]) == 2
    assert "--visits" in capsys.readouterr().err
    with pytest.raises(ValueError, match="SZ"):
        check_board_size(b"(;SZ[1])", "x.sgf")


def test_a_handicap_game_starts_with_white(tmp_path):
    data = b"(;GM[1]FF[4]SZ[7]HA[2]KM[0.5]AB[ee][cc];W[ec];B[ce];W[dd])"
    record = read_sgf(data)
    review = review_game(record, CountEvaluator(), visits=8, progress=False)
    assert [p.to_play for p in review.positions] == [WHITE, BLACK, WHITE, BLACK]
    assert review.positions[0].score > 0, "two stones up: Black leads"
    assert review.moves[0].color == WHITE
    out = annotate_sgf(data, review, review.mistakes("points", threshold=-100, limit=1))
    main = sgf.Sgf_game.from_bytes(out).get_main_sequence()
    assert main[0].get_setup_stones()[0] == {(2, 4), (4, 2)} and len(main) == 4
