"""Subcommands of the selfplay package: `match` and `ratings`.

Handlers import what they need when they run, so `goagent --help` stays fast.
"""

from __future__ import annotations

import argparse
import os

from goagent.fileio import dumps, write_json
from goagent.precision import add_arguments as add_precision_arguments
from goagent.winrate import resign_value, winrate_arg


def _parse_sprt(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        elo0, elo1 = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"--sprt takes ELO0,ELO1 (e.g. 0,50), not {text!r}") from None
    if elo1 <= elo0:
        raise ValueError("--sprt needs ELO1 > ELO0")
    return elo0, elo1


def player_specs(args):
    """Players A and B from ``goagent match``'s flags (``--resign`` is a win rate)."""
    from selfplay.agents import PlayerSpec

    def spec(text, visits, seconds):
        return PlayerSpec(
            text,
            visits=visits or args.visits,
            seconds=seconds or args.seconds,
            resign=resign_value(args.resign),
        )

    return spec(args.a, args.a_visits, args.a_seconds), spec(args.b, args.b_visits, args.b_seconds)


def cmd_match(args) -> int:
    from goagent.precision import NumericPath
    from selfplay.agents import network_loader
    from selfplay.arena import MatchSettings, run_match

    a, b = player_specs(args)
    settings = MatchSettings(
        games=args.games,
        size=args.size,
        komi=args.komi,
        parallel=args.parallel,
        openings=args.openings,
        max_moves=args.max_moves,
        sgf_dir=args.sgf_dir or "",
        sprt=_parse_sprt(args.sprt),
        seed=args.seed,
        handicap=args.handicap,
        handicap_to=args.handicap_to,
        free_handicap=args.free_handicap,
        referee=args.referee_engine[4:] if args.referee_engine.startswith("gtp:") else args.referee_engine,
    )
    match = run_match(a, b, settings, loader=network_loader(NumericPath.from_args(args)))
    summary = match.summary()  # strict JSON: no Infinity/NaN (an unbounded Elo is null)
    if args.sgf_dir:
        write_json(os.path.join(args.sgf_dir, "match.json"), summary, indent=1)
    if args.json:
        print(dumps(summary))
        return 0
    print(format_summary(summary))
    return 0


def format_summary(s: dict) -> str:
    def fmt(x: float | None, unbounded: str) -> str:
        return unbounded if x is None or abs(x) == float("inf") else f"{x + 0.0:+.0f}"

    elo_unbounded = "+inf" if s["score"] > 0.5 else "-inf"  # a sweep's Elo (null in the JSON)

    lines = [
        f"A = {s['a']}",
        f"B = {s['b']}",
        f"{s['games']} games: A won {s['wins']}, lost {s['losses']}, drew {s['draws']} "
        f"(score {100 * s['score']:.1f}%)",
        f"  A as Black: {s['by_color']['a_black']}",
        f"  A as White: {s['by_color']['a_white']}",
        f"Elo of A over B: {fmt(s['elo'], elo_unbounded)} "
        f"(95% confidence interval {fmt(s['elo_low'], '-inf')} .. {fmt(s['elo_high'], '+inf')})",
    ]
    if s.get("handicap"):
        lines.insert(2, f"handicap {s['handicap']} stones to {s['handicap_to'].upper()} (Black every game)")
    if s.get("sprt"):
        t = s["sprt"]
        verdict = {
            "H1": f"A is stronger by at least {t['elo1']:g} Elo (H1 accepted)",
            "H0": f"A is not stronger by {t['elo1']:g} Elo (H0 accepted)",
            None: "undecided",
        }[t["decision"]]
        lines.append(f"SPRT [{t['elo0']:g}, {t['elo1']:g}]: LLR {t['llr']:+.2f}: {verdict}")
    return "\n".join(lines)


def cmd_ratings(args) -> int:
    from selfplay.rating_io import ratings_table, read_results
    from selfplay.ratings import bradley_terry

    games = read_results(args.games)
    if not games:
        raise ValueError("no decided games found in " + ", ".join(args.games))
    ratings = bradley_terry(games, anchor=args.anchor)
    if args.json:
        print(dumps([r.__dict__ for r in ratings]))
    else:
        print(ratings_table(ratings))
    if args.plot:
        from selfplay.rating_io import plot_ratings

        print(f"wrote {plot_ratings(ratings, args.plot)}")
    return 0


