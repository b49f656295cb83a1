"""Play one game between two GTP engines, e.g. goagent against GNU Go.

    python -m gtp.referee --size 9 \\
        --black "goagent gtp --model playouts --visits 50" \\
        --white "/usr/games/gnugo --mode gtp --level 0"

The game is played by the project's one game runner, ``goagent.engine_game``
(the same as ``goagent match``): both engines get ``boardsize``,
``clear_board`` and ``komi`` (7.5, or 0.5 under ``--handicap``), then the
handicap stones (``set_free_handicap``; with ``--free-handicap`` the black
engine chooses them by ``place_free_handicap``), then each ``genmove``
answer is checked and sent to the other engine as ``play``.  The game ends
on two passes, a resignation, or ``--max-moves``; both engines are asked
``final_score``.  Area scoring: Tromp-Taylor when the engines' counts agree
with it, else a cleanup phase, and then the referee engine's count
(``--referee-engine``, or GNU Go with ``--chinese-rules`` when one side is
GNU Go).  Any ``?`` answer, dead engine, illegal move or timeout is an
error: the game stops and the exit status is 1.  The moves can be saved as SGF.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass, field

from goagent.engine_game import GameError, GameSetup, GtpAgent
from goagent.engine_game import play_game as run_game
from goagent.game import GameState
from goagent.gtp_client import GtpFailure, GtpProcess
from goagent.sgf import record_from_state
from goagent.sgf import write_sgf as serialise


@dataclass
class GameReport:
    size: int
    komi: float
    moves: list[tuple[str, str]] = field(default_factory=list)  # ("B", "D4"), ("W", "pass")
    end: str = ""  # "two passes", "B resigned", "move limit", "error"
    result: str = ""  # e.g. "W+R", "B+3.5"
    scores: dict[str, str] = field(default_factory=dict)  # engine colour -> its final_score answer
    errors: list[str] = field(default_factory=list)
    handicap: int = 0
    scored_by: str = ""  # "Tromp-Taylor", "resignation" or "referee: COMMAND"
    state: GameState | None = None  # the game as played (SGF)

    @property
    def finished(self) -> bool:
        return not self.errors and self.end in ("two passes", "B resigned", "W resigned")


def play_game(
    black: GtpProcess,
    white: GtpProcess,
    size: int = 9,
    komi: float | None = 7.5,
    max_moves: int = 0,
    log=None,
    handicap: int = 0,
    free_handicap: bool = False,
    referee: str = "",
) -> GameReport:
    """Referee one game; never raises for engine failures (they go into ``errors``).

    ``komi`` None: 7.5 even, 0.5 under handicap."""
    setup = GameSetup(
        size=size,
        komi=komi,
        handicap=handicap,
        free_handicap=free_handicap,
        max_moves=max_moves or 4 * size * size,
        referee=referee,
    )
    report = GameReport(size, komi if komi is not None else (0.5 if handicap else 7.5), handicap=handicap)
    try:
        agents = GtpAgent(black, f"black ({black.argv[0]})"), GtpAgent(white, f"white ({white.argv[0]})")
        outcome = run_game(*agents, setup, log_move=log)
    except GameError as err:
        report.end = "error"
        report.errors.append(str(err))
        return report
    state = outcome.state
    report.state = state
    report.moves = [(("B" if m.color == 1 else "W"), _vertex(m.action, size)) for m in state.moves]
    report.end, report.result, report.scores = outcome.end, outcome.result, outcome.scores
    report.scored_by = outcome.scored_by
    return report


def _vertex(action: int, size: int) -> str:
    from goagent.coords import action_to_gtp

    return action_to_gtp(action, size)


def write_sgf(report: GameReport, path: str, black_name: str, white_name: str) -> None:
    state = report.state or GameState(report.size, report.komi)
    record = record_from_state(state, black_player=black_name, white_player=white_name, result=report.result)
    with open(path, "wb") as handle:
        handle.write(serialise(record))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gtp.referee",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--black", required=True, help="command line of the black engine")
    parser.add_argument("--white", required=True, help="command line of the white engine")
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--komi", type=float, default=None, help="komi (default: 7.5, or 0.5 under handicap)")
    parser.add_argument(
        "--handicap",
        type=int,
        default=0,
        metavar="N",
        help="N handicap stones for the black engine (fixed points; 2-9 on 9x9, 13x13, 19x19)",
    )
    parser.add_argument(
        "--free-handicap",
        action="store_true",
        help="the black engine places its stones (place_free_handicap)",
    )
    parser.add_argument(
        "--referee-engine",
        default="",
        metavar="CMD",
        help="GTP engine whose final_score decides games the engines count differently "
        "(default: GNU Go --chinese-rules when one side is GNU Go, else Tromp-Taylor)",
    )
    parser.add_argument("--max-moves", type=int, default=0, help="stop after this many moves (0: 4*n*n)")
    parser.add_argument("--sgf", default=None, help="save the game here")
    parser.add_argument("--quiet", action="store_true", help="print only the result")
    args = parser.parse_args(argv)
    referee = args.referee_engine[4:] if args.referee_engine.startswith("gtp:") else args.referee_engine
    try:
        GameSetup(size=args.size, handicap=args.handicap, free_handicap=args.free_handicap)
    except ValueError as err:
        parser.error(str(err))
    try:
        black = GtpProcess(shlex.split(args.black))
    except GtpFailure as err:
        parser.error(str(err))
    try:
        white = GtpProcess(shlex.split(args.white))
    except GtpFailure as err:
        black.quit()
        parser.error(str(err))
    log = None if args.quiet else (lambda text: print(text, flush=True))
    try:
        report = play_game(
            black,
            white,
            args.size,
            args.komi,
            args.max_moves,
            log,
            handicap=args.handicap,
            free_handicap=args.free_handicap,
            referee=referee,
        )
    finally:
        codes = black.quit(), white.quit()
    if args.sgf:
        write_sgf(report, args.sgf, args.black, args.white)
    moves = len(report.moves)
    stones = f", {report.handicap} handicap stones" if report.handicap else ""
    print(
        f"{args.size}x{args.size}{stones}, komi {report.komi:g}: {moves} moves, ended by {report.end}, "
        f"result {report.result} ({report.scored_by or 'no result'})"
    )
    for name, score in report.scores.items():
        print(f"final_score by the {'black' if name == 'B' else 'white'} engine: {score}")
    print(f"exit codes: black {codes[0]}, white {codes[1]}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 0 if report.finished else 1


if __name__ == "__main__":
    sys.exit(main())
