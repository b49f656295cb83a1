"""Colors and coordinates: the one place that converts between representations.

Conventions (see ARCHITECTURE.md section 2):

- An *action* is an ``int`` in ``[0, n*n]``: ``row * n + col``; pass is ``n*n``.
- ``(row, col)``: row 0 is the top line (GTP row ``n``, SGF letter ``a``), col 0
  is GTP column ``A``.
- GTP vertices: columns ``A..Z`` without ``I``, rows counted from the bottom,
  parsed case-insensitively; ``pass`` is a pass.
- SGF points: two letters, column then row, ``a`` = top/left; empty and ``tt``
  (boards up to 19x19) read as pass, pass is written empty.
- sgfmill points: ``(row, col)`` with row 0 at the *bottom*.
- Colors: ``EMPTY = 0``, ``BLACK = 1``, ``WHITE = 2``; ``opponent(c) = 3 - c``.
"""

from __future__ import annotations

EMPTY, BLACK, WHITE = 0, 1, 2
MIN_SIZE, MAX_SIZE = 2, 25
GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # 25 letters: 'I' is skipped
_SGF_LETTERS = "abcdefghijklmnopqrstuvwxy"

_COLOR_NAMES = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}


def opponent(color: int) -> int:
    """The other color: BLACK <-> WHITE."""
    return 3 - color


def parse_color(text: str) -> int:
    """Read a color as GTP and SGF write it (``b``, ``black``, ``W``...)."""
    try:
        return _COLOR_NAMES[text.strip().lower()]
    except KeyError:
        raise ValueError(f"not a color: {text!r} (expected b, w, black or white)") from None


def color_name(color: int) -> str:
    """``'black'`` or ``'white'``."""
    if color == BLACK:
        return "black"
    if color == WHITE:
        return "white"
    raise ValueError(f"not a player color: {color!r}")


def check_size(size: int) -> int:
    """Return ``size`` if it is a supported board size, else raise ValueError."""
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"board size must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
    return size


def pass_action(size: int) -> int:
    """The pass action for an ``size`` x ``size`` board."""
    return size * size


def is_pass(action: int, size: int) -> bool:
    return action == size * size


def to_action(row: int, col: int, size: int) -> int:
    if not (0 <= row < size and 0 <= col < size):
        raise ValueError(f"point ({row}, {col}) is off a {size}x{size} board")
    return row * size + col


def to_rowcol(action: int, size: int) -> tuple[int, int] | None:
    """``(row, col)`` of an action, or None for pass."""
    if action == size * size:
        return None
    if not 0 <= action < size * size:
        raise ValueError(f"action {action} is out of range for a {size}x{size} board")
    return divmod(action, size)


# --- GTP -------------------------------------------------------------------


def action_to_gtp(action: int, size: int) -> str:
    """``'D4'``-style vertex, or ``'pass'``."""
    rc = to_rowcol(action, size)
    if rc is None:
        return "pass"
    row, col = rc
    return f"{GTP_COLUMNS[col]}{size - row}"


def gtp_to_action(vertex: str, size: int) -> int:
    """Parse a GTP vertex (``d4``, ``Q16``, ``pass``); raises ValueError if invalid."""
    text = vertex.strip().upper()
    if text == "PASS":
        return size * size
    if len(text) < 2 or text[0] not in GTP_COLUMNS or not text[1:].isascii() or not text[1:].isdigit():
        raise ValueError(f"not a vertex: {vertex!r}")
    col = GTP_COLUMNS.index(text[0])
    number = int(text[1:])
    if col >= size or not 1 <= number <= size:
        raise ValueError(f"vertex {vertex!r} is off a {size}x{size} board")
    return to_action(size - number, col, size)


# --- SGF -------------------------------------------------------------------


def action_to_sgf(action: int, size: int) -> str:
    """Two-letter SGF point; pass is the empty string (FF[4])."""
    rc = to_rowcol(action, size)
    if rc is None:
        return ""
    row, col = rc
    return _SGF_LETTERS[col] + _SGF_LETTERS[row]


def sgf_to_action(point: str, size: int) -> int:
    """Parse an SGF point; empty and ``tt`` (on boards up to 19x19) are pass."""
    text = point.strip()
    if text == "" or (text == "tt" and size <= 19):
        return size * size
    if len(text) != 2 or text[0] not in _SGF_LETTERS or text[1] not in _SGF_LETTERS:
        raise ValueError(f"not an SGF point: {point!r}")
    col, row = _SGF_LETTERS.index(text[0]), _SGF_LETTERS.index(text[1])
    return to_action(row, col, size)


def sgfmill_to_action(point: tuple[int, int] | None, size: int) -> int:
    """Convert sgfmill's ``(row, col)`` (row 0 at the bottom, None = pass)."""
    if point is None:
        return size * size
    row, col = point
    return to_action(size - 1 - row, col, size)


def action_to_sgfmill(action: int, size: int) -> tuple[int, int] | None:
    rc = to_rowcol(action, size)
    if rc is None:
        return None
    return size - 1 - rc[0], rc[1]
