"""How a GTP engine ends real games: does it pass once a game is over, under its rules?

Run: ``python -m goagent.endgame_survey [--games 40] [--engine "goagent gtp ..."]``.
For each counted game of the validation split of ``../shared/data/kgs-6d``
(``goagent.data.is_validation``: never trained on), the engine loads the record
(``loadsgf``: RU and KM set its rules and komi) and is asked twice:

- **pass first**: ``genmove`` for the side to move in the finished position;
- **pass back**: after ``play <side to move> pass``, ``genmove`` for the other side.

A pass is what the record's players did.  For any other answer the survey says
what it cost the mover: ``final_score`` after the move against before it (under
territory rules a stone in one's own territory costs a point; filling dame
costs nothing).  Works with any GTP engine that has ``loadsgf`` and
``final_score`` (the baseline of a comparison included).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from goagent.rules_survey import DEFAULT_DATA, counted_games


def _score(text: str) -> float:
    """Black's margin from a ``final_score`` answer (``B+3.5``, ``W+1``, ``0``)."""
    if text.strip() in ("0", "Draw"):
        return 0.0
    return float(text[2:]) * (1.0 if text[0] == "B" else -1.0)


def survey(data_dir: Path, engine: list[str], games: int, seconds: float) -> dict:
    """Run the two questions over ``games`` validation games; returns the tallies."""
    from goagent.data import is_validation
    from goagent.gtp_client import GtpProcess

    tally = {
        case: {"games": 0, "passes": 0, "gain": 0.0, "moves": []} for case in ("pass first", "pass back")
    }
    process = GtpProcess(engine)
    try:
        done = 0
        for name, data, state, _rules, _margin in counted_games(data_dir):
            if done >= games:
                break
            if not is_validation(name, 2.0):
                continue
            done += 1
            with tempfile.NamedTemporaryFile(suffix=".sgf") as handle:
                handle.write(data)
                handle.flush()
                mover = "b" if state.to_play == 1 else "w"
                other = "w" if mover == "b" else "b"
                for case, setup, color in (
                    ("pass first", [], mover),
                    ("pass back", [f"play {mover} pass"], other),
                ):
                    process.ask(f"loadsgf {handle.name}")
                    for line in setup:
                        process.ask(line)
                    before = _score(process.ask("final_score", timeout=seconds * 10))
                    answer = process.ask(f"genmove {color}", timeout=seconds * 10 + 60).lower()
                    entry = tally[case]
                    entry["games"] += 1
                    if answer == "pass":
                        entry["passes"] += 1
                        continue
                    after = _score(process.ask("final_score", timeout=seconds * 10))
                    gain = (after - before) * (1.0 if color == "b" else -1.0) + 0.0  # no -0
                    entry["gain"] += gain
                    entry["moves"].append(f"{Path(name).name}: {color} {answer} ({gain:+g})")
            print(f"  {done} games", file=sys.stderr, flush=True)
    finally:
        process.quit()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m goagent.endgame_survey",
        description="Does a GTP engine pass once a real game is over? (see the module docstring)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of KGS .tar.gz archives")
    parser.add_argument("--games", type=int, default=40, help="validation games to ask about (default 40)")
    parser.add_argument(
        "--engine",
        default="goagent gtp --visits 400",
        help='the engine\'s command line (default "goagent gtp --visits 400")',
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="the longest a move may take (timeouts)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no KGS archives in {args.data}: nothing to survey", file=sys.stderr)
        return 0
    tally = survey(args.data, shlex.split(args.engine), args.games, args.seconds)
    print(f"engine: {args.engine}")
    for case, entry in tally.items():
        moves = entry["games"] - entry["passes"]
        print(
            f"  {case}: passed in {entry['passes']} of {entry['games']} games; "
            f"{moves} other answers, {entry['gain']:+g} points for the mover in all"
        )
        for line in entry["moves"]:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
