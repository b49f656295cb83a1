"""Play one game between two GTP engines, e.g. goagent against GNU Go.

    python -m gtp.referee --size 9 \\
        --black "goagent gtp --model playouts --visits 50" \\
        --white "/usr/games/gnugo --mode gtp --level 0"

Both engines get ``boardsize``, ``komi`` and ``clear_board``; then each
``genmove`` answer is sent to the other engine as ``play``.  The game ends on
two passes, a resignation, or ``--max-moves``; then both engines are asked
``final_score``.  Any ``?`` answer, dead engine or timeout is an error: the
game stops and the exit status is 1.  The moves can be saved as SGF.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass, field

from goagent.coords import gtp_to_action, parse_color
from goagent.game import Move
from goagent.sgf import GameRecord
from goagent.sgf import write_sgf as serialise
from gtp.client import GtpFailure, GtpProcess


@dataclass
class GameReport:
    size: int
    komi: float
    moves: list[tuple[str, str]] = field(default_factory=list)  # ("B", "D4"), ("W", "pass")
    end: str = ""  # "two passes", "B resigned", "move limit", "error"
    result: str = ""  # e.g. "W+R", or the black engine's final_score
    scores: dict[str, str] = field(default_factory=dict)  # engine colour -> its final_score answer
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return not self.errors and self.end in ("two passes", "B resigned", "W resigned")


def _setup(engine: GtpProcess, size: int, komi: float) -> None:
    engine.ask(f"boardsize {size}")
    engine.ask(f"komi {komi:g}")
    engine.ask("clear_board")


def play_game(
    black: GtpProcess, white: GtpProcess, size: int = 9, komi: float = 7.5, max_moves: int = 0, log=None
) -> GameReport:
    """Referee one game; never raises for engine failures (they go into ``errors``)."""
    report = GameReport(size, komi)
    engines = {"B": black, "W": white}
    max_moves = max_moves or 4 * size * size
    try:
        for engine in engines.values():
            _setup(engine, size, komi)
        color, passes = "B", 0
        while len(report.moves) < max_moves:
            move = engines[color].ask(f"genmove {color}", timeout=600).lower()
            if move == "resign":
                report.end, report.result = f"{color} resigned", ("W" if color == "B" else "B") + "+R"
                break
            other = "W" if color == "B" else "B"
            engines[other].ask(f"play {color} {move}")
            report.moves.append((color, move))
            if log:
                log(f"{len(report.moves):3d}. {color} {move}")
            passes = passes + 1 if move == "pass" else 0
            if passes == 2:
                report.end = "two passes"
                break
            color = other
        else:
            report.end = "move limit"
        if not report.result:
            for name, engine in engines.items():
                report.scores[name] = engine.ask("final_score", timeout=120)
            report.result = report.scores["B"]
    except GtpFailure as err:
        report.end = "error"
        report.errors.append(str(err))
    return report


def write_sgf(report: GameReport, path: str, black_name: str, white_name: str) -> None:
    record = GameRecord(size=report.size, komi=report.komi, result=report.result)
    record.black_player, record.white_player = black_name, white_name
    record.moves = [Move(parse_color(c), gtp_to_action(v, report.size)) for c, v in report.moves]
    with open(path, "wb") as handle:
        handle.write(serialise(record))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gtp.referee", description=__doc__.split("\n\n")[0])
    parser.add_argument("--black", required=True, help="command line of the black engine")
    parser.add_argument("--white", required=True, help="command line of the white engine")
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--max-moves", type=int, default=0, help="stop after this many moves (0: 4*n*n)")
    parser.add_argument("--sgf", default=None, help="save the game here")
    parser.add_argument("--quiet", action="store_true", help="print only the result")
    args = parser.parse_args(argv)
    black, white = GtpProcess(shlex.split(args.black)), GtpProcess(shlex.split(args.white))
    log = None if args.quiet else (lambda text: print(text, flush=True))
    try:
        report = play_game(black, white, args.size, args.komi, args.max_moves, log)
    finally:
        codes = black.quit(), white.quit()
    if args.sgf:
        write_sgf(report, args.sgf, args.black, args.white)
    moves = len(report.moves)
    print(f"{args.size}x{args.size}: {moves} moves, ended by {report.end}, result {report.result}")
    for name, score in report.scores.items():
        print(f"final_score by the {'black' if name == 'B' else 'white'} engine: {score}")
    print(f"exit codes: black {codes[0]}, white {codes[1]}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 0 if report.finished else 1


if __name__ == "__main__":
    sys.exit(main())
