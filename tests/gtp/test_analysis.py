"""Analysis output: lz/kata line formats, streaming, point of view, GoGui commands."""

from __future__ import annotations

import re
import time

import pytest
from gtp_testkit import ScoreEvaluator, make_engine, one, transcript, use_evaluator

from goagent.coords import BLACK, WHITE, gtp_to_action
from goagent.mcts import ChildInfo, SearchResult
from gtp.analysis import AnalyzeRequest, kata_line, lz_line, parse_request, policy_gfx
from gtp.protocol import GtpError

# -- parsing the request ---------------------------------------------------------


def test_parse_request_forms():
    assert parse_request([], 19) == AnalyzeRequest()
    req = parse_request(["B", "50"], 19)
    assert (req.color, req.interval) == (BLACK, 0.5)
    req = parse_request(["10"], 19)
    assert (req.color, req.interval) == (None, 0.1)
    req = parse_request(["w", "interval", "25", "minmoves", "3", "maxmoves", "5", "ownership", "true"], 19)
    assert (req.color, req.interval, req.min_moves, req.max_moves, req.ownership) == (WHITE, 0.25, 3, 5, True)
    req = parse_request(["b", "20", "avoid", "b", "q16,d4", "1", "pvVisits", "false"], 19)
    assert req.interval == 0.2
    assert req.rules == ((False, BLACK, frozenset({gtp_to_action("q16", 19), gtp_to_action("d4", 19)}), 1),)
    req = parse_request(["w", "allow", "w", "c3,pass", "2", "avoid", "b", "e5", "1"], 9)
    assert req.rules == (
        (True, WHITE, frozenset({gtp_to_action("c3", 9), 81}), 2),
        (False, BLACK, frozenset({gtp_to_action("e5", 9)}), 1),
    )


@pytest.mark.parametrize(
    "args",
    [["b", "interval"], ["b", "interval", "x"], ["b", "minmoves", "-1"], ["b", "ownership", "yes"],
     ["b", "frobnicate", "1"], ["b", "avoid", "b"], ["purple"], ["b", "avoid", "b", "z99", "1"],
     ["b", "avoid", "b", "d4", "0"], ["b", "allow", "x", "d4", "1"], ["b", "avoid", "b", ",", "1"]],
)  # fmt: skip
def test_parse_request_errors(args):
    with pytest.raises(GtpError, match="syntax error"):
        parse_request(args, 19)


# -- line formats --------------------------------------------------------------


def sample_result(score=None, ownership=None) -> SearchResult:
    children = [
        ChildInfo(gtp_to_action("E5", 9), 30, 0.2, 0.5, 0.1, [40, 41, 31]),
        ChildInfo(gtp_to_action("C3", 9), 12, -0.1, 0.25, -0.6, [gtp_to_action("C3", 9)]),
        ChildInfo(81, 3, 0.0, 0.05, -1.2, [81]),  # pass
        ChildInfo(gtp_to_action("A1", 9), 0, 0.0, 0.2, -2.0, [72]),
    ]
    return SearchResult(45, 0.1, children, ownership=ownership, score=score)


def segments(line: str) -> list[list[str]]:
    return [seg.split() for seg in line.split("info ")[1:]]


def test_lz_line():
    line = lz_line(sample_result(), AnalyzeRequest(), 9)
    first, second, third = segments(line)
    assert first == "move E5 visits 30 winrate 6000 prior 5000 lcb 5500 order 0 pv E5 F5 E6".split()
    assert second[:8] == "move C3 visits 12 winrate 4500 prior 2500".split()
    assert second[8:] == "lcb 2000 order 1 pv C3".split()
    assert third[:2] == ["move", "pass"] and third[-2:] == ["pv", "pass"]
    assert "A1" not in line  # unvisited moves only on request
    assert "." not in line  # integers only


def test_kata_line_winrates_are_floats_and_pv_is_last():
    line = kata_line(sample_result(), AnalyzeRequest(), 9)
    for seg in segments(line):
        fields = dict(zip(seg[0:-1:2], seg[1::2]))
        assert "." in fields["winrate"] and 0 <= float(fields["winrate"]) <= 1
        assert "." in fields["prior"] and "." in fields["lcb"]
        not_moves = [i for i, tok in enumerate(seg) if not re.match(r"^([A-T]\d+|pass)$", tok)]
        assert seg.index("pv") == max(not_moves)
    assert "scoreLead" not in line and "ownership" not in line


def test_kata_line_score_lead_and_ownership():
    own = [0.5] * 81
    line = kata_line(sample_result(score=3.25), AnalyzeRequest(ownership=True), 9, own)
    assert line.count("scoreLead 3.250") == 3
    head, tail = line.split(" ownership ")
    assert len(tail.split()) == 81 and "ownership" not in head
    assert "ownership" not in kata_line(sample_result(score=1.0), AnalyzeRequest(), 9, own)


