"""Subcommands of goagent's core library: `show` and `bench`.

Each registers its arguments and a handler; handlers import what they need
when they run, so `goagent --help` stays fast and never loads torch.
"""

from __future__ import annotations

import argparse


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


def register(subparsers) -> None:
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
    from goagent import bench as bench_module

    bench_module.add_arguments(bench)
    bench.set_defaults(func=cmd_bench)
