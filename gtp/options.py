"""Settings of ``goagent gtp`` (light: read before anything heavy is imported)."""

from __future__ import annotations

from dataclasses import dataclass

from goagent.winrate import resign_value

DEFAULT_VISITS = 800  # per move when neither --visits nor --seconds is given ...
DEFAULT_SECONDS = 10.0  # ... and at most this long


@dataclass(frozen=True)
class EngineOptions:
    """Command-line settings of ``goagent gtp``."""

    model: str = "default"  # "default", a checkpoint path, or "playouts"
    visits: int | None = None  # per move
    seconds: float | None = None  # per move
    threads: int | None = None  # torch CPU threads for the network
    resign: float = 0.05  # resign below this win rate (0: never)
    seed: int = 0
    playouts: int = 2  # random playouts per leaf for the network-free evaluator
    lizzie: bool = False  # answer `name` as Lizzie 0.7 needs for its KataGo mode
    ponder: bool = False  # think on the opponent's time after genmove
    memory_budget: int | None = None  # bytes for the search tree and cache; None: the search's default
    rules: str = "tromp-taylor"  # a goagent.rules name or JSON object (kata-set-rules may change it)
    precision: str = "fp32"  # the network's numeric path (goagent.precision); the CLI's default is auto
    device: str = "cpu"

    def limits(self) -> tuple[int | None, float | None]:
        """(visits, seconds) per move: the flags, or the defaults when neither is given."""
        if self.visits is None and self.seconds is None:
            return DEFAULT_VISITS, DEFAULT_SECONDS
        return self.visits, self.seconds

    @property
    def resign_value(self) -> float:
        """The resign threshold as a value in [-1, 1] (-1: never)."""
        return resign_value(self.resign)
