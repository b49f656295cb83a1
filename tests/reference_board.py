"""A deliberately simple pure-Python Go board: the oracle for differential tests.

Nothing here is fast or clever, so that it can be checked by reading:

- ``RefBoard`` is a dict from ``(row, col)`` (row 0 on top) to BLACK/WHITE;
  empty points are simply absent.  Groups and liberties come from a flood
  fill every time they are asked for.
- A move is simulated on a copy: place the stone, remove every adjacent enemy
  group left without a liberty, then the move is suicide if its own group has
  no liberty.  Suicide is illegal.
- Simple ko: a move may not recreate the position that stood just before the
  opponent's last (stone) move.  Positional superko: a move may not create any
  position whose hash is in the given set of earlier positions.
- The hash is recomputed FROM SCRATCH for every position, as the XOR of
  ``goagent.board.zobrist_key(color, action, size)`` over all stones (the
  engine keeps its hash incrementally; only the keys are shared).  The one
  shortcut: ``outcomes`` (all moves at once) hashes a move that captures
  nothing as this position's hash XOR the new stone's key; a test checks it
  against the full simulation.
- Scoring is Tromp-Taylor area: stones, plus empty regions that reach stones
  of one color only.

``RefGame`` adds turns, passes, undo, the multiset of positions seen and
resignation on top of ``RefBoard``, mirroring ``goagent.game.GameState``.
Actions are ``row * n + col`` with pass ``n * n``, as everywhere in goagent.
"""

from __future__ import annotations

from collections import Counter

from goagent.board import zobrist_key

EMPTY, BLACK, WHITE = 0, 1, 2

_KEY_TABLES: dict[int, list[list[int]]] = {}
_NEIGHBOR_TABLES: dict[int, dict[tuple[int, int], tuple[tuple[int, int], ...]]] = {}


def _keys(size: int) -> list[list[int]]:
    """keys[color][action] = goagent.board.zobrist_key(color, action, size), cached per size."""
    if size not in _KEY_TABLES:
        _KEY_TABLES[size] = [
            [0] * (size * size),
            [zobrist_key(BLACK, a, size) for a in range(size * size)],
            [zobrist_key(WHITE, a, size) for a in range(size * size)],
        ]
    return _KEY_TABLES[size]


