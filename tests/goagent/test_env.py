"""The Gymnasium env (and the PettingZoo one when PettingZoo is installed).

Rule outcomes are checked against ``GameState`` played side by side; positions
come from ASCII diagrams (``X O .``, row 0 on top) and moves are GTP vertices.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from goagent import features
from goagent.coords import BLACK, EMPTY, WHITE, gtp_to_action
from goagent.env import ENV_IDS, GoEnv, IllegalActionError
from goagent.game import GameState
from goagent.sgf import GameRecord, record_from_state, write_sgf
from goagent.textboard import format_board, format_status

_CHARS = {"X": BLACK, "O": WHITE, ".": EMPTY}

# Black sends two (A5), White takes them (C5); Black retaking at B5 would
# recreate the start: legal under basic rules, illegal by positional superko.
SEND_TWO_RETURN_ONE = """
. X . X .
O O X . .
. . . . .
. . . . .
. . . . .
"""


def sgf_of(diagram: str, moves: list[tuple[int, str]] = (), komi: float = 0.0) -> bytes:
    """An SGF record of the diagram's stones (setup) followed by (color, vertex) moves."""
    rows = [line.replace(" ", "") for line in diagram.strip().splitlines()]
    colors = np.array([[_CHARS[ch] for ch in row] for row in rows], np.int8).reshape(-1)
    n = len(rows)
    record = GameRecord(size=n, komi=komi)
    record.setup_black = np.flatnonzero(colors == BLACK).tolist()
    record.setup_white = np.flatnonzero(colors == WHITE).tolist()
    state = GameState(n, komi)
    state.setup(record.setup_black, record.setup_white)
    for color, vertex in moves:
        state.play(gtp_to_action(vertex, n), color)
    record.moves = list(state.moves)
    return write_sgf(record)


def random_actions(env: GoEnv, rng: np.random.Generator, count: int, allow_pass: bool = False):
    """Play ``count`` random legal actions; yields each step's results."""
    for _ in range(count):
        mask = env.action_masks()
        if not allow_pass:
            mask[-1] = False
        action = int(rng.choice(np.flatnonzero(mask)))
        yield action, env.step(action)


# --- registration and the Gymnasium API checks -------------------------------


def test_ids_are_registered_and_sized():
    for env_id in ENV_IDS:
        assert env_id in gymnasium.registry
    env = gymnasium.make("goagent/Go9x9-v0")
    assert env.observation_space.shape == (features.NUM_PLANES, 9, 9)
    assert env.observation_space.dtype == np.float32
    assert env.action_space == gymnasium.spaces.Discrete(82)
    assert gymnasium.make("goagent/Go-v0").unwrapped.size == 19
    assert gymnasium.make("goagent/Go-v0", size=7).action_space.n == 50
    assert gymnasium.make("goagent/Go13x13-v0").unwrapped.max_moves == 2 * 13 * 13


