"""The env's fused Numba step (``goagent.env_game``) against ``GameState`` + ``features.encode``.

Random games on 5x5, 9x9 and 19x19 (captures, ko and superko fights, passes,
handicap, SGF start positions, resets): every observation, mask, reward and
result must be exactly what the plain path gives for the same position.  The
ladder planes come from a cache carried across moves (``goagent.ladders``),
so these games also check that a reused answer is always the fresh one.
"""

from __future__ import annotations

import numpy as np
import pytest

from goagent import features, ladders
from goagent.coords import BLACK, EMPTY, WHITE, gtp_to_action
from goagent.env import GoEnv
from goagent.game import GameState
from goagent.sgf import record_from_state, write_sgf

# Black sends two (A5), White takes them (C5); Black retaking at B5 would
# recreate the start: legal under basic rules, illegal by positional superko.
SEND_TWO_RETURN_ONE = {"black": ["B5", "D5", "C4"], "white": ["A4", "B4"]}


def expected_reward(state: GameState, me: int) -> float:
    winner = state.winner()
    return 0.0 if winner == EMPTY else 1.0 if winner == me else -1.0


def check_position(env: GoEnv, state: GameState, obs: np.ndarray, info: dict) -> None:
    legal = state.legal_mask()
    assert np.array_equal(obs, features.encode(state, legal, env.ladders))
    assert info["action_mask"].dtype == np.int8
    assert np.array_equal(info["action_mask"], legal.astype(np.int8))
    assert np.array_equal(env.action_masks(), legal)
    assert info["to_play"] == state.to_play and info["move_number"] == state.move_number


def play_random_episode(env: GoEnv, state: GameState, obs, info, rng, pass_rate: float) -> int:
    """Random legal actions (pass with probability ``pass_rate``) until the episode ends,
    checking every step against ``state``; returns the plies played."""
    check_position(env, state, obs, info)
    plies = 0
    while True:
        mask = info["action_mask"].astype(bool)
        moves = np.flatnonzero(mask[:-1])
        n2 = len(mask) - 1
        action = n2 if len(moves) == 0 or rng.random() < pass_rate else int(rng.choice(moves))
        mover = state.to_play
        obs, reward, terminated, truncated, info = env.step(action)
        state.play(action)
        plies += 1
        check_position(env, state, obs, info)
        if terminated or truncated:
            assert terminated == (state.passes >= 2)
            assert truncated == (not terminated and plies >= env.max_moves)
            assert info["result"] == state.result() and info["score"] == state.score()
            assert info["winner"] == state.winner()
            assert reward == (expected_reward(state, mover) if terminated else 0.0)
            return plies
        assert reward == 0.0


@pytest.mark.parametrize(
    ("size", "games", "pass_rate", "max_moves"),
    [(5, 60, 0.05, 200), (9, 30, 0.02, None), (19, 6, 0.0, None)],
)
def test_random_games_match_game_state_and_encode(size, games, pass_rate, max_moves):
    rng = np.random.default_rng(size)
    for with_ladders in (True, False):
        env = GoEnv(size=size, komi=0.0 if size == 5 else 7.5, max_moves=max_moves, ladders=with_ladders)
        for game in range(games):
            obs, info = env.reset(seed=game)
            state = GameState(size, env.komi)
            play_random_episode(env, state, obs, info, rng, pass_rate)


def test_small_board_games_reach_superko_and_outgrow_the_position_set():
    # On 5x5 with many plies, random play recaptures a lot: positions repeat,
    # superko forbids moves, and the position set grows past its first size.
    rng = np.random.default_rng(7)
    env = GoEnv(size=5, komi=0.5, max_moves=400)
    forbidden = 0
    for game in range(30):
        obs, info = env.reset(seed=game)
        state = GameState(5, 0.5)
        check_position(env, state, obs, info)
        while True:
            basic, _ = state.board.legal_moves(state.to_play)
            forbidden += int(np.sum(basic & ~state.legal_mask()))
            moves = np.flatnonzero(info["action_mask"][:-1])
            action = 25 if len(moves) == 0 or rng.random() < 0.03 else int(rng.choice(moves))
            obs, reward, terminated, truncated, info = env.step(action)
            state.play(action)
            check_position(env, state, obs, info)
            if terminated or truncated:
                break
    assert forbidden > 0  # superko did forbid some moves the simple rules allow


