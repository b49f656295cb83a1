"""GoVectorEnv against N GoEnvs in gymnasium's SyncVectorEnv: same actions, same seeds, same results."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import goagent.env  # noqa: F401  (registers the ids)
from goagent.env import IllegalActionError
from goagent.env_vector import GoVectorEnv


def _pair(num_envs: int, **kwargs):
    vec = gymnasium.make_vec(
        "goagent/Go-v0", num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )
    single = {k: (_single_policy if v is _batched_policy else v) for k, v in kwargs.items()}
    sync = gymnasium.make_vec("goagent/Go-v0", num_envs=num_envs, vectorization_mode="sync", **single)
    return vec, sync


def _single_policy(obs, mask):
    """A deterministic opponent that depends on what it sees."""
    legal = np.flatnonzero(mask)
    return int(legal[int(obs[:16].sum()) % len(legal)])


def _batched_policy(obs, masks):
    return np.array([_single_policy(o, m) for o, m in zip(obs, masks)])


def _same_info(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        assert x.shape == y.shape, key
        if x.dtype == object or y.dtype == object:
            assert list(x) == list(y), key
        else:
            assert x.dtype == y.dtype, (key, x.dtype, y.dtype)
            assert np.array_equal(x, y), key


def _compare(vec, sync, steps: int, seed: int, illegal_every: int = 0) -> dict:
    """Step both with the same random actions; returns counts of what happened."""
    rng = np.random.default_rng(seed)
    obs_v, info_v = vec.reset(seed=seed)
    obs_s, info_s = sync.reset(seed=seed)
    assert np.array_equal(obs_v, obs_s)
    _same_info(info_v, info_s)
    seen = {"terminated": 0, "truncated": 0, "illegal": 0, "opponent": 0}
    for t in range(steps):
        masks = info_v["action_mask"]
        actions = np.argmax(rng.random(masks.shape) * masks, axis=1)
        if illegal_every and t % illegal_every == illegal_every - 1:
            occupied = np.flatnonzero(masks[0] == 0)
            if len(occupied):
                actions[0] = occupied[0]
        out_v = vec.step(actions)
        out_s = sync.step(actions)
        for x, y in zip(out_v[:4], out_s[:4]):
            assert x.dtype == y.dtype and np.array_equal(x, y), t
        _same_info(out_v[4], out_s[4])
        obs_v, reward, term, trunc, info_v = out_v
        seen["terminated"] += int(term.sum())
        seen["truncated"] += int(trunc.sum())
        seen["illegal"] += int(info_v.get("_illegal", np.zeros(1)).sum())
        seen["opponent"] += int(info_v.get("_opponent_action", np.zeros(1)).sum())
    return seen


def test_make_vec_builds_the_vector_env_and_declares_next_step_autoreset():
    env = gymnasium.make_vec("goagent/Go9x9-v0", num_envs=3, vectorization_mode="vector_entry_point")
    assert isinstance(env.unwrapped, GoVectorEnv)
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = env.reset(seed=1)
    assert obs.shape == (3, goagent.features.NUM_PLANES, 9, 9) and obs.dtype == np.float32
    assert env.observation_space.contains(obs)
    assert info["action_mask"].shape == (3, 82) and info["action_mask"].dtype == np.int8
    assert env.action_masks().dtype == np.bool_
    obs, *_ = env.step(env.action_space.sample() * 0 + 81)  # everybody passes
    assert env.observation_space.contains(obs)


def test_equals_single_envs_playing_both_colors_with_autoreset_and_truncation():
    vec, sync = _pair(4, size=5, max_moves=30)
    seen = _compare(vec, sync, 400, seed=3)
    assert seen["terminated"] > 0 and seen["truncated"] > 0


@pytest.mark.parametrize("agent_color", ["black", "white", "random"])
def test_equals_single_envs_against_a_random_opponent(agent_color):
    vec, sync = _pair(3, size=5, opponent="random", agent_color=agent_color, max_moves=40)
    seen = _compare(vec, sync, 300, seed=11)
    assert seen["terminated"] > 0 and seen["opponent"] > 0


def test_equals_single_envs_against_a_callable_opponent_with_illegal_losses():
    vec, sync = _pair(3, size=5, opponent=_batched_policy, agent_color="random", illegal_action="loss")
    seen = _compare(vec, sync, 300, seed=5, illegal_every=17)
    assert seen["illegal"] > 0 and seen["opponent"] > 0 and seen["terminated"] > seen["illegal"]


class _FlatEvaluator:
    """Equal priors on every legal move: every choice is a tie broken by the board's draws."""

    def evaluate(self, states, legal):
        return self.evaluate_planes(None, np.array(legal))

    def evaluate_planes(self, planes, legal):
        from goagent.mcts import Evaluation

        priors = np.where(legal, 1.0, 0.0).astype(np.float32)
        return Evaluation(priors / priors.sum(axis=1, keepdims=True), np.zeros(len(legal), np.float32))


def test_equals_single_envs_against_an_evaluator_opponent():
    vec, sync = _pair(2, size=5, opponent=_FlatEvaluator(), agent_color="white", ladders=False)
    seen = _compare(vec, sync, 200, seed=8)
    assert seen["opponent"] > 0


def test_9x9_with_handicap_and_ladders_equals_single_envs():
    vec, sync = _pair(2, size=9, handicap=2, komi=0.5)
    _compare(vec, sync, 300, seed=2)


def test_illegal_action_raises_before_any_board_moves():
    env = GoVectorEnv(num_envs=2, size=5)
    env.reset(seed=0)
    env.step(np.array([12, 12]))
    before = env.action_masks()
    with pytest.raises(IllegalActionError, match="board 1: illegal action 12") as caught:
        env.step(np.array([0, 12]))
    assert caught.value.reason == "occupied"
    assert np.array_equal(env.action_masks(), before)
    with pytest.raises(ValueError, match="2 integers"):
        env.step(np.array([0]))
    with pytest.raises(ValueError, match="outside"):
        env.step(np.array([0, 26]))


def test_seeds_per_board_and_bad_options():
    env = GoVectorEnv(num_envs=2, size=5, opponent="random", agent_color="white")
    first = env.reset(seed=[4, 9])[1]["opponent_action"]
    again = env.reset(seed=[4, 9])[1]["opponent_action"]
    swapped = env.reset(seed=[9, 4])[1]["opponent_action"]
    assert np.array_equal(first, again) and np.array_equal(first[::-1], swapped)
    with pytest.raises(ValueError, match="no options"):
        env.reset(options={"komi": 5.5})
    with pytest.raises(ValueError, match="3 seeds for 2 boards"):
        env.reset(seed=[1, 2, 3])
    with pytest.raises(ValueError, match="num_envs"):
        GoVectorEnv(num_envs=0)
    with pytest.raises(gymnasium.error.ResetNeeded):
        GoVectorEnv(num_envs=1, size=5).step(np.array([0]))
