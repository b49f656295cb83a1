"""Queries of ``goagent analysis``: KataGo's JSON analysis protocol, parsed and checked.

``parse_line(text)`` turns one input line into an ``Action`` (``query_version``,
``clear_cache``, ``terminate``, ``terminate_all``), a ``Query`` (a position
with the turns to analyse), or raises ``QueryError`` carrying the
KataGo-style ``{"error": ..., "field": ..., "id": ...}`` answer.  Warnings
(fields goagent does not use, settings it does not have) are collected on
the query and written before its results, as KataGo writes
``{"warning": ..., "field": ..., "id": ...}`` lines.

Field names and meanings follow KataGo's docs/Analysis_Engine.md (facts only;
no code of KataGo's).  Locations are GTP vertices (``"D4"``, ``"pass"``) or
``"(x,y)"`` with x the column and y the row from the top, 0-based.  The
board must be square (goagent's network and board are).  This module needs
no numpy and no Numba: positions are built later (``build_states``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace

from goagent.coords import BLACK, WHITE, check_size, gtp_to_action
from goagent.rules import HANDICAP_BONUS_RULES, Ruleset, parse_rules_and_komi

ACTIONS = ("query_version", "clear_cache", "terminate", "terminate_all")
PERSPECTIVES = ("BLACK", "WHITE", "SIDETOMOVE")
MAX_KOMI = 150.0  # KataGo's limit

# overrideSettings goagent honours; the rest are accepted with a warning.
SUPPORTED_SETTINGS = {
    "maxVisits": "visits",
    "maxPlayouts": "visits",  # no tree reuse across queries: playouts = visits
    "maxTime": "seconds",
    "reportAnalysisWinratesAs": "perspective",
    "cpuctExploration": "c_puct",
    "rootFpuReductionMax": "root_fpu_reduction",
    "fpuReductionMax": "fpu_reduction",
}
# Settings that change what the engine is (not only how it searches): a clear warning.
MISSING_MODES = {
    "humanSLProfile": "goagent has no human-style policy (humanPolicy)",
    "playoutDoublingAdvantage": "goagent has no playoutDoublingAdvantage (handicap-play) mode",
    "antiMirror": "goagent has no antiMirror mode",
}

_QUERY_FIELDS = {
    "id",
    "moves",
    "initialStones",
    "initialPlayer",
    "rules",
    "komi",
    "whiteHandicapBonus",
    "boardXSize",
    "boardYSize",
    "analyzeTurns",
    "maxVisits",
    "rootPolicyTemperature",
    "rootFpuReductionMax",
    "includeOwnership",
    "includeOwnershipStdev",
    "includeMovesOwnership",
    "includeMovesOwnershipStdev",
    "includePolicy",
    "includePVVisits",
    "includeNoResultValue",
    "includeHumanPolicy",
    "avoidMoves",
    "allowMoves",
    "overrideSettings",
    "reportDuringSearchEvery",
    "priority",
    "priorities",
}


class QueryError(ValueError):
    """A query goagent cannot run; ``answer`` is the KataGo-style error object."""

    def __init__(self, message: str, query_id=None, field_name: str | None = None):
        super().__init__(message)
        self.answer: dict = {"error": message}
        if field_name is not None:
            self.answer["field"] = field_name
        if query_id is not None:
            self.answer["id"] = query_id


@dataclass
class Action:
    """A special action query; ``raw`` is echoed back as its acknowledgement."""

    name: str
    id: str
    raw: dict
    terminate_id: str | None = None
    turns: tuple[int, ...] | None = None  # terminate only these turns (None: all)


@dataclass(frozen=True)
class MoveRuleSpec:
    """``avoidMoves``/``allowMoves`` entry: goagent.mcts.MoveRule's fields."""

    allow: bool
    color: int
    actions: frozenset[int]
    until_depth: int


