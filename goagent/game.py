"""GameState: one game of Go under Tromp-Taylor rules with positional superko.

The one object the rest of the code passes around.  It owns a ``Board`` (the
Numba engine), whose turn it is, komi, handicap, the move history (for undo,
features and SGF), the set of positions seen (positional superko: a move may
not recreate any earlier position of the stones; ``superko=False`` keeps
simple ko only, for replaying records played under Japanese rules), consecutive passes and
resignation.

Moves are actions (``row * n + col``, pass = ``n*n``); ``play`` takes an optional
color so GTP can play either side whoever is to move.  Illegal moves raise
``IllegalMoveError`` naming the reason; nothing changes then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goagent.board import Board, drop_repeats
from goagent.coords import BLACK, EMPTY, WHITE, action_to_gtp, check_size, opponent


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

    def __init__(self, size: int = 19, komi: float = 7.5, handicap: int = 0, superko: bool = True):
        check_size(size)
        self.superko = superko  # False: simple ko only (Japanese-rules records)
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
        self._remember(self.board.hash)
        if handicap:
            self.place_handicap(fixed_handicap(size, handicap))

    # -- setup ---------------------------------------------------------------

    def _remember(self, h: int) -> None:
        self._seen_sorted = None
        self._seen[h] = self._seen.get(h, 0) + 1
        self._hashes.append(h)

    def _forget(self, h: int) -> None:
        self._seen_sorted = None
        self._hashes.pop()
        left = self._seen[h] - 1
        if left:
            self._seen[h] = left
        else:
            del self._seen[h]

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

    def setup(self, black=(), white=(), empty=()) -> None:
        """Add or remove stones without playing moves (SGF AB/AW/AE).

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
        if reason is None and self.superko and h in self._seen:
            reason = "superko"
        return reason, h

    def is_legal(self, action: int, color: int | None = None) -> bool:
        return self.illegal_reason(action, color) is None

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """``bool[n*n+1]`` over actions, pass last (always legal), superko included."""
        color = self.to_play if color is None else color
        mask, hashes = self.board.legal_moves(color)
        if self.superko:
            if self._seen_sorted is None:
                self._seen_sorted = np.array(sorted(self._seen), np.int64)
            drop_repeats(mask, hashes, self._seen_sorted)
        return mask

    # -- moves ---------------------------------------------------------------

    def play(self, action: int, color: int | None = None) -> int:
        """Play ``action`` (pass = n*n) for ``color``; returns stones captured.

        Raises IllegalMoveError (and changes nothing) if the move is illegal.
        """
        color = self.to_play if color is None else color
        if color not in (BLACK, WHITE):
            raise ValueError(f"not a player color: {color!r}")
        reason, _ = self._check(action, color)
        if reason:
            where = action_to_gtp(action, self.size) if reason != "off-board" else str(action)
            raise IllegalMoveError(f"illegal move {where} ({reason})", reason)
        self._boards.append(self.board.copy())
        self._state_stack.append((self.to_play, self.passes, self.resigned))
        is_pass = action == self.size**2
        captured = self.board.play(action, color) if is_pass else self.board.place(action, color)
        self._remember(self.board.hash)
        self.moves.append(Move(color, action))
        self.passes = self.passes + 1 if is_pass else 0
        self.to_play = opponent(color)
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
        return (tuple(self._hashes[-depth:]), self.to_play, self.komi, self.superko)

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
        """Tromp-Taylor area score, black minus white minus komi."""
        black, white, _ = self.board.area()
        return black - white - self.komi

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


def format_result(score: float) -> str:
    """Result string for a black-minus-white score: ``B+3.5``, ``W+2``, ``0``."""
    if score == 0:
        return "0"
    return f"{'B' if score > 0 else 'W'}+{abs(score):g}"
