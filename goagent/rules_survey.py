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
``--misses FILE`` lists the games whose winner it got wrong, with GNU Go's count of
each beside it (``--gnugo``), to tell a miss of ours from a record that is wrong.

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
import zlib
from pathlib import Path

import numpy as np

from goagent.coords import BLACK, WHITE, gtp_to_action
from goagent.data import split_key
from goagent.final_ownership import markup
from goagent.rules import Ruleset, record_rules
from goagent.scoring import score, score_state, seki_strings
from goagent.sgf import SGFError, iter_sources, read_sgf

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "kgs-6d"


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


def gnugo_answers(gnugo: str, data: bytes, flags: list[str], commands: str) -> list[str] | None:
    """GNU Go's answers (without ``= ``) to ``loadsgf GAME`` and ``commands`` (None on failure)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".sgf") as handle:
        handle.write(data)
        handle.flush()
        try:
            out = subprocess.run(
                [gnugo, "--mode", "gtp", *flags],
                input=f"loadsgf {handle.name}\n{commands}\nquit\n",
                capture_output=True,
                text=True,
                timeout=300,
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
    answers = [block[1:].strip() for block in out.split("\n\n") if block.startswith("=")]
    return answers if len(answers) >= 2 else None


def gnugo_dead(gnugo: str, data: bytes, size: int) -> np.ndarray | None:
    """GNU Go's dead stones for the final position of an SGF game (None on failure)."""
    answers = gnugo_answers(gnugo, data, ["--chinese-rules"], "final_status_list dead")
    if answers is None:
        return None
    dead = np.zeros(size * size, bool)
    for vertex in answers[1].split():
        dead[gtp_to_action(vertex, size)] = True
    return dead


def gnugo_final_score(gnugo: str, data: bytes, territory: bool) -> float | None:
    """GNU Go's ``final_score`` of an SGF game (Black minus White; None on failure).

    GNU Go counts Japanese-style by default; area rulesets get ``--chinese-rules``."""
    answers = gnugo_answers(gnugo, data, [] if territory else ["--chinese-rules"], "final_score")
    if answers is None:
        return None
    result = answers[1]
    if result == "0":
        return 0.0
    try:
        value = float(result[2:])
    except ValueError:
        return None
    return value if result[:1] == "B" else -value


def in_sample(name: str, percent: float) -> bool:
    """A deterministic random sample of games by name (independent of the SL split)."""
    return (zlib.crc32(b"gnugo:" + split_key(name).encode()) % 10_000) < percent * 100


def counted_games(data_dir: Path):
    """``(name, data, state, rules, margin)`` for each counted game, rules and komi set."""
    for name, data in iter_sources([str(a) for a in sorted(data_dir.glob("*.tar.gz"))]):
        try:
            record = read_sgf(data, name)
            margin = record.score
            if margin is None or margin == 0 or not record.result[2:3].isdigit():
                continue
            state = record.to_state()
        except SGFError:
            continue
        rules = record_rules(record.rules)
        state.set_rules(rules)
        yield name, data, state, rules, margin


def final_scores(
    data_dir: Path,
    games: int,
    model: str,
    gnugo: str | None = None,
    gnugo_percent: float = 0.0,
    gnugo_cache: Path | None = None,
    validation_only: bool = False,
    misses: Path | None = None,
) -> None:
    """Winner and margin agreement of GTP ``final_score``'s count on ``games`` counted games.

    Reported per ruleset for all games, the validation split (``goagent.data.is_validation``
    at the default 2%, never trained on) and, with ``gnugo``, a sample of
    ``gnugo_percent`` of the games plus every validation game, GNU Go beside goagent.
    ``gnugo_cache``: a JSON file of GNU Go's counts by game, read and extended;
    ``validation_only``: only the validation games (``games`` of them at most);
    ``misses``: a JSON file listing the games whose winner goagent got wrong, each with
    GNU Go's count beside it when ``gnugo`` is given (``report_misses``)."""
    import json
    import time

    from goagent.data import is_validation

    judge = ownership_judge(model)
    cache = json.loads(gnugo_cache.read_text()) if gnugo_cache and gnugo_cache.exists() else {}
    tally = collections.defaultdict(lambda: [0, 0, 0])  # (set, rules) -> [games, winner, margin]
    seconds = 0.0
    done = 0
    wrong = []

    def gnugo_count(name: str, data: bytes, rules: Ruleset) -> float | None:
        key = split_key(name)  # GNU Go is slow: each game is asked once, kept in the cache
        if key not in cache:
            cache[key] = gnugo_final_score(gnugo, data, rules.territory)
        return cache[key]

    for name, data, state, rules, margin in counted_games(data_dir):
        if done >= games:
            break
        if validation_only and not is_validation(name, 2.0):
            continue
        done += 1
        began = time.perf_counter()
        counted = score_state(state, judge(state))
        seconds += time.perf_counter() - began
        val = is_validation(name, 2.0)
        sets = ["all"] + (["validation"] if val else [])
        if gnugo and (val or in_sample(name, gnugo_percent)):
            theirs = gnugo_count(name, data, rules)
            if theirs is not None:
                sets.append("sample: goagent")
                _tally(tally, "sample: GNU Go", rules.name, theirs, margin)
        for label in sets:
            _tally(tally, label, rules.name, counted.margin, margin)
        if misses and not same_winner(counted.margin, margin):
            wrong.append({"game": name, "rules": rules.name, "recorded": margin, "goagent": counted.margin})
            if gnugo:
                wrong[-1]["gnugo"] = gnugo_count(name, data, rules)
        if done % 500 == 0:
            print(f"  {done} games, {seconds / done * 1000:.1f} ms a game", file=sys.stderr, flush=True)
            if gnugo_cache:
                gnugo_cache.write_text(json.dumps(cache))
    if gnugo_cache:
        gnugo_cache.write_text(json.dumps(cache))
    print(f"\nfinal_score's count, dead stones from {model!r} (winner right, exact margin right):")
    print(f"  {done} games, {seconds / max(done, 1) * 1000:.1f} ms a game to judge and count")
    for (label, ruleset), (n, winner, exact) in sorted(tally.items()):
        print(f"  {label:16s} {ruleset:12s} {n:5d} games: winner {winner / n:.1%}, margin {exact / n:.1%}")
    if misses:
        misses.write_text(json.dumps(wrong, indent=1))
        print(report_misses(wrong) + f" (listed in {misses})")