@dataclass
class Query:
    """A checked analysis query."""

    id: str
    size: int
    komi: float
    rules: Ruleset | None
    rules_key: str  # canonical text of the rules: evaluation caches never mix rulesets
    initial_stones: list[tuple[int, int]]  # (color, action)
    moves: list[tuple[int, int]]
    initial_player: int | None
    turns: list[int]
    priorities: list[int]
    visits: int | None = None
    seconds: float | None = None
    perspective: str = "BLACK"
    include_ownership: bool = False
    include_ownership_stdev: bool = False
    include_moves_ownership: bool = False
    include_policy: bool = False
    include_pv_visits: bool = False
    move_rules: tuple[MoveRuleSpec, ...] = ()
    report_every: float | None = None
    search: dict = field(default_factory=dict)  # SearchConfig overrides (c_puct, fpu reductions)
    warnings: list[dict] = field(default_factory=list)

    def warn(self, message: str, field_name: str) -> None:
        self.warnings.append({"warning": message, "field": field_name, "id": self.id})


# -- small checkers --------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


def _player(value, qid, name: str) -> int:
    if isinstance(value, str) and value.strip().lower() in ("b", "black"):
        return BLACK
    if isinstance(value, str) and value.strip().lower() in ("w", "white"):
        return WHITE
    raise QueryError(f"Could not parse player: {value!r}", qid, name)


_XY = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def parse_location(value, size: int) -> int:
    """A GTP vertex, ``pass`` or ``(x,y)`` as an action; ValueError if not one."""
    if not isinstance(value, str):
        raise ValueError(f"not a location: {value!r}")
    match = _XY.match(value.strip())
    if match:
        x, y = int(match.group(1)), int(match.group(2))
        if not (0 <= x < size and 0 <= y < size):
            raise ValueError(f"location off the board: {value!r}")
        return y * size + x
    return gtp_to_action(value.strip(), size)


def _moves(value, qid, name: str, size: int, passes: bool) -> list[tuple[int, int]]:
    if not isinstance(value, list):
        raise QueryError(f"{name} must be a list of [player, location] pairs", qid, name)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, list) or len(item) != 2:
            raise QueryError(f"{name}[{i}] must be a [player, location] pair", qid, name)
        color = _player(item[0], qid, name)
        try:
            action = parse_location(item[1], size)
        except ValueError:
            raise QueryError(f"Could not parse location {item[1]!r} in {name}[{i}]", qid, name) from None
        if action == size * size and not passes:
            raise QueryError(f"{name}[{i}]: a stone cannot be placed at pass", qid, name)
        out.append((color, action))
    return out


def _bool(raw: dict, name: str, qid) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise QueryError(f"{name} must be a boolean", qid, name)
    return value


# -- the query -------------------------------------------------------------------


