"""GameState: one game of Go under a ruleset (default Tromp-Taylor, positional superko).

The one object the rest of the code passes around.  It owns a ``Board`` (the
Numba engine), whose turn it is, komi, handicap, the ruleset
(``goagent.rules.Ruleset``), the move history (for undo, features and SGF),
the positions seen (positional superko: a move may not recreate any earlier
position of the stones; situational superko: nor one with the same player to
move; simple ko: only the immediate recapture is barred, as Japanese-rules
records need), consecutive passes and resignation.  Multi-stone suicide is
never legal, whatever the ruleset says (the board kernels forbid it).

Moves are actions (``row * n + col``, pass = ``n*n``); ``play`` takes an optional
color so GTP can play either side whoever is to move.  Illegal moves raise
``IllegalMoveError`` naming the reason; nothing changes then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from goagent.board import Board, drop_repeats
from goagent.coords import BLACK, EMPTY, WHITE, action_to_gtp, check_size, opponent
from goagent.rules import TROMP_TAYLOR, Ruleset

# XORed into a position's hash when White is to move: the situational-superko key
# (the same stones with the other player to move are a different situation).
_WHITE_TO_MOVE = -0x3A5F0C92D7E1B46B


class IllegalMoveError(ValueError):
    """A move the rules forbid; ``reason`` is one of occupied/suicide/ko/superko/off-board."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Move:
    color: int
    action: int


def fixed_handicap(size: int, stones: int) -> list[int]:
    """Fixed handicap points as the GTP spec (section 4.1.1) places them.

    Defined for 2..9 stones on odd boards from 9x9 up, 2..4 on even boards from
    8x8 and on 7x7; stones go on the 4th line from 13x13, else the 3rd.
    """
    check_size(size)
    limit = 0 if size < 7 else 4 if size == 7 or size % 2 == 0 else 9
    if not 2 <= stones <= limit:
        if limit == 0:
            raise ValueError(f"no fixed handicap is defined on a {size}x{size} board")
        raise ValueError(f"fixed handicap on {size}x{size} takes 2 to {limit} stones, not {stones}")
    low = 3 if size >= 13 else 2
    high = size - 1 - low
    mid = size // 2
    # (row, col) with row 0 on top, in the spec's order.
    points = [(high, low), (low, high), (low, low), (high, high)]
    if stones >= 6:
        points += [(mid, low), (mid, high)]
    if stones >= 8:
        points += [(high, mid), (low, mid)]
    if stones % 2 == 1 and stones >= 5:
        points.append((mid, mid))
    return [r * size + c for r, c in points[:stones]]


