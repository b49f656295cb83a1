"""A scripted GTP engine for tests: it always passes, and counts the game as a
draw when asked for final_score (so the arena must play a cleanup phase)."""

import sys


def main() -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        if command == "list_commands":
            reply = "list_commands\nboardsize\nclear_board\nkomi\nplay\ngenmove\nfinal_score\nquit"
        elif command == "genmove":
            reply = "pass"
        elif command == "final_score":
            reply = "0"
        else:
            reply = ""
        sys.stdout.write(f"= {reply}\n\n")
        sys.stdout.flush()
        if command == "quit":
            return


if __name__ == "__main__":
    main()
