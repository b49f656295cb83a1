"""`goagent gtp`: the command-line entry of the GTP engine (for Sabaki, Lizzie, GoGui).

``register(subparsers)`` adds the subcommand and its help; the handler checks
the flags, then hands over to ``gtp.server.run_stdio``.  Nothing heavy is
imported here, so ``goagent --help`` and the engine's handshake stay fast.
"""

from __future__ import annotations

import argparse
import os

from goagent.precision import add_arguments as add_precision_arguments
from goagent.rules import parse_rules
from goagent.winrate import winrate_arg
from gtp.options import DEFAULT_SECONDS, DEFAULT_VISITS, EngineOptions

DESCRIPTION = """\
Speak GTP version 2 on stdin/stdout, for Go GUIs (Sabaki, Lizzie, GoGui) and
match tools (gogui-twogtp). In Sabaki: Engines > Manage Engines > Add, path =
the goagent program, arguments = "gtp" plus any flags below.

Besides the standard commands it offers lz-analyze and kata-analyze (live
analysis: Sabaki's Analyze button), lz-/kata-genmove_analyze, kgs-time_settings,
kgs-genmove_cleanup and GoGui analyze commands (policy heat map, ownership).
stdout carries only protocol responses; logs go to stderr.
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def _bytes(text: str) -> int:
    """A size in bytes: ``1500000000``, ``1.5G``, ``800M`` or ``64k`` (powers of 1000)."""
    scale = {"k": 10**3, "m": 10**6, "g": 10**9}.get(text[-1:].lower(), 1)
    try:
        value = float(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: give bytes such as 1.5G or 800M") from None
    if value < 10**6:
        raise argparse.ArgumentTypeError(f"{text} is too small for a search tree: give at least 1M")
    return int(value)


def _add_memory_argument(parser, who: str) -> None:
    parser.add_argument(
        "--memory-budget",
        type=_bytes,
        default=None,
        metavar="BYTES",
        help=f"memory for {who} (tree, evaluation cache, ownership sums), e.g. 1.5G or 800M. A full tree "
        "stops growing but the search goes on refining it, so analysis runs until stopped. Default: 1.5G",
    )


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default="default",
        metavar="M",
        help="the network: 'default' (the ones shipped with goagent: 9x9.pt on 9x9, default.pt on "
        "other sizes; without them, random playouts), "
        "a checkpoint path, or 'playouts' (no network: fast to start, weak). Default: default",
    )
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument(
        "--visits",
        type=_positive_int,
        default=None,
        metavar="N",
        help="search visits per move (more is stronger and slower). "
        f"Default without --seconds: {DEFAULT_VISITS} visits, at most {DEFAULT_SECONDS:g} s a move",
    )
    limit.add_argument(
        "--seconds",
        type=_positive_float,
        default=None,
        metavar="S",
        help="think this many seconds per move instead of a visit count",
    )
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        metavar="T",
        help="CPU threads for network evaluation (torch). Default: torch's choice",
    )
    parser.add_argument(
        "--resign",
        type=winrate_arg,
        default=0.05,
        metavar="R",
        help="resign when the win rate has stayed below R for a few moves (never in the "
        "first quarter of the game, nor early as White in handicap games); 0 never resigns. Default: 0.05",
    )
    parser.add_argument(
        "--rules",
        default="tromp-taylor",
        metavar="R",
        help="rules for legality and the final count: tromp-taylor, chinese, japanese, korean, aga, "
        "new-zealand (KataGo's names and JSON objects; kata-set-rules, kgs-rules and a loaded SGF's RU "
        "change it). Default: tromp-taylor, as KataGo's GTP config",
    )
    parser.add_argument(
        "--ponder",
        action="store_true",
        help="think on the opponent's time after each genmove, until the next command, and keep "
        "the tree for the next move (KataGo's ponderingEnabled; kata-set-param can switch it)",
    )
    parser.add_argument(
        "--lizzie",
        action="store_true",
        help="for Lizzie 0.7: answer `name` with a name starting 'KataGo' (Lizzie's test for its "
        "KataGo mode: kata-analyze with score and ownership, and no Leela Zero version dialog); "
        "`version` stays goagent's",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed. Default: 0")
    _add_memory_argument(parser, "the search")
    add_precision_arguments(parser)
    parser.epilog = (
        "GTP time settings (time_settings, kgs-time_settings, time_left) replace\n"
        "--visits/--seconds with a time budget per move. `goagent -v gtp` logs more\n"
        "(to stderr)."
    )


def cmd_gtp(args) -> int:
    if args.model not in ("default", "playouts") and not os.path.isfile(args.model):
        raise ValueError(f"--model: no such checkpoint file: {args.model}")
    from gtp.server import run_stdio

    try:
        parse_rules(args.rules)  # a clear error now, not at the engine's start
    except ValueError as err:
        raise ValueError(f"--rules: {err}") from None
    options = EngineOptions(
        model=args.model,
        visits=args.visits,
        seconds=args.seconds,
        threads=args.threads,
        resign=args.resign,
        seed=args.seed,
        rules=args.rules,
        memory_budget=args.memory_budget,
        ponder=args.ponder,
        lizzie=args.lizzie,
        precision=args.precision,
        device=args.device,
    )
    return run_stdio(options)


ANALYSIS_DESCRIPTION = """\
Speak KataGo's JSON analysis engine protocol on stdin/stdout (for KaTrain and
other tools written for `katago analysis`). One JSON query per input line; one
JSON result per analysed turn per output line, values from Black's side unless
a query's overrideSettings.reportAnalysisWinratesAs says WHITE or SIDETOMOVE.
Turns of many queries are searched together and share network batches. At the
end of input the queued turns are finished, then the engine exits.

