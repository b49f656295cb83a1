"""PettingZoo two-player view of Go: ``GoAECEnv`` with agents ``black_0`` and ``white_0``.

Built on ``goagent.env`` (same rules, observations and masks); needs the
optional extra: ``pip install 'goagent[pettingzoo]'``.  Without PettingZoo,
importing works but constructing ``GoAECEnv`` raises ImportError with that
hint.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

from goagent.coords import BLACK, EMPTY, WHITE, opponent
from goagent.env import (
    _ILLEGAL_MODES,
    AGENT_NAMES,
    IllegalActionError,
    _action_index,
    _check_komi,
    _check_reset_options,
    _illegal_message,
    _new_state,
    _render,
    observation_space,
)
from goagent.env_game import EnvGame
from goagent.game import GameState

# --------------------------------------------------------------------------
# PettingZoo: two agents, black_0 and white_0, taking turns (optional).
# --------------------------------------------------------------------------

try:
    from pettingzoo import AECEnv as _AECEnv
except ImportError:  # PettingZoo is an optional extra: goagent[pettingzoo]
    _AECEnv = None

if _AECEnv is None:

    class GoAECEnv:
        """Placeholder: the PettingZoo environment needs ``pip install 'goagent[pettingzoo]'``."""

        def __init__(self, *args, **kwargs):
            raise ImportError("GoAECEnv needs PettingZoo: pip install 'goagent[pettingzoo]'")

else:

    class GoAECEnv(_AECEnv):
        """Two agents, ``black_0`` and ``white_0``, taking turns (PettingZoo AEC API).

        Observations are ``{"observation": planes, "action_mask": int8[n*n+1]}``:
        the planes as ``GoEnv`` gives them, from the observing agent's side (a
        waiting agent sees the position as if it were to move, with no legal
        move and no ko); the mask is zero except for the agent to move.  At the
        end the winner gets +1 and the loser -1 (0 each for a draw); options
        and the other conventions are those of ``GoEnv``.
        """

        metadata = {
            "render_modes": ["ansi", "rgb_array"],
            "name": "goagent_go_v0",
            "is_parallelizable": False,
            "render_fps": 4,
        }

        def __init__(
            self,
            size: int = 19,
            komi: float = 7.5,
            handicap: int = 0,
            max_moves: int | None = None,
            illegal_action: str = "raise",
            ladders: bool = True,
            superko: bool = True,
            render_mode: str | None = None,
        ):
            super().__init__()
            if render_mode is not None and render_mode not in self.metadata["render_modes"]:
                raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
            if illegal_action not in _ILLEGAL_MODES:
                raise ValueError(f"illegal_action must be one of {_ILLEGAL_MODES}, not {illegal_action!r}")
            GameState(size, _check_komi(komi, size), handicap)
            self.size, self.komi, self.handicap = size, float(komi), handicap
            self.max_moves_option = max_moves
            self.illegal_action = illegal_action
            self.ladders = bool(ladders)
            self.superko = superko
            self.render_mode = render_mode
            self.possible_agents = [AGENT_NAMES[BLACK], AGENT_NAMES[WHITE]]
            self.agents = []
            self._colors = {AGENT_NAMES[BLACK]: BLACK, AGENT_NAMES[WHITE]: WHITE}
            self._game: EnvGame | None = None
            self._space_size = None
            self._set_spaces(size)

        def _set_spaces(self, size: int) -> None:
            if self._space_size != size:
                n1 = size * size + 1
                self.observation_spaces = {
                    agent: spaces.Dict(
                        {
                            "observation": observation_space(size),
                            "action_mask": spaces.Box(0, 1, (n1,), np.int8),
                        }
                    )
                    for agent in self.possible_agents
                }
                self.action_spaces = {agent: spaces.Discrete(n1) for agent in self.possible_agents}
                self._space_size = size
            self.max_moves = self.max_moves_option or 2 * size * size

        def observation_space(self, agent: str) -> spaces.Space:
            return self.observation_spaces[agent]

        def action_space(self, agent: str) -> spaces.Space:
            return self.action_spaces[agent]

        @property
        def game_state(self) -> GameState:
            """The current ``GameState`` (read-only; ``state()`` is PettingZoo's global view)."""
            if self._game is None:
                raise gymnasium.error.ResetNeeded("call reset() first")
            return self._game.state

        def reset(self, seed: int | None = None, options: dict | None = None) -> None:
            opts = _check_reset_options(options, strict=False)  # PettingZoo's api_test passes made-up keys
            if "agent_color" in opts:
                raise ValueError("agent_color is a GoEnv option: both colors are agents here")
            size = opts.get("size", self.size)
            komi, handicap = opts.get("komi", self.komi), opts.get("handicap", self.handicap)
            state = _new_state(size, komi, handicap, self.superko, opts)
            self._set_spaces(state.size)
            self._game = EnvGame(state, self.ladders)
            self._plies = 0
            self._observations: dict = {}
            self.agents = self.possible_agents[:]
            self.rewards = {agent: 0.0 for agent in self.agents}
            self._cumulative_rewards = {agent: 0.0 for agent in self.agents}
            self.terminations = {agent: False for agent in self.agents}
            self.truncations = {agent: False for agent in self.agents}
            self.infos = {agent: {} for agent in self.agents}
            self.agent_selection = AGENT_NAMES[state.to_play]

        def observe(self, agent: str) -> dict:
            cached = self._observations.get(agent)
            if cached is None:
                game = self._game
                color = self._colors[agent]
                if color == game.to_play and not self.terminations.get(agent, True):
                    mask = game.mask.astype(np.int8)
                else:
                    mask = np.zeros(len(game.mask), np.int8)
                cached = {"observation": game.planes(color), "action_mask": mask}
                self._observations[agent] = cached
            return cached

        def step(self, action) -> None:
            agent = self.agent_selection
            if self.terminations[agent] or self.truncations[agent]:
                self._was_dead_step(action)
                return
            game = self._game
            a = _action_index(action, game.size)
            mover = game.to_play
            self._cumulative_rewards[agent] = 0.0
            self._clear_rewards()
            self._observations = {}
            winner = None
            after = opponent(mover)  # the next agent in turn (also for the dead steps)
            if not game.mask[a]:
                reason = game.illegal_reason(a) or "illegal"
                message = _illegal_message(game, a, reason)
                if self.illegal_action == "raise":
                    raise IllegalActionError(message, reason)
                winner = opponent(mover)
                result = f"{'B' if winner == BLACK else 'W'}+F"
                outcome = {"illegal": reason, "winner": winner, "result": result}
            else:
                game.play(a, planes=False)  # observe() makes the planes an agent asks for
                self._plies += 1
                if game.passes >= 2:
                    outcome = game.outcome()
                    winner = outcome["winner"]
                elif self._plies >= self.max_moves:
                    outcome = game.outcome()
                    self.truncations = {name: True for name in self.agents}
                    self.infos = {name: dict(outcome) for name in self.agents}
            if winner is not None:
                self.terminations = {name: True for name in self.agents}
                self.infos = {name: dict(outcome) for name in self.agents}
                if winner != EMPTY:
                    for name in self.agents:
                        self.rewards[name] = 1.0 if self._colors[name] == winner else -1.0
            self.agent_selection = AGENT_NAMES[after]
            self._accumulate_rewards()

        def render(self):
            if self._game is None:
                raise gymnasium.error.ResetNeeded("call reset() before render()")
            return _render(self._game, self.render_mode)

        def close(self) -> None:
            pass


# --------------------------------------------------------------------------
# Registration.
# --------------------------------------------------------------------------