def report_misses(wrong: list[dict]) -> str:
    """One line on the games whose recorded winner goagent's count contradicts: in how
    many an independent counter (GNU Go, where it was asked) contradicts the record too,
    and in how many the record is the exact negative of both counts (a sign error in the
    record, as in KGS's games of July-October 2000)."""
    asked = [w for w in wrong if w.get("gnugo") is not None]
    agree = [w for w in asked if same_winner(w["gnugo"], w["goagent"])]
    negated = [w for w in agree if w["gnugo"] == w["goagent"] == -w["recorded"]]
    line = f"\n{len(wrong)} games with the winner wrong"
    if asked:
        line += (
            f"; GNU Go counted {len(asked)} of them: it names goagent's winner, not the record's, "
            f"in {len(agree)}, and in {len(negated)} both counts are exactly the record's negative"
        )
    return line


def same_winner(margin: float, other: float) -> bool:
    """Whether two margins (Black minus White, never 0 here) name the same winner."""
    return (margin > 0) == (other > 0)


def _tally(tally, label: str, ruleset: str, ours: float, recorded: float) -> None:
    for key in ((label, ruleset), (label, "(all rules)")):
        entry = tally[key]
        entry[0] += 1
        entry[1] += same_winner(ours, recorded)
        entry[2] += ours == recorded


def ownership_judge(model: str):
    """``state -> dead bool[n*n]``: the dead-stone finder (``model`` 'playouts'), the
    finder with a network's ownership averaged in, as GTP ``final_score`` judges with a
    network that learned dead stones (``finder+PATH``), or a network's raw ownership
    (``PATH``: ``dead_from_ownership``) for comparison."""
    from goagent.scoring import dead_from_ownership

    if model == "playouts":
        from goagent.dead_stones import dead_stones

        return dead_stones
    if model.startswith("finder+"):
        from goagent.dead_stones import dead_stones
        from goagent.inference import load_evaluator
        from goagent.search.evaluation import dead_stone_ownership

        network = load_evaluator(model[len("finder+") :], seed=0)
        if not network.knows_dead_stones:
            raise SystemExit(f"--final-score {model!r}: this network did not learn dead stones")
        return lambda state: dead_stones(state, network=dead_stone_ownership(network, state))
    if model == "random-playouts":  # the judgement before goagent.dead_stones, for comparison
        from goagent.scoring import playout_ownership

        return lambda state: dead_from_ownership(
            state.board.to_array().reshape(-1), state.size, playout_ownership(state, 256, 0)
        )
    from goagent.inference import load_evaluator

    evaluator = load_evaluator(model, seed=0)

    def judge(state):
        out = evaluator.evaluate([state], [state.legal_mask()])
        if out.ownership is None:
            raise SystemExit(f"--final-score: the model {model!r} has no ownership head")
        own = np.asarray(out.ownership[0], np.float64) * (1.0 if state.to_play == BLACK else -1.0)
        return dead_from_ownership(state.board.to_array().reshape(-1), state.size, own)

    return judge


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
        rules = record_rules(record.rules)
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
        tally[1] += same_winner(counted_ours.margin, margin)
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
        help="judge for --final-score: 'playouts' (goagent.dead_stones), 'finder+PATH' (the finder "
        "with PATH's ownership averaged in, as final_score judges with a network that learned dead "
        "stones), or a network PATH alone. Default: default",
    )
    parser.add_argument(
        "--gnugo-percent",
        type=float,
        default=5.0,
        metavar="P",
        help="with --final-score, --gnugo: GNU Go counts P%% of the games and the validation ones",
    )
    parser.add_argument(
        "--gnugo-cache", type=Path, default=None, metavar="FILE", help="GNU Go's counts kept in FILE (JSON)"
    )
    parser.add_argument(
        "--no-survey", action="store_true", help="skip the markup survey (with --final-score)"
    )
    parser.add_argument(
        "--validation-only",
        action="store_true",
        help="with --final-score: only the validation games (never trained on)",
    )
    parser.add_argument(
        "--misses",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --final-score: list the games whose winner goagent got wrong in FILE (JSON), "
        "with GNU Go's count of each when --gnugo is given",
    )
    args = parser.parse_args(argv)
    if not any(args.data.glob("*.tar.gz")):
        print(f"no KGS archives in {args.data}: nothing to measure", file=sys.stderr)
        return 0
    if not args.no_survey:
        survey(args.data, args.gnugo, args.gnugo_games)
    if args.final_score:
        final_scores(
            args.data,
            args.final_score,
            args.model,
            args.gnugo,
            args.gnugo_percent,
            args.gnugo_cache,
            args.validation_only,
            args.misses,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
