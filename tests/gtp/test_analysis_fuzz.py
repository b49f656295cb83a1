"""Fuzz ``goagent analysis`` with 1,000 malformed or odd queries.

Each line gets its answer: one error object (with the query's id when it had
a string id), one echo for an action, or, for a query that runs, its
warnings and exactly one final result per requested turn.  The engine stays
up and answers a good query at the end.
"""

from __future__ import annotations

import json
import random

from tests.gtp.test_analysis_engine import PlanesRecording, finals, make, run

JUNK = [None, "", "x", -1, 0, 1, 2.5, 1e308, -1e308, 10**20, True, False, [], {}, [[]], [["B"]], {"a": 1}]
COORDS = [
    "A1",
    "B2",
    "C3",
    "D4",
    "E5",
    "J9",
    "T19",
    "Z1",
    "pass",
    "PASS",
    "a1",
    "(0,0)",
    "(4,4)",
    "(9,9)",
    "",
    "I3",
]
RULES = ["tromp-taylor", "japanese", "chinese", "korean", "aga", "new-zealand", {"ko": "SIMPLE"}]
SETTINGS = [
    "maxVisits",
    "maxTime",
    "reportAnalysisWinratesAs",
    "cpuctExploration",
    "antiMirror",
    "humanSLProfile",
    "foo",
]
KEYS = [
    "id", "moves", "initialStones", "initialPlayer", "rules", "komi", "boardXSize", "boardYSize",
    "analyzeTurns", "maxVisits", "includeOwnership", "includeOwnershipStdev", "includeMovesOwnership",
    "includePolicy", "includePVVisits", "avoidMoves", "allowMoves", "overrideSettings", "priority",
    "priorities", "reportDuringSearchEvery", "whiteHandicapBonus", "action", "terminateId",
]  # fmt: skip


def _moves(rng: random.Random) -> list:
    return [
        [rng.choice(["B", "W", "b", "white", "X", 1]), rng.choice(COORDS)] for _ in range(rng.randint(0, 8))
    ]


def _base(rng: random.Random, i: int) -> dict:
    size = rng.choice([5, 7, 9])
    moves = [
        [("B", "W")[k % 2], f"{'ABCDEFGHJ'[rng.randrange(size)]}{rng.randint(1, size)}"]
        for k in range(rng.randint(0, 6))
    ]
    return {
        "id": f"q{i}",
        "moves": moves,
        "rules": rng.choice(RULES),
        "komi": rng.choice([7.5, 6.5, 0, -3, 150]),
        "boardXSize": size,
        "boardYSize": size,
        "maxVisits": rng.randint(1, 6),
        "analyzeTurns": sorted(rng.sample(range(len(moves) + 1), rng.randint(1, len(moves) + 1))),
    }  # fmt: skip


def _mutate(rng: random.Random, q: dict) -> dict:
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        key = rng.choice(KEYS)
        if kind < 0.25:
            q.pop(key, None)
        elif kind < 0.55:
            q[key] = rng.choice(JUNK)
        elif kind < 0.7:
            q["moves"] = _moves(rng)
        elif kind < 0.8:
            player, depth = rng.choice(["B", "W", "Q"]), rng.choice([1, 3, 0, "x"])
            q[rng.choice(["avoidMoves", "allowMoves"])] = [
                {"player": player, "moves": rng.sample(COORDS, 3), "untilDepth": depth}
            ]
        elif kind < 0.9:
            q["overrideSettings"] = {rng.choice(SETTINGS): rng.choice(JUNK + ["WHITE"])}
        else:
            q["boardXSize"], q["boardYSize"] = rng.choice(
                [(0, 0), (1, 1), (2, 2), (9, 13), (26, 26), (19, 19), (5, 5)]
            )
    return q


def _line(rng: random.Random, i: int) -> str:
    roll = rng.random()
    if roll < 0.08:
        text = json.dumps(_base(rng, i))
        return text[: rng.randrange(1, len(text))]  # truncated
    if roll < 0.12:
        return rng.choice(
            ["[" * 5000, "null", "42", '"text"', "\u00ff\u20ac{", "{}", '{"id": 5}', "NaN", "{,}"]
        )
    if roll < 0.18:
        action = rng.choice(["query_version", "clear_cache", "terminate", "terminate_all", "stop", 3])
        return json.dumps(
            {
                "id": f"q{i}",
                "action": action,
                "terminateId": rng.choice(["q1", 7]),
                "turnNumbers": rng.choice([[0], "x"]),
            }
        )
    q = _base(rng, i)
    if roll < 0.9:
        q = _mutate(rng, q)
    return json.dumps(q, allow_nan=True)


def _check(line: str, answers: list[dict]) -> None:
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        raw = None
    errors = [a for a in answers if "error" in a]
    if errors:
        assert len(answers) == 1, (line, answers)
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            assert errors[0].get("id") == raw["id"], (line, answers)
        return
    assert isinstance(raw, dict), (line, answers)
    if "action" in raw:
        assert len(answers) == 1 and answers[0]["id"] == raw["id"], (line, answers)
        return
    results = finals(answers)
    turns = raw.get("analyzeTurns", [len(raw["moves"])])
    assert sorted(r["turnNumber"] for r in results) == sorted(turns), (line, answers)
    assert all(r["id"] == raw["id"] and r["rootInfo"]["visits"] >= 1 for r in results), (line, answers)
    others = [a for a in answers if a not in results]
    assert all("warning" in a for a in others), (line, answers)


def test_a_thousand_odd_queries_each_get_their_answer():
    rng = random.Random(15)
    engine, out = make(PlanesRecording(), parallel=4, batch=4)
    kinds = {"error": 0, "ran": 0}
    for i in range(1000):
        line = _line(rng, i)
        answers = run(engine, out, line)
        _check(line, answers)
        kinds["error" if any("error" in a for a in answers) else "ran"] += 1
    assert kinds["error"] > 200 and kinds["ran"] > 200, kinds  # the fuzz reaches both sides
    good = {
        "id": "good",
        "moves": [["B", "C3"]],
        "rules": "japanese",
        "boardXSize": 5,
        "boardYSize": 5,
        "maxVisits": 8,
    }
    assert len(finals(run(engine, out, good))) == 1
