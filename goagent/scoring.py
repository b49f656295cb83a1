"""Scoring a finished game under a ruleset: groups, regions, dead stones, seki, score.

One flood fill (``label_regions``, a Numba kernel) splits the board into
regions of one colour: strings of black or white stones and regions of empty
points.  Everything else is built on it:

- ``dead_from_ownership``: a string is dead when its mean ownership (+1 Black,
  -1 White; the network's, the search's or random playouts') leans to the
  opponent by more than ``threshold``.
- ``seki_strings``: after the dead stones are taken off, a *dame region* (empty,
  touching both colours) is shared liberties of a seki when neither player can
  fill it: filling it point by point from the player's own side puts the
  player's string in atari (or is suicide) before it captures anything.
  The strings touching such a region are in seki.
- ``score``: the live strings decide who owns each empty region.  A region
  touching only one colour is that colour's; one touching both is dame and
  counts for nobody.  This is not Tromp-Taylor reachability: KGS games end with
  dame unfilled, and territory scoring counts what the live groups surround.
  Under territory scoring a point that a string will have to fill once the
  dame are filled (its last liberty outside them: a false eye, a string in
  atari) is no territory either, as KGS counts (98.8% of 568 marked Japanese
  games reproduced exactly; docs/BENCHMARKS.md, "Rules and scoring").
  Area scoring counts live stones plus territory; territory scoring counts
  territory plus prisoners (stones captured during the game and the dead stones
  taken off).  Under tax "seki" (Japanese, Korean) the eyes of seki strings
  (regions touching only seki stones, at most ``SEKI_EYE_MAX`` points) are not
  counted; under tax "all" each live string also pays up to 2 of its points.
  The margin is Black minus White minus the effective komi (komi plus White's
  handicap bonus under the ruleset).
- ``playout_ownership``: ownership from random playouts, for engines without
  an ownership head.  The dead stones of a finished game come from
  ``goagent.dead_stones`` (a playout policy that keeps settled groups alive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from goagent.board import Board, new_rng
from goagent.coords import BLACK, EMPTY, WHITE
from goagent.game import GameState
from goagent.rules import Ruleset

# A seki eye bigger than this is treated as territory: seki eyes are almost
# always one or two points, and a wrong seki call must not wipe out a framework.
SEKI_EYE_MAX = 4
# Dame regions longer than this are never seki (shared liberties of a seki are few).
SEKI_DAME_MAX = 6


@njit(cache=True)
def _label(colors, n, labels):
    """labels[a] = index of the 4-connected region of equal colour holding a; returns the count."""
    for a in range(n * n):
        labels[a] = -1
    stack = np.empty(n * n, np.int32)
    count = 0
    for start in range(n * n):
        if labels[start] >= 0:
            continue
        c = colors[start]
        labels[start] = count
        stack[0] = start
        top = 1
        while top > 0:
            top -= 1
            a = stack[top]
            r = a // n
            col = a - r * n
            for k in range(4):
                if k == 0:
                    if r == 0:
                        continue
                    q = a - n
                elif k == 1:
                    if r == n - 1:
                        continue
                    q = a + n
                elif k == 2:
                    if col == 0:
                        continue
                    q = a - 1
                else:
                    if col == n - 1:
                        continue
                    q = a + 1
                if labels[q] < 0 and colors[q] == c:
                    labels[q] = count
                    stack[top] = q
                    top += 1
        count += 1
    return count


@dataclass(frozen=True)
class Region:
    """A maximal connected set of points of one colour (a string, or empty points)."""

    color: int
    points: tuple[int, ...]
    borders: int  # bit mask of the colours next to it: BLACK=1, WHITE=2
    neighbours: tuple[int, ...]  # indices of the adjacent regions


def label_regions(colors: np.ndarray, size: int) -> tuple[np.ndarray, list[Region]]:
    """``(labels int32[n*n], regions)``: the one flood fill every scoring step uses."""
    colors = np.ascontiguousarray(np.asarray(colors, np.int8).reshape(-1))
    if colors.size != size * size:
        raise ValueError(f"colors has {colors.size} points, a {size}x{size} board has {size * size}")
    labels = np.empty(size * size, np.int32)
    count = _label(colors, size, labels)
    points: list[list[int]] = [[] for _ in range(count)]
    adjacent: list[set[int]] = [set() for _ in range(count)]
    for a, label in enumerate(labels.tolist()):
        points[label].append(a)
    # Adjacent regions: compare each point with its right and lower neighbour.
    grid = labels.reshape(size, size)
    for a_lab, b_lab in (
        (grid[:, :-1].ravel(), grid[:, 1:].ravel()),
        (grid[:-1, :].ravel(), grid[1:, :].ravel()),
    ):
        differ = a_lab != b_lab
        for x, y in zip(a_lab[differ].tolist(), b_lab[differ].tolist()):
            adjacent[x].add(y)
            adjacent[y].add(x)
    regions = []
    for i in range(count):
        color = int(colors[points[i][0]])
        borders = 0
        for j in adjacent[i]:
            c = int(colors[points[j][0]])
            if c != EMPTY:
                borders |= c
        regions.append(Region(color, tuple(points[i]), borders, tuple(sorted(adjacent[i]))))
    return labels, regions


def strings(colors: np.ndarray, size: int) -> list[list[int]]:
    """Strings of stones, each a sorted list of actions, in board order."""
    return [list(r.points) for r in label_regions(colors, size)[1] if r.color != EMPTY]


def dead_from_ownership(
    colors: np.ndarray, size: int, ownership_black: np.ndarray, threshold: float = 0.0
) -> np.ndarray:
    """``bool[n*n]``: stones of strings whose mean ownership favours the opponent by more
    than ``threshold`` (ownership +1 Black, -1 White)."""
    colors = np.asarray(colors, np.int8).reshape(-1)
    ownership_black = np.asarray(ownership_black, np.float64).reshape(-1)
    dead = np.zeros(size * size, bool)
    for region in label_regions(colors, size)[1]:
        if region.color == EMPTY:
            continue
        sign = 1.0 if region.color == BLACK else -1.0
        idx = list(region.points)
        if sign * float(ownership_black[idx].mean()) < -threshold:
            dead[idx] = True
    return dead


def _without(colors: np.ndarray, dead: np.ndarray | None) -> np.ndarray:
    live = np.asarray(colors, np.int8).reshape(-1).copy()
    if dead is not None:
        live[np.asarray(dead, bool).reshape(-1)] = EMPTY
    return live


def _cannot_fill(board: Board, region: Region, color: int) -> bool:
    """Whether ``color`` filling ``region`` from its own side runs into self-atari first."""
    board = board.copy()
    left = set(region.points)
    n = board.size
    while left:
        # The next point touches one of color's stones (fill from its own side).
        point = next(
            (p for p in sorted(left) if any(board.color_at(q) == color for q in _adjacent(p, n))),
            None,
        )
        if point is None:
            return False
        if not board.is_legal(point, color):
            return True  # suicide
        if board.place(point, color):
            return False  # it captures: the opponent's strings were not safe
        left.discard(point)
        if board.liberties()[point] <= 1:
            return True
    return False


def _adjacent(a: int, n: int):
    r, c = divmod(a, n)
    if r > 0:
        yield a - n
    if r < n - 1:
        yield a + n
    if c > 0:
        yield a - 1
    if c < n - 1:
        yield a + 1


def union_root(parent: list[int], i: int) -> int:
    """The root of ``i`` in a union-find forest ``parent`` (paths halved on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _must_fill(
    live: np.ndarray, size: int, regions: list[Region], labels: np.ndarray, seki: np.ndarray
) -> set[int]:
    """Empty points a live string will have to fill once the dame are filled.

    Strings of one colour touching the same dame point are joined into a chain
    (its owner can connect them there).  A chain (not in seki) whose only
    liberty outside the dame regions is ``p`` is in atari once the dame are
    filled, so its owner must play ``p``: no territory.  KGS's counts show this
    (false eyes next to dame, strings in atari; docs/BENCHMARKS.md, "Rules and
    scoring").
    """
    dame_region = [r.color == EMPTY and r.borders == BLACK | WHITE for r in regions]
    parent = list(range(len(regions)))

    def root(i: int) -> int:
        return union_root(parent, i)

    for i, region in enumerate(regions):
        if not dame_region[i]:
            continue
        for p in region.points:
            for color in (BLACK, WHITE):
                owners = {root(labels[q]) for q in _adjacent(p, size) if live[q] == color}
                first = min(owners, default=None)
                for other in owners:
                    parent[other] = first
    outside: dict[int, set[int]] = {}
    for i, region in enumerate(regions):
        if region.color == EMPTY or seki[region.points[0]]:
            continue
        libs = outside.setdefault(root(i), set())
        for p in region.points:
            libs.update(q for q in _adjacent(p, size) if live[q] == EMPTY and not dame_region[labels[q]])
    return {p for libs in outside.values() if len(libs) == 1 for p in libs}


def seki_strings(colors: np.ndarray, size: int, dead: np.ndarray | None = None) -> np.ndarray:
    """``bool[n*n]``: live stones in seki (see the module docstring), dead stones taken off first."""
    live = _without(colors, dead)
    _, regions = label_regions(live, size)
    seki = np.zeros(size * size, bool)
    board = None
    for region in regions:
        if region.color != EMPTY or region.borders != BLACK | WHITE or len(region.points) > SEKI_DAME_MAX:
            continue
        if board is None:
            board = Board.from_array(live.reshape(size, size))
        if _cannot_fill(board, region, BLACK) and _cannot_fill(board, region, WHITE):
            for j in region.neighbours:
                seki[list(regions[j].points)] = True
    return seki


@dataclass(frozen=True)
class Score:
    """A counted position.  ``owner`` is BLACK/WHITE/EMPTY per point as counted (dame and
    uncounted seki points EMPTY; dead stones' points go to the side that owns them)."""

    black: float  # Black's points: area, or territory + prisoners
    white: float
    komi: float  # the effective komi subtracted
    margin: float  # black - white - komi
    owner: np.ndarray
    dead: np.ndarray
    seki: np.ndarray
    dame: np.ndarray


def score(
    colors: np.ndarray,
    size: int,
    rules: Ruleset,
    komi: float,
    handicap: int = 0,
    captures: tuple[int, int] = (0, 0),
    dead: np.ndarray | None = None,
) -> Score:
    """Count a position under ``rules``.

    ``colors``: the final stones (``int[n*n]`` or ``[n, n]``); ``captures``: stones
    captured during the game by (Black, White); ``dead``: ``bool[n*n]`` stones to
    take off as prisoners.
    """
    colors = np.asarray(colors, np.int8).reshape(-1)
    dead = np.zeros(size * size, bool) if dead is None else np.asarray(dead, bool).reshape(-1)
    live = _without(colors, dead)
    seki = seki_strings(live, size)
    labels, regions = label_regions(live, size)
    fill = _must_fill(live, size, regions, labels, seki) if rules.territory else set()
    owner = np.zeros(size * size, np.int8)
    dame = np.zeros(size * size, bool)

    points = {BLACK: 0.0, WHITE: 0.0}
    for region in regions:
        idx = list(region.points)
        if region.color != EMPTY:
            owner[idx] = region.color
            continue
        if region.borders not in (BLACK, WHITE):
            dame[idx] = True  # touches both colours (or none: an empty board)
            continue
        if (
            rules.tax != "none"
            and len(idx) <= SEKI_EYE_MAX
            and all(seki[regions[j].points[0]] for j in region.neighbours)
        ):
            continue  # an eye of a seki string: not counted under tax seki/all
        if rules.territory:
            idx = [p for p in idx if p not in fill]  # to be filled: no territory (as KGS counts)
        owner[idx] = region.borders
        points[region.borders] += len(idx)
    if rules.tax == "all":
        # Stone scoring's tax: each live string pays up to 2 of its own points.
        for region in regions:
            if region.color in (BLACK, WHITE) and not seki[region.points[0]]:
                points[region.color] -= 2.0
        for color in (BLACK, WHITE):
            points[color] = max(points[color], 0.0)
    if rules.territory:
        points[BLACK] += captures[0] + int((dead & (colors == WHITE)).sum())
        points[WHITE] += captures[1] + int((dead & (colors == BLACK)).sum())
    else:
        points[BLACK] += int((live == BLACK).sum())
        points[WHITE] += int((live == WHITE).sum())
    effective = rules.effective_komi(komi, handicap)
    return Score(
        points[BLACK],
        points[WHITE],
        effective,
        points[BLACK] - points[WHITE] - effective,
        owner,
        dead,
        seki,
        dame,
    )


def score_state(state: GameState, dead: np.ndarray | None = None, rules: Ruleset | None = None) -> Score:
    """``score`` for a GameState: its stones, komi, handicap, captures and ruleset."""
    board = state.board
    return score(
        board.to_array(),
        state.size,
        state.rules if rules is None else rules,
        state.komi,
        state.handicap,
        (board.captures(BLACK), board.captures(WHITE)),
        dead,
    )


def playout_ownership(state: GameState, playouts: int = 64, seed: int = 0) -> np.ndarray:
    """``float[n*n]`` mean owner of each point over random playouts (+1 Black, -1 White).

    The playout kernel never fills a player's own eyes, so live groups survive
    and dead ones are captured; owners are Tromp-Taylor after each playout.
    """
    rng = new_rng(seed)
    total = np.zeros(state.size * state.size, np.float64)
    max_moves = 3 * state.size * state.size
    for _ in range(playouts):
        board = state.board.copy()
        board.playout(state.to_play, max_moves, rng)
        owner = board.area()[2]
        total += (owner == BLACK).astype(np.float64) - (owner == WHITE)
    return total / max(playouts, 1)


def status_lists(state: GameState, dead: np.ndarray) -> dict[str, list[list[int]]]:
    """GTP ``final_status_list`` groups: ``{"dead", "alive", "seki"}`` -> strings of actions."""
    colors = state.board.to_array().reshape(-1)
    seki = seki_strings(colors, state.size, dead)
    lists: dict[str, list[list[int]]] = {"dead": [], "alive": [], "seki": []}
    for group in strings(colors, state.size):
        kind = "dead" if dead[group[0]] else "seki" if seki[group[0]] else "alive"
        lists[kind].append(group)
    return lists


__all__ = [
    "Region",
    "Score",
    "dead_from_ownership",
    "label_regions",
    "playout_ownership",
    "score",
    "score_state",
    "seki_strings",
    "status_lists",
    "strings",
]
