"""Match participants: goagent itself (a network or playouts) or any GTP engine.

A player spec is text: ``default`` (the shipped network), ``playouts`` (the
network-free search), a checkpoint path, or ``gtp:COMMAND ARGS`` for an
external engine spoken to over GTP (GNU Go, Leela Zero, another goagent).
Every agent offers the same four calls: ``new_game``, ``observe`` (a move was
played), ``genmove`` (an action, or None to resign) and ``close``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass

from goagent.coords import action_to_gtp, color_name, gtp_to_action
from goagent.game import GameState


@dataclass(frozen=True)
class PlayerSpec:
    text: str  # as given on the command line
    visits: int | None = 200
    seconds: float | None = None
    resign: float = -0.95  # resign threshold for goagent players (-1: never)

    @property
    def is_gtp(self) -> bool:
        return self.text.startswith("gtp:")

    @property
    def name(self) -> str:
        if self.is_gtp:
            return self.text[4:].strip()
        base = os.path.basename(self.text) if os.sep in self.text else self.text
        budget = f"{self.seconds:g}s" if self.seconds else f"{self.visits}v"
        return f"goagent:{base}:{budget}"

    def validate(self) -> None:
        if self.is_gtp:
            if not shlex.split(self.text[4:]):
                raise ValueError('gtp: needs a command, e.g. gtp:"/usr/games/gnugo --mode gtp"')
        elif self.text not in ("default", "playouts") and not os.path.exists(self.text):
            raise FileNotFoundError(
                f"player {self.text!r}: no such checkpoint (or use default, playouts, gtp:CMD)"
            )


class GTPError(RuntimeError):
    """The engine answered '?' or went away."""


class GTPAgent:
    """An external engine over GTP, one process per agent."""

    def __init__(self, spec: PlayerSpec):
        self.spec = spec
        self.name = spec.name
        args = shlex.split(spec.text[4:])
        try:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
        except OSError as err:
            raise GTPError(f"cannot start {args[0]!r}: {err}") from None
        self.commands = set(self.send("list_commands").split())

    def send(self, command: str) -> str:
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            lines = []
            while True:
                line = self.process.stdout.readline()
                if line == "":
                    raise GTPError(f"{self.name} exited while answering {command!r}")
                if line.strip() == "" and lines:
                    break
                if line.strip():
                    lines.append(line.rstrip("\n"))
        except BrokenPipeError:
            raise GTPError(f"{self.name} closed its input") from None
        text = "\n".join(lines)
        if text.startswith("?"):
            raise GTPError(f"{self.name} rejected {command!r}: {text[1:].strip()}")
        return text[1:].strip()  # drop the "=" (this client sends no ids)

    def new_game(self, state: GameState) -> None:
        self.send(f"boardsize {state.size}")
        self.send("clear_board")
        self.send(f"komi {state.komi:g}")
        stones = state.initial_position().reshape(-1)
        if state.handicap:
            vertices = " ".join(action_to_gtp(int(a), state.size) for a in stones.nonzero()[0])
            self.send(f"set_free_handicap {vertices}")
        for move in state.moves:
            self.observe(state, move.color, move.action)

    def observe(self, state: GameState, color: int, action: int) -> None:
        self.send(f"play {color_name(color)} {action_to_gtp(action, state.size)}")

    def genmove(self, state: GameState, cleanup: bool = False) -> int | None:
        command = "kgs-genmove_cleanup" if cleanup and "kgs-genmove_cleanup" in self.commands else "genmove"
        answer = self.send(f"{command} {color_name(state.to_play)}").lower()
        if answer == "resign":
            return None
        return gtp_to_action(answer, state.size)

    def final_score(self) -> str | None:
        if "final_score" not in self.commands:
            return None
        try:
            return self.send("final_score")
        except GTPError:
            return None

    def close(self) -> None:
        try:
            self.send("quit")
        except GTPError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class LocalAgent:
    """goagent's own search, with a network or playouts."""

    def __init__(self, spec: PlayerSpec, seed: int, evaluator=None):
        from goagent.inference import load_evaluator
        from goagent.player import Player, PlayerConfig

        self.spec = spec
        self.name = spec.name
        evaluator = evaluator or load_evaluator(spec.text, seed=seed)
        config = PlayerConfig(
            visits=None if spec.seconds else spec.visits, seconds=spec.seconds, resign_threshold=spec.resign
        )
        self.player = Player(evaluator, config, seed=seed)

    def new_game(self, state: GameState) -> None:
        self.player.new_game()

    def observe(self, state: GameState, color: int, action: int) -> None:
        pass  # the search reads the game state it is given

    def genmove(self, state: GameState, cleanup: bool = False) -> int | None:
        decision = self.player.decide(state)
        return None if decision.resign and not cleanup else decision.action

    def final_score(self) -> str | None:
        return None

    def close(self) -> None:
        pass


def make_agent(spec: PlayerSpec, seed: int):
    return GTPAgent(spec) if spec.is_gtp else LocalAgent(spec, seed)
