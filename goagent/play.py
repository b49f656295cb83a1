"""`goagent play`: a game against goagent in the terminal.

The board is redrawn after every move with the last move framed.  The human
types moves in GTP notation (``D4``, ``pass``) or a command: ``undo`` (takes
back the engine's reply and your move), ``resign``, ``hint`` (what goagent
would play, with its win rate), ``save FILE.sgf``, ``help``, ``quit``.  The
game ends on two passes (Tromp-Taylor count) or a resignation, and the SGF is
saved.
"""

from __future__ import annotations

import sys
import time

from goagent.coords import BLACK, action_to_gtp, color_name, gtp_to_action, opponent, parse_color
from goagent.game import GameState, IllegalMoveError
from goagent.player import Player, PlayerConfig
from goagent.sgf import record_from_state, write_sgf
from goagent.textboard import format_board, format_status
from goagent.winrate import black_winrate, resign_value

HELP = (
    "Type a move like D4 or pass, or: undo, resign, hint, save FILE.sgf, help, quit.\n"
    "Coordinates: columns A.. (no I), rows counted from the bottom."
)


class TerminalGame:
    def __init__(self, player: Player, human: int, state: GameState, sgf_path: str, out=sys.stdout):
        self.player = player
        self.human = human
        self.state = state
        self.sgf_path = sgf_path
        self.out = out

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def show(self) -> None:
        self.say()
        self.say(format_board(self.state))
        self.say(format_status(self.state))

    def save(self, path: str) -> None:
        names = {"goagent": f"goagent ({getattr(self.player.evaluator, 'name', 'playouts')})", "you": "human"}
        black, white = (
            (names["you"], names["goagent"]) if self.human == BLACK else (names["goagent"], names["you"])
        )
        record = record_from_state(
            self.state, black_player=black, white_player=white, date=time.strftime("%Y-%m-%d")
        )
        with open(path, "wb") as handle:
            handle.write(write_sgf(record))
        self.say(f"Game saved to {path}")

    def engine_move(self) -> None:
        decision = self.player.decide(self.state)
        if decision.resign:
            self.state.resign(self.state.to_play)
            self.say("goagent resigns.")
            return
        self.state.play(decision.action)
        rate = black_winrate(decision.value, opponent(self.state.to_play))
        self.say(
            f"goagent plays {action_to_gtp(decision.action, self.state.size)} "
            f"({decision.search.visits} visits, black wins {100 * rate:.0f}%)"
        )

    def human_turn(self, line: str) -> bool:
        """Handle one line of input; returns False to stop the game."""
        words = line.split()
        if not words:
            return True
        command = words[0].lower()
        if command in ("quit", "exit"):
            return False
        if command == "help":
            self.say(HELP)
        elif command == "undo":
            self.undo()
        elif command == "resign":
            self.state.resign(self.human)
        elif command == "hint":
            result = self.player.analyze(
                self.state, visits=self.player.config.visits, seconds=self.player.config.seconds
            )
            best = result.best
            self.say(
                f"hint: {action_to_gtp(best.action, self.state.size)} "
                f"(your win rate {100 * (best.value + 1) / 2:.0f}%)"
            )
        elif command == "save":
            self.save(words[1] if len(words) > 1 else self.sgf_path)
        else:
            try:
                self.state.play(gtp_to_action(words[0], self.state.size), self.human)
            except (ValueError, IllegalMoveError) as err:
                self.say(f"{err}. {HELP.splitlines()[0]}")
        return True

    def undo(self) -> None:
        # Take back moves until it is the human's turn again with one human move undone.
        undone = 0
        while self.state.moves:
            last = self.state.moves[-1].color
            self.state.undo()
            undone += 1
            if last == self.human:
                break
        self.say("undone" if undone else "nothing to undo")

    def play(self, read_line=input) -> str:
        self.say(HELP)
        while not self.state.is_over:
            self.show()
            if self.state.to_play != self.human:
                self.engine_move()
                continue
            try:
                line = read_line(f"{color_name(self.human)} to play> ")
            except EOFError:
                line = "quit"
            if not self.human_turn(line):
                self.say("Game stopped.")
                self.save(self.sgf_path)
                return "stopped"
        self.show()
        result = self.state.result()
        self.say(f"Game over: {result} (Tromp-Taylor area scoring, komi {self.state.komi:g})")
        self.save(self.sgf_path)
        return result


def player_config(args) -> PlayerConfig:
    """The engine's settings from ``goagent play``'s flags (``--resign`` is a win rate)."""
    return PlayerConfig(
        visits=None if args.seconds else args.visits,
        seconds=args.seconds,
        resign_threshold=resign_value(args.resign),
    )


def main(args) -> int:
    from goagent.inference import load_evaluator

    human = parse_color(args.color)
    state = GameState(args.size, args.komi, handicap=args.handicap)
    evaluator = load_evaluator(args.model, seed=args.seed, precision=args.precision, device=args.device)
    player = Player(evaluator, player_config(args), seed=args.seed)
    sgf_path = args.sgf or time.strftime("goagent-%Y%m%d-%H%M%S.sgf")
    TerminalGame(player, human, state, sgf_path).play()
    return 0
