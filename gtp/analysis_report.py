"""Responses of ``goagent analysis``: a searched turn as KataGo's JSON result.

``turn_response(view)`` builds one ``{"id", "turnNumber", "isDuringSearch",
"moveInfos", "rootInfo", ...}`` object from a ``TurnView`` (the search
result and what the engine measured around it).  Field meanings follow
KataGo's docs/Analysis_Engine.md:

- every value is from the perspective the query asked for
  (``reportAnalysisWinratesAs``: BLACK by default, as in KataGo's analysis
  config; WHITE; or SIDETOMOVE): win rates, scores, utilities and
  ownership flip sign together;
- ``winrate``/``lcb`` are probabilities, ``utility`` is goagent's value in
  [-1, 1] (it has no score utility), ``scoreLead`` = ``scoreMean`` =
  ``scoreSelfplay`` (one score head);
- ``ownership`` arrays are row-major from the top-left (A19 on 19x19);
  ``policy`` has ``n*n+1`` entries, pass last, -1 on illegal points;
- ``rootInfo`` is always present with ``visits`` (KaTrain drops a result
  without it).

Search statistics come from ``goagent.mcts.SearchResult``/``ChildInfo``:
search-averaged ownership (root and per move), its deviation, score means
and deviations over the search.  ``gtp.analysis.score_stdev`` says how ``scoreStdev``
is estimated (the network has no score-deviation head).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from goagent.coords import BLACK, action_to_gtp
from goagent.winrate import winrate
from gtp.analysis import score_stdev


@dataclass
class TurnView:
    """What a response is built from (the side-to-move view, as the search keeps it)."""

    id: str
    turn: int
    size: int
    to_play: int
    perspective: str
    result: object | None  # goagent.mcts.SearchResult, None if never searched
    during_search: bool = False
    root_ownership: np.ndarray | None = None  # float[n*n], side to move (network or playouts)
    root_priors: np.ndarray | None = None  # float[n*n+1] network policy (zero on illegal)
    legal: np.ndarray | None = None  # bool[n*n+1]
    moves_ownership: dict[int, np.ndarray] = field(default_factory=dict)  # action -> root player's view
    pv_visits: dict[int, list[int]] = field(default_factory=dict)  # action -> visits along its pv
    include_ownership: bool = False
    include_ownership_stdev: bool = False
    include_policy: bool = False
    include_moves_ownership: bool = False
    include_pv_visits: bool = False
    this_hash: str = ""


def search_ownership(result, root_ownership: np.ndarray | None) -> np.ndarray | None:
    """Ownership for the side to move: the search's average (``SearchResult.ownership``,
    the root evaluation's until leaves with ownership are backed up), else
    ``root_ownership`` (random playouts' for an evaluator without an ownership head)."""
    averaged = getattr(result, "ownership", None)
    if averaged is not None:
        return np.asarray(averaged, np.float64)
    return None if root_ownership is None else np.asarray(root_ownership, np.float64)


def _flip(view: TurnView) -> bool:
    """True when reported values are the opponent's of the side to move."""
    if view.perspective == "SIDETOMOVE":
        return False
    return (view.perspective == "BLACK") != (view.to_play == BLACK)


def _rounded(values, sign: float) -> list[float]:
    return [round(sign * float(v), 6) for v in values]


def _winrate(value: float, flip: bool) -> float:
    p = winrate(value)
    return 1.0 - p if flip else p


def _move_info(view: TurnView, child, order: int, sign: float, ownership) -> dict:
    flip = sign < 0
    n = view.size
    info = {
        "move": action_to_gtp(child.action, n),
        "visits": int(child.visits),
        "winrate": _winrate(child.value, flip),
        "prior": float(min(1.0, max(0.0, child.prior))),
        "lcb": (1.0 - (child.lcb + 1.0) / 2.0) if flip else (child.lcb + 1.0) / 2.0,
        "utility": sign * float(child.value),
        "utilityLcb": sign * float(child.lcb),
        "order": order,
        "pv": [action_to_gtp(a, n) for a in (child.pv or [child.action])],
    }
    score = child.score
    if score is not None:
        info["scoreLead"] = info["scoreMean"] = info["scoreSelfplay"] = sign * float(score)
        own = view.moves_ownership.get(child.action)
        stdev = score_stdev(child.score_stdev, own if own is not None else ownership)
        if stdev is not None:
            info["scoreStdev"] = stdev
    if view.include_pv_visits and child.action in view.pv_visits:
        info["pvVisits"] = view.pv_visits[child.action]
    if view.include_moves_ownership and child.action in view.moves_ownership:
        info["ownership"] = _rounded(view.moves_ownership[child.action], sign)
    return info


def _root_info(view: TurnView, sign: float, ownership) -> dict:
    result = view.result
    flip = sign < 0
    root = {
        "visits": int(result.visits),
        "winrate": _winrate(result.value, flip),
        "utility": sign * float(result.value),
        "currentPlayer": "B" if view.to_play == BLACK else "W",
        "thisHash": view.this_hash,
        "symHash": view.this_hash,  # goagent does not canonicalise symmetries: the same hash
    }
    score = result.score_mean if result.score_mean is not None else result.score
    if score is not None:  # the search's mean, or the root's own estimate before any visit
        root["scoreLead"] = root["scoreSelfplay"] = sign * float(score)
        stdev = score_stdev(result.score_stdev, ownership)
        if stdev is not None:
            root["scoreStdev"] = stdev
    return root


def turn_response(view: TurnView) -> dict:
    """The JSON object for one analysed turn (final or, with ``during_search``, partial)."""
    out: dict = {"id": view.id, "turnNumber": view.turn, "isDuringSearch": view.during_search}
    result = view.result
    if result is None:
        out["noResults"] = True
        return out
    sign = -1.0 if _flip(view) else 1.0
    ownership = search_ownership(result, view.root_ownership)
    visited = [c for c in result.children if c.visits > 0]
    out["moveInfos"] = [_move_info(view, c, i, sign, ownership) for i, c in enumerate(visited)]
    out["rootInfo"] = _root_info(view, sign, ownership)
    if view.include_ownership and ownership is not None:
        out["ownership"] = _rounded(ownership, sign)
    if view.include_ownership_stdev and result.ownership_stdev is not None:
        out["ownershipStdev"] = _rounded(result.ownership_stdev, 1.0)
    if view.include_policy and view.root_priors is not None:
        priors = np.asarray(view.root_priors, np.float64)
        legal = view.legal if view.legal is not None else priors > 0
        out["policy"] = [round(float(p), 7) if ok else -1 for p, ok in zip(priors, legal)]
    return out