def test_min_and_max_moves():
    line = lz_line(sample_result(), AnalyzeRequest(min_moves=4), 9)
    assert len(segments(line)) == 4 and "move A1 visits 0" in line
    assert len(segments(lz_line(sample_result(), AnalyzeRequest(max_moves=1), 9))) == 1


def test_nothing_to_report_yet():
    children = [ChildInfo(81, 1, 0.0, 0.1, -1.0, [81]), ChildInfo(0, 0, 0.0, 0.9, -2.0)]
    only_pass = SearchResult(1, 0.0, children)
    assert lz_line(only_pass, AnalyzeRequest(), 9) is None
    assert kata_line(SearchResult(0, 0.0, []), AnalyzeRequest(), 9) is None


def test_policy_gfx():
    priors = [0.0] * 82
    priors[0], priors[40], priors[81] = 0.6, 0.3, 0.1
    text = policy_gfx(priors, 9)
    assert "LABEL A9 60 E5 30" in text and text.splitlines()[-1] == "TEXT policy: best A9 60.0%, pass 10.0%"
    assert all(line.split()[0] in ("COLOR", "LABEL", "TEXT") for line in text.splitlines())


# -- streaming in the engine ---------------------------------------------------


def info_lines(reply) -> list[str]:
    return [line for line in reply.lines[1:] if line.startswith("info ")]


def test_lz_analyze_streams_until_the_next_line():
    engine = make_engine(analyze_seconds=0.3)
    engine.brain.ready()  # load and warm up first: the 0.3 s are for searching, even on a busy machine
    transcript(engine, "boardsize 9\nplay b e5")
    replies = transcript(engine, "5 lz-analyze w 5\nname")
    assert replies[0].ok and replies[0].id == 5 and replies[0].lines[0] == "=5"
    infos = info_lines(replies[0])
    assert len(infos) >= 2 and len(infos) == len(replies[0].lines) - 1
    for line in infos:
        for seg in segments(line):
            assert seg[0] == "move" and seg[2] == "visits" and seg[4] == "winrate" and seg[5].isdigit()
            assert seg[seg.index("pv") + 1] == seg[1]  # the PV starts with the move
            assert engine.state.board.color_at(gtp_to_action(seg[1], 9)) == 0 or seg[1] == "pass"
    assert replies[1].text == "goagent"  # the interrupting line is then handled


def test_analysis_winrate_is_for_the_colour_asked():
    engine = make_engine(analyze_seconds=0.2)
    use_evaluator(engine, ScoreEvaluator())
    # Black has the whole board but a corner: good for Black, hopeless for White.
    transcript(engine, "boardsize 5\nkomi 0.5\nset_free_handicap a3 b3 c3 d3 e3")
    black = info_lines(one(engine, "lz-analyze b 5"))[-1]
    white = info_lines(one(engine, "lz-analyze w 5"))[-1]
    best = lambda line: int(segments(line)[0][5])  # noqa: E731
    assert best(black) > 8000 and best(white) < 2000
    kata_white = info_lines(one(engine, "kata-analyze w 5"))[-1]
    assert float(segments(kata_white)[0][segments(kata_white)[0].index("winrate") + 1]) < 0.25


def test_kata_analyze_score_and_ownership_from_the_network():
    engine = make_engine(analyze_seconds=0.2)
    use_evaluator(engine, ScoreEvaluator(scores=True, ownership=True))
    transcript(engine, "boardsize 5\nkomi 0.5\nset_free_handicap a3 b3 c3 d3 e3")
    line = info_lines(one(engine, "kata-analyze w 5 ownership true"))[-1]
    assert "scoreLead" in line
    values = [float(v) for v in line.split(" ownership ")[1].split()]
    assert len(values) == 25 and values[12] == -1.0  # C3 is Black's: -1 for White


def test_kata_analyze_takes_every_katago_key_and_reports_katago_1x_fields():
    engine = make_engine(analyze_seconds=0.3)
    use_evaluator(engine, ScoreEvaluator(scores=True, ownership=True))
    transcript(engine, "boardsize 5\nkomi 0.5\nplay b c3")
    keys = ("ownership true ownershipStdev true movesOwnership true movesOwnershipStdev true "
            "pvVisits true pvEdgeVisits true rootInfo true noResultValue true")  # fmt: skip
    reply = one(engine, f"kata-analyze w 5 {keys}")
    assert reply.ok
    line = info_lines(reply)[-1]
    head, tail = line.split(" rootInfo ")
    for seg in segments(head):
        for key in ("scoreMean", "scoreLead", "scoreStdev", "scoreSelfplay", "utility", "lcb", "order"):
            assert key in seg
        assert float(seg[seg.index("scoreStdev") + 1]) >= 0  # 0 here: this evaluator is certain
        pv = seg[seg.index("pv") + 1 : seg.index("pvVisits")]
        visits = seg[seg.index("pvVisits") + 1 : seg.index("movesOwnership")]
        assert len(pv) == len(visits) and int(visits[0]) == int(seg[seg.index("visits") + 1])
        assert len(seg) - seg.index("movesOwnership") - 1 == 25
    root, rest = tail.split(" ownership ", 1)
    assert root.split()[:2] == ["visits", str(sum(int(s[s.index("visits") + 1]) for s in segments(head)))]
    own, stdev = rest.split(" ownershipStdev ")
    assert len(own.split()) == 25 and len(stdev.split()) == 25
    assert float(own.split()[12]) == -1.0  # C3 is Black's: -1 for White, averaged over the search
    assert all(float(v) >= 0 for v in stdev.split())


