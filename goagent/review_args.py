"""The options of `goagent review` and their defaults (argparse only: the CLI parser stays light).

``goagent.review`` runs the review; this module only says what can be asked of
it, so that `goagent --help` imports neither torch nor Numba.
"""

from __future__ import annotations

from goagent.precision import add_arguments as add_precision_arguments  # argparse only, no torch

# About 2 minutes for a 250-move 19x19 game on 2 quiet cores (the shipped network
# searches about 235 visits/s there, docs/BENCHMARKS.md); README "Commands" says more.
DEFAULT_VISITS = 100
RANKINGS = ("points", "winrate")
DEFAULT_THRESHOLD = {"points": 3.0, "winrate": 10.0}  # points; percentage points of win rate


def add_review_arguments(parser) -> None:
    parser.add_argument("file", metavar="GAME.sgf", help="the game to review (its main line)")
    parser.add_argument(
        "--visits",
        type=int,
        default=DEFAULT_VISITS,
        help=f"search visits for each position, at least (default {DEFAULT_VISITS})",
    )
    parser.add_argument(
        "--model",
        default="default",
        help="network: default (the shipped one), a checkpoint path, or playouts",
    )
    parser.add_argument(
        "--by",
        choices=RANKINGS,
        default="points",
        help="rank mistakes by score lead lost (points, as KaTrain does; the default) or by win-rate drop",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="smallest loss that is a mistake, in points, or with --by winrate in percentage "
        f"points of win rate (default {DEFAULT_THRESHOLD['points']:g} points, "
        f"{DEFAULT_THRESHOLD['winrate']:g}%% win rate)",
    )
    parser.add_argument(
        "--mistakes",
        type=int,
        default=10,
        metavar="N",
        help="mark at most N mistakes, each with a variation (default 10)",
    )
    parser.add_argument("--out", default=None, help="annotated SGF (default GAME-review.sgf)")
    parser.add_argument("--graph", default=None, help="graph PNG (default GAME-review.png)")
    parser.add_argument("--no-graph", action="store_true", help="do not draw the graph")
    parser.add_argument("--batch", type=int, default=16, help="leaves per network batch (default 16)")
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed for the network's symmetries (default 0)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    add_precision_arguments(parser)