def parse_line(text: str) -> Action | Query:
    """One input line as an Action or a Query; QueryError with the answer otherwise."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise QueryError(f"Could not parse json: {err}") from None
    if not isinstance(raw, dict):
        raise QueryError("Request line was valid json but was not an object, ignoring")
    qid = raw.get("id")
    if not isinstance(qid, str):
        raise QueryError("Request must have a string id field", qid if _json_scalar(qid) else None, "id")
    if "action" in raw:
        return _action(raw, qid)
    return _query(raw, qid)


def _json_scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _action(raw: dict, qid: str) -> Action:
    name = raw["action"]
    if name not in ACTIONS:
        raise QueryError(f"Unknown action: {name!r}; known: {', '.join(ACTIONS)}", qid, "action")
    action = Action(name, qid, raw)
    if name == "terminate":
        target = raw.get("terminateId")
        if not isinstance(target, str):
            raise QueryError("terminate needs a string terminateId", qid, "terminateId")
        action.terminate_id = target
    if name in ("terminate", "terminate_all") and "turnNumbers" in raw:
        turns = raw["turnNumbers"]
        if not isinstance(turns, list) or not all(_is_int(t) for t in turns):
            raise QueryError("turnNumbers must be a list of integers", qid, "turnNumbers")
        action.turns = tuple(turns)
    return action


def _size(raw: dict, qid: str) -> int:
    for name in ("boardXSize", "boardYSize"):
        if name not in raw:
            raise QueryError(f"{name} must be specified", qid, name)
        if not _is_int(raw[name]):
            raise QueryError(f"{name} must be an integer", qid, name)
    x, y = raw["boardXSize"], raw["boardYSize"]
    if x != y:
        raise QueryError(f"goagent supports only square boards, not {x}x{y}", qid, "boardYSize")
    try:
        return check_size(x)
    except ValueError as err:
        raise QueryError(str(err), qid, "boardXSize") from None


def _query(raw: dict, qid: str) -> Query:
    size = _size(raw, qid)
    if "moves" not in raw:
        raise QueryError("moves must be specified (an empty list for none)", qid, "moves")
    moves = _moves(raw["moves"], qid, "moves", size, passes=True)
    stones = _moves(raw.get("initialStones", []), qid, "initialStones", size, passes=False)
    if len({a for _, a in stones}) != len(stones):
        raise QueryError("initialStones has two stones on one point", qid, "initialStones")
    initial_player = _player(raw["initialPlayer"], qid, "initialPlayer") if "initialPlayer" in raw else None
    if "rules" not in raw:
        raise QueryError('rules must be specified (e.g. "tromp-taylor", "japanese")', qid, "rules")
    query = Query(
        id=qid,
        size=size,
        komi=7.5,
        rules=None,
        rules_key="",
        initial_stones=stones,
        moves=moves,
        initial_player=initial_player,
        turns=[],
        priorities=[],
    )
    _rules(query, raw)
    _komi(query, raw)
    _turns(query, raw)
    query.include_ownership = _bool(raw, "includeOwnership", qid)
    query.include_ownership_stdev = _bool(raw, "includeOwnershipStdev", qid)
    query.include_moves_ownership = _bool(raw, "includeMovesOwnership", qid)
    query.include_policy = _bool(raw, "includePolicy", qid)
    query.include_pv_visits = _bool(raw, "includePVVisits", qid)
    for name in ("includeMovesOwnershipStdev", "includeNoResultValue", "includeHumanPolicy"):
        if _bool(raw, name, qid):
            why = "goagent has no human-style policy" if name == "includeHumanPolicy" else "not reported"
            query.warn(f"{name}: {why}; the field is left out of the results", name)
    if "maxVisits" in raw:
        query.visits = _positive_int(raw["maxVisits"], qid, "maxVisits")
    if "rootFpuReductionMax" in raw:
        query.search["root_fpu_reduction"] = _number(raw["rootFpuReductionMax"], qid, "rootFpuReductionMax")
    if "rootPolicyTemperature" in raw:
        _number(raw["rootPolicyTemperature"], qid, "rootPolicyTemperature")
        query.warn("rootPolicyTemperature is not supported; searching as usual", "rootPolicyTemperature")
    if "reportDuringSearchEvery" in raw:
        every = raw["reportDuringSearchEvery"]
        if not _is_number(every) or every <= 0:
            raise QueryError(
                "reportDuringSearchEvery must be a positive number", qid, "reportDuringSearchEvery"
            )
        query.report_every = float(every)
    query.move_rules = _move_rules(raw, qid, size)
    _settings(query, raw.get("overrideSettings", {}))
    for name in raw:
        if name not in _QUERY_FIELDS and name != "action":
            query.warn("Unexpected or unused field", name)
    return query


def _positive_int(value, qid, name: str) -> int:
    if not _is_int(value) or value < 1:
        raise QueryError(f"{name} must be a positive integer", qid, name)
    return int(value)


def _number(value, qid, name: str) -> float:
    if not _is_number(value):
        raise QueryError(f"{name} must be a number", qid, name)
    return float(value)


def _rules(query: Query, raw: dict) -> None:
    """The ``rules`` field (a KataGo name or JSON object) and ``whiteHandicapBonus``."""
    try:
        ruleset, komi = parse_rules_and_komi(raw["rules"])
    except ValueError as err:
        raise QueryError(str(err), query.id, "rules") from None
    bonus = raw.get("whiteHandicapBonus")
    if bonus is not None:
        if bonus not in HANDICAP_BONUS_RULES:
            raise QueryError(
                f"whiteHandicapBonus must be one of {HANDICAP_BONUS_RULES}", query.id, "whiteHandicapBonus"
            )
        ruleset = replace(ruleset, white_handicap_bonus=bonus)
    query.rules = ruleset
    query.rules_key = ruleset.compact()
    query.komi = ruleset.default_komi if komi is None else komi


def _komi(query: Query, raw: dict) -> None:
    if "komi" not in raw:
        return  # the rules' komi or default
    komi = raw["komi"]
    if not _is_number(komi) or abs(komi) > MAX_KOMI:
        raise QueryError(f"komi must be a number from -{MAX_KOMI:g} to {MAX_KOMI:g}", query.id, "komi")
    if komi * 2 != int(komi * 2):
        raise QueryError("komi must be an integer or half-integer", query.id, "komi")
    query.komi = float(komi)


def _turns(query: Query, raw: dict) -> None:
    last = len(query.moves)
    turns = raw.get("analyzeTurns", [last])
    if not isinstance(turns, list) or not turns or not all(_is_int(t) for t in turns):
        raise QueryError("analyzeTurns must be a non-empty list of integers", query.id, "analyzeTurns")
    for t in turns:
        if not 0 <= t <= last:
            raise QueryError(f"Invalid turn number {t}: moves has {last} moves", query.id, "analyzeTurns")
    if len(set(turns)) != len(turns):
        raise QueryError("analyzeTurns lists a turn twice", query.id, "analyzeTurns")
    if "priorities" in raw:
        prios = raw["priorities"]
        if not isinstance(prios, list) or len(prios) != len(turns) or not all(_is_int(p) for p in prios):
            raise QueryError(
                "priorities must be integers, one per analyzeTurns entry", query.id, "priorities"
            )
    else:
        prio = raw.get("priority", 0)
        if not _is_int(prio):
            raise QueryError("priority must be an integer", query.id, "priority")
        prios = [prio] * len(turns)
    query.turns = list(turns)
    query.priorities = [int(p) for p in prios]


def _move_rules(raw: dict, qid: str, size: int) -> tuple[MoveRuleSpec, ...]:
    rules = []
    for name in ("avoidMoves", "allowMoves"):
        entries = raw.get(name, [])
        if not isinstance(entries, list):
            raise QueryError(f"{name} must be a list of objects", qid, name)
        if name == "allowMoves" and len(entries) > 1:
            raise QueryError("allowMoves may hold only one entry", qid, name)
        for entry in entries:
            if not isinstance(entry, dict) or not {"player", "moves", "untilDepth"} <= entry.keys():
                raise QueryError(f"each {name} entry needs player, moves and untilDepth", qid, name)
            color = _player(entry["player"], qid, name)
            depth = _positive_int(entry["untilDepth"], qid, name)
            if not isinstance(entry["moves"], list):
                raise QueryError(f"{name} moves must be a list of locations", qid, name)
            try:
                actions = frozenset(parse_location(m, size) for m in entry["moves"])
            except ValueError as err:
                raise QueryError(f"{name}: {err}", qid, name) from None
            if actions:
                rules.append(MoveRuleSpec(name == "allowMoves", color, actions, depth))
    return tuple(rules)


def _settings(query: Query, settings) -> None:
    qid = query.id
    if not isinstance(settings, dict):
        raise QueryError("overrideSettings must be an object", qid, "overrideSettings")
    for key, value in settings.items():
        target = SUPPORTED_SETTINGS.get(key)
        where = f"overrideSettings.{key}"
        if target == "visits":
            query.visits = _positive_int(value, qid, where)
        elif target == "seconds":
            seconds = _number(value, qid, where)
            if seconds <= 0:
                raise QueryError(f"{key} must be positive", qid, where)
            query.seconds = seconds
        elif target == "perspective":
            if not isinstance(value, str) or value.upper() not in PERSPECTIVES:
                raise QueryError(f"{key} must be one of {', '.join(PERSPECTIVES)}", qid, where)
            query.perspective = value.upper()
        elif target is not None:
            number = _number(value, qid, where)
            if number < 0:
                raise QueryError(f"{key} must not be negative", qid, where)
            query.search[target] = number
        elif key in MISSING_MODES:
            query.warn(f"{MISSING_MODES[key]}; analysing with the standard network and search", where)
        else:
            query.warn(f"goagent has no setting {key}; ignored", where)
