"""``GoVectorEnv``: N Go boards stepped by one Numba call, Gymnasium's vector API.

``gymnasium.make_vec("goagent/Go9x9-v0", num_envs=N,
vectorization_mode="vector_entry_point")`` builds one (or construct
``GoVectorEnv(num_envs=N, size=9, ...)``).  The rules, rewards, truncation,
opponents and ``info`` keys are those of ``goagent.env.GoEnv``, board by
board; ``tests/goagent/test_env_vector.py`` checks that N boards equal N
``GoEnv``\\ s stepped with the same actions and seeds.

- ``step(actions)`` takes ``int[N]`` and returns observations
  ``float32[N, C, n, n]`` (each board from its side to move's view), rewards
  ``float64[N]``, terminations and truncations ``bool[N]`` and one info dict
  in Gymnasium's vector form: ``info["action_mask"]`` is ``int8[N, n*n+1]``,
  and each key ``k`` has a boolean ``info["_k"]`` marking the boards that
  report it (``score``/``result``/``winner`` only where an episode ended).
  ``action_masks()`` gives ``bool[N, n*n+1]``.
- **Autoreset**: ``metadata["autoreset_mode"]`` is ``AutoresetMode.NEXT_STEP``,
  Gymnasium's default: the step after a board's episode ends resets that
  board (its action is ignored) and returns the first observation of the new
  episode with reward 0 and the reset's ``info``.
- **Seeds**: ``reset(seed=s)`` seeds board i with ``s + i`` (a list gives one
  seed per board), as ``SyncVectorEnv`` does; board i then draws its random
  agent color and its random opponent's moves as a ``GoEnv`` reset with that
  seed would.
- **Opponents**: ``None``, ``"random"`` (drawn inside the kernel), a callable
  ``f(observations float32[K, C, n, n], masks int8[K, n*n+1]) -> actions[K]``
  called once per step with the K boards where the opponent is to move, or an
  evaluator with ``evaluate_planes`` (a ``goagent.inference`` network, a
  checkpoint path or ``"default"``), batched the same way and playing its
  most probable legal move.
- Illegal actions raise ``IllegalActionError`` naming the board, before any
  board moves; ``illegal_action="loss"`` ends that board's episode as GoEnv does.
  Reset options (SGF start positions, per-episode size) are GoEnv's only.

The state of all boards lives in stacked arrays (``goagent.board``'s padded
fields, position sets for superko, the last 16 positions, masks, ladder
contexts), and ``_step_boards`` plays, resets and encodes every board in one
call.  Start reading at ``GoVectorEnv.step``.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space
from numba import njit

from goagent import features
from goagent.board import (
    _area,
    _check,
    _colors,
    _ko_action,
    _legal_mask,
    _play_action,
    _rand_below,
    position_set,
)
from goagent.coords import BLACK, EMPTY, WHITE, opponent
from goagent.env import (
    _ILLEGAL_MODES,
    IllegalActionError,
    _check_komi,
    _illegal_message,
    _parse_agent_color,
    observation_space,
)
from goagent.env_game import EnvGame, draw_below, new_draws
from goagent.game import GameState, format_result
from goagent.ladders import context_views, new_context

_DEPTH = features.HISTORY

# Columns of the per-board int64 state.
_TO_PLAY, _PASSES, _MOVES, _PLIES, _PENDING, _AGENT, _ME, _OPP, _EVENT, _NEED = range(10)
_N_INTS = 10
# _EVENT: what the last call did to the board.
_MOVED, _RESET, _DONE, _ILLEGAL = range(4)
# Opponent modes of the kernel.
_OPP_NONE, _OPP_RANDOM, _OPP_EXTERNAL = range(3)
_AGENT_RANDOM = 0  # else BLACK or WHITE


# --------------------------------------------------------------------------
# Kernels.  Arrays are stacked over boards (first axis i); the per-board
# layouts are those of goagent.env_game.
# --------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def _play(fields, meta, seen, buffer, top, mask, ints, i, action, superko):
    """The side to move on board i plays a legal ``action``; mask of the next side."""
    color = ints[i, _TO_PLAY]
    b, m = fields[i], meta[i]
    _play_action(b, m, action, color, seen[i])
    t = top[i]
    if t == 0:  # as env_game._step: move the 7 newest back to the end
        for j in range(_DEPTH - 2, -1, -1):
            for r in range(buffer.shape[2]):
                for c in range(buffer.shape[3]):
                    buffer[i, _DEPTH + 1 + j, r, c] = buffer[i, j, r, c]
        t = _DEPTH + 1
    t -= 1
    top[i] = t
    _colors(b, m, buffer[i, t])
    _legal_mask(b, m, 3 - color, seen[i], superko, mask[i])
    n = buffer.shape[2]
    ints[i, _MOVES] += 1
    ints[i, _PLIES] += 1
    ints[i, _PASSES] = ints[i, _PASSES] + 1 if action == n * n else 0
    ints[i, _TO_PLAY] = 3 - color


@njit(cache=True, _nrt=False)
def _random_legal(mask_i, draws_i):
    """A uniformly random legal action (GoEnv's random opponent: the k-th legal one)."""
    count = 0
    for a in range(len(mask_i)):
        count += mask_i[a]
    k = _rand_below(draws_i, count)
    for a in range(len(mask_i)):
        if mask_i[a]:
            if k == 0:
                return a
            k -= 1
    return len(mask_i) - 1


@njit(cache=True, _nrt=False)
def _reset(
    fields,
    meta,
    seen,
    buffer,
    top,
    mask,
    ints,
    draws,
    tmpl_fields,
    tmpl_meta,
    tmpl_seen,
    tmpl_buffer,
    tmpl_ints,
    tmpl_mask,
    i,
    agent_mode,
):
    """Board i back to the start position; draws the agent's color if random."""
    for f in range(fields.shape[1]):
        for p in range(fields.shape[2]):
            fields[i, f, p] = tmpl_fields[f, p]
    for k in range(meta.shape[1]):
        meta[i, k] = tmpl_meta[k]
    for k in range(seen.shape[1]):
        seen[i, k] = tmpl_seen[k]
    for d in range(buffer.shape[1]):
        for r in range(buffer.shape[2]):
            for c in range(buffer.shape[3]):
                buffer[i, d, r, c] = tmpl_buffer[d, r, c]
    top[i] = _DEPTH
    for a in range(mask.shape[1]):
        mask[i, a] = tmpl_mask[a]
    for k in range(_N_INTS):
        ints[i, k] = tmpl_ints[k]
    if agent_mode == _AGENT_RANDOM:
        ints[i, _AGENT] = BLACK if _rand_below(draws[i], 2) == 0 else WHITE
    else:
        ints[i, _AGENT] = agent_mode


@njit(cache=True, _nrt=False)
def _finish(ints, term, trunc, i, max_moves):
    """Terminated after two passes, truncated after ``max_moves`` plies (as GoEnv)."""
    if ints[i, _PASSES] >= 2:
        term[i] = True
    elif ints[i, _PLIES] >= max_moves:
        trunc[i] = True
    else:
        return
    ints[i, _PENDING] = 1
    ints[i, _EVENT] = _DONE


@njit(cache=True, _nrt=False)
def _observe(buffer, top, meta, mask, arena, ints, i, komi, ladders, out, mask_out):
    """Board i's planes for its side to move into out[i], its mask into mask_out[i]."""
    n = buffer.shape[2]
    me = ints[i, _TO_PLAY]
    t = top[i]
    ctx = context_views(arena[i], n)
    features.fill_planes(
        buffer[i, t : t + _DEPTH], me, komi, _ko_action(meta[i], me), mask[i], out[i], ladders, ctx
    )
    for a in range(mask.shape[1]):
        mask_out[i, a] = mask[i, a]


@njit(cache=True, _nrt=False)
def _step_boards(
    fields, meta, seen, buffer, top, mask, arena, ints, draws,
    tmpl_fields, tmpl_meta, tmpl_seen, tmpl_buffer, tmpl_ints, tmpl_mask,
    actions, komi, ladders, superko, max_moves, agent_mode, opp_mode,
    out, mask_out, term, trunc,
):  # fmt: skip
    """Every board: reset it if its episode ended, else play ``actions[i]`` (and a
    random opponent's answer); then its observation.  ``ints[i, _NEED]`` marks the
    boards waiting for an external opponent (``_answer_boards`` plays those)."""
    for i in range(len(actions)):
        ints[i, _OPP] = -1
        ints[i, _NEED] = 0
        if ints[i, _PENDING]:
            _reset(
                fields,
                meta,
                seen,
                buffer,
                top,
                mask,
                ints,
                draws,
                tmpl_fields,
                tmpl_meta,
                tmpl_seen,
                tmpl_buffer,
                tmpl_ints,
                tmpl_mask,
                i,
                agent_mode,
            )
            ints[i, _EVENT] = _RESET
            opponent_turn = opp_mode != _OPP_NONE and ints[i, _TO_PLAY] != ints[i, _AGENT]
        else:
            a = actions[i]
            opponent_turn = False
            if not mask[i, a]:  # only with illegal_action="loss": the caller checked
                ints[i, _EVENT] = _ILLEGAL
                ints[i, _PENDING] = 1
                term[i] = True
            else:
                ints[i, _EVENT] = _MOVED
                ints[i, _ME] = ints[i, _TO_PLAY] if opp_mode == _OPP_NONE else ints[i, _AGENT]
                _play(fields, meta, seen, buffer, top, mask, ints, i, a, superko)
                opponent_turn = opp_mode != _OPP_NONE and ints[i, _PASSES] < 2 and ints[i, _PLIES] < max_moves
        if opponent_turn:
            if opp_mode == _OPP_RANDOM:
                o = _random_legal(mask[i], draws[i])
                _play(fields, meta, seen, buffer, top, mask, ints, i, o, superko)
                ints[i, _OPP] = o
            else:
                ints[i, _NEED] = 1  # the opponent sees this board's observation first
        if ints[i, _EVENT] == _MOVED and not ints[i, _NEED]:
            _finish(ints, term, trunc, i, max_moves)
        _observe(buffer, top, meta, mask, arena, ints, i, komi, ladders, out, mask_out)


@njit(cache=True, _nrt=False)
def _answer_boards(
    fields, meta, seen, buffer, top, mask, arena, ints,
    boards, answers, komi, ladders, superko, max_moves, out, mask_out, term, trunc,
):  # fmt: skip
    """The external opponent plays ``answers[j]`` on board ``boards[j]``; then as above."""
    for j in range(len(boards)):
        i = boards[j]
        _play(fields, meta, seen, buffer, top, mask, ints, i, answers[j], superko)
        ints[i, _OPP] = answers[j]
        ints[i, _NEED] = 0
        if ints[i, _EVENT] == _MOVED:
            _finish(ints, term, trunc, i, max_moves)
        _observe(buffer, top, meta, mask, arena, ints, i, komi, ladders, out, mask_out)


# --------------------------------------------------------------------------
# Opponents across boards.
# --------------------------------------------------------------------------


class _BatchedNetwork:
    """An evaluator's most probable legal move on each board (ties: the board's draws)."""

    def __init__(self, spec: Any):
        self.spec = spec
        self.evaluator = None if isinstance(spec, str | os.PathLike) else spec

    def __call__(self, planes: np.ndarray, masks: np.ndarray, draws: np.ndarray) -> np.ndarray:
        if self.evaluator is None:
            from goagent.inference import load_evaluator  # lazily: torch only when a network plays

            self.evaluator = load_evaluator(os.fspath(self.spec), symmetries="none")
        if not hasattr(self.evaluator, "evaluate_planes"):
            raise ValueError("a vector env opponent needs an evaluator with evaluate_planes(planes, legal)")
        legal = masks.astype(np.bool_)
        priors = np.where(legal, self.evaluator.evaluate_planes(planes, legal).priors, -1.0)
        answers = np.empty(len(planes), np.int64)
        for j, row in enumerate(priors):
            best = np.flatnonzero(row == row.max())
            answers[j] = best[draw_below(draws[j], len(best))] if len(best) > 1 else best[0]
        return answers


def _vector_opponent(spec: Any):
    """``(kernel mode, batched policy or None)`` for the ``opponent`` option."""
    if spec is None or (isinstance(spec, str) and spec in ("none", "self")):
        return _OPP_NONE, None
    if isinstance(spec, str) and spec == "random":
        return _OPP_RANDOM, None
    if hasattr(spec, "evaluate"):
        return _OPP_EXTERNAL, _BatchedNetwork(spec)
    if callable(spec):
        return _OPP_EXTERNAL, lambda planes, masks, draws: spec(planes, masks)
    if isinstance(spec, str | os.PathLike):
        if spec != "default" and not os.path.exists(spec):
            raise ValueError(
                f"opponent {spec!r}: expected None, 'random', 'default', a batched callable, "
                "an evaluator or a checkpoint path"
            )
        return _OPP_EXTERNAL, _BatchedNetwork(spec)
    raise ValueError(f"cannot use {spec!r} as an opponent")


# --------------------------------------------------------------------------
# The vector environment.
# --------------------------------------------------------------------------


class GoVectorEnv(gymnasium.vector.VectorEnv):
    """``num_envs`` Go boards stepped together (see the module docstring)."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        size: int = 19,
        komi: float = 7.5,
        handicap: int = 0,
        max_moves: int | None = None,
        opponent: Any = None,
        agent_color: str = "black",
        illegal_action: str = "raise",
        ladders: bool = True,
        superko: bool = True,
        render_mode: str | None = None,
    ):
        if not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, not {num_envs!r}")
        if render_mode is not None:
            raise ValueError("the vector env does not render: use GoEnv(render_mode=...) for one board")
        if illegal_action not in _ILLEGAL_MODES:
            raise ValueError(f"illegal_action must be one of {_ILLEGAL_MODES}, not {illegal_action!r}")
        if max_moves is not None and max_moves < 1:
            raise ValueError(f"max_moves must be at least 1, not {max_moves}")
        start = GameState(size, _check_komi(komi, size), handicap, superko)
        color = _parse_agent_color(agent_color)
        self.num_envs, self.size, self.komi = int(num_envs), size, float(komi)
        self.handicap, self.superko, self.ladders = handicap, bool(superko), bool(ladders)
        self.illegal_action, self.render_mode = illegal_action, None
        self.max_moves = max_moves or 2 * size * size
        self._agent_mode = _AGENT_RANDOM if color == "random" else color
        self._opp_mode, self._policy = _vector_opponent(opponent)
        self.single_observation_space = observation_space(size)
        self.single_action_space = spaces.Discrete(size * size + 1)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._template(start)
        self._allocate()

    def _template(self, start: GameState) -> None:
        """The start position's arrays, copied into a board at each reset."""
        game = EnvGame(start.copy(), self.ladders)
        b, m = game.board.arrays()
        most = int(np.count_nonzero(start.board.to_array()))
        self._t_fields, self._t_meta = b.copy(), m.copy()
        # Room for every position of an episode: it is truncated after max_moves plies.
        self._t_seen = position_set(start.positions_seen(), most, self.max_moves + 2)
        self._t_buffer = game._buffer.copy()
        self._t_mask = game.mask.copy()
        ints = np.zeros(_N_INTS, np.int64)
        ints[_TO_PLAY], ints[_PASSES], ints[_MOVES] = game.to_play, game.passes, game.move_number
        ints[_OPP] = -1
        self._t_ints = ints

    def _allocate(self) -> None:
        n, count = self.size, self.num_envs
        self._fields = np.repeat(self._t_fields[None], count, axis=0)
        self._meta = np.repeat(self._t_meta[None], count, axis=0)
        self._seen = np.repeat(self._t_seen[None], count, axis=0)
        self._buffer = np.repeat(self._t_buffer[None], count, axis=0)
        self._top = np.full(count, _DEPTH, np.int64)
        self._mask = np.repeat(self._t_mask[None], count, axis=0)
        self._arena = np.repeat(new_context(n)[None], count, axis=0)
        self._ints = np.repeat(self._t_ints[None], count, axis=0)
        self._draws = np.ones((count, 1), np.uint64)
        self._generators: list[np.random.Generator | None] = [None] * count
        self._started = False

    # -- the Gymnasium vector API ---------------------------------------------

    def reset(self, *, seed: int | list | None = None, options: dict | None = None):
        """Start a new episode on every board; ``seed`` as in ``SyncVectorEnv``."""
        if options:
            raise ValueError(
                "GoVectorEnv.reset takes no options: set size, komi, handicap and agent_color "
                "when making it (GoEnv takes per-episode options and SGF start positions)"
            )
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, int | np.integer):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset got {len(seeds)} seeds for {self.num_envs} boards")
        for i, s in enumerate(seeds):
            if s is not None or self._generators[i] is None:
                self._generators[i], _ = seeding.np_random(s)
                self._draws[i] = new_draws(self._generators[i])
        self._ints[:, _PENDING] = 1
        self._started = True
        obs, _, _, _, infos = self._run(np.zeros(self.num_envs, np.int64))
        return obs, infos

    def step(self, actions):
        if not self._started:
            raise gymnasium.error.ResetNeeded("call reset() before step()")
        actions = self._check_actions(actions)
        return self._run(actions)

    def action_masks(self) -> np.ndarray:
        """``bool[N, n*n+1]``: each board's legal actions now (MaskablePPO calls this)."""
        return self._mask.copy()

    def close_extras(self, **kwargs) -> None:
        pass

    # -- internals -------------------------------------------------------------

    def _check_actions(self, actions) -> np.ndarray:
        arr = np.asarray(actions)
        if arr.shape != (self.num_envs,) or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"actions must be {self.num_envs} integers (one per board), "
                f"not an array of shape {arr.shape} and dtype {arr.dtype}"
            )
        arr = arr.astype(np.int64)
        top = self.size * self.size
        live = self._ints[:, _PENDING] == 0
        bad = live & ((arr < 0) | (arr > top))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"board {i}: action {arr[i]} is outside [0, {top}] (pass is {top})")
        illegal = live & ~self._mask[np.arange(self.num_envs), arr]
        if illegal.any() and self.illegal_action == "raise":
            i = int(np.flatnonzero(illegal)[0])
            reason = self._illegal_reason(i, int(arr[i]))
            raise IllegalActionError(f"board {i}: " + self._message(i, int(arr[i]), reason), reason)
        return arr

    def _run(self, actions: np.ndarray):
        count, n = self.num_envs, self.size
        out = np.empty((count, features.NUM_PLANES, n, n), np.float32)
        mask_out = np.empty((count, n * n + 1), np.int8)
        term = np.zeros(count, np.bool_)
        trunc = np.zeros(count, np.bool_)
        ints = self._ints
        reasons = {}
        if self.illegal_action == "loss":  # the reasons before the kernel sees the boards
            live = ints[:, _PENDING] == 0
            for i in np.flatnonzero(live & ~self._mask[np.arange(count), actions]):
                reasons[int(i)] = self._illegal_reason(int(i), int(actions[i]))
        _step_boards(
            self._fields, self._meta, self._seen, self._buffer, self._top, self._mask, self._arena,
            ints, self._draws, self._t_fields, self._t_meta, self._t_seen, self._t_buffer,
            self._t_ints, self._t_mask, actions, self.komi, self.ladders, self.superko,
            self.max_moves, self._agent_mode, self._opp_mode, out, mask_out, term, trunc,
        )  # fmt: skip
        if self._opp_mode == _OPP_EXTERNAL:
            self._opponent_answers(out, mask_out, term, trunc)
        return out, *self._outcomes(term, trunc, reasons, mask_out)

    def _opponent_answers(self, out, mask_out, term, trunc) -> None:
        boards = np.flatnonzero(self._ints[:, _NEED])
        if len(boards) == 0:
            return
        draws = self._draws[boards]  # a copy: written back after the policy drew from it
        answers = np.asarray(self._policy(out[boards], mask_out[boards], draws))
        self._draws[boards] = draws
        answers = answers.astype(np.int64).reshape(-1)
        if answers.shape != boards.shape:
            raise RuntimeError(f"the opponent returned {answers.shape} actions for {len(boards)} boards")
        ok = (answers >= 0) & (answers < mask_out.shape[1])
        ok[ok] = self._mask[boards[ok], answers[ok]]
        if not ok.all():
            j = int(np.flatnonzero(~ok)[0])
            raise RuntimeError(
                f"the opponent chose action {answers[j]} on board {boards[j]}, which is not legal"
            )
        _answer_boards(
            self._fields, self._meta, self._seen, self._buffer, self._top, self._mask, self._arena,
            self._ints, boards, answers, self.komi, self.ladders, self.superko, self.max_moves,
            out, mask_out, term, trunc,
        )  # fmt: skip

    def _outcomes(self, term, trunc, reasons, mask_out):
        """Rewards and the vector info (``SyncVectorEnv``'s layout of GoEnv's infos)."""
        count, ints = self.num_envs, self._ints
        rewards = np.zeros(count, np.float64)
        every = np.ones(count, np.bool_)
        info: dict[str, Any] = {}
        opp = ints[:, _OPP]
        played = opp >= 0
        if played.any():
            info["opponent_action"], info["_opponent_action"] = np.where(played, opp, 0), played
        event = ints[:, _EVENT]
        ended = np.flatnonzero(event == _DONE)
        if len(ended):
            score = np.zeros(count, np.float64)
            result = np.full(count, None, object)
            winner = np.zeros(count, np.int64)
            has = np.zeros(count, np.bool_)
            owner = np.empty(self.size * self.size, np.int8)
            for i in ended:
                black, white = _area(self._fields[i], self._meta[i], owner)
                s = black - white - self.komi
                w = BLACK if s > 0 else WHITE if s < 0 else EMPTY
                score[i], result[i], winner[i], has[i] = s, format_result(s), w, True
                if term[i]:
                    rewards[i] = 0.0 if w == EMPTY else 1.0 if w == ints[i, _ME] else -1.0
            info.update(score=score, _score=has, result=result, _result=has.copy(), winner=winner)
            info["_winner"] = has.copy()
        if reasons:
            illegal = np.full(count, None, object)
            has = np.zeros(count, np.bool_)
            winner = info.get("winner", np.zeros(count, np.int64))
            result = info.get("result", np.full(count, None, object))
            won = info.get("_winner", np.zeros(count, np.bool_))
            for i, reason in reasons.items():
                w = opponent(int(ints[i, _TO_PLAY]))
                illegal[i], has[i], winner[i], won[i] = reason, True, w, True
                result[i] = f"{'B' if w == BLACK else 'W'}+F"
                rewards[i] = -1.0
            info.update(illegal=illegal, _illegal=has, winner=winner, _winner=won)
            info["result"], info["_result"] = result, won.copy()
        info["action_mask"], info["_action_mask"] = mask_out, every
        info["to_play"], info["_to_play"] = ints[:, _TO_PLAY].copy(), every.copy()
        info["move_number"], info["_move_number"] = ints[:, _MOVES].copy(), every.copy()
        return rewards, term, trunc, info

    def _illegal_reason(self, i: int, action: int) -> str:
        n = self.size
        color = int(self._ints[i, _TO_PLAY])
        p = (action // n + 1) * (n + 2) + action % n + 1
        code, _ = _check(self._fields[i], self._meta[i], p, color)
        return (None, "occupied", "ko", "suicide")[code] or "superko"

    def _message(self, i: int, action: int, reason: str) -> str:
        view = SimpleNamespace(size=self.size, to_play=int(self._ints[i, _TO_PLAY]))
        return _illegal_message(view, action, reason)
