"""Text pictures of a position, shared by `goagent show`, GTP `showboard`,
the Gymnasium env's ``ansi`` mode and `goagent play`.

Rows are labelled as in GTP (``n`` at the top), columns ``A..`` without ``I``;
``X`` is black, ``O`` white, ``.`` empty.
Board lines, and only board lines, start with a row number; the last move is
framed in parentheses like ``(X)``.
"""

from __future__ import annotations

from goagent.coords import BLACK, GTP_COLUMNS, WHITE, color_name
from goagent.game import GameState

_STONES = {BLACK: "X", WHITE: "O"}


def format_board(state: GameState, mark_last: bool = True) -> str:
    """The board as text, one line per row, with column letters above and below."""
    n = state.size
    colors = state.board.to_array()
    last = state.last_move.action if (mark_last and state.last_move) else None
    letters = "   " + " ".join(GTP_COLUMNS[:n])
    lines = [letters]
    for row in range(n):
        cells = []
        for col in range(n):
            cells.append(_STONES.get(int(colors[row, col]), "."))
        line = list(" " + " ".join(cells) + " ")
        if last is not None and last // n == row:
            at = 1 + 2 * (last % n)
            line[at - 1], line[at + 1] = "(", ")"
        lines.append(f"{n - row:<2d}" + "".join(line) + f"{n - row}")
    lines.append(letters)
    return "\n".join(lines)


def format_status(state: GameState) -> str:
    """Side to move, captures and move count, one line each."""
    return "\n".join(
        [
            f"{color_name(state.to_play).capitalize()} to move.",
            f"Captures: black {state.board.captures(BLACK)}, white {state.board.captures(WHITE)}.",
            f"Moves played: {state.move_number}.",
        ]
    )