def cmd_selfplay(args) -> int:
    from selfplay import loop

    if args.selfplay_command == "convert":
        return _convert_run(args.run)
    from goagent.precision import NumericPath

    cfg = loop.resolve_config(args.config, args.set or [])
    numerics = NumericPath.from_args(args)  # the workers' and the gate's networks
    run = loop.RunDir(args.run)
    step = args.selfplay_command
    if step == "loop":
        try:
            loop.run_loop(args.run, cfg, args.generations, args.init, args.ray, numerics)
        except KeyboardInterrupt:
            print("stopped; run the same command again to resume", flush=True)
            return 130
        return 0
    loop.prepare_run(run, cfg, args.init)
    state = run.read_state() or {"generation": 1, "best": 0, "elo": 0.0}
    generation = args.generation or state["generation"]
    best = run.model(state["best"])
    if step == "generate":
        print(dumps(loop.generate(run, cfg, generation, best, args.ray, numerics)))
    elif step == "train":
        previous = run.candidate(generation - 1)
        start = previous if generation > 1 and os.path.exists(previous) else best
        print(dumps(loop.train(run, cfg, generation, start)))
    elif step == "gate":
        print(dumps(loop.gate(run, cfg, generation, best, numerics)))
    return 0


def _convert_run(run: str) -> int:
    """Rewrite a run's self-play games of the old example layout in the one format."""
    import glob

    from selfplay.worker import convert_old_games

    folders = sorted(glob.glob(os.path.join(run, "games", "gen-*")))
    if not folders:
        print(f"no games in {run}/games: nothing to convert", flush=True)
        return 1
    total = sum(convert_old_games(folder) for folder in folders)
    print(f"converted {total} games in {len(folders)} generation folders of {run}", flush=True)
    return 0


def _register_selfplay(subparsers) -> None:
    sp = subparsers.add_parser(
        "selfplay",
        help="self-play reinforcement learning (loop, or the generate/train/gate stages)",
        description="AlphaZero-style self-play in a run folder: `loop` repeats generate, train, gate and "
        "promote, and resumes where it stopped after a crash, a kill or Ctrl-C. The stages are also "
        "available one by one for people who schedule them themselves.",
    )
    steps = sp.add_subparsers(dest="selfplay_command", metavar="STEP", required=True)
    for name, text, more in (
        (
            "loop",
            "repeat generate, train, gate, promote",
            "Runs until stopped (Ctrl-C stops cleanly) or for --generations. Everything lives in "
            "RUN: config.toml, models/gen-NNNN.pt (every promoted network), games/ (SGF and "
            "training examples), metrics.jsonl (draw it with `goagent plot RUN`). Run the same "
            "command again to resume. Example: goagent selfplay loop --run runs/9x9",
        ),
        ("generate", "play the current generation's self-play games", ""),
        ("train", "train the current generation's candidate on the replay window", ""),
        ("gate", "match the candidate against the best network", ""),
        (
            "convert",
            "rewrite a run's self-play games of the old example layout in the current one",
            "Games written before goagent's one example format (SL shards and self-play alike) "
            "are rebuilt from their .sgf files and stored search targets, in place; training "
            "on such a run says to do this.",
        ),
    ):
        p = steps.add_parser(
            name,
            help=text,
            description=f"{text[0].upper()}{text[1:]}. {more}".strip(),
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        p.add_argument("--run", required=True, help="run folder (created, or resumed)")
        p.add_argument("--config", default="9x9", help="tiny, 9x9, 13x13, 19x19 or a .toml file")
        p.add_argument("--init", default=None, help="start from this checkpoint (e.g. the shipped network)")
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="override a setting, e.g. selfplay.visits=400 or train.lr=0.01",
        )
        p.add_argument(
            "--ray",
            default=None,
            metavar="ADDRESS",
            help="run self-play workers on a Ray cluster (pip install goagent[ray])",
        )
        add_precision_arguments(p)  # the workers' and gate's networks; the learner: --set train.precision
        if name == "loop":
            p.add_argument("--generations", type=int, default=None, help="stop after N generations")
        else:
            p.add_argument("--generation", type=int, default=None, help="which generation (default: current)")
        p.set_defaults(func=cmd_selfplay)


