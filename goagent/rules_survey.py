"""Measure what KGS's rules did, from its records: handicap compensation, seki, our count.

Run: ``python -m goagent.rules_survey [--data DIR]`` (default ``../shared/data/kgs-6d``
next to the repository; exits cleanly, saying so, when it is absent).  It reads
the games whose result is a count (``RE[B+3.5]``), replays them and uses the
territory markup KGS writes into a scored game's last node (``TB``/``TW``:
each side's territory, dead stones' points included) in two ways:

1. **KGS's own count**, straight from the markup: under territory rules a
   side has its marked points plus its prisoners (stones captured in play and
   the opponent's stones on its marked points); under area rules its marked
   points plus its stones not on the opponent's marks.  ``count - komi -
   recorded margin`` is then the handicap bonus KGS gave White; it is
   tabulated per ruleset and number of handicap stones.
2. **goagent's count**: ``goagent.scoring.score`` with the markup's dead stones
   (stones on the opponent's marks) under the record's ruleset; how often it
   gives the recorded winner and exact margin.  Games where ``seki_strings``
   finds a seki are counted under both seki conventions (tax seki: seki eyes
   not counted; tax none: counted) to see which one the records follow.

``--final-score N`` scores the first N counted games as GTP ``final_score``
does: dead stones from the network's ownership (``--model``, default the
shipped network), then ``score_state`` under the record's RU and KM, the
markup never read; it reports winner and exact-margin agreement per ruleset.

``--gnugo PATH`` also asks GNU Go (``loadsgf`` + ``final_status_list dead``)
for the dead stones of counted handicap games *without* markup, for the
rulesets the markup hardly covers (AGA, New Zealand), and fits the bonus the
same way.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
from pathlib import Path

import numpy as np
from sgfmill import sgf

from goagent.coords import BLACK, WHITE, gtp_to_action, sgfmill_to_action
from goagent.rules import Ruleset, parse_rules, rules_from_sgf
from goagent.scoring import score, seki_strings
from goagent.sgf import SGFError, iter_sources, read_sgf

PLAYOUTS = 256  # for --model playouts
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "kgs-6d"


def markup(data: bytes, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(tb, tw)`` bool[n*n] from the last node carrying TB/TW, or None."""
    game = sgf.Sgf_game.from_bytes(data)
    for node in reversed(game.get_main_sequence()):
        if node.has_property("TB") or node.has_property("TW"):
            marks = []
            for prop in ("TB", "TW"):
                mask = np.zeros(size * size, bool)
                if node.has_property(prop):
                    for point in node.get(prop):
                        mask[sgfmill_to_action(point, size)] = True
                marks.append(mask)
            return marks[0], marks[1]
    return None


def kgs_count(colors, tb, tw, rules: Ruleset, captures) -> float:
    """Black minus White as KGS's markup counts it (before komi)."""
    black_stones, white_stones = colors == BLACK, colors == WHITE
    if rules.territory:
        black = tb.sum() + captures[0] + (white_stones & tb).sum()
        white = tw.sum() + captures[1] + (black_stones & tw).sum()
    else:
        black = tb.sum() + (black_stones & ~tw).sum()
        white = tw.sum() + (white_stones & ~tb).sum()
    return float(black - white)