In KaTrain: General & Engine settings > engine command (custom):
  goagent analysis
(plus any flags below). stdout carries only protocol lines; logs go to stderr.
"""


def cmd_analysis(args) -> int:
    if args.model not in ("default", "playouts") and not os.path.isfile(args.model):
        raise ValueError(f"--model: no such checkpoint file: {args.model}")
    from gtp.analysis_engine import AnalysisSettings, run_stdio

    settings = AnalysisSettings(
        visits=args.visits,
        seconds=args.seconds,
        parallel=args.parallel,
        batch=args.batch,
        seed=args.seed,
        memory_budget=args.memory_budget,
    )
    options = EngineOptions(
        model=args.model, threads=args.threads, seed=args.seed, precision=args.precision, device=args.device
    )
    return run_stdio(settings, options)


def _register_analysis(subparsers) -> None:
    parser = subparsers.add_parser(
        "analysis",
        help="run as a KataGo-style JSON analysis engine (KaTrain; stdin/stdout)",
        description=ANALYSIS_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        default="default",
        metavar="M",
        help="the network: 'default', a checkpoint path, or 'playouts' (see `goagent gtp --help`)",
    )
    parser.add_argument(
        "--visits",
        type=_positive_int,
        default=500,
        metavar="N",
        help="visits per turn when a query gives no maxVisits. Default: 500",
    )
    parser.add_argument(
        "--seconds",
        type=_positive_float,
        default=None,
        metavar="S",
        help="at most this long per turn when a query gives no maxTime. Default: no limit",
    )
    parser.add_argument(
        "--parallel",
        type=_positive_int,
        default=8,
        metavar="K",
        help="turns searched at once, their leaves pooled into one network batch. Default: 8",
    )
    parser.add_argument(
        "--batch", type=_positive_int, default=8, metavar="B", help="leaves per turn per batch. Default: 8"
    )
    parser.add_argument(
        "--threads", type=_positive_int, default=None, metavar="T", help="CPU threads for the network (torch)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed. Default: 0")
    _add_memory_argument(parser, "all turns searched at once (shared equally)")
    add_precision_arguments(parser)
    parser.set_defaults(func=cmd_analysis)


def register(subparsers) -> None:
    _register_analysis(subparsers)
    parser = subparsers.add_parser(
        "gtp",
        help="run as a GTP engine for Sabaki, Lizzie, GoGui (stdin/stdout)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=cmd_gtp)