def register(subparsers) -> None:
    _register_selfplay(subparsers)
    match = subparsers.add_parser(
        "match",
        help="play games between two players and estimate the Elo difference",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Play A against B with alternating colors. A player is `default` (the shipped "
        "networks: 9x9.pt on 9x9, default.pt on other sizes), `playouts` (network-free search), "
        'a checkpoint path, or gtp:"COMMAND ARGS" for '
        'any GTP engine, e.g. gtp:"/usr/games/gnugo --mode gtp --level 10". Prints wins/losses/draws '
        "by color and A's Elo over B with a 95%% confidence interval.",
    )
    match.add_argument("a", help="player A")
    match.add_argument("b", help="player B")
    match.add_argument("--games", type=int, default=20, help="number of games")
    match.add_argument("--size", type=int, default=9, help="board size")
    match.add_argument(
        "--komi", type=float, default=None, help="komi, area scoring (default: 7.5, or 0.5 under handicap)"
    )
    match.add_argument(
        "--handicap",
        type=int,
        default=0,
        metavar="N",
        help="handicap games: N stones (2-9 fixed on 9x9, 13x13, 19x19) for B, who is then Black in "
        "every game; A, the stronger side, gives them. No opening moves follow the stones",
    )
    match.add_argument(
        "--handicap-to", choices=("a", "b"), default="b", help="which player receives the handicap stones"
    )
    match.add_argument(
        "--free-handicap",
        action="store_true",
        help="the receiver places its stones (place_free_handicap) instead of the fixed points",
    )
    match.add_argument(
        "--referee-engine",
        default="",
        metavar='gtp:"CMD"',
        help="GTP engine whose final_score decides games the engines count differently "
        "(default: GNU Go with --chinese-rules when one player is GNU Go, else Tromp-Taylor), e.g. "
        'gtp:"/usr/games/gnugo --mode gtp --chinese-rules"',
    )
    match.add_argument("--visits", type=int, default=200, help="search visits per move for goagent players")
    match.add_argument("--seconds", type=float, default=None, help="seconds per move instead of visits")
    match.add_argument("--a-visits", type=int, default=None, help="visits for A only")
    match.add_argument("--b-visits", type=int, default=None, help="visits for B only")
    match.add_argument("--a-seconds", type=float, default=None, help="seconds per move for A only")
    match.add_argument("--b-seconds", type=float, default=None, help="seconds per move for B only")
    match.add_argument(
        "--resign",
        type=winrate_arg,
        default=0.025,
        metavar="R",
        help="goagent resigns when its win rate has stayed below R for a few moves; 0 never. Default: 0.025",
    )
    match.add_argument("--parallel", type=int, default=1, help="games at once (processes)")
    match.add_argument("--sgf-dir", default=None, help="save every game here (plus match.json)")
    match.add_argument(
        "--openings",
        default="random-4",
        help="random-K: K opening moves sampled from the network policy; or a file "
        "(lines of GTP moves, or SGF); each opening is played with both colors",
    )
    match.add_argument(
        "--max-moves", type=int, default=0, help="adjudicate by score after this many moves (0: 3*n*n)"
    )
    match.add_argument("--sprt", default=None, metavar="ELO0,ELO1", help="stop early once SPRT decides")
    match.add_argument("--seed", type=int, default=0, help="random seed (games are reproducible)")
    add_precision_arguments(match)
    match.add_argument("--json", action="store_true", help="print the result as JSON")
    match.set_defaults(func=cmd_match)

    ratings = subparsers.add_parser(
        "ratings",
        help="Elo ratings for many players from SGF folders or match results",
        description="Maximum-likelihood (Bradley-Terry) Elo ratings with 95%% intervals from SGF games "
        "(players from PB/PW, winner from RE) and match.json files.",
    )
    ratings.add_argument("games", nargs="+", help="SGF files/folders/archives or match.json files")
    ratings.add_argument("--anchor", default=None, help="player fixed at 0 Elo (default: mean 0)")
    ratings.add_argument("--plot", default=None, metavar="PNG", help="also draw the ratings into this PNG")
    ratings.add_argument("--json", action="store_true", help="print JSON")
    ratings.set_defaults(func=cmd_ratings)