@pytest.mark.parametrize("env_id", ["goagent/Go9x9-v0", "goagent/Go19x19-v0"])
def test_check_env_passes(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from the checker is a failure too
        check_env(gymnasium.make(env_id).unwrapped)


def test_check_env_passes_with_a_random_opponent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gymnasium.make(
            "goagent/Go9x9-v0", opponent="random", agent_color="white", illegal_action="loss"
        )
        check_env(env.unwrapped)


def test_vector_env_stacks_observations_and_masks():
    envs = gymnasium.make_vec("goagent/Go9x9-v0", num_envs=2, vectorization_mode="sync")
    obs, info = envs.reset(seed=0)
    assert obs.shape == (2, features.NUM_PLANES, 9, 9) and info["action_mask"].shape == (2, 82)
    obs, reward, terminated, truncated, info = envs.step(np.array([40, 81]))
    assert obs.shape == (2, features.NUM_PLANES, 9, 9) and not terminated.any()
    envs.close()


def test_import_goagent_env_does_not_import_torch_or_need_pettingzoo():
    code = (
        "import sys; sys.modules['pettingzoo'] = None\n"  # as if PettingZoo were not installed
        "import goagent.env, goagent.env_pz\n"
        "try:\n    goagent.env_pz.GoAECEnv()\nexcept ImportError as err:\n    print(err)\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'goagent[pettingzoo]'" in out
    assert out.strip().endswith("False")


# --- observations and masks --------------------------------------------------


def test_observation_is_the_network_planes_for_the_side_to_move():
    env = GoEnv(size=9)
    obs, info = env.reset(seed=0)
    state = GameState(9)
    rng = np.random.default_rng(1)
    for action, (obs, _, _, _, info) in random_actions(env, rng, 60):
        state.play(action)
        assert np.array_equal(obs, features.encode(state))
        assert np.array_equal(info["action_mask"], state.legal_mask().astype(np.int8))
        assert info["action_mask"].dtype == np.int8
        assert np.array_equal(env.action_masks(), state.legal_mask())
        assert info["to_play"] == state.to_play and info["move_number"] == state.move_number
        assert obs in env.observation_space
    legal = obs[features.plane_index("legal")].reshape(-1)
    assert np.array_equal(legal, env.action_masks()[:-1])


def test_ladders_option_leaves_the_ladder_planes_zero():
    sgf = sgf_of(
        """
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . X . . . .
        . . . X O . . . .
        . . . . . X . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        """
    )
    on, off = GoEnv(size=9), GoEnv(size=9, ladders=False)
    obs_on, _ = on.reset(options={"sgf": sgf})
    obs_off, _ = off.reset(options={"sgf": sgf})
    ladder_planes = [features.plane_index(name) for name in features.PLANES[-4:]]
    assert obs_on[ladder_planes].any()  # black captures E5 in a ladder
    assert not obs_off[ladder_planes].any()
    others = [i for i in range(features.NUM_PLANES) if i not in ladder_planes]
    assert np.array_equal(obs_on[others], obs_off[others])
    assert np.array_equal(obs_off, features.encode(on.state, ladders=False))


def test_komi_plane_and_reset_options():
    env = GoEnv(size=9)
    obs, info = env.reset(options={"komi": 6.0, "size": 13})
    assert obs.shape == (features.NUM_PLANES, 13, 13) and env.observation_space.shape == obs.shape
    assert env.action_space.n == 13 * 13 + 1 and env.state.komi == 6.0
    assert np.allclose(obs[features.plane_index("komi")], -6.0 / features.KOMI_SCALE)  # black to move
    obs, info = env.reset(options={"handicap": 4})
    assert obs.shape[-1] == 9 and env.state.handicap == 4 and info["to_play"] == WHITE
    assert env.state.komi == 7.5  # options hold for one episode only
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"sizes": 9})
    with pytest.raises(ValueError, match="komi"):
        env.reset(options={"komi": 1000})


# --- rules through the env -----------------------------------------------------


def test_captures_match_game_state():
    env = GoEnv(size=5, komi=0.5)
    env.reset()
    state = GameState(5, 0.5)
    # Black takes the corner stone at A5, then the two white stones at D1 and E1.
    for vertex in ["B5", "A5", "A4", "D1", "D2", "E1", "E2", "C3", "C1"]:
        a = gtp_to_action(vertex, 5)
        obs, reward, terminated, truncated, info = env.step(a)
        state.play(a)
        assert np.array_equal(env.state.board.to_array(), state.board.to_array())
        assert np.array_equal(obs, features.encode(state))
        assert np.array_equal(info["action_mask"], state.legal_mask())
    assert env.state.board.captures(BLACK) == 3 and env.state.board.color_at(gtp_to_action("A5", 5)) == EMPTY


