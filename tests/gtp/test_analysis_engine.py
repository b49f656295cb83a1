"""``goagent analysis``: KataGo's JSON analysis protocol, in process and as a subprocess."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from goagent.mcts import Evaluation
from gtp.analysis_engine import AnalysisEngine, AnalysisSettings
from tests.gtp.gtp_testkit import ScoreEvaluator
from tests.gtp.test_subprocess import goagent_command


class Recording(ScoreEvaluator):
    """ScoreEvaluator that remembers the size of every batch."""

    def __init__(self):
        super().__init__(scores=True, ownership=True)
        self.batches: list[int] = []

    def evaluate(self, states, legal):
        self.batches.append(len(states))
        return super().evaluate(states, legal)


class PlanesRecording:
    """Takes encoded planes as the network does (pooled batches); remembers batch sizes.
    Uniform priors over legal moves, value 0, score +1 and Black-leaning ownership
    for the side to move."""

    def __init__(self):
        self.batches: list[int] = []

    def evaluate_planes(self, planes, legal):
        self.batches.append(len(planes))
        legal = np.asarray(legal, np.float32)
        priors = legal / legal.sum(axis=1, keepdims=True)
        b, n2 = len(planes), legal.shape[1] - 1
        return Evaluation(
            priors, np.zeros(b, np.float32), np.full((b, n2), 0.1, np.float32), np.ones(b, np.float32)
        )

    def evaluate(self, states, legal):
        return self.evaluate_planes(
            np.zeros((len(states), 1, states[0].size, states[0].size)), np.stack(legal)
        )


def make(evaluator=None, **settings) -> tuple[AnalysisEngine, list[str]]:
    out: list[str] = []
    engine = AnalysisEngine(AnalysisSettings(**settings), out.append, lambda: evaluator or Recording())
    engine.start_loading()
    assert engine.wait_ready(30)
    return engine, out


def run(engine: AnalysisEngine, out: list[str], *queries) -> list[dict]:
    """Send the queries (dicts or raw lines), search until idle; the new output objects."""
    start = len(out)
    for q in queries:
        engine.handle_line(q if isinstance(q, str) else json.dumps(q))
    while engine.busy:
        engine.step()
    return [json.loads(line) for line in out[start:]]


def query(**fields) -> dict:
    q = {"id": "q", "moves": [["B", "E5"], ["W", "C3"]], "rules": "chinese", "komi": 7,
         "boardXSize": 9, "boardYSize": 9, "maxVisits": 24}  # fmt: skip
    q.update(fields)
    return q


def finals(answers: list[dict]) -> list[dict]:
    return [a for a in answers if "turnNumber" in a and not a["isDuringSearch"] and "error" not in a]


def test_one_final_result_per_turn_with_katago_fields():
    engine, out = make()
    answers = run(engine, out, query(analyzeTurns=[0, 1, 2], includeOwnership=True, includePolicy=True))
    results = sorted(finals(answers), key=lambda a: a["turnNumber"])
    assert [r["turnNumber"] for r in results] == [0, 1, 2] and len(answers) == 3
    for r in results:
        assert r["id"] == "q"
        assert r["rootInfo"]["visits"] == 24
        assert r["rootInfo"]["currentPlayer"] == ("B" if r["turnNumber"] % 2 == 0 else "W")
        assert {"winrate", "scoreLead", "scoreStdev", "utility", "thisHash"} <= r["rootInfo"].keys()
        infos = r["moveInfos"]
        assert [m["order"] for m in infos] == list(range(len(infos)))
        assert sum(m["visits"] for m in infos) == 24
        assert [m["visits"] for m in infos] == sorted((m["visits"] for m in infos), reverse=True)
        for m in infos:
            assert {"move", "visits", "winrate", "scoreLead", "scoreMean", "scoreStdev", "prior", "lcb",
                    "utility", "order", "pv"} <= m.keys()  # fmt: skip
            assert m["pv"][0] == m["move"] and 0 <= m["winrate"] <= 1 and m["scoreStdev"] > 0
        assert len(r["ownership"]) == 81 and len(r["policy"]) == 82
    # turn 2: E5 and C3 are occupied, so illegal in the policy
    policy = results[2]["policy"]
    assert policy[4 * 9 + 4] == -1 and policy[6 * 9 + 2] == -1
    assert abs(sum(p for p in policy if p >= 0) - 1) < 1e-4


def test_perspective_black_by_default_and_sidetomove_on_request():
    q = query(moves=[["B", "E5"], ["W", "C3"], ["B", "G7"]], komi=0)  # White to move
    black = run(*make(), q)[0]
    side = run(*make(), dict(q, overrideSettings={"reportAnalysisWinratesAs": "SIDETOMOVE"}))[0]
    white = run(*make(), dict(q, overrideSettings={"reportAnalysisWinratesAs": "WHITE"}))[0]
    assert black["rootInfo"]["winrate"] == pytest.approx(1 - side["rootInfo"]["winrate"])
    assert black["rootInfo"]["scoreLead"] == pytest.approx(-side["rootInfo"]["scoreLead"])
    assert black["rootInfo"]["utility"] == pytest.approx(-side["rootInfo"]["utility"])
    assert white["rootInfo"]["winrate"] == pytest.approx(side["rootInfo"]["winrate"])
    assert black["moveInfos"][0]["winrate"] == pytest.approx(1 - side["moveInfos"][0]["winrate"])
    assert black["moveInfos"][0]["scoreLead"] == pytest.approx(-side["moveInfos"][0]["scoreLead"])
    # the evaluator scores Tromp-Taylor: Black has two stones to one and no komi to pay
    assert black["rootInfo"]["scoreLead"] > 0


def test_ownership_follows_the_perspective():
    q = query(moves=[["B", "E5"], ["W", "C3"], ["B", "G7"]], includeOwnership=True, maxVisits=4)
    black = run(*make(), q)[0]  # White to move
    side = run(*make(), dict(q, overrideSettings={"reportAnalysisWinratesAs": "SIDETOMOVE"}))[0]
    assert black["ownership"][4 * 9 + 4] > 0  # Black's stone, Black's view
    assert np.allclose(black["ownership"], -np.array(side["ownership"]))


def test_moves_ownership_and_pv_visits():
    r = run(*make(), query(includeMovesOwnership=True, includePVVisits=True))[0]
    for m in r["moveInfos"]:
        assert len(m["ownership"]) == 81
        assert len(m["pvVisits"]) == len(m["pv"]) and m["pvVisits"][0] == m["visits"]


def test_turns_of_several_queries_share_network_batches():
    evaluator = PlanesRecording()
    engine, out = make(evaluator, batch=4, parallel=8)
    answers = run(engine, out, query(id="a", analyzeTurns=[0, 1, 2]), query(id="b", moves=[], maxVisits=16))
    assert len(finals(answers)) == 4
    assert max(evaluator.batches) > 4  # one call held leaves of several turns


def test_avoid_and_allow_moves():
    allowed = ["A1", "B1", "C1"]
    r = run(*make(), query(allowMoves=[{"player": "B", "moves": allowed, "untilDepth": 1}]))[0]
    assert {m["move"] for m in r["moveInfos"]} <= set(allowed)
    r = run(*make(), query(avoidMoves=[{"player": "B", "moves": ["A1", "pass"], "untilDepth": 1}]))[0]
    assert all(m["move"] not in ("A1", "pass") for m in r["moveInfos"])


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("{not json", None),
        ("[1, 2]", None),
        (json.dumps({"moves": []}), "id"),
        (json.dumps(query(boardYSize=13)), "boardYSize"),
        (json.dumps(query(boardXSize=40, boardYSize=40)), "boardXSize"),
        (json.dumps(query(moves=[["B", "E5"], ["W", "E5"]])), "moves"),
        (json.dumps(query(moves=[["X", "E5"]])), "moves"),
        (json.dumps(query(moves=[["B", "Z99"]])), "moves"),
        (json.dumps(query(rules="no such rules")), "rules"),
        (json.dumps(query(komi=7.3)), "komi"),
        (json.dumps(query(komi="7")), "komi"),
        (json.dumps(query(analyzeTurns=[5])), "analyzeTurns"),
        (json.dumps(query(maxVisits=0)), "maxVisits"),
        (json.dumps(query(includeOwnership="yes")), "includeOwnership"),
        (json.dumps(query(initialStones=[["B", "pass"]])), "initialStones"),
        (json.dumps(query(overrideSettings={"reportAnalysisWinratesAs": "RED"})),
         "overrideSettings.reportAnalysisWinratesAs"),
        (json.dumps({"id": "q", "action": "explode"}), "action"),
        (json.dumps({"id": "q", "action": "terminate"}), "terminateId"),
    ],
)  # fmt: skip
def test_bad_input_gets_one_error_and_the_engine_goes_on(line, field):
    engine, out = make()
    answers = run(engine, out, line)
    assert len(answers) == 1 and "error" in answers[0], answers
    assert answers[0].get("field") == field
    if field not in (None, "id"):
        assert answers[0]["id"] == "q"
    assert len(finals(run(engine, out, query(maxVisits=4)))) == 1


def test_warnings_for_what_goagent_lacks():
    settings = {"humanSLProfile": "rank_5k", "playoutDoublingAdvantage": 1.0, "antiMirror": True, "foo": 1}
    answers = run(*make(), query(overrideSettings=settings, somethingNew=3, maxVisits=4))
    warnings = [a for a in answers if "warning" in a]
    fields = {w["field"] for w in warnings}
    assert fields == {f"overrideSettings.{k}" for k in settings} | {"somethingNew"}
    assert all(w["id"] == "q" for w in warnings)
    assert any("humanPolicy" in w["warning"] for w in warnings)
    assert len(finals(answers)) == 1


def test_actions_version_cache_terminate():
    engine, out = make(parallel=1)
    version = run(engine, out, {"id": "v", "action": "query_version"})[0]
    assert version["id"] == "v" and version["action"] == "query_version" and version["version"]
    assert run(engine, out, {"id": "c", "action": "clear_cache"}) == [{"id": "c", "action": "clear_cache"}]
    # two queries queued, one started: terminate ends both, each with exactly one final answer
    engine.handle_line(json.dumps(query(id="long", maxVisits=10_000)))
    engine.handle_line(json.dumps(query(id="later", analyzeTurns=[0, 1])))
    engine.step()
    engine.step()
    answers = run(engine, out, {"id": "t", "action": "terminate", "terminateId": "long"},
                  {"id": "t2", "action": "terminate_all", "turnNumbers": [1]})  # fmt: skip
    assert answers[0] == {"id": "t", "action": "terminate", "terminateId": "long"}
    by_id = {(a["id"], a.get("turnNumber")): a for a in answers}
    assert (
        by_id[("long", 2)]["isDuringSearch"] is False
        and 0 < by_id[("long", 2)]["rootInfo"]["visits"] < 10_000
    )
    assert by_id[("later", 1)] == {"id": "later", "turnNumber": 1, "isDuringSearch": False, "noResults": True}
    assert by_id[("later", 0)]["rootInfo"]["visits"] == 24  # not terminated: turn 0 ran to its end


def test_reports_during_search_then_one_final():
    answers = run(*make(), query(maxVisits=200, reportDuringSearchEvery=1e-6))
    partial = [a for a in answers if a["isDuringSearch"]]
    assert partial and all(a["rootInfo"]["visits"] <= 200 for a in partial)
    assert len(finals(answers)) == 1 and answers[-1]["isDuringSearch"] is False


def test_priority_orders_queued_turns():
    engine, out = make(parallel=1)
    engine.handle_line(json.dumps(query(id="low", priority=-5, maxVisits=4)))
    engine.handle_line(json.dumps(query(id="high", priority=5, maxVisits=4)))
    answers = run(engine, out)
    assert [a["id"] for a in answers] == ["high", "low"]


def test_setup_stones_initial_player_and_handicap_bonus():
    q = query(moves=[], initialStones=[["B", "C3"], ["B", "G7"]], initialPlayer="W", rules="chinese")
    r = run(*make(), dict(q, includeOwnership=True))[0]
    assert r["rootInfo"]["currentPlayer"] == "W"
    assert r["ownership"][6 * 9 + 2] > 0  # C3 is Black's


class NoHeads:
    """Uniform priors and a zero value: no score, no ownership head."""

    def evaluate(self, states, legal):
        priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
        return Evaluation(priors, np.zeros(len(states), np.float32))


def test_an_evaluator_without_score_or_ownership():
    r = run(*make(NoHeads()), query(includeOwnership=True, maxVisits=8))[0]
    assert "scoreLead" not in r["rootInfo"] and "scoreLead" not in r["moveInfos"][0]
    assert len(r["ownership"]) == 81  # from random playouts


def test_subprocess_finishes_queued_turns_at_end_of_input():
    lines = [
        json.dumps(query(id="a", analyzeTurns=[0, 1, 2], maxVisits=8)),
        "garbage",
        json.dumps({"id": "v", "action": "query_version"}),
        json.dumps(query(id="b", boardXSize=5, boardYSize=5, moves=[["B", "C3"]], maxVisits=8)),
    ]
    proc = subprocess.run(
        [*goagent_command(), "analysis", "--model", "playouts"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == 6  # 3 + 1 results, one error, one version
    assert sorted((a["id"], a["turnNumber"]) for a in finals(answers)) == [
        ("a", 0),
        ("a", 1),
        ("a", 2),
        ("b", 1),
    ]
    assert sum("error" in a for a in answers) == 1
