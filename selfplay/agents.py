"""Match participants: goagent itself (a network or playouts) or any GTP engine.

A player spec is text: ``default`` (the shipped network), ``playouts`` (the
network-free search), a checkpoint path, or ``gtp:COMMAND ARGS`` for an
external engine spoken to over GTP (GNU Go, Leela Zero, another goagent).
``Agents`` turns specs into the agents of ``goagent.engine_game`` and keeps
each checkpoint's evaluator for the whole match (one load per checkpoint and
process, reseeded before every game); a GTP engine is a fresh process per game.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from goagent.engine_game import GtpAgent, LocalAgent, reseed_evaluator


@dataclass(frozen=True)
class PlayerSpec:
    text: str  # as given on the command line
    visits: int | None = 200
    seconds: float | None = None
    resign: float = -0.95  # resign threshold (a root value) for goagent players (-1: never)

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


def load_network(text: str, precision: str = "fp32", device: str = "cpu"):
    """The evaluator of a goagent player spec (``default``, ``playouts`` or a checkpoint),
    computing at ``precision`` on ``device`` (``functools.partial`` it for a match)."""
    from goagent.inference import load_evaluator

    return load_evaluator(text, precision=precision, device=device)


def network_loader(numerics) -> Callable[[str], object]:
    """``load_network`` computing as ``numerics`` (a ``goagent.precision.NumericPath``)
    says: picklable, for a match's worker processes."""
    return functools.partial(load_network, precision=numerics.precision, device=numerics.device)


class Agents:
    """Agents for the games of one match; ``loader(text)`` loads an evaluator.

    Each checkpoint (and ``default``) is loaded once, on first use; ``playouts``
    needs no loading and gets a new evaluator per game."""

    def __init__(self, loader: Callable[[str], object] = load_network):
        self.loader = loader
        self.evaluators: dict[str, object] = {}

    def evaluator(self, text: str):
        if text == "playouts":
            return self.loader(text)
        if text not in self.evaluators:
            self.evaluators[text] = self.loader(text)
        return self.evaluators[text]

    def make(self, spec: PlayerSpec):
        if spec.is_gtp:
            return GtpAgent(spec.text[4:], name=spec.name)
        from goagent.player import PlayerConfig

        config = PlayerConfig(
            visits=None if spec.seconds else spec.visits, seconds=spec.seconds, resign_threshold=spec.resign
        )
        return LocalAgent(self.evaluator(spec.text), config, spec.name, reseed=reseed_evaluator)