def test_superko_illegal_action_raises_and_changes_nothing():
    env = GoEnv(size=5, komi=0.0)
    env.reset(options={"sgf": sgf_of(SEND_TWO_RETURN_ONE)})
    env.step(gtp_to_action("A5", 5))
    _, _, _, _, info = env.step(gtp_to_action("C5", 5))
    b5 = gtp_to_action("B5", 5)
    assert info["action_mask"][b5] == 0 and not env.action_masks()[b5]
    before = (env.state.board.to_array().copy(), env.state.move_number)
    with pytest.raises(IllegalActionError, match="superko") as err:
        env.step(b5)
    assert err.value.reason == "superko" and "B5" in str(err.value)
    assert np.array_equal(env.state.board.to_array(), before[0]) and env.state.move_number == before[1]
    with pytest.raises(IllegalActionError, match="occupied"):
        env.step(gtp_to_action("C5", 5))
    with pytest.raises(ValueError, match="outside"):
        env.step(26)
    with pytest.raises(ValueError, match="integer"):
        env.step(1.5)


def test_illegal_action_as_a_loss():
    env = GoEnv(size=5, illegal_action="loss")
    env.reset()
    env.step(gtp_to_action("C3", 5))
    obs, reward, terminated, truncated, info = env.step(gtp_to_action("C3", 5))  # white plays on a stone
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert info["illegal"] == "occupied" and info["winner"] == BLACK and info["result"] == "B+F"
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(0)


def test_two_passes_end_the_game_with_the_tromp_taylor_result():
    env = GoEnv(size=5, komi=7.5)
    env.reset()
    env.step(gtp_to_action("C3", 5))  # black
    _, reward, terminated, _, _ = env.step(25)  # white passes
    assert (reward, terminated) == (0.0, False)
    _, reward, terminated, truncated, info = env.step(25)  # black passes: the game is over
    assert terminated and not truncated
    assert info["score"] == 25 - 7.5 and info["result"] == "B+17.5" and info["winner"] == BLACK
    assert reward == 1.0  # black made the last move and won


def test_draw_with_integer_komi_and_reward_for_the_agents_color():
    env = GoEnv(size=5, komi=0)
    env.reset()
    env.step(25)
    _, reward, terminated, _, info = env.step(25)
    assert terminated and reward == 0.0 and info["result"] == "0" and info["winner"] == EMPTY

    passer = GoEnv(size=5, komi=7.5, opponent=lambda obs, mask: 25)  # a callable opponent that passes
    passer.reset()
    _, reward, terminated, _, info = passer.step(25)  # black (the agent) passes, white too: W+7.5
    assert terminated and info["opponent_action"] == 25 and info["result"] == "W+7.5" and reward == -1.0


def test_truncation_at_the_move_cap():
    env = GoEnv(size=9, max_moves=10)
    env.reset()
    assert GoEnv(size=9).max_moves == 162
    rng = np.random.default_rng(0)
    results = [step for _, step in random_actions(env, rng, 10)]
    assert not any(r[2] or r[3] for r in results[:-1])
    _, reward, terminated, truncated, info = results[-1]
    assert truncated and not terminated and reward == 0.0
    assert info["result"] == env.state.result() and info["score"] == env.state.score()
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(0)


# --- opponents and seeding ---------------------------------------------------


def play_out(seed: int, agent_color: str = "black") -> list:
    env = GoEnv(size=9, opponent="random", agent_color=agent_color)
    obs, info = env.reset(seed=seed)
    trace = [info.get("opponent_action")]
    rng = np.random.default_rng(7)
    while True:
        legal = np.flatnonzero(info["action_mask"][:-1])
        action = int(rng.choice(legal)) if len(legal) else 81
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((action, info.get("opponent_action"), reward))
        if terminated or truncated:
            return trace + [info["result"]]


def test_seeding_makes_runs_with_a_random_opponent_reproducible():
    assert play_out(3) == play_out(3)
    assert play_out(3) != play_out(4)
    assert play_out(5, "white")[0] is not None  # the opponent (black) opened