def test_send_two_return_one_superko_from_an_sgf_start():
    start = GameState(5, 0.0)
    start.setup(
        black=[gtp_to_action(v, 5) for v in SEND_TWO_RETURN_ONE["black"]],
        white=[gtp_to_action(v, 5) for v in SEND_TWO_RETURN_ONE["white"]],
    )
    start.play(gtp_to_action("A5", 5))
    start.play(gtp_to_action("C5", 5))
    env = GoEnv(size=19, komi=0.0)
    obs, info = env.reset(options={"sgf": write_sgf(record_from_state(start))})
    state = start.copy()
    check_position(env, state, obs, info)
    b5 = gtp_to_action("B5", 5)
    assert state.board.is_legal(b5, BLACK) and not info["action_mask"][b5]
    play_random_episode(env, state, obs, info, np.random.default_rng(3), 0.05)


@pytest.mark.parametrize("handicap", [2, 5, 9])
def test_handicap_games(handicap):
    rng = np.random.default_rng(handicap)
    env = GoEnv(size=9, max_moves=120)
    obs, info = env.reset(options={"handicap": handicap, "komi": 0.5})
    state = GameState(9, 0.5, handicap)
    assert info["to_play"] == WHITE
    play_random_episode(env, state, obs, info, rng, 0.02)


def test_resets_from_sgf_positions_mid_game():
    rng = np.random.default_rng(11)
    source = GameState(9, 6.5)
    for _ in range(70):
        moves = np.flatnonzero(source.legal_mask()[:-1])
        source.play(int(rng.choice(moves)))
    data = write_sgf(record_from_state(source))
    env = GoEnv(size=9)
    for moves in (0, 1, 9, 35, 70):
        obs, info = env.reset(options={"sgf": data, "moves": moves})
        state = GameState(9, 6.5)
        for move in source.moves[:moves]:
            state.play(move.action)
        play_random_episode(env, state, obs, info, rng, 0.02)


def test_random_opponent_episodes_match():
    env = GoEnv(size=9, opponent="random", agent_color="white", max_moves=150)
    rng = np.random.default_rng(5)
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        state = GameState(9)
        state.play(info["opponent_action"])
        check_position(env, state, obs, info)
        while True:
            action = int(rng.choice(np.flatnonzero(info["action_mask"])))
            obs, reward, terminated, truncated, info = env.step(action)
            state.play(action)
            if "opponent_action" in info:
                state.play(info["opponent_action"])
            check_position(env, state, obs, info)
            if terminated or truncated:
                assert reward == (expected_reward(state, WHITE) if terminated else 0.0)
                break


# --- the GameState is built on demand ---------------------------------------------


def test_env_state_is_materialized_on_access_and_kept_up_to_date():
    env = GoEnv(size=9)
    env.reset()
    held = env.state
    actions = [gtp_to_action(v, 9) for v in ("E5", "C3", "G7", "D4")]
    for action in actions:
        env.step(action)
    assert env.state is held  # one object, brought up to date when asked for
    assert [m.action for m in held.moves] == actions and held.to_play == BLACK
    replay = GameState(9)
    for action in actions:
        replay.play(action)
    assert np.array_equal(held.board.to_array(), replay.board.to_array())
    assert held.history_key() == replay.history_key()
    env.step(81)
    assert env.state.passes == 1 and env.state.move_number == 5


def test_snapshots_and_clones_start_with_an_empty_ladder_cache_and_agree():
    rng = np.random.default_rng(2)
    env = GoEnv(size=19)
    obs, info = env.reset()
    for _ in range(120):
        obs, _, _, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"][:-1]))))
    snapshot = env.get_state()
    twin = env.clone()
    assert np.array_equal(twin.observe(), obs) and np.array_equal(env.observe(), obs)
    action = int(rng.choice(np.flatnonzero(info["action_mask"][:-1])))
    first = env.step(action)[0]
    assert np.array_equal(twin.step(action)[0], first)
    env.set_state(snapshot)
    assert np.array_equal(env.step(action)[0], first)
    assert np.array_equal(first, features.encode(env.state))


def test_ladder_cache_is_exact_for_positions_in_any_order():
    # Jumping between unrelated positions (and sides to move) changes much of
    # the board at once: every reused answer must still be the fresh one.
    rng = np.random.default_rng(4)
    for size in (9, 19):
        packed = []
        for _ in range(4):
            state = GameState(size)
            for _ in range(int(rng.integers(20, 2 * size * size))):
                moves = np.flatnonzero(state.legal_mask()[:-1])
                state.play(int(rng.choice(moves)) if len(moves) else size * size)
                packed.append(features.compact(state))
        context = ladders.context_views(ladders.new_context(size), size)
        out = np.empty((features.NUM_PLANES, size, size), np.float32)
        for i in rng.permutation(len(packed))[:400].tolist() + list(range(len(packed) - 50, len(packed))):
            c = packed[i]
            features.fill_planes(c.stones, c.to_play, c.komi, c.ko, c.legal, out, True, context)
            assert np.array_equal(out, features.decode(c)), i
