"""Subcommands of goagent's core library: `show` and `bench`.

Each registers its arguments and a handler; handlers import what they need
when they run, so `goagent --help` stays fast and never loads torch.
"""

from __future__ import annotations

import argparse

from goagent.fileio import dumps
from goagent.precision import add_arguments as add_precision_arguments
from goagent.winrate import winrate_arg


def cmd_show(args) -> int:
    from goagent.sgf import load_sgf
    from goagent.textboard import format_board, format_status

    record = load_sgf(args.file)
    total = len(record.moves)
    moves = total if args.move is None else args.move
    if not 0 <= moves <= total:
        raise ValueError(f"--move must be between 0 and {total} (the game has {total} moves)")
    state = record.to_state(moves)
    print(format_board(state))
    print(format_status(state))
    return 0


def cmd_bench(args) -> int:
    from goagent import bench

    return bench.main(args)


def cmd_sl_prepare(args) -> int:
    from goagent.data import PrepareFilter, prepare

    flt = PrepareFilter(
        board_size=args.size,
        max_handicap=args.max_handicap,
        min_rank=args.min_rank,
        min_moves=args.min_moves,
        val_percent=args.val_percent,
    )
    summary = prepare(args.sources, args.out, flt, workers=args.workers, shard_positions=args.shard_positions)
    games, positions = summary["games"], summary["positions"]
    print(
        f"used {games['train'] + games['val']} games: "
        f"{games['train']} train ({positions['train']} positions), "
        f"{games['val']} validation ({positions['val']} positions)"
    )
    skipped = summary["skipped"]
    print(f"skipped {sum(skipped.values())} games" + (":" if skipped else ""))
    for reason, count in sorted(skipped.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {reason}  (e.g. {summary['skipped_examples'][reason]})")
    print(f"shards and summary.json written to {args.out}")
    return 0


def cmd_sl_train(args) -> int:
    from dataclasses import fields, replace

    from goagent.config import TrainConfig, apply_overrides
    from goagent.train import train

    # Every flag named after a TrainConfig field sets it (None: not given, keep the default).
    given = {f.name: getattr(args, f.name, None) for f in fields(TrainConfig)}
    cfg = replace(TrainConfig(), **{name: value for name, value in given.items() if value is not None})
    cfg = apply_overrides(cfg, args.set or [])
    last = train(cfg, args.data, args.out)
    print(dumps(last))
    return 0


def cmd_sl_eval(args) -> int:
    from goagent.train import evaluate_games

    result = evaluate_games(
        args.model,
        args.sources,
        args.max_games,
        args.batch,
        validation_percent=args.validation_only,
        precision=args.precision,
        device=args.device,
    )
    if args.json:
        print(dumps(result))
    else:
        print(f"{result['games']} games, {result['positions']} positions, precision {result['precision']}")
        print(
            f"top-1 accuracy {100 * result['top1']:.1f}%, top-5 {100 * result['top5']:.1f}%, "
            f"value loss (MSE) {result['value_loss']:.3f}"
        )
    return 0


def cmd_sl_export(args) -> int:
    from goagent.train import export_weights

    info = export_weights(args.checkpoint, args.out)
    print(f"wrote {args.out}: step {info['step']}, {info['bytes'] / 1e6:.1f} MB")
    return 0


def cmd_plot(args) -> int:
    from goagent.plot import plot_run, plot_runs

    if len(args.run) == 1:
        path = plot_run(args.run[0], args.out)
    else:
        path = plot_runs(args.run, args.out or "curves.png")
    print(f"wrote {path}")
    return 0


def _register_sl(subparsers) -> None:
    sl = subparsers.add_parser(
        "sl",
        help="supervised learning from SGF records (prepare, train, eval)",
        description="Supervised learning: `prepare` turns SGF records into training shards, "
        "`train` fits a network to them, `eval` measures move-prediction accuracy.",
    )
    sl_sub = sl.add_subparsers(dest="sl_command", metavar="STEP", required=True)
    prep = sl_sub.add_parser(
        "prepare",
        help="SGF files/folders/archives -> training shards",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Read SGF files, folders and .tar.gz/.zip archives, filter the games, replay each "
        "with the board engine and write train/validation shards (split by game).",
    )
    prep.add_argument("sources", nargs="+", help="SGF files, folders or archives")
    prep.add_argument("--out", required=True, help="folder for the shards")
    prep.add_argument("--size", type=int, default=19, help="keep games on this board size")
    prep.add_argument("--max-handicap", type=int, default=9, help="drop games with more handicap stones")
    prep.add_argument("--min-rank", default="", help="drop games where a player is below this rank, e.g. 6d")
    prep.add_argument("--min-moves", type=int, default=20, help="drop shorter games")
    prep.add_argument("--val-percent", type=float, default=2.0, help="share of games held out for validation")
    prep.add_argument("--workers", type=int, default=None, help="processes (default: every core)")
    prep.add_argument("--shard-positions", type=int, default=250_000, help="positions per shard")
    prep.set_defaults(func=cmd_sl_prepare)

    tr = sl_sub.add_parser(
        "train",
        help="train a network on prepared shards (resumes RUN if it exists)",
        description="Train a policy/value network on the shards from `goagent sl prepare`. "
        "Everything goes to RUN/: config.toml, checkpoint.pt (resumed on restart), metrics.jsonl. "
        "Other settings: --set key=value (see goagent.config.TrainConfig), e.g. --set value_weight=0.25.",
    )
    tr.add_argument("--data", required=True, help="folder written by `goagent sl prepare`")
    tr.add_argument("--out", required=True, metavar="RUN", help="run folder (created, or resumed)")
    tr.add_argument(
        "--model", default=None, help="network preset for a new run: b6c64, b6c96, b10c128, b15c192"
    )
    tr.add_argument("--init", default=None, help="start from this checkpoint's weights")
    tr.add_argument("--steps", type=int, default=None, help="total optimizer steps (default 100000)")
    tr.add_argument("--batch", type=int, default=None, help="positions per step (default 256)")
    tr.add_argument("--lr", type=float, default=None, help="peak learning rate (default 0.05 for sgd)")
    tr.add_argument("--optimizer", choices=["sgd", "adamw"], default=None, help="default sgd")
    add_precision_arguments(tr, training=True)
    tr.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    tr.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    tr.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes building batches (default: none on CPU, one per spare core on a GPU)",
    )
    tr.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop with a checkpoint after this many minutes; the same command goes on later",
    )
    tr.add_argument("--set", action="append", metavar="KEY=VALUE", help="any TrainConfig field")
    tr.set_defaults(func=cmd_sl_train)

    ev = sl_sub.add_parser(
        "eval",
        help="move-prediction accuracy of a network on SGF games",
        description="Replay SGF games and report top-1/top-5 move-prediction accuracy and value loss "
        "over every move.",
    )
    ev.add_argument("sources", nargs="+", help="SGF files, folders or archives")
    ev.add_argument(
        "--model",
        default="default",
        help="checkpoint; default: the shipped networks (9x9.pt on 9x9, default.pt on other sizes)",
    )
    ev.add_argument("--max-games", type=int, default=None, help="stop after this many games")
    ev.add_argument("--batch", type=int, default=256, help="positions per forward pass")
    add_precision_arguments(ev)
    ev.add_argument("--json", action="store_true", help="print JSON with keys top1, top5, positions, games")
    ev.add_argument(
        "--validation-only",
        type=float,
        default=None,
        metavar="PERCENT",
        help="only the games `sl prepare --val-percent PERCENT` held out (never trained on)",
    )
    ev.set_defaults(func=cmd_sl_eval)

    ex = sl_sub.add_parser(
        "export",
        help="copy a checkpoint's network without optimizer state (for shipping)",
        description="Write the network of CHECKPOINT to --out without optimizer state, e.g. to ship it "
        "as goagent/weights/default.pt.",
    )
    ex.add_argument("checkpoint", help="a training checkpoint, e.g. RUN/checkpoint.pt")
    ex.add_argument("--out", required=True, help="where to write the network")
    ex.set_defaults(func=cmd_sl_export)