def test_random_agent_color_and_opponent_moves_are_legal():
    colors = set()
    for seed in range(8):
        env = GoEnv(size=5, opponent="random", agent_color="random")
        obs, info = env.reset(seed=seed)
        colors.add(env.agent_color)
        assert info["to_play"] == env.agent_color
    assert colors == {BLACK, WHITE}


class ScriptedEvaluator:
    """Prefers the lowest-numbered legal point (pass last): a stand-in network."""

    def evaluate(self, states, legal):
        from goagent.mcts import Evaluation

        priors = []
        for mask in legal:
            p = np.linspace(1.0, 0.1, len(mask)).astype(np.float32) * mask
            priors.append(p / p.sum())
        return Evaluation(np.stack(priors), np.zeros(len(states), np.float32))


def test_evaluator_opponent_plays_its_most_probable_legal_move():
    env = GoEnv(size=5, opponent=ScriptedEvaluator(), agent_color="white")
    _, info = env.reset()
    assert info["opponent_action"] == 0
    _, _, _, _, info = env.step(24)
    assert info["opponent_action"] == 1


def test_checkpoint_opponent(tmp_path):
    torch = pytest.importorskip("torch")
    from goagent.checkpoint import save_checkpoint
    from goagent.config import model_preset
    from goagent.inference import load_evaluator
    from goagent.network import build_model

    torch.manual_seed(0)
    path = save_checkpoint(
        tmp_path / "net.pt",
        build_model(model_preset("tiny", features.NUM_PLANES)),
        feature_version=features.FEATURE_VERSION,
    )
    env = GoEnv(size=9, opponent=str(path), agent_color="white")
    _, info = env.reset(seed=0)
    priors = load_evaluator(str(path), symmetries="none").evaluate(
        [GameState(9)], [GameState(9).legal_mask()]
    )
    assert info["opponent_action"] == int(np.argmax(priors.priors[0]))
    with pytest.raises(ValueError, match="opponent"):
        GoEnv(size=9, opponent="no/such/checkpoint.pt")


# --- start positions, branching, rendering -------------------------------------


def test_sgf_start_position(tmp_path):
    state = GameState(9, komi=6.5)
    for vertex in ["E5", "C3", "G7", "D4", "pass", "F3"]:
        state.play(gtp_to_action(vertex, 9))
    data = write_sgf(record_from_state(state))
    path = tmp_path / "game.sgf"
    path.write_bytes(data)
    env = GoEnv(size=19)
    for source in (data, str(path), path, data.decode()):
        obs, info = env.reset(options={"sgf": source, "moves": 4})
        replay = GameState(9, 6.5)
        for move in state.moves[:4]:
            replay.play(move.action)
        assert np.array_equal(obs, features.encode(replay))  # history planes included
        assert env.state.komi == 6.5 and info["move_number"] == 4 and info["to_play"] == BLACK
        assert env.action_space.n == 82
    obs, info = env.reset(options={"sgf": data})
    assert info["move_number"] == 6 and np.array_equal(obs, features.encode(state))
    with pytest.raises(ValueError, match="moves must be between"):
        env.reset(options={"sgf": data, "moves": 7})
    obs, _ = env.reset()
    assert obs.shape[-1] == 19  # back to the env's own size


def test_clone_and_state_snapshots_branch_from_a_position():
    env = GoEnv(size=9, opponent="random")
    env.reset(seed=11)
    rng = np.random.default_rng(0)
    list(random_actions(env, rng, 5))
    snapshot = env.get_state()
    twin = env.clone()
    first = env.step(30 if env.action_masks()[30] else 81)
    original = env.state.board.to_array().copy()
    second = twin.step(30 if twin.action_masks()[30] else 81)
    assert first[4]["opponent_action"] == second[4]["opponent_action"]  # the RNG was cloned too
    list(random_actions(twin, rng, 5))
    assert np.array_equal(env.state.board.to_array(), original)  # the clone is independent
    env.set_state(snapshot)
    again = env.step(30 if env.action_masks()[30] else 81)
    assert np.array_equal(again[0], first[0]) and again[4]["opponent_action"] == first[4]["opponent_action"]
    env.set_state(snapshot)  # a snapshot can be used again
    assert env.state.move_number == snapshot["game"].state.move_number


