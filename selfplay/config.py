"""Settings of the self-play loop, and the named presets ``tiny``, ``9x9``, ``13x13``, ``19x19``.

``LoopConfig`` is the root: the network preset, self-play generation,
training (``goagent.config.LearnConfig``: only what the self-play learner
uses) and gating.  A run saves its
resolved config as ``RUN/config.toml``; ``--set selfplay.visits=400`` style
overrides go through ``goagent.config.apply_overrides``.  (These classes live
in the selfplay package because nothing in goagent uses them.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from goagent.config import LearnConfig, SearchConfig, load_toml

log = logging.getLogger(__name__)


def selfplay_search() -> SearchConfig:
    """The search of a self-play game: root noise on full searches, a small tree and cache."""
    return SearchConfig(
        batch_size=8,  # leaves gathered per search per round
        noise_fraction=0.25,  # Dirichlet noise at the root of full searches
        dirichlet_alpha=10.0,  # total concentration, shared among the legal moves
        memory_budget=256_000_000,  # bytes per game's tree (a move's search needs far less)
        cache_size=2048,  # evaluation cache entries per game
    )


# Keys of the old flat table, now in ``selfplay.search``: converted on load.
_MOVED_TO_SEARCH = ("batch_size", "noise_fraction", "dirichlet_alpha")


@dataclass(frozen=True)
class SelfPlayConfig:
    board_size: int = 9
    komi: float = 7.5
    games_per_generation: int = 200
    workers: int = 0  # processes; 0 = one per core
    concurrent_games: int = 16  # games per worker sharing each network batch
    visits: int = 200  # a full search (its visit distribution becomes a policy target)
    fast_visits: int = 40  # playout cap randomization: most moves get a cheap search
    full_search_fraction: float = 0.25
    temperature_moves: int = 8  # sample moves in proportion to visits this long
    resign_threshold: float = -0.9  # root value for the side to move (win rate 5%)
    resign_consecutive: int = 3
    no_resign_fraction: float = 0.1  # games played out to measure false resignations
    max_moves: int = 0  # 0: 2 * n * n
    search: SearchConfig = field(default_factory=selfplay_search)

    @classmethod
    def upgrade(cls, data: dict[str, Any], where: str) -> dict[str, Any]:
        """An old run's flat search keys (``selfplay.batch_size`` ...) as ``selfplay.search.*``."""
        moved = [key for key in _MOVED_TO_SEARCH if key in data]
        if not moved:
            return data
        data = dict(data)
        search = dict(data.get("search", {}))
        for key in moved:
            search.setdefault(key, data.pop(key))
        data["search"] = search
        log.warning("%s: %s moved to %s.search (converted; write them there)", where, ", ".join(moved), where)
        return data

    def player_config(self):
        """Self-play's exploration as ``goagent.player.PlayerConfig`` settings: the
        temperature schedule, playout cap randomization, root noise (in ``search``) and
        the resign rule."""
        from goagent.player import PlayerConfig  # the search's kernels: only when games are played

        return PlayerConfig(
            visits=self.visits,
            fast_visits=self.fast_visits,
            full_search_fraction=self.full_search_fraction,
            temperature=1.0,
            temperature_moves=self.temperature_moves,
            resign_threshold=self.resign_threshold,
            resign_consecutive=self.resign_consecutive,
            early_stop=False,
            search=self.search,
        )


@dataclass(frozen=True)
class GateConfig:
    games: int = 20
    visits: int = 50
    threshold: float = 0.55  # the candidate's score needed for promotion
    sprt: tuple[float, float] | None = None  # (elo0, elo1): stop the gate match early


@dataclass(frozen=True)
class LoopConfig:
    model: str = "b6c64"
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    train: LearnConfig = field(
        default_factory=lambda: LearnConfig(steps=200, batch=256, lr=0.02, warmup_steps=0)
    )
    gate: GateConfig = field(default_factory=GateConfig)
    window_positions: int = 200_000  # replay window: the most recent positions
    seed: int = 0


def preset(name: str) -> LoopConfig:
    """A named configuration; raises ValueError listing the names."""
    base = LoopConfig()
    if name == "tiny":
        return replace(
            base,
            model="tiny",
            selfplay=replace(
                base.selfplay,
                board_size=5,
                komi=0.5,
                games_per_generation=6,
                concurrent_games=4,
                visits=16,
                fast_visits=8,
                temperature_moves=4,
                workers=1,
                search=replace(base.selfplay.search, batch_size=4),
            ),
            train=replace(base.train, steps=10, batch=64),
            gate=replace(base.gate, games=2, visits=8, threshold=0.5),
            window_positions=20_000,
        )
    if name == "9x9":
        return base
    if name == "13x13":
        return replace(
            base,
            model="b6c96",
            selfplay=replace(base.selfplay, board_size=13, visits=300, fast_visits=60, temperature_moves=16),
        )
    if name == "19x19":
        return replace(
            base,
            model="b10c128",
            selfplay=replace(
                base.selfplay,
                board_size=19,
                visits=400,
                fast_visits=80,
                temperature_moves=30,
                search=replace(base.selfplay.search, dirichlet_alpha=10.8),
            ),
            window_positions=500_000,
        )
    raise ValueError(f"unknown config {name!r}: use tiny, 9x9, 13x13, 19x19 or a .toml file")


def load_config(name_or_path: str) -> LoopConfig:
    if name_or_path.endswith(".toml"):
        return load_toml(name_or_path, LoopConfig)
    return preset(name_or_path)