def test_kata_analyze_ownership_without_an_ownership_head():
    engine = make_engine(analyze_seconds=0.2)
    engine.brain.ready()  # load and warm up first: the 0.2 s are for searching, even on a busy machine
    transcript(engine, "boardsize 5\nplay b c3")
    line = info_lines(one(engine, "kata-analyze b 5 ownership true"))[-1]
    assert "scoreLead" not in line  # the playout evaluator has no score head
    assert len(line.split(" ownership ")[1].split()) == 25


def test_genmove_analyze():
    engine = make_engine()
    transcript(engine, "boardsize 9")
    for command in ("lz-genmove_analyze b 1", "kata-genmove_analyze w 1"):
        reply = one(engine, command)
        assert reply.lines[0] == "=" and reply.lines[-1].startswith("play ")
        assert info_lines(reply) and len(info_lines(reply)) == len(reply.lines) - 2
    assert [m.color for m in engine.state.moves] == [BLACK, WHITE]


def moves_reported(line: str) -> set[str]:
    return {seg[1].upper() for seg in segments(line)}


def test_avoid_and_allow_restrict_what_is_searched():
    engine = make_engine(analyze_seconds=0.3)
    transcript(engine, "boardsize 5\nplay b c3")
    avoided = info_lines(one(engine, "kata-analyze w 5 minmoves 30 avoid w b2,b3,b4,c2 1"))
    assert avoided and all(moves_reported(line).isdisjoint({"B2", "B3", "B4", "C2"}) for line in avoided)
    assert "D4" in moves_reported(avoided[-1])  # everything else is still there (minmoves pads)
    allowed = info_lines(one(engine, "lz-analyze w 5 allow w d4,b2 1"))
    assert allowed and all(moves_reported(line) <= {"D4", "B2"} for line in allowed)
    other_color = info_lines(one(engine, "lz-analyze w 5 minmoves 30 avoid b d4 1"))
    assert "D4" in moves_reported(other_color[-1])  # the rule was for Black's moves only
    free = info_lines(one(engine, "lz-analyze w 5 minmoves 30"))
    assert "B2" in moves_reported(free[-1])  # the next command without rules searches everything
    reply = one(engine, "kata-genmove_analyze w 5 allow w a1 1")
    assert reply.lines[-1] == "play A1" and engine.state.moves[-1].action == gtp_to_action("a1", 5)


def test_analysis_errors_are_plain_failures():
    engine = make_engine()
    assert one(engine, "lz-analyze b interval").text == "syntax error"
    assert one(engine, "kata-analyze b 10 ownership maybe").text == "syntax error"


# -- GoGui ---------------------------------------------------------------------


def test_gogui_analyze_commands_and_displays():
    engine = make_engine()
    use_evaluator(engine, ScoreEvaluator(ownership=True))
    transcript(engine, "boardsize 5\nplay b c3")
    listed = one(engine, "gogui-analyze_commands").text.splitlines()
    assert all(len(line.split("/")) == 3 for line in listed)
    for entry in listed:
        command = entry.split("/")[2].replace("%m", "w")
        reply = one(engine, command)
        assert reply.ok and reply.text.splitlines()[-1].startswith("TEXT")
    ownership = one(engine, "goagent-value_ownership b").text
    assert ownership.startswith("INFLUENCE ") and "C3 1.00" in ownership and "network" in ownership
    assert one(engine, "goagent-policy_heatmap purple").text == "invalid color"


def test_a_full_memory_budget_stops_the_tree_not_the_analysis():
    engine = make_engine(analyze_seconds=0.3, memory_budget=200_000)
    engine.brain.ready()  # the 0.3 s are for searching, not loading
    transcript(engine, "boardsize 9")
    seen = []
    for _ in range(2):  # the second time the kept tree is already full
        start = time.monotonic()
        reply = one(engine, "lz-analyze b 100")
        assert time.monotonic() - start >= 0.3  # the response stayed open until the next line
        search = engine.brain.player.search
        used, budget = search.memory_use()
        assert budget == 200_000 and used <= budget
        seen.append((search.node_count, search.root.visits))
        assert len(info_lines(reply)) >= 1
    (nodes_1, visits_1), (nodes_2, visits_2) = seen
    assert nodes_2 == nodes_1 and visits_2 > visits_1 > nodes_1  # full: visits grow, the tree does not