def test_render_modes():
    env = GoEnv(size=9, render_mode="ansi")
    env.reset()
    env.step(gtp_to_action("E5", 9))
    text = env.render()
    assert text == format_board(env.state) + "\n" + format_status(env.state) + "\n"
    assert "(X)" in text

    env = GoEnv(size=9, render_mode="rgb_array")
    env.reset()
    env.step(gtp_to_action("E5", 9))  # black at the centre
    env.step(gtp_to_action("A9", 9))  # white in the top left corner
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    side = image.shape[0]
    assert image.shape[1] == side and side >= 400
    cell = side // 10
    centre, corner = image[5 * cell - cell // 4, 5 * cell - cell // 4], image[cell, cell + cell // 5]
    wood = image[cell // 2 + 2 * cell, cell // 2 + 2 * cell]  # between lines, no stone
    assert centre.mean() < 90 and corner.mean() > 170  # a black and a white stone
    assert wood[0] > wood[2] + 40  # wooden (warm) background
    big = GoEnv(size=19, render_mode="rgb_array")
    big.reset()
    assert big.render().shape[:2] == (520, 520)


# --- PettingZoo -----------------------------------------------------------------


# api_test warns that dict observations are unusual: they are PettingZoo's action-mask convention.
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
def test_pettingzoo_api_test():
    pytest.importorskip("pettingzoo", reason="PettingZoo is optional: pip install 'goagent[pettingzoo]'")
    from pettingzoo.test import api_test, seed_test

    from goagent.env_pz import GoAECEnv

    api_test(GoAECEnv(size=5, max_moves=60), num_cycles=200)
    api_test(GoAECEnv(size=9), num_cycles=50)
    seed_test(lambda: GoAECEnv(size=5), num_cycles=50)


def test_pettingzoo_game_to_the_end():
    pytest.importorskip("pettingzoo", reason="PettingZoo is optional: pip install 'goagent[pettingzoo]'")
    from goagent.env_pz import GoAECEnv

    env = GoAECEnv(size=5, komi=0.5)
    env.reset(seed=0)
    assert env.agents == ["black_0", "white_0"] and env.agent_selection == "black_0"
    obs = env.observe("black_0")
    assert set(obs) == {"observation", "action_mask"} and obs["action_mask"].sum() == 26
    assert env.observe("white_0")["action_mask"].sum() == 0  # not its turn
    env.step(gtp_to_action("C3", 5))
    assert env.agent_selection == "white_0"
    assert np.array_equal(env.observe("white_0")["observation"], features.encode(env.game_state))
    env.step(25)
    env.step(25)
    assert all(env.terminations.values())
    assert env.rewards == {"black_0": 1.0, "white_0": -1.0}
    assert env.infos["white_0"]["result"] == "B+24.5"
    for _ in env.agent_iter():
        _, _, terminated, _, _ = env.last()
        assert terminated
        env.step(None)
    assert env.agents == []


def test_a_player_opponent_searches_its_moves():
    """The env's opponent can be the one Player that GTP, matches and self-play use."""
    from goagent.mcts import PlayoutEvaluator
    from goagent.player import Player, PlayerConfig

    player = Player(PlayoutEvaluator(1, seed=0), PlayerConfig(visits=8, resign_threshold=0.0))
    env = GoEnv(size=5, opponent=player, agent_color="black")
    env.reset(seed=0)
    for _ in range(6):
        mask = env.action_masks()
        action = int(np.flatnonzero(mask[:-1])[0]) if mask[:-1].any() else 25
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
        assert 0 <= info["opponent_action"] <= 25  # searched, legal (else the env raises), never resign
    assert player.search is not None and player.search.root.visits > 0
