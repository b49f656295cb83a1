"""Helpers for the GTP tests: an in-process engine, transcripts, scripted evaluators.

``transcript(engine, text)`` feeds the lines of ``text`` to the engine and
returns the parsed responses.  Analysis commands stream until the
``ScriptedReader`` says input is pending (``analyze_seconds`` after each
command), as a GUI's next command would.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from goagent.coords import BLACK, WHITE
from goagent.mcts import Evaluation
from goagent.player import Player
from gtp.brain import player_config
from gtp.engine import Engine
from gtp.options import EngineOptions
from gtp.protocol import parse_line


class ScriptedReader:
    """Stands in for ``LineReader``: the next line "arrives" ``after`` seconds after ``arm``."""

    def __init__(self, after: float = 0.05):
        self.after = after
        self.deadline = None

    def arm(self) -> None:
        self.deadline = time.monotonic() + self.after

    def pending(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def wait(self, timeout):
        if self.deadline is not None:
            time.sleep(max(0.0, self.deadline - time.monotonic()))
        return True


class Collector:
    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


@dataclass
class Reply:
    ok: bool
    id: int | None
    text: str  # first line after the head, then the other lines
    lines: list[str] = field(default_factory=list)


def parse_responses(output: str) -> list[Reply]:
    """Split raw protocol output into responses; asserts nothing is outside one."""
    replies, current = [], None
    for line in output.split("\n"):
        if current is None:
            if line == "":
                continue
            match = re.match(r"^([=?])(\d*)(.*)$", line)
            assert match, f"line outside any response: {line!r}"
            current = [match.group(1) == "=", int(match.group(2)) if match.group(2) else None, [line]]
            continue
        if line == "":
            first = re.sub(r"^[=?]\d*", "", current[2][0]).strip()
            text = "\n".join([first, *current[2][1:]]).strip("\n")
            replies.append(Reply(current[0], current[1], text, current[2]))
            current = None
        else:
            current[2].append(line)
    assert current is None, f"unterminated response: {current}"
    return replies


def make_engine(analyze_seconds: float = 0.05, **options) -> Engine:
    defaults = {"model": "playouts", "visits": 16}
    defaults.update(options)
    engine = Engine(EngineOptions(**defaults), Collector(), ScriptedReader(analyze_seconds))
    return engine


def transcript(engine: Engine, text: str) -> list[Reply]:
    """Run each line of ``text``; the parsed responses in order."""
    for line in text.splitlines():
        command = parse_line(line)
        if command is not None:
            engine.reader.arm()
            engine.handle(command)
    return parse_responses(engine.writer.take())


def one(engine: Engine, line: str) -> Reply:
    replies = transcript(engine, line)
    assert len(replies) == 1, replies
    return replies[0]


def use_evaluator(engine: Engine, evaluator) -> None:
    """Make the engine search with ``evaluator`` (skips loading a model)."""
    brain = engine.brain
    brain.evaluator = evaluator
    brain.player = Player(evaluator, player_config(brain.options), seed=0)
    brain.player.time_control = brain.time_control


class ScoreEvaluator:
    """Uniform priors; value = tanh(Tromp-Taylor score / 4) for the side to move.
    Optionally a score head (the area score) and an ownership head (Tromp-Taylor owner)."""

    def __init__(self, scores: bool = False, ownership: bool = False):
        self.scores = scores
        self.ownership = ownership

    def evaluate(self, states, legal):
        priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
        signs = np.array([1.0 if s.to_play == BLACK else -1.0 for s in states])
        black_scores = np.array([s.score() for s in states])
        values = np.tanh(black_scores / 4) * signs
        ownership = None
        if self.ownership:
            rows = []
            for s, sign in zip(states, signs):
                owner = s.ownership()
                rows.append(((owner == BLACK).astype(np.float32) - (owner == WHITE)) * sign)
            ownership = np.stack(rows).astype(np.float32)
        scores = (black_scores * signs).astype(np.float32) if self.scores else None
        return Evaluation(priors, values.astype(np.float32), ownership, scores)