def cmd_play(args) -> int:
    from goagent import play

    return play.main(args)


def _play_arguments(parser) -> None:
    parser.add_argument("--color", default="black", help="your color: black or white")
    parser.add_argument("--size", type=int, default=19, help="board size")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (Tromp-Taylor area scoring)")
    parser.add_argument("--handicap", type=int, default=0, help="fixed handicap stones for Black (2-9)")
    parser.add_argument("--model", default="default", help="network: default, a checkpoint path, or playouts")
    parser.add_argument("--visits", type=int, default=200, help="search visits per move (strength)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="think this long per move instead of --visits"
    )
    parser.add_argument(
        "--resign",
        type=winrate_arg,
        default=0.05,
        metavar="R",
        help="resign when the win rate has stayed below R for a few moves; 0 never resigns. Default: 0.05",
    )
    parser.add_argument("--sgf", default=None, help="where to save the game (default: goagent-DATE.sgf)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    add_precision_arguments(parser)


def _bench_common(parser, size: int) -> None:
    parser.add_argument("--size", type=int, default=size, help="board size")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _bench_arguments(parser) -> None:
    """The `goagent bench` targets, each with its own options."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    board = targets.add_parser(
        "board", help="random playouts/s of the board engine, one core", formatter_class=fmt
    )
    _bench_common(board, 9)
    board.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    board.add_argument("--no-baseline", action="store_true", help="skip the pure-Python reference board")

    mcts = targets.add_parser(
        "mcts", help="search visits/s, batch size and forward-pass share", formatter_class=fmt
    )
    _bench_common(mcts, 9)
    mcts.add_argument("--model", default="default", help="default, a checkpoint, or playouts")
    mcts.add_argument("--visits", type=int, default=400, help="visits per move")
    mcts.add_argument("--batch", type=int, default=16, help="leaves per network batch")
    mcts.add_argument("--moves", type=int, default=10, help="moves of a game to search")
    mcts.add_argument("--playouts", type=int, default=2, help="with --model playouts: playouts per leaf")
    mcts.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    add_precision_arguments(mcts)
    mcts.add_argument(
        "--kgs", nargs="?", const="", default=None, metavar="DIR",
        help="search middle-game positions of KGS records in DIR (default ../shared/data/kgs-6d), 19x19",
    )  # fmt: skip
    mcts.add_argument(
        "--memory", action="store_true", help="bytes per expanded node after one search of --visits"
    )

    analyze = targets.add_parser(
        "analyze",
        help="a long kata-analyze through `goagent gtp`: visits over time and the engine's RSS",
        formatter_class=fmt,
    )
    analyze.add_argument("--minutes", type=float, default=10.0, help="how long to analyse")
    analyze.add_argument("--interval", type=float, default=1.0, help="seconds between updates")
    analyze.add_argument(
        "--engine-args", default="--model default", help="options of `goagent gtp` (quoted as one string)"
    )
    analyze.add_argument(
        "--kgs", default="", metavar="DIR", help="KGS archives (default ../shared/data/kgs-6d)"
    )
    analyze.add_argument("--seed", type=int, default=0, help="which middle-game position")
    analyze.add_argument("--plot", default="", metavar="PNG", help="draw visits and RSS against time")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")

    net = targets.add_parser("net", help="network positions/s: inference and a training step")
    _bench_net_arguments(net)

    env = targets.add_parser(
        "env", help="Gymnasium env steps/s, against PettingZoo go_v5 when installed", formatter_class=fmt
    )
    _bench_common(env, 9)
    env.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    env.add_argument("--no-baseline", action="store_true", help="skip PettingZoo's go_v5")
    env.add_argument(
        "--vector",
        type=int,
        default=0,
        metavar="N",
        help="time GoVectorEnv with N boards (and SyncVectorEnv over GoEnv) instead of one env",
    )
    env.add_argument(
        "--breakdown", action="store_true", help="also time each part of a step (play, mask, planes, ...)"
    )


def _bench_net_arguments(parser) -> None:
    """Options of `goagent bench net`."""
    parser.add_argument(
        "--model", default="b6c64", help="preset name (tiny, b6c64, b10c128, ...) or checkpoint"
    )
    parser.add_argument("--size", type=int, default=19, help="board size (default 19)")
    parser.add_argument("--batch", type=int, default=32, help="positions per forward pass (default 32)")
    parser.add_argument("--seconds", type=float, default=6.0, help="timing budget in seconds (default 6)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--in-channels", type=int, default=None, help="input planes for a preset")
    parser.add_argument(
        "--precision",
        default="all",
        help="comma-separated paths to time side by side (fp32,bf16,int8,fp16), or all: "
        "every path this machine runs, bf16 even where only emulated (default all)",
    )
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="default auto")
    parser.add_argument("--no-train", action="store_true", help="measure inference only")
    parser.add_argument(
        "--compile", action="store_true", help="also torch.compile the inference model (slow first call)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights and inputs")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def cmd_review(args) -> int:
    from goagent import review

    return review.main(args)


def _register_review(subparsers) -> None:
    from goagent.review_args import add_review_arguments

    parser = subparsers.add_parser(
        "review",
        help="review a whole game: win rates, mistakes, an annotated SGF and a graph",
        description="Search every position of GAME.sgf and write GAME-review.sgf (a comment with "
        "Black's win rate and score lead on every move, Sabaki's SBKV win-rate graph, the biggest "
        "mistakes marked, each with goagent's line as a variation) and GAME-review.png.",
    )
    add_review_arguments(parser)
    parser.set_defaults(func=cmd_review)


def register(subparsers) -> None:
    play = subparsers.add_parser(
        "play",
        help="play a game against goagent in the terminal",
        description="Play against goagent in the terminal. Type moves like D4 or pass; "
        "also undo, resign, hint, save FILE.sgf, quit. The game is saved as SGF.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _play_arguments(play)
    play.set_defaults(func=cmd_play)

    show = subparsers.add_parser(
        "show",
        help="print the position of an SGF game as a text board",
        description="Print the position after N moves of an SGF game (default: the end), "
        "then the side to move, captures and the move count.",
    )
    show.add_argument("file", help="an .sgf file")
    show.add_argument("--move", type=int, default=None, metavar="N", help="show the position after N moves")
    show.set_defaults(func=cmd_show)

    bench = subparsers.add_parser(
        "bench",
        help="measure engine speed (board playouts/s)",
        description="Benchmarks. `goagent bench board --size 9` times random playouts on one core "
        "and, from a source checkout, the pure-Python reference board for comparison.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _bench_arguments(bench)
    bench.set_defaults(func=cmd_bench)
    _register_sl(subparsers)
    _register_review(subparsers)
    plot = subparsers.add_parser(
        "plot",
        help="draw a run's curves (metrics.jsonl) as a PNG",
        description="Read RUN/metrics.jsonl and draw the training curves (losses, accuracy, Elo "
        "where present) into RUN/curves.png.",
    )
    plot.add_argument("run", nargs="+", help="run folder(s) holding metrics.jsonl; several: drawn together")
    plot.add_argument(
        "--out", default=None, help="PNG path (default RUN/curves.png; for several runs ./curves.png)"
    )
    plot.set_defaults(func=cmd_plot)
