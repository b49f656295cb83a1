"""Analysis output as Sabaki, Lizzie and GoGui read it.

``parse_request`` reads the arguments of ``lz-analyze`` / ``kata-analyze``
and their ``*-genmove_analyze`` forms:
``[color] [interval] [interval N] [minmoves N] [maxmoves N] [ownership true]
[avoid|allow COLOR VERTICES UNTIL_DEPTH] ...`` (interval in centiseconds, as
Leela Zero and KataGo take it; avoid/allow restrict the search as in KataGo).

``lz_line`` and ``kata_line`` turn a ``mcts.SearchResult`` into one output
line of ``info move X visits N winrate W prior P lcb L order K pv ...``
segments, one per root move, best first, ``pv`` always last.  Everything is
from the point of view of the analysed colour (the side to move at the
root): Leela Zero's integer win rates in 0..10000, KataGo's floats in [0, 1]
always written with a decimal point, ``scoreLead`` only when the evaluator
predicts scores, and ``ownership`` (n*n values, top-left first) only when
asked for.

``policy_gfx`` and ``ownership_gfx`` answer the GoGui analyze commands
listed by ``GOGUI_ANALYZE_COMMANDS``.  Inputs are plain sequences, so this
module stays light (no numpy, no Numba) and the engine starts fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from goagent.coords import action_to_gtp, gtp_to_action, parse_color
from goagent.winrate import winrate
from gtp.protocol import SYNTAX_ERROR, GtpError

# GoGui: type/label/command; %m is replaced by the colour to move.
GOGUI_ANALYZE_COMMANDS = (
    "gfx/Policy heat map/goagent-policy_heatmap %m",
    "gfx/Value and ownership/goagent-value_ownership %m",
)

# Every boolean key KataGo 1.x's kata-analyze takes.  goagent reports what it has a source for;
# movesOwnershipStdev, pvEdgeVisits (no transpositions: edge visits = visits) and noResultValue
# (goagent's rules have no no-result outcome) are accepted and left out.
_FLAG_KEYS = (
    "ownership",
    "ownershipstdev",
    "pvvisits",
    "pvedgevisits",
    "movesownership",
    "movesownershipstdev",
    "rootinfo",
    "noresultvalue",
)


@dataclass
class AnalyzeRequest:
    """What an analyze command asked for; ``interval`` in seconds (0: only at the end)."""

    color: int | None = None
    interval: float = 0.0
    min_moves: int = 0
    max_moves: int = 0  # 0: no limit
    ownership: bool = False
    ownership_stdev: bool = False
    moves_ownership: bool = False
    pv_visits: bool = False
    root_info: bool = False
    # avoid/allow as (allow, color, actions, until_depth): goagent.mcts.MoveRule's fields
    rules: tuple[tuple[bool, int, frozenset[int], int], ...] = ()


def _number(text: str, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise GtpError(SYNTAX_ERROR) from None
    if not math.isfinite(value) or value < 0:
        raise GtpError(SYNTAX_ERROR)
    return value


def _flag(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise GtpError(SYNTAX_ERROR)
    return lowered == "true"


def _move_rule(key: str, words: list[str], size: int) -> tuple[bool, int, frozenset[int], int]:
    """``avoid|allow COLOR VERTEX[,VERTEX...] UNTIL_DEPTH`` (KataGo's form)."""
    if len(words) < 3:
        raise GtpError(SYNTAX_ERROR)
    color_word, vertices, depth = words[:3]
    del words[:3]
    try:
        color = parse_color(color_word)
        actions = frozenset(gtp_to_action(v, size) for v in vertices.split(",") if v)
        until = int(depth)
    except ValueError:
        raise GtpError(SYNTAX_ERROR) from None
    if not actions or until < 1:
        raise GtpError(SYNTAX_ERROR)
    return key == "allow", color, actions, until


def parse_request(args: list[str], size: int) -> AnalyzeRequest:
    """Parse analyze arguments for a ``size`` board; raises GtpError(syntax error) on
    malformed ones."""
    request = AnalyzeRequest()
    rules = []
    words = list(args)
    if words:
        try:
            request.color = parse_color(words[0])
            words.pop(0)
        except ValueError:
            pass
    if words and words[0].isdigit():
        request.interval = _number(words.pop(0)) / 100.0
    while words:
        key = words.pop(0).lower()
        if key in ("avoid", "allow"):
            rules.append(_move_rule(key, words, size))
            continue
        if not words:
            raise GtpError(SYNTAX_ERROR)
        value = words.pop(0)
        if key == "interval":
            request.interval = _number(value) / 100.0
        elif key == "minmoves":
            request.min_moves = int(_number(value, integer=True))
        elif key == "maxmoves":
            request.max_moves = int(_number(value, integer=True))
        elif key in _FLAG_KEYS:
            flag = _flag(value)
            field = {"ownership": "ownership", "ownershipstdev": "ownership_stdev", "pvvisits": "pv_visits",
                     "movesownership": "moves_ownership", "rootinfo": "root_info"}.get(key)  # fmt: skip
            if field:
                setattr(request, field, flag)
        else:
            raise GtpError(SYNTAX_ERROR)
    request.rules = tuple(rules)
    return request


def candidates(result, request: AnalyzeRequest, size: int) -> list:
    """Root moves to report: the visited ones best first, padded to ``min_moves``
    with unvisited ones by prior, cut to ``max_moves``.  Empty when nothing but
    pass has been searched yet on a board with other legal moves (Sabaki
    cannot show such an update)."""
    children = result.children
    chosen = [c for c in children if c.visits > 0]
    if len(chosen) < request.min_moves:
        chosen += [c for c in children if c.visits == 0][: request.min_moves - len(chosen)]
    if request.max_moves:
        chosen = chosen[: request.max_moves]
    if all(c.action == size * size for c in chosen) and len(children) > 1:
        return []
    return chosen


def _pv(child, size: int) -> str:
    moves = child.pv if child.visits > 0 and child.pv else [child.action]
    return " ".join(action_to_gtp(a, size) for a in moves)


def lz_line(result, request: AnalyzeRequest, size: int) -> str | None:
    """One ``lz-analyze`` update (integer win rates in ten-thousandths), or None if empty."""
    segments = []
    for order, child in enumerate(candidates(result, request, size)):
        segments.append(
            f"info move {action_to_gtp(child.action, size)} visits {child.visits}"
            f" winrate {round(10000 * winrate(child.value))}"
            f" prior {round(10000 * min(1.0, max(0.0, child.prior)))}"
            f" lcb {round(10000 * winrate(child.lcb))} order {order} pv {_pv(child, size)}"
        )
    return " ".join(segments) or None


def score_stdev(search_stdev: float | None, ownership) -> float | None:
    """The score's standard deviation in points: the spread over the search combined with
    each position's own uncertainty, which goagent's network does not predict and is
    estimated from ``ownership`` (each point a +-1 outcome with mean o: variance 1 - o^2).
    Like KataGo's figure, it is biased high and meant as a relative indicator."""
    if ownership is None and search_stdev is None:
        return None
    var = search_stdev**2 if search_stdev is not None and math.isfinite(search_stdev) else 0.0
    if ownership is not None:
        var += sum(1.0 - min(1.0, float(o) * float(o)) for o in ownership)
    return math.sqrt(var)


def pv_visits(search, pv: list[int]) -> list[int]:
    """Visits of each move along ``pv``, read from the search tree (0 where it leaves it)."""
    out = []
    node = search.root
    for action in pv:
        if node is None or not node.expanded:
            out.append(0)
            node = None
            continue
        actions = [int(a) for a in node.actions]
        out.append(int(node.N[actions.index(action)]) if action in actions else 0)
        node = node.children.get(action)
    return out


def _numbers(values, digits: int = 4) -> str:
    return " ".join(f"{float(v):.{digits}f}" for v in values)


def kata_line(result, request: AnalyzeRequest, size: int, ownership=None, search=None) -> str | None:
    """One ``kata-analyze`` update (float win rates), or None if empty.

    Fields as KataGo 1.x writes them, for the side to move: per move ``visits``,
    ``utility``, ``winrate``, ``scoreMean``/``scoreLead``/``scoreSelfplay`` and
    ``scoreStdev`` (when the evaluator predicts scores), ``prior``, ``lcb``,
    ``utilityLcb``, ``order``, ``pv``, then ``pvVisits`` and ``movesOwnership``
    when asked; after the moves ``rootInfo``, ``ownership`` and
    ``ownershipStdev`` when asked.  ``ownership``: n*n values in [-1, 1]
    (search-averaged where the search keeps it), top-left first.  ``search``
    (the tree) is needed for ``pvVisits`` only.
    """
    segments = []
    for order, child in enumerate(candidates(result, request, size)):
        fields = [
            f"info move {action_to_gtp(child.action, size)}",
            f"visits {child.visits}",
            f"utility {child.value:.6f}",
            f"winrate {winrate(child.value):.6f}",
        ]
        score = child.score if child.score is not None else result.score
        if score is not None:
            fields.append(f"scoreMean {score:.3f} scoreLead {score:.3f} scoreSelfplay {score:.3f}")
            own = getattr(child, "ownership", None)
            stdev = score_stdev(getattr(child, "score_stdev", None), own if own is not None else ownership)
            if stdev is not None:
                fields.append(f"scoreStdev {stdev:.3f}")
        fields += [
            f"prior {min(1.0, max(0.0, child.prior)):.6f}",
            f"lcb {winrate(child.lcb):.6f}",
            f"utilityLcb {max(-1.0, child.lcb):.6f}",
            f"order {order}",
            f"pv {_pv(child, size)}",
        ]
        if request.pv_visits and search is not None:
            moves = child.pv if child.visits > 0 and child.pv else [child.action]
            fields.append("pvVisits " + " ".join(str(v) for v in pv_visits(search, moves)))
        if request.moves_ownership:
            own = getattr(child, "ownership", None)
            if own is None:
                own = ownership  # a move not searched below yet: the root's estimate
            if own is not None:
                fields.append("movesOwnership " + _numbers(own))
        segments.append(" ".join(fields))
    if not segments:
        return None
    line = " ".join(segments)
    if request.root_info:
        line += " " + _root_info(result, ownership)
    if request.ownership and ownership is not None:
        line += " ownership " + _numbers(ownership)
    stdev = getattr(result, "ownership_stdev", None)
    if request.ownership_stdev and stdev is not None:
        line += " ownershipStdev " + _numbers(stdev)
    return line


def _root_info(result, ownership) -> str:
    fields = [
        f"rootInfo visits {result.visits}",
        f"utility {result.value:.6f}",
        f"winrate {winrate(result.value):.6f}",
    ]
    score = getattr(result, "score_mean", None)
    score = result.score if score is None else score
    if score is not None:
        fields.append(f"scoreMean {score:.3f} scoreLead {score:.3f} scoreSelfplay {score:.3f}")
        stdev = score_stdev(getattr(result, "score_stdev", None), ownership)
        if stdev is not None:
            fields.append(f"scoreStdev {stdev:.3f}")
    return " ".join(fields)


def play_line(move: str) -> str:
    """The last line of a ``*-genmove_analyze`` response."""
    return f"play {move}"


# --- GoGui --------------------------------------------------------------------

_HEAT = ("#c8dcff", "#8fb8ff", "#5fd0a0", "#c8e040", "#ffc020", "#ff7010", "#e01010")


def policy_gfx(priors, size: int) -> str:
    """GoGui gfx for a policy: points coloured by prior, labels in percent, pass in the status text."""
    points = [(float(p), a) for a, p in enumerate(priors[: size * size]) if float(p) >= 0.001]
    top = max((p for p, _ in points), default=0.0)
    buckets: dict[str, list[str]] = {}
    labels = []
    for p, action in sorted(points, reverse=True):
        level = min(len(_HEAT) - 1, int(math.sqrt(p / top) * len(_HEAT))) if top > 0 else 0
        vertex = action_to_gtp(action, size)
        buckets.setdefault(_HEAT[level], []).append(vertex)
        if p >= 0.01:
            labels.append(f"{vertex} {round(100 * p)}")
    lines = [f"COLOR {color} {' '.join(vertices)}" for color, vertices in buckets.items()]
    if labels:
        lines.append("LABEL " + " ".join(labels))
    best = max(points, default=None)
    best_text = f"best {action_to_gtp(best[1], size)} {100 * best[0]:.1f}%, " if best else ""
    lines.append(f"TEXT policy: {best_text}pass {100 * float(priors[size * size]):.1f}%")
    return "\n".join(lines)


def ownership_gfx(ownership_black, black_winrate: float, size: int, source: str) -> str:
    """GoGui gfx: ownership as influence (positive = Black), the win rate in the status text."""
    pairs = [
        f"{action_to_gtp(a, size)} {float(v):.2f}"
        for a, v in enumerate(ownership_black)
        if abs(float(v)) >= 0.05
    ]
    lines = ["INFLUENCE " + " ".join(pairs)] if pairs else []
    lines.append(f"TEXT Black win rate {100 * black_winrate:.1f}% ({source})")
    return "\n".join(lines)