def gnugo_dead(gnugo: str, data: bytes, size: int) -> np.ndarray | None:
    """GNU Go's dead stones for the final position of an SGF game (None on failure)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".sgf") as handle:
        handle.write(data)
        handle.flush()
        try:
            out = subprocess.run(
                [gnugo, "--mode", "gtp", "--chinese-rules"],
                input=f"loadsgf {handle.name}\nfinal_status_list dead\nquit\n",
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
    answers = [block for block in out.split("\n\n") if block.startswith("=")]
    if len(answers) < 2:
        return None
    dead = np.zeros(size * size, bool)
    for vertex in answers[1][1:].split():
        dead[gtp_to_action(vertex, size)] = True
    return dead


def final_scores(data_dir: Path, games: int, model: str) -> None:
    """Winner and margin agreement of a final_score-like count on ``games`` counted games."""
    from goagent.inference import load_evaluator
    from goagent.scoring import dead_from_ownership, playout_ownership, score_state

    evaluator = None if model == "playouts" else load_evaluator(model, seed=0)
    tally = collections.defaultdict(lambda: [0, 0, 0])  # rules -> [games, winner right, margin right]
    for name, data in iter_sources([str(a) for a in sorted(data_dir.glob("*.tar.gz"))]):
        if sum(t[0] for t in tally.values()) >= games:
            break
        try:
            record = read_sgf(data, name)
            margin = record.score
            if margin is None or margin == 0 or not record.result[2:3].isdigit():
                continue
            state = record.to_state()
        except SGFError:
            continue
        rules = rules_from_sgf(record.rules) or parse_rules("japanese")
        state.set_rules(rules)
        if evaluator is None:
            own = playout_ownership(state, PLAYOUTS, 0)
        else:
            out = evaluator.evaluate([state], [state.legal_mask()])
            if out.ownership is None:
                raise SystemExit(f"--final-score: the model {model!r} has no ownership head")
            own = np.asarray(out.ownership[0], np.float64) * (1.0 if state.to_play == BLACK else -1.0)
        colors = state.board.to_array().reshape(-1)
        counted = score_state(state, dead_from_ownership(colors, state.size, own))
        entry = tally[rules.name]
        entry[0] += 1
        entry[1] += (counted.margin > 0) == (margin > 0)
        entry[2] += counted.margin == margin
    print(f"\nfinal_score-like count, dead stones from {model!r} ownership (winner right, margin right):")
    for label, (n, winner, exact) in sorted(tally.items()):
        print(f"  {label:12s} {n:4d} games: winner {winner / n:.1%}, margin {exact / n:.1%}")


def survey(data_dir: Path, gnugo: str | None, gnugo_games: int) -> None:
    archives = sorted(data_dir.glob("*.tar.gz"))
    bonus = collections.defaultdict(collections.Counter)  # (rules, handicap) -> residual -> games
    ours = collections.defaultdict(lambda: [0, 0, 0])  # rules -> [games, winner right, margin right]
    seki_games = collections.Counter()  # convention -> games whose margin it reproduces
    seki_examples: list[str] = []
    gnugo_fit = collections.defaultdict(collections.Counter)
    gnugo_left = gnugo_games
    counted = marked = 0
    for name, data in iter_sources([str(a) for a in archives]):
        try:
            record = read_sgf(data, name)
        except SGFError:
            continue
        margin = record.score
        if margin is None or margin == 0 or not record.result[2:3].isdigit():
            continue
        rules = rules_from_sgf(record.rules) or parse_rules("japanese")
        try:
            state = record.to_state()
        except SGFError:
            continue
        counted += 1
        colors = state.board.to_array().reshape(-1)
        captures = (state.board.captures(BLACK), state.board.captures(WHITE))
        label = rules.name
        marks = markup(data, state.size)
        if marks is None:
            if (
                gnugo
                and gnugo_left > 0
                and state.handicap >= 2
                and not rules.territory
                and label != "chinese"
            ):
                dead = gnugo_dead(gnugo, data, state.size)
                if dead is not None:
                    gnugo_left -= 1
                    flat = score(colors, state.size, rules, record.komi, 0, captures, dead)
                    gnugo_fit[(label, state.handicap)][flat.margin - margin] += 1
            continue
        marked += 1
        tb, tw = marks
        residual = kgs_count(colors, tb, tw, rules, captures) - record.komi - margin
        bonus[(label, state.handicap)][residual] += 1
        dead = ((colors == WHITE) & tb) | ((colors == BLACK) & tw)
        counted_ours = score(colors, state.size, rules, record.komi, state.handicap, captures, dead)
        tally = ours[label]
        tally[0] += 1
        tally[1] += (counted_ours.margin > 0) == (margin > 0)
        tally[2] += counted_ours.margin == margin
        if seki_strings(colors, state.size, dead).any():
            seki_games["games"] += 1
            for tax in ("seki", "none"):
                other = Ruleset(**{**rules.as_dict(), "tax": tax})
                again = score(colors, state.size, other, record.komi, state.handicap, captures, dead)
                seki_games[f"{label}: margin reproduced with tax {tax}"] += again.margin == margin
            seki_games[f"{label}: games"] += 1
            if len(seki_examples) < 40:
                seki_examples.append(f"{name} ({record.rules}, RE {record.result})")
    print(f"counted games: {counted}; with TB/TW markup: {marked}")
    print("\nKGS's handicap bonus (count from markup - komi - recorded margin), per ruleset and stones:")
    for (label, stones), residuals in sorted(bonus.items()):
        common = ", ".join(f"{r:+g}: {k}" for r, k in residuals.most_common(4))
        print(f"  {label:12s} HA {stones}: {sum(residuals.values()):4d} games; {common}")
    print("\ngoagent's count with the markup's dead stones (winner right, exact margin right):")
    for label, (games, winner, exact) in sorted(ours.items()):
        print(f"  {label:12s} {games:4d} games: winner {winner / games:.1%}, margin {exact / games:.1%}")
    if seki_games["games"]:
        print(f"\ngames with a seki (by goagent.scoring.seki_strings): {seki_games['games']}")
        print("  (tax seki: seki eyes not counted; tax none: counted)")
        for key, value in sorted(seki_games.items()):
            print(f"  {key}: {value}")
        print("  games: " + "; ".join(seki_examples))
    if gnugo_fit:
        print("\nHandicap games without markup, dead stones by GNU Go (goagent count, no bonus, - margin):")
        for (label, stones), residuals in sorted(gnugo_fit.items()):
            common = ", ".join(f"{r:+g}: {k}" for r, k in residuals.most_common(4))
            print(f"  {label:12s} HA {stones}: {sum(residuals.values()):4d} games; {common}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m goagent.rules_survey", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"KGS archives folder. Default: {DEFAULT_DATA}"
    )
    parser.add_argument(
        "--gnugo", default=None, metavar="PATH", help="GNU Go binary for unmarked handicap games"
    )
    parser.add_argument(
        "--gnugo-games", type=int, default=60, metavar="N", help="at most N GNU Go calls. Default: 60"
    )
    parser.add_argument(
        "--final-score", type=int, default=0, metavar="N", help="also count N games as final_score"
    )
    parser.add_argument(
        "--model",
        default="default",
        help="network for --final-score, or 'playouts' (64 random playouts). Default: default",
    )
    parser.add_argument(
        "--no-survey", action="store_true", help="skip the markup survey (with --final-score)"
    )
    args = parser.parse_args(argv)
    if not any(args.data.glob("*.tar.gz")):
        print(f"no KGS archives in {args.data}: nothing to measure", file=sys.stderr)
        return 0
    if not args.no_survey:
        survey(args.data, args.gnugo, args.gnugo_games)
    if args.final_score:
        final_scores(args.data, args.final_score, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