class GameState:
    """A game in progress: board, side to move, history, superko, passes, result."""

    def __init__(
        self,
        size: int = 19,
        komi: float = 7.5,
        handicap: int = 0,
        superko: bool = True,
        rules: Ruleset | None = None,
    ):
        check_size(size)
        # ``superko=False`` without a ruleset: Tromp-Taylor with simple ko (old callers).
        self.rules = rules if rules is not None else TROMP_TAYLOR if superko else _simple_ko(TROMP_TAYLOR)
        self.size = size
        self.komi = float(komi)
        self.board = Board(size)
        self.to_play = BLACK
        self.handicap = 0
        self.moves: list[Move] = []
        self.passes = 0
        self.resigned: int = EMPTY  # the color that resigned, if any
        self._boards: list[Board] = []  # the board before each move (undo, features)
        self._state_stack: list[tuple[int, int, int]] = []  # (to_play, passes, resigned)
        self._seen: dict[int, int] = {}  # position hash -> times seen (superko)
        self._hashes: list[int] = []  # hash of every position so far, in order
        self._seen_sorted: np.ndarray | None = None  # sorted keys of _seen, built on demand
        # hash with side to move -> times seen; built on first use (situational superko only)
        self._situations: dict[int, int] | None = None
        self._sides: list[int] = []  # side to move in each position of _hashes
        self._situations_sorted: np.ndarray | None = None
        self._remember(self.board.hash)
        if handicap:
            self.place_handicap(fixed_handicap(size, handicap))

    # -- setup ---------------------------------------------------------------

    def _remember(self, h: int) -> None:
        self._seen_sorted = self._situations_sorted = None
        self._seen[h] = self._seen.get(h, 0) + 1
        self._hashes.append(h)
        self._sides.append(self.to_play)
        if self._situations is not None:
            key = _situation(h, self.to_play)
            self._situations[key] = self._situations.get(key, 0) + 1

    def _forget(self, h: int) -> None:
        self._seen_sorted = self._situations_sorted = None
        self._hashes.pop()
        _decrement(self._seen, h)
        side = self._sides.pop()
        if self._situations is not None:
            _decrement(self._situations, _situation(h, side))

    def _situation_counts(self) -> dict[int, int]:
        if self._situations is None:
            self._situations = {}
            for h, side in zip(self._hashes, self._sides):
                key = _situation(h, side)
                self._situations[key] = self._situations.get(key, 0) + 1
        return self._situations

    # -- rules and komi ------------------------------------------------------

    @property
    def superko(self) -> bool:
        """Whether a whole-board repetition rule applies (the ruleset's ko is not simple)."""
        return self.rules.ko != "simple"

    @superko.setter
    def superko(self, value: bool) -> None:
        # Kept for old callers: True means positional superko, False simple ko.
        if value != self.superko:
            self.rules = replace(self.rules, ko="positional") if value else _simple_ko(self.rules)

    def set_rules(self, rules: Ruleset) -> None:
        """Play on under ``rules`` (the moves so far stay; later moves follow the new ko rule)."""
        if not isinstance(rules, Ruleset):
            raise TypeError(f"rules must be a Ruleset, not {type(rules).__name__}")
        self.rules = rules

    def set_to_play(self, color: int) -> None:
        """Make ``color`` the side to move (analysis of a position, a record whose first
        move is White's); the position's hash history stays, so superko is unaffected."""
        if color not in (BLACK, WHITE):
            raise ValueError(f"the side to move must be BLACK ({BLACK}) or WHITE ({WHITE}), not {color!r}")
        self.to_play = color

    def view_for(self, color: int | None = None) -> GameState:
        """A copy with ``color`` (default: the side to move) to move, in which the game
        goes on: after two passes the controller, not the engine, decides the game is
        over, so the copy counts only the last pass (GTP genmove, analysis)."""
        view = self.copy()
        if color is not None:
            view.set_to_play(color)
        view.passes = min(view.passes, 1)
        return view

    def set_komi(self, komi: float) -> None:
        """Change komi (GTP ``komi``, SGF ``KM``); refuses nan, inf and absurd values."""
        komi = float(komi)
        if not abs(komi) < 1000:
            raise ValueError(f"komi must be a finite number below 1000 in size, not {komi}")
        self.komi = komi

    @property
    def effective_komi(self) -> float:
        """Komi plus White's handicap bonus under the ruleset (what scores subtract)."""
        return self.rules.effective_komi(self.komi, self.handicap)

    def _require_fresh(self, what: str) -> None:
        if self.moves:
            raise ValueError(f"{what} is only possible before the first move")

    def place_handicap(self, actions: list[int]) -> None:
        """Put black handicap stones (fixed or free placement); White moves next."""
        self._require_fresh("placing handicap stones")
        if len(set(actions)) != len(actions) or any(not 0 <= a < self.size**2 for a in actions):
            raise ValueError("handicap stones must be distinct points on the board")
        if self.handicap or self.board.to_array().any():
            raise ValueError("the board is not empty: handicap stones go on an empty board")
        if len(actions) < 2:
            raise ValueError("a handicap has at least 2 stones")
        self.setup(black=actions)
        self.handicap = len(actions)
        self.to_play = WHITE

    def setup(self, black=(), white=(), empty=(), handicap: int | None = None) -> None:
        """Add or remove stones without playing moves (SGF AB/AW/AE); ``handicap``
        (SGF HA) says how many of them are handicap stones, when a record says so.

        Raises ValueError if a group would be left without a liberty.
        """
        self._require_fresh("setting up stones")
        colors = self.board.to_array().reshape(-1).copy()
        for color, points in ((BLACK, black), (WHITE, white), (EMPTY, empty)):
            for a in points:
                if not 0 <= a < self.size**2:
                    raise ValueError(f"setup point {a} is off the board")
                colors[a] = color
        board = Board.from_array(colors.reshape(self.size, self.size))  # may raise: change nothing before
        self._forget(self.board.hash)
        self.board = board
        self._remember(self.board.hash)
        if handicap is not None:
            self.handicap = handicap

    # -- rules ---------------------------------------------------------------

    def illegal_reason(self, action: int, color: int | None = None) -> str | None:
        """Why ``action`` is illegal for ``color`` (default: side to move), or None."""
        return self._check(action, self.to_play if color is None else color)[0]

    def _check(self, action: int, color: int) -> tuple[str | None, int]:
        n = self.size
        if not 0 <= action <= n * n:
            return "off-board", 0
        if action == n * n:
            return None, self.board.hash
        reason, h = self.board.check(action, color)
        if reason is None and self._repeats(h, opponent(color)):
            reason = "superko"
        return reason, h

    def _repeats(self, h: int, side: int) -> bool:
        """Whether the position ``h`` with ``side`` to move breaks the ruleset's superko."""
        ko = self.rules.ko
        if ko == "positional":
            return h in self._seen
        return ko == "situational" and _situation(h, side) in self._situation_counts()

    def is_legal(self, action: int, color: int | None = None) -> bool:
        return self.illegal_reason(action, color) is None

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """``bool[n*n+1]`` over actions, pass last (always legal), superko included."""
        color = self.to_play if color is None else color
        mask, hashes = self.board.legal_moves(color)
        if self.rules.ko == "positional":
            if self._seen_sorted is None:
                self._seen_sorted = np.array(sorted(self._seen), np.int64)
            drop_repeats(mask, hashes, self._seen_sorted)
        elif self.rules.ko == "situational":
            if self._situations_sorted is None:
                self._situations_sorted = np.array(sorted(self._situation_counts()), np.int64)
            if opponent(color) == WHITE:
                hashes ^= np.int64(_WHITE_TO_MOVE)
            drop_repeats(mask, hashes, self._situations_sorted)
        return mask

    # -- moves ---------------------------------------------------------------

    def play(self, action: int, color: int | None = None, check_superko: bool = True) -> int:
        """Play ``action`` (pass = n*n) for ``color``; returns stones captured.

        Raises IllegalMoveError (and changes nothing) if the move is illegal.
        ``check_superko=False`` accepts a whole-board repetition (a controller
        that referees under its own rules); basic rules still hold.
        """
        color = self.to_play if color is None else color
        if color not in (BLACK, WHITE):
            raise ValueError(f"not a player color: {color!r}")
        reason, _ = self._check(action, color)
        if reason == "superko" and not check_superko:
            reason = None
        if reason:
            where = action_to_gtp(action, self.size) if reason != "off-board" else str(action)
            raise IllegalMoveError(f"illegal move {where} ({reason})", reason)
        self._boards.append(self.board.copy())
        self._state_stack.append((self.to_play, self.passes, self.resigned))
        is_pass = action == self.size**2
        captured = self.board.play(action, color) if is_pass else self.board.place(action, color)
        self.to_play = opponent(color)  # before _remember: it records the side to move
        self._remember(self.board.hash)
        self.moves.append(Move(color, action))
        self.passes = self.passes + 1 if is_pass else 0
        return captured

    def pass_move(self, color: int | None = None) -> None:
        self.play(self.size**2, color)

    def resign(self, color: int | None = None) -> None:
        """``color`` (default: side to move) resigns; the game is over."""
        self.resigned = self.to_play if color is None else color

    def undo(self) -> None:
        """Take back the last move (or a resignation); raises ValueError if none."""
        if self.resigned:
            self.resigned = EMPTY
            return
        if not self.moves:
            raise ValueError("no move to undo")
        self._forget(self.board.hash)
        self.board = self._boards.pop()
        self.to_play, self.passes, self.resigned = self._state_stack.pop()
        self.moves.pop()

    def copy(self) -> GameState:
        """An independent copy (history boards are shared: they never change)."""
        other = GameState.__new__(GameState)
        other.__dict__.update(self.__dict__)
        other.board = self.board.copy()
        other.moves = list(self.moves)
        other._boards = list(self._boards)
        other._state_stack = list(self._state_stack)
        other._seen = dict(self._seen)
        other._hashes = list(self._hashes)
        other._situations = None if self._situations is None else dict(self._situations)
        other._sides = list(self._sides)
        return other

    # -- queries -------------------------------------------------------------

    def positions_seen(self) -> list[int]:
        """The hash of every position so far (``Board.hash``): what superko forbids recreating."""
        return list(self._seen)

    @property
    def last_move(self) -> Move | None:
        return self.moves[-1] if self.moves else None

    def history_key(self, depth: int = 8) -> tuple:
        """A hashable key of the position, its last ``depth`` positions, side to move
        and rules: equal keys give equal network inputs (evaluation caches)."""
        return (tuple(self._hashes[-depth:]), self.to_play, self.effective_komi, self.rules)

    def initial_position(self) -> np.ndarray:
        """``int8[n, n]``: the stones before the first move (setup and handicap)."""
        return (self._boards[0] if self._boards else self.board).to_array()

    @property
    def move_number(self) -> int:
        return len(self.moves)

    @property
    def is_over(self) -> bool:
        """Two consecutive passes, or a resignation."""
        return self.passes >= 2 or self.resigned != EMPTY

    def recent_boards(self, count: int) -> list[np.ndarray]:
        """The last ``count`` positions as ``int8[n, n]``, newest first (fewer if the game is young)."""
        boards = [self.board.to_array()]
        for past in reversed(self._boards[-(count - 1) :] if count > 1 else []):
            boards.append(past.to_array())
        return boards

    def score(self) -> float:
        """Tromp-Taylor area score, black minus white minus the effective komi (every
        stone counted alive; ``goagent.scoring`` scores with dead stones and territory)."""
        black, white, _ = self.board.area()
        return black - white - self.effective_komi

    def ownership(self) -> np.ndarray:
        """``int8[n*n]``: BLACK/WHITE/EMPTY owner of each point by Tromp-Taylor."""
        return self.board.area()[2]

    def winner(self) -> int:
        """BLACK, WHITE, or EMPTY for a draw (by resignation, else by score)."""
        if self.resigned:
            return opponent(self.resigned)
        s = self.score()
        return BLACK if s > 0 else WHITE if s < 0 else EMPTY

    def result(self) -> str:
        """``'B+3.5'``, ``'W+R'``, or ``'0'`` for a draw."""
        if self.resigned:
            return ("B" if self.resigned == WHITE else "W") + "+R"
        return format_result(self.score())

    def __repr__(self) -> str:
        return (
            f"GameState(size={self.size}, komi={self.komi}, moves={len(self.moves)}, to_play={self.to_play})"
        )


def _simple_ko(rules: Ruleset) -> Ruleset:
    return replace(rules, ko="simple")


def _situation(h: int, side: int) -> int:
    """The situational-superko key of position ``h`` with ``side`` to move."""
    return h ^ _WHITE_TO_MOVE if side == WHITE else h


def _decrement(counts: dict[int, int], key: int) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]


def format_result(score: float) -> str:
    """Result string for a black-minus-white score: ``B+3.5``, ``W+2``, ``0``."""
    if score == 0:
        return "0"
    return f"{'B' if score > 0 else 'W'}+{abs(score):g}"
