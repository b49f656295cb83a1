"""A scripted GTP engine for tests: it always passes, and counts the game as a
draw when asked for final_score (so the arena must play a cleanup phase).

Options (for the handicap and referee tests):
``--log PATH`` appends every command received to PATH;
``--score TEXT`` answers final_score with TEXT instead of ``0``;
``--stones V1,V2,...`` are its answer to ``place_free_handicap N`` (the first N).
"""

import argparse
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", default=None)
    parser.add_argument("--score", default="0")
    parser.add_argument("--stones", default="A1,J9,A9,J1")
    args = parser.parse_args()
    log = open(args.log, "a") if args.log else None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if log:
            log.write(line.strip() + "\n")
            log.flush()
        command = words[0]
        if command == "list_commands":
            reply = "\n".join(
                "list_commands name boardsize clear_board komi play genmove final_score "
                "set_free_handicap place_free_handicap quit".split()
            )
        elif command == "name":
            reply = "Fake"
        elif command == "genmove":
            reply = "pass"
        elif command == "final_score":
            reply = args.score
        elif command == "place_free_handicap":
            reply = " ".join(args.stones.split(",")[: int(words[1])])
        else:
            reply = ""
        sys.stdout.write(f"= {reply}\n\n")
        sys.stdout.flush()
        if command == "quit":
            return


if __name__ == "__main__":
    main()