def _neighbor_table(size: int) -> dict[tuple[int, int], tuple[tuple[int, int], ...]]:
    """(row, col) -> its on-board neighbours, cached per size."""
    if size not in _NEIGHBOR_TABLES:
        table = {}
        for r in range(size):
            for c in range(size):
                candidates = [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
                table[(r, c)] = tuple((a, b) for a, b in candidates if 0 <= a < size and 0 <= b < size)
        _NEIGHBOR_TABLES[size] = table
    return _NEIGHBOR_TABLES[size]


def other(color: int) -> int:
    return WHITE if color == BLACK else BLACK


class RefBoard:
    """Stones on an n x n board, nothing else (no ko state, no history).

    Treat a board as immutable once its hash has been asked for (the hash is
    cached); ``after`` returns a new board instead of changing this one.
    """

    def __init__(self, size: int, stones: dict[tuple[int, int], int] | None = None):
        self.size = size
        self.stones: dict[tuple[int, int], int] = dict(stones or {})
        self._hash: int | None = None

    @classmethod
    def from_rows(cls, rows) -> RefBoard:
        """From an n x n nested sequence (or array) of EMPTY/BLACK/WHITE, row 0 on top."""
        size = len(rows)
        stones = {}
        for r in range(size):
            for c in range(size):
                if int(rows[r][c]) != EMPTY:
                    stones[(r, c)] = int(rows[r][c])
        return cls(size, stones)

    def to_rows(self) -> list[list[int]]:
        get = self.stones.get
        return [[get((r, c), EMPTY) for c in range(self.size)] for r in range(self.size)]

    def copy(self) -> RefBoard:
        return RefBoard(self.size, self.stones)

    def __eq__(self, other) -> bool:
        return isinstance(other, RefBoard) and self.size == other.size and self.stones == other.stones

    __hash__ = None

    def __str__(self) -> str:
        chars = {EMPTY: ".", BLACK: "X", WHITE: "O"}
        return "\n".join(" ".join(chars[c] for c in row) for row in self.to_rows())

    # -- geometry ------------------------------------------------------------

    def point(self, action: int) -> tuple[int, int]:
        return divmod(action, self.size)

    def action(self, pt: tuple[int, int]) -> int:
        return pt[0] * self.size + pt[1]

    def color(self, pt: tuple[int, int]) -> int:
        return self.stones.get(pt, EMPTY)

    def neighbors(self, pt: tuple[int, int]) -> tuple[tuple[int, int], ...]:
        return _neighbor_table(self.size)[pt]

    # -- groups --------------------------------------------------------------

    def group(self, pt: tuple[int, int]) -> tuple[set, set]:
        """(stones, liberties) of the group on ``pt``, by flood fill."""
        board, neighbors = self.stones, _neighbor_table(self.size)
        color = board[pt]
        stones, liberties, todo = {pt}, set(), [pt]
        while todo:
            here = todo.pop()
            for q in neighbors[here]:
                cq = board.get(q, EMPTY)
                if cq == EMPTY:
                    liberties.add(q)
                elif cq == color and q not in stones:
                    stones.add(q)
                    todo.append(q)
        return stones, liberties

    def liberty_counts(self) -> list[int]:
        """Per action: liberties of the group on that point, 0 where empty."""
        groups = self.groups()
        out = []
        for r in range(self.size):
            for c in range(self.size):
                out.append(len(groups[(r, c)][1]) if (r, c) in groups else 0)
        return out

    def dead_group(self) -> tuple[int, int] | None:
        """Some stone whose group has no liberty, or None (setup validity)."""
        for pt in self.stones:
            if not self.group(pt)[1]:
                return pt
        return None

    # -- moves ---------------------------------------------------------------

    def after(self, action: int, color: int) -> tuple[RefBoard, int, bool]:
        """Simulate a stone: ``(new board, stones captured, is_suicide)``.

        The point must be empty.  On suicide the returned board is meaningless.
        """
        pt = self.point(action)
        assert self.color(pt) == EMPTY, "point is occupied"
        new = self.copy()
        new.stones[pt] = color
        captured = 0
        for q in new.neighbors(pt):
            if new.color(q) == other(color):
                stones, liberties = new.group(q)
                if not liberties:
                    for s in stones:
                        del new.stones[s]
                    captured += len(stones)
        suicide = not new.group(pt)[1]
        return new, captured, suicide

    def hash(self) -> int:
        """Zobrist hash of the stones, from scratch (then cached on this board)."""
        if self._hash is None:
            keys, n = _keys(self.size), self.size
            h = 0
            for (r, c), color in self.stones.items():
                h ^= keys[color][r * n + c]
            self._hash = h
        return self._hash

    def try_move(
        self, action: int, color: int, seen_hashes=(), ko_position: RefBoard | None = None
    ) -> tuple[str | None, RefBoard, int]:
        """``(illegal reason or None, position after the move, stones captured)``.

        Reasons: ``occupied`` / ``suicide`` / ``ko`` / ``superko``.  ``ko_position``
        is the position simple ko forbids recreating (the one before the
        opponent's last move); ``seen_hashes`` the earlier positions.  A pass is
        always legal and changes nothing.
        """
        if action == self.size * self.size:
            return None, self, 0
        if self.color(self.point(action)) != EMPTY:
            return "occupied", self, 0
        new, captured, suicide = self.after(action, color)
        if suicide:
            return "suicide", self, 0
        if ko_position is not None and new == ko_position:
            return "ko", self, 0
        if new.hash() in seen_hashes:
            return "superko", self, 0
        return None, new, captured

    def illegal_reason(
        self, action: int, color: int, seen_hashes=(), ko_position: RefBoard | None = None
    ) -> str | None:
        """None if legal, else why not (see ``try_move``)."""
        return self.try_move(action, color, seen_hashes, ko_position)[0]

    def groups(self) -> dict[tuple[int, int], tuple[frozenset, frozenset]]:
        """Every stone -> (stones, liberties) of its group; one flood fill per group."""
        out: dict[tuple[int, int], tuple[frozenset, frozenset]] = {}
        for pt in self.stones:
            if pt not in out:
                stones, liberties = self.group(pt)
                entry = (frozenset(stones), frozenset(liberties))
                for s in stones:
                    out[s] = entry
        return out

    def outcomes(self, color: int, ko_position: RefBoard | None = None) -> list[tuple[str | None, int]]:
        """Per action (pass last): ``(basic illegal reason or None, hash after the move or 0)``.

        Basic rules only (occupied, suicide, simple ko); superko is the caller's
        set lookup on the hash.  The same answers as ``after``/``illegal_reason``,
        computed with the groups found once: a move that captures is simulated in
        full (``after``, hash from scratch); one that captures nothing just adds
        its stone, so its hash is this position's XOR the stone's key, it is
        suicide exactly when it has no empty neighbour and every friendly
        neighbour group has no liberty but this point, and it cannot recreate
        the ko position (which lacks the opponent's last stone, still on board).
        """
        n = self.size
        keys = _keys(n)[color]
        groups = self.groups()
        base = self.hash()
        out: list[tuple[str | None, int]] = []
        for a in range(n * n):
            pt = self.point(a)
            if pt in self.stones:
                out.append(("occupied", 0))
                continue
            nbrs = self.neighbors(pt)
            captures = any(self.color(q) == other(color) and groups[q][1] == {pt} for q in nbrs)
            if captures:
                new, _, suicide = self.after(a, color)
                assert not suicide
                if ko_position is not None and new == ko_position:
                    out.append(("ko", 0))
                else:
                    out.append((None, new.hash()))
                continue
            breathes = any(self.color(q) == EMPTY for q in nbrs) or any(
                self.color(q) == color and groups[q][1] != {pt} for q in nbrs
            )
            out.append((None, base ^ keys[a]) if breathes else ("suicide", 0))
        out.append((None, base))
        return out

    def legal_moves(self, color: int, seen_hashes=(), ko_position: RefBoard | None = None) -> list[bool]:
        """Legality of every action (pass last, always legal), superko included."""
        table = self.outcomes(color, ko_position)
        mask = [reason is None and h not in seen_hashes for reason, h in table]
        mask[-1] = True
        return mask

    # -- scoring -------------------------------------------------------------

    def area(self) -> tuple[int, int, list[int]]:
        """Tromp-Taylor: ``(black, white, owner per action)``."""
        owner = [EMPTY] * (self.size * self.size)
        done = set()
        for r in range(self.size):
            for c in range(self.size):
                pt = (r, c)
                if self.color(pt) != EMPTY:
                    owner[self.action(pt)] = self.color(pt)
                    continue
                if pt in done:
                    continue
                region, reaches, todo = {pt}, set(), [pt]
                while todo:
                    here = todo.pop()
                    for q in self.neighbors(here):
                        cq = self.color(q)
                        if cq == EMPTY and q not in region:
                            region.add(q)
                            todo.append(q)
                        elif cq != EMPTY:
                            reaches.add(cq)
                done |= region
                who = reaches.pop() if len(reaches) == 1 else EMPTY
                for q in region:
                    owner[self.action(q)] = who
        return owner.count(BLACK), owner.count(WHITE), owner


def result_string(score: float) -> str:
    """``B+3.5`` / ``W+2`` / ``0`` for a black-minus-white score."""
    if score == 0:
        return "0"
    winner = "B" if score > 0 else "W"
    margin = abs(score)
    text = str(int(margin)) if margin == int(margin) else str(margin)
    return f"{winner}+{text}"


class RefGame:
    """Turns, passes, positional superko, simple ko, undo and results over ``RefBoard``."""

    def __init__(self, size: int, komi: float = 7.5, board: RefBoard | None = None, to_play: int = BLACK):
        self.size = size
        self.komi = komi
        self.board = board.copy() if board is not None else RefBoard(size)
        self.to_play = to_play
        self.passes = 0
        self.resigned = EMPTY
        self.captures = {BLACK: 0, WHITE: 0}
        # One entry per move: everything needed to undo it.
        self.history: list[tuple] = []
        self.last_action: int | None = None
        self.seen = Counter([self.board.hash()])

    def ko_position(self, color: int) -> RefBoard | None:
        """The position simple ko forbids ``color`` to recreate: the one before the
        opponent's last move, if that move put a stone on the board."""
        if not self.history or self.last_action == self.size * self.size:
            return None
        before, mover = self.history[-1][0], self.history[-1][4]
        return before if mover == other(color) else None

    def illegal_reason(self, action: int, color: int | None = None) -> str | None:
        color = self.to_play if color is None else color
        return self.board.illegal_reason(action, color, self.seen, self.ko_position(color))

    def legal_mask(self, color: int | None = None) -> list[bool]:
        color = self.to_play if color is None else color
        return self.board.legal_moves(color, self.seen, self.ko_position(color))

    def outcomes(self, color: int | None = None) -> list[tuple[str | None, int]]:
        """``RefBoard.outcomes`` under this game's simple ko (superko not applied)."""
        color = self.to_play if color is None else color
        return self.board.outcomes(color, self.ko_position(color))

    def play(self, action: int, color: int | None = None) -> int:
        """Play (pass = n*n); returns stones captured.  Raises ValueError if illegal."""
        color = self.to_play if color is None else color
        reason, new, captured = self.board.try_move(action, color, self.seen, self.ko_position(color))
        if reason is not None:
            raise ValueError(f"illegal move {action} for {color}: {reason}")
        self.history.append(
            (self.board, self.to_play, self.passes, self.last_action, color, self.captures[color])
        )
        self.board = new
        self.passes = self.passes + 1 if action == self.size * self.size else 0
        self.captures[color] += captured
        self.seen[self.board.hash()] += 1
        self.last_action = action
        self.to_play = other(color)
        return captured

    def undo(self) -> None:
        h = self.board.hash()
        self.seen[h] -= 1
        if not self.seen[h]:
            del self.seen[h]
        self.board, self.to_play, self.passes, self.last_action, mover, caps = self.history.pop()
        self.captures[mover] = caps

    def score(self) -> float:
        black, white, _ = self.board.area()
        return black - white - self.komi

    def result(self) -> str:
        if self.resigned:
            return "W+R" if self.resigned == BLACK else "B+R"
        return result_string(self.score())

    @property
    def is_over(self) -> bool:
        return self.passes >= 2 or self.resigned != EMPTY


def is_true_eye(board: RefBoard, pt: tuple[int, int], color: int) -> bool:
    """Empty ``pt`` surrounded by ``color`` (or the edge), with at most one enemy
    diagonal in the middle and none on the edge: the playout's no-fill rule."""
    if board.color(pt) != EMPTY or any(board.color(q) != color for q in board.neighbors(pt)):
        return False
    r, c = pt
    diagonals = [(r + dr, c + dc) for dr in (-1, 1) for dc in (-1, 1)]
    on_board = [q for q in diagonals if 0 <= q[0] < board.size and 0 <= q[1] < board.size]
    enemies = sum(board.color(q) == other(color) for q in on_board)
    return enemies == 0 if len(on_board) < 4 else enemies <= 1


def random_playout(size: int, rng, max_moves: int) -> int:
    """One uniform random playout from the empty board, the same policy as the
    engine's (no filling of one's own true eyes, simple ko, two passes end it);
    returns the plies played.  The baseline for `goagent bench board`."""
    board, previous, color = RefBoard(size), None, BLACK
    passes = plies = 0
    while plies < max_moves and passes < 2:
        empties = [(r, c) for r in range(size) for c in range(size) if (r, c) not in board.stones]
        rng.shuffle(empties)
        for pt in empties:
            if is_true_eye(board, pt, color):
                continue
            reason, after, _ = board.try_move(board.action(pt), color, (), previous)
            if reason is None:
                previous, board = board, after
                passes = 0
                break
        else:
            passes += 1
            previous = None
        plies += 1
        color = other(color)
    return plies
