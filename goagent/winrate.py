"""Values and win rates: the one place that converts between them.

The search and the network speak in *values*: the side to move's expected
result in [-1, 1].  People, GUIs and command-line flags speak in *win rates*:
a probability in [0, 1].  ``winrate(value)`` and ``value_of(winrate)`` convert;
``black_winrate`` turns a side-to-move value into Black's win rate (what a
graph shows).  ``resign_value`` and ``winrate_arg`` give every ``--resign``
flag the same meaning: resign below this win rate, 0 never.
"""

from __future__ import annotations

import argparse

BLACK = 1  # goagent.coords.BLACK; repeated so this module imports nothing


def winrate(value: float) -> float:
    """The side to move's win probability for a value in [-1, 1] (clamped to [0, 1])."""
    return min(1.0, max(0.0, (value + 1.0) / 2.0))


def value_of(winrate: float) -> float:
    """The value in [-1, 1] of a win probability."""
    return 2.0 * winrate - 1.0


def black_winrate(value: float, to_play: int) -> float:
    """Black's win probability from a value for the side ``to_play``."""
    p = winrate(value)
    return p if to_play == BLACK else 1.0 - p


def resign_value(resign_winrate: float) -> float:
    """The root-value threshold below which to resign, from a ``--resign`` win rate
    (0: never, which is the value -1, below which nothing falls)."""
    return value_of(resign_winrate) if resign_winrate > 0 else -1.0


def winrate_arg(text: str) -> float:
    """argparse type of every ``--resign``: a win rate in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number: give a win rate such as 0.05") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"{text} is not a win rate: give one at least 0 and below 1 (e.g. 0.05 for 5%; 0 never resigns)"
        )
    return value
