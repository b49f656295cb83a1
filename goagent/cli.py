"""The `goagent` command line: parse arguments, hand off to the packages.

The one module allowed to reach into every package (ARCHITECTURE.md section 1).
Each package registers its own subcommands (``goagent.commands``,
``gtp.commands``, ``selfplay.commands``).  Registering imports nothing heavy
(no Numba, no torch): handlers import what they need when they run, so
`goagent --help`, `goagent show` and the GTP handshake start fast.
Errors a user can fix (bad file, bad argument) print one line and exit 2;
``-v`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import logging
import sys

from goagent import __version__, commands
from gtp.commands import register as register_gtp
from selfplay import commands as selfplay_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goagent",
        description="goagent: a Go-playing agent. Play it in the terminal or in Sabaki, "
        "train it on game records and by self-play, and measure it.",
    )
    parser.add_argument("--version", action="version", version=f"goagent {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.register(subparsers)
    selfplay_commands.register(subparsers)
    register_gtp(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("goagent: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        if args.verbose:
            raise
        print(f"goagent: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
